"""Nothing is lost: on generated messy input, accepted + rejected + duplicates == rows in, for
every format (delimited text, JSON Lines, JSON array, Parquet, Excel) and compression."""

import gzip
import io
import json
import zipfile

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.io import ingest

TIMES = st.sampled_from(
    [
        "2024-03-01T10:00:00Z",
        "2024-03-01 12:00:00+02:00",
        "Tue Apr 03 18:00:09 +0000 2012",
        "1333476009",
        "1333476009000",
        "0",
        "1985-01-01",
        "not a time",
        "",
        "2024-13-45",
        "03/04/2012 10:00",
    ]
)
IDS = st.sampled_from(["u1", "u2", "Ünïcode", "", "NULL", " spaced ", "42"])
COORD = st.sampled_from(["", "40.7", "-73.9", "0", "999", "abc"])
ROW = st.tuples(IDS, IDS, TIMES, st.sampled_from(["view", "CLICK", "", "purchase"]), COORD, COORD)
HEADER = ["user", "item", "time", "event", "lat", "lon"]


@st.composite
def messy_rows(draw):
    rows = draw(st.lists(ROW, min_size=0, max_size=40))
    if rows and draw(st.booleans()):
        rows = rows + draw(st.lists(st.sampled_from(rows), max_size=5))  # exact duplicates
    return rows


@st.composite
def messy_files(draw):
    rows = draw(messy_rows())
    delimiter = draw(st.sampled_from([",", "\t", ";", "|"]))
    lines = [delimiter.join(r) for r in rows]
    n_ragged = draw(st.integers(0, 3))
    lines += [delimiter.join(["u9", "i9"])] * n_ragged  # wrong number of fields
    order = draw(st.permutations(range(len(lines))))
    lines = [lines[i] for i in order]
    header = delimiter.join(HEADER)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    text = "\n".join([header, *lines]) + "\n"
    return text.encode(encoding), len(lines)


def _check(data: bytes, n_rows: int):
    result = ingest(data)
    rep = result.report
    assert rep.rows_in == n_rows
    assert rep.accepted + rep.rejected + rep.duplicates == rep.rows_in
    assert len(result.events) == rep.accepted
    assert len(result.rejected) == rep.rejected == sum(c for _, c in rep.rejected_by_reason)
    numbers = result.rejected["row_number"]
    assert numbers.is_unique and numbers.between(1, n_rows).all()
    assert isinstance(result.events["ts"].dtype, pd.DatetimeTZDtype)
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_files())
def test_every_row_is_accepted_rejected_or_a_duplicate(case):
    _check(*case)


def _encode(rows: list[tuple], fmt: str, n_bad: int) -> tuple[bytes, int]:
    records = [dict(zip(HEADER, r, strict=True)) for r in rows]
    if fmt == "jsonl":  # nested like an analytics export, plus lines that are not JSON objects
        lines = [
            json.dumps({"user": {"id": r["user"]}, "properties": {"sku": r["item"]}, **r})
            for r in records
        ]
        lines += ["not json", "[1, 2]"][:n_bad]
        return ("\n".join(lines) + "\n").encode(), len(lines)
    if fmt == "json":
        return json.dumps(records).encode(), len(records)
    columns = {h: [r[i] for r in rows] for i, h in enumerate(HEADER)}
    if fmt == "parquet":
        buffer = io.BytesIO()
        pq.write_table(pa.table({h: pa.array(v, pa.string()) for h, v in columns.items()}), buffer)
        return buffer.getvalue(), len(rows)
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    kept = [r for r in rows if any(cell.strip() for cell in r)]  # a blank sheet row is no row
    for r in kept:
        sheet.append(list(r))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), len(kept)


def _compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data)
    if how == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("events", data)
        return buffer.getvalue()
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    messy_rows(),
    st.sampled_from(["jsonl", "json", "parquet", "excel"]),
    st.sampled_from([None, "gzip", "zip"]),
    st.integers(0, 2),
)
def test_rows_add_up_for_every_format_and_compression(rows, fmt, how, n_bad):
    data, n_rows = _encode(rows, fmt, n_bad)
    if not any(any(cell.strip() for cell in r) for r in rows):
        return  # no record with a value: refused as an empty file / one without the columns
    result = _check(_compress(data, how), n_rows)
    assert result.report.format == fmt and result.report.compression == how

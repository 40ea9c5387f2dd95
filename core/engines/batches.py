"""Input files as record batches for the streamed local build, never read whole.

Each file is sniffed from its head (core.io.ingest's detection), then read batch by batch: Arrow's
streaming CSV reader with core.io.delimited.read_csv's options (every column text, malformed rows
reported, the same 1-based row numbers), Parquet row groups, Arrow's streaming JSON reader. Formats
these readers cannot split (a JSON array, Excel, zip, a multi-character delimiter, Parquet inside
gzip) are read whole by core.io's reader and handed on in slices.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from core.engines.spark_ingest import FilePlan
from core.errors import InvalidInputError, MissingColumnsError
from core.io import reader
from core.io.columns import detect_mapping, names_tried
from core.io.ingest import IngestSpec, _read, sniff

#: Rows per validated batch (a batch costs about 1 KB per row while it is validated).
BATCH_ROWS: Final = 250_000
_HEAD: Final = 4 << 20


def plan_file(path: str, index: int, spec: IngestSpec) -> tuple[FilePlan, str | None, str]:
    """Sniff ``path`` from its head and decide how to read it.

    Parameters
    ----------
    path
        One event file.
    index
        Its position among the inputs (the ``file`` of its rejected rows).
    spec
        Column mapping and detection overrides.

    Returns
    -------
    tuple of (FilePlan, str or None, str)
        The plan (format, columns, mapping, delimiter, header), the text encoding and how the
        file is read: ``csv``, ``parquet`` or ``jsonl`` (streamed) or ``whole``.

    Raises
    ------
    MissingColumnsError
        If user, item or time cannot be found.
    InvalidInputError
        If the file cannot be read.
    """
    with open(path, "rb") as fh:
        head = fh.read(_HEAD)
    inner = head
    if head[:2] == b"\x1f\x8b":
        inner = zlib.decompressobj(wbits=31).decompress(head, 1 << 20)
    if head[:4] == b"PAR1":
        columns = tuple(reader.flatten(pq.read_schema(path).empty_table()).column_names)
        found_fmt, encoding, delimiter, has_header, compression = "parquet", None, None, True, None
    else:
        # A JSON array, Excel, zip or gzipped Parquet is sniffed (and later read) whole.
        whole = inner[:4] in (b"PAR1", b"PK\x03\x04") or inner.lstrip()[:1] == b"["
        found = sniff(path if whole or len(head) < _HEAD else head, spec)
        columns, found_fmt = found.columns, found.format
        encoding, delimiter, has_header = found.encoding, found.delimiter, found.has_header
        compression = found.compression
    mapping, missing = detect_mapping(columns, spec.mapping, spec.ignore, spec.place_column)
    if missing:
        raise MissingColumnsError(
            f"{path}: required fields {list(missing)} not found: columns found {list(columns)}; "
            f"names tried {names_tried(missing)}; give an explicit mapping such as "
            f"--map {missing[0]}=COLUMN"
        )
    whole = (
        compression == "zip"
        or found_fmt in ("json", "excel")
        or (found_fmt == "parquet" and compression is not None)
        or (found_fmt == "csv" and len(delimiter or ",") > 1)
    )
    how = "whole" if whole else found_fmt
    plan = FilePlan(path, index, found_fmt, tuple(columns), mapping, delimiter, has_header)
    return plan, encoding, how


# ----------------------------------------------------------------------------- batches

Batch = tuple[pa.Table, np.ndarray, np.ndarray]  # table, row numbers, malformed row numbers


def _input(path: str) -> pa.NativeFile:
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return pa.input_stream(path, compression="gzip" if gz else None)


def _csv_batches(plan: FilePlan, encoding: str | None) -> Iterator[Batch]:
    """core.io.delimited.read_csv's parse (every column text, malformed rows reported, the same
    1-based row numbers), streamed."""
    bad: list[int] = []
    offset = 1 if plan.has_header else 0

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        if row.number is None:
            raise InvalidInputError("row number unknown")
        bad.append(row.number - offset)
        return "skip"

    enc = (encoding or "utf-8").lower().replace("_", "-")
    names = list(plan.columns)
    csv = pa_csv.open_csv(
        _input(plan.path),
        read_options=pa_csv.ReadOptions(
            column_names=names,
            skip_rows=offset,
            use_threads=False,
            block_size=1 << 24,
            encoding="utf8" if enc in ("utf-8", "utf-8-sig", "ascii") else enc,
        ),
        # Quoted newlines are allowed: the local reader allows them whenever the file holds a
        # quote, and without quotes the setting changes nothing.
        parse_options=pa_csv.ParseOptions(
            delimiter=plan.delimiter or ",",
            newlines_in_values=True,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    nxt, used = 1, 0
    for batch in csv:
        n = batch.num_rows
        pending = np.asarray(bad[used:], dtype=np.int64)
        candidates = np.arange(nxt, nxt + n + len(pending) + 1, dtype=np.int64)
        skipped = np.isin(candidates, pending)
        numbers = candidates[~skipped][:n]
        end = numbers[-1] if n else nxt - 1
        done = pending[pending <= end]
        used += len(done)
        nxt = int(end) + 1
        yield pa.Table.from_batches([batch]), numbers, done
    tail = np.asarray(bad[used:], dtype=np.int64)
    if len(tail):
        yield pa.table({n: pa.array([], pa.string()) for n in names}), np.zeros(0, np.int64), tail


def _parquet_batches(plan: FilePlan) -> Iterator[Batch]:
    start = 1
    for batch in pq.ParquetFile(plan.path).iter_batches(batch_size=BATCH_ROWS):
        table = reader.flatten(pa.Table.from_batches([batch]))
        n = table.num_rows
        yield table, np.arange(start, start + n, dtype=np.int64), np.zeros(0, np.int64)
        start += n


def _jsonl_batches(plan: FilePlan) -> Iterator[Batch]:
    start = 1
    stream = pa_json.open_json(
        _input(plan.path), read_options=pa_json.ReadOptions(block_size=1 << 24)
    )
    for batch in stream:
        table = reader.flatten(pa.Table.from_batches([batch]))
        n = table.num_rows
        yield table, np.arange(start, start + n, dtype=np.int64), np.zeros(0, np.int64)
        start += n


def _whole_batches(plan: FilePlan, spec: IngestSpec) -> Iterator[Batch]:
    raw = _read(plan.path, spec.read_options())
    bad = raw.malformed["row_number"].to_numpy(np.int64)
    for lo in range(0, max(raw.table.num_rows, 1), BATCH_ROWS):
        yield (
            raw.table.slice(lo, BATCH_ROWS),
            raw.row_number[lo : lo + BATCH_ROWS].astype(np.int64),
            bad if lo == 0 else np.zeros(0, np.int64),
        )


def _split(batches: Iterator[Batch]) -> Iterator[Batch]:
    """Batches of at most :data:`BATCH_ROWS` rows."""
    for table, numbers, bad in batches:
        if table.num_rows <= BATCH_ROWS:
            yield table, numbers, bad
            continue
        for lo in range(0, table.num_rows, BATCH_ROWS):
            first = bad if lo == 0 else np.zeros(0, np.int64)
            yield table.slice(lo, BATCH_ROWS), numbers[lo : lo + BATCH_ROWS], first


def read_batches(
    plan: FilePlan, encoding: str | None, how: str, spec: IngestSpec
) -> Iterator[Batch]:
    """(table, 1-based row numbers, malformed row numbers) batches of at most :data:`BATCH_ROWS`
    rows of one file, read as ``how`` (see :func:`plan_file`).

    Parameters
    ----------
    plan, encoding, how
        What :func:`plan_file` returned for the file.
    spec
        Read options (for a file read whole).

    Returns
    -------
    Iterator of (pyarrow.Table, numpy.ndarray, numpy.ndarray)
    """
    source = {
        "csv": lambda: _csv_batches(plan, encoding),
        "parquet": lambda: _parquet_batches(plan),
        "jsonl": lambda: _jsonl_batches(plan),
        "whole": lambda: _whole_batches(plan, spec),
    }[how]
    return _split(source())

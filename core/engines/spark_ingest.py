"""Ingest on Spark with the local rules: every partition runs core.io.ingest's own validation.

The driver sniffs each file (format, delimiter, header, column mapping) with core.io.ingest; the
executors split the file, number its rows as the local reader does (1-based data rows), parse
each batch with the same Arrow CSV reader and validate it with the same functions (missing
user / item / time, unparseable and implausible times, places, catalogue join). Exact duplicates
are then dropped in Spark over the parsed canonical columns plus the raw text of the unmapped
columns, keeping the first occurrence (by file, then row).

JSON Lines files are split by line like delimited text and each batch is read by the local
reader's JSON path (nested objects flattened to dotted names).

Differences from the local reader, by design: text must be UTF-8 (the local reader also detects
UTF-16 and cp1252); a quoted field must not span lines; where a time column mixes formats the
format choice that the local parser makes over the whole column (epoch unit by median, day-first
dates) is made per partition, and so is the type Arrow infers for a JSON key (a key holding numbers
in one part of a file and text in another is read as it is in each part).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInputError, MissingColumnsError
from core.io.catalogue import Catalogue, join_catalogue
from core.io.columns import CATEGORY, PLACE, detect_mapping, names_tried
from core.io.delimited import _parse_csv
from core.io.fields import fields, text, timestamp_bounds, validate
from core.io.formats import read_json_lines
from core.io.ingest import IngestSpec, sniff
from core.io.reader import flatten
from core.schema import CANONICAL, EVENT, ITEM, ITEM_TEXT, LAT, LON, TS, TZ_OFFSET, USER, WEIGHT

#: Columns of the parsed rows (reason "" = accepted; on rejected rows ts is 0, the rest null).
PARSED_SCHEMA = (
    "file int, row_number long, reason string, user_id string, item_id string, ts long, "
    "event string, weight double, item_text string, category string, lat double, lon double, "
    "tz_offset_min double, extras string"
)
CANONICAL_PARSED = (USER, ITEM, TS, EVENT, WEIGHT, ITEM_TEXT, LAT, LON, TZ_OFFSET)
_COLUMNS = [part.split()[0] for part in PARSED_SCHEMA.split(", ")]
#: Rows of one file are ordered by ``file * ORDER_STRIDE + row_number``.
ORDER_STRIDE = 1 << 40


@dataclass(frozen=True)
class FilePlan:
    """What the driver decided about one input file.

    ``index`` is the file's position among the inputs (rows are ordered by
    ``index * ORDER_STRIDE + row number``); ``mapping`` pairs canonical fields with the file's
    columns; ``delimiter`` is None for Parquet.
    """

    path: str
    index: int
    format: str
    columns: tuple[str, ...]
    mapping: dict[str, str]
    delimiter: str | None
    has_header: bool


def plan_file(path: str, index: int, spec: IngestSpec) -> FilePlan:
    """Sniff one file on the driver and resolve its column mapping.

    Parameters
    ----------
    path
        The input file.
    index
        Its position among the inputs (orders rows across files).
    spec
        The ingest spec: explicit mapping, ignored fields, place column.

    Returns
    -------
    FilePlan

    Raises
    ------
    InvalidInputError
        If the file is not delimited text, JSON Lines or Parquet, is a zip archive, uses a
        multi-character delimiter or is not UTF-8 text (the Spark engine reads none of these).
    MissingColumnsError
        If user, item or time cannot be found.
    """
    found = sniff(path, spec)
    if found.format not in ("csv", "jsonl", "parquet"):
        raise InvalidInputError(
            f"EVENTS: expected delimited text, JSON Lines or Parquet for the spark engine, found "
            f"{found.format} in {path!r}; convert it or use --engine local"
        )
    if found.compression == "zip":
        raise InvalidInputError(
            f"EVENTS: expected plain or gzip-compressed files for the spark engine (Spark cannot "
            f"split a zip archive), found a zip archive at {path!r}; unzip it or use --engine local"
        )
    if found.format == "csv" and len(found.delimiter or ",") > 1:
        raise InvalidInputError(
            f"EVENTS: expected a one-character delimiter for the spark engine, found "
            f"{found.delimiter!r} in {path!r}; use --engine local"
        )
    if found.format in ("csv", "jsonl") and not str(found.encoding).lower().replace(
        "_", "-"
    ).startswith(("utf-8", "ascii")):
        raise InvalidInputError(
            f"EVENTS: expected UTF-8 text for the spark engine, found {found.encoding} in "
            f"{path!r}; convert it or use --engine local"
        )
    mapping, missing = detect_mapping(found.columns, spec.mapping, spec.ignore, spec.place_column)
    if missing:
        raise MissingColumnsError(
            f"{path}: required fields {list(missing)} not found: columns found "
            f"{list(found.columns)}; names tried {names_tried(missing)}; give an explicit mapping "
            f"such as --map {missing[0]}=COLUMN"
        )
    return FilePlan(
        path=path,
        index=index,
        format=found.format,
        columns=found.columns,
        mapping=mapping,
        delimiter=found.delimiter,
        has_header=found.has_header,
    )


def _extras_key(
    table: pa.Table, mapping: dict[str, str], valid: np.ndarray, derived: list[pa.Array]
) -> np.ndarray:
    """The raw text of the unmapped columns (and of derived non-canonical fields such as
    ``category``), one string per valid row: the rest of what makes two rows duplicates."""
    used = {col for fld, col in mapping.items() if fld != PLACE}
    parts = [
        pc.fill_null(text(table.column(c)), "").filter(pa.array(valid))
        for c in table.column_names
        if c not in used
    ]
    parts += [pc.fill_null(pc.cast(d, pa.string()), "") for d in derived]
    if not parts:
        return np.full(int(valid.sum()), "", dtype=object)
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")
    return joined.to_numpy(zero_copy_only=False)


def validate_table(
    table: pa.Table,
    row_number: np.ndarray,
    plan: FilePlan,
    spec: IngestSpec,
    catalogue: Catalogue | None,
) -> pd.DataFrame:
    """Parsed rows of one batch in :data:`PARSED_SCHEMA` order, with core.io.ingest's rules.

    Parameters
    ----------
    table
        One batch of the file's rows as text columns.
    row_number
        Each row's 1-based number in its file.
    plan
        The file's plan (mapping, index).
    spec
        The ingest spec (time bounds, event weights).
    catalogue
        Item catalogue joined onto the accepted rows, or None.

    Returns
    -------
    pandas.DataFrame
        Accepted rows (``reason`` "") then rejected ones, each with file index and row number.
    """
    mapping = plan.mapping
    ids = {fld: text(table.column(mapping[fld])) for fld in (USER, ITEM)}
    bounds = timestamp_bounds(spec.min_time, spec.max_future)
    reason, times = validate(table, mapping, ids, bounds)
    valid = reason == ""
    found = fields(
        table, mapping, ids, valid, times, dict(spec.event_weights), spec.weight_from_value
    )
    events = pd.DataFrame(found.columns)
    if catalogue is not None:
        events, _, _ = join_catalogue(events, catalogue, True)
    n = len(events)
    nan = np.full(n, np.nan)

    def as_text(col: str) -> np.ndarray:
        if col not in events:
            return np.full(n, None, dtype=object)
        values = events[col].astype(object).to_numpy()
        return np.where(pd.isna(values), None, values).astype(object)

    accepted = pd.DataFrame(
        {
            "file": np.full(n, plan.index, dtype=np.int32),
            "row_number": row_number[valid].astype(np.int64),
            "reason": "",
            USER: events[USER].astype(str).to_numpy(dtype=object),
            ITEM: events[ITEM].astype(str).to_numpy(dtype=object),
            TS: events[TS].array.asi8 if n else np.zeros(0, np.int64),
            EVENT: as_text(EVENT),
            WEIGHT: events[WEIGHT].to_numpy(dtype=np.float64),
            ITEM_TEXT: as_text(ITEM_TEXT),
            CATEGORY: as_text(CATEGORY),
            LAT: events[LAT].to_numpy(dtype=np.float64) if LAT in events else nan,
            LON: events[LON].to_numpy(dtype=np.float64) if LON in events else nan,
            TZ_OFFSET: events[TZ_OFFSET].to_numpy(dtype=np.float64) if TZ_OFFSET in events else nan,
            "extras": _extras_key(
                table,
                mapping,
                valid,
                [
                    pa.array(events[c].astype(object).where(events[c].notna(), None).tolist())
                    for c in events.columns
                    if c not in CANONICAL
                ],
            ),
        }
    )
    bad = ~valid
    rejected = pd.DataFrame(
        {
            "file": np.full(int(bad.sum()), plan.index, dtype=np.int32),
            "row_number": row_number[bad].astype(np.int64),
            "reason": reason[bad].astype(str),
        }
    )
    if not len(rejected):
        return accepted[_COLUMNS]
    out = pd.concat([accepted, _filled(rejected)], ignore_index=True) if n else _filled(rejected)
    return out.astype({TS: np.int64, "file": np.int32, "row_number": np.int64})[_COLUMNS]


def _malformed(plan: FilePlan, rows: np.ndarray) -> pd.DataFrame:
    head = pd.DataFrame(
        {
            "file": np.full(len(rows), plan.index, np.int32),
            "row_number": rows,
            "reason": "malformed_row",
        }
    )
    return _filled(head)


def _filled(head: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows in the parsed shape: ts 0 (never read), other fields null."""
    out = head.reindex(columns=_COLUMNS)
    out[TS] = np.zeros(len(out), np.int64)
    return out


_ARROW = pa.schema(
    [
        (
            name,
            {"int": pa.int32(), "long": pa.int64(), "double": pa.float64()}.get(kind, pa.string()),
        )
        for name, kind in (part.split() for part in PARSED_SCHEMA.split(", "))
    ]
)


def _batch(frame: pd.DataFrame) -> pa.RecordBatch:
    """One Arrow batch in the parsed schema (built here: pandas' object columns can come out of
    Spark's own conversion as chunked arrays)."""
    arrays = []
    for name, typ in zip(_ARROW.names, _ARROW.types, strict=True):
        values = frame[name]
        if pa.types.is_string(typ):
            values = values.astype(object).where(values.notna(), None)
            arr = pa.array(values.tolist(), type=typ)
        else:
            arr = pa.array(values.to_numpy(), type=typ, from_pandas=True)
        arrays.append(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
    return pa.RecordBatch.from_arrays(arrays, schema=_ARROW)


def _as_arrow(parse):
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for frame in parse(batch.to_pandas() for batch in batches):
            yield _batch(frame)

    return run


def _read_csv_lines(plan: FilePlan, data: bytes, n: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Delimited lines with the local Arrow CSV reader: (table, good positions, bad positions)."""
    table, bad = _parse_csv(data, list(plan.columns), plan.delimiter, False, threads=False)
    bad_pos = np.array([b - 1 for b, _ in bad], dtype=np.int64)
    return table, np.setdiff1d(np.arange(n), bad_pos, assume_unique=True), bad_pos


def _read_json_lines(
    plan: FilePlan, data: bytes, n: int
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """JSON Lines with the local reader's JSON path (nested objects flattened to dotted names),
    missing keys as nulls in the file's columns: (table, good positions, bad positions)."""
    table, numbers, malformed = read_json_lines(data)
    table = flatten(table)
    columns = {
        name: table.column(name)
        if name in table.column_names
        else pa.nulls(table.num_rows, pa.string())
        for name in plan.columns
    }
    return pa.table(columns), numbers - 1, malformed["row_number"].to_numpy(np.int64) - 1


def _line_batches(plan: FilePlan, spec: IngestSpec, catalogue) -> Callable:
    """Batches of numbered text lines (delimited or JSON Lines) read as the local reader does."""
    read = _read_json_lines if plan.format == "jsonl" else _read_csv_lines

    def parse(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            if not len(pdf):
                continue
            data = ("\n".join(pdf["line"].tolist()) + "\n").encode("utf-8")
            table, good, bad = read(plan, data, len(pdf))
            numbers = pdf["row_number"].to_numpy(np.int64)
            if len(bad):
                yield _malformed(plan, numbers[bad])
            if table.num_rows:
                yield validate_table(table, numbers[good], plan, spec, catalogue)

    return parse


def _parquet_batches(plan: FilePlan, spec: IngestSpec, catalogue) -> Callable:
    def parse(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            if not len(pdf):
                continue
            numbers = pdf.pop("__row_index").to_numpy(np.int64) + 1
            table = pa.Table.from_pandas(pdf, preserve_index=False)
            yield validate_table(table, numbers, plan, spec, catalogue)

    return parse


def parsed_rows(spark, plan: FilePlan, spec: IngestSpec, catalogue):
    """A Spark DataFrame of one file's rows in :data:`PARSED_SCHEMA`: accepted and rejected.

    Parameters
    ----------
    spark
        The active SparkSession.
    plan
        The file's plan from :func:`plan_file`.
    spec
        The ingest spec applied in each batch.
    catalogue
        Item catalogue joined in each batch, or None.

    Returns
    -------
    pyspark.sql.DataFrame
        Lazily parsed rows; nothing runs until an action.
    """
    from pyspark.sql import functions as F

    if plan.format == "parquet":
        frame = spark.read.parquet(plan.path)
        frame = frame.select(
            *[F.col(f"`{c}`") for c in frame.columns],
            F.col("_metadata.row_index").alias("__row_index"),
        )
        return frame.mapInArrow(_as_arrow(_parquet_batches(plan, spec, catalogue)), PARSED_SCHEMA)
    if plan.format == "jsonl":  # records are the non-blank lines, numbered from 1 as locally
        lines = spark.sparkContext.textFile(plan.path).filter(lambda li: li.strip() != "")
        rows = lines.zipWithIndex().map(
            lambda li: (li[0].lstrip("\ufeff") if li[1] == 0 else li[0], li[1] + 1)
        )
        frame = spark.createDataFrame(rows, "line string, row_number long")
        return frame.mapInArrow(_as_arrow(_line_batches(plan, spec, catalogue)), PARSED_SCHEMA)
    header = plan.has_header
    lines = spark.sparkContext.textFile(plan.path).zipWithIndex()
    rows = lines.filter(lambda li: not (header and li[1] == 0)).map(
        lambda li: (li[0].lstrip("\ufeff") if li[1] == 0 else li[0], li[1] + (0 if header else 1))
    )
    rows = rows.filter(lambda r: r[0] != "")
    frame = spark.createDataFrame(rows, "line string, row_number long")
    return frame.mapInArrow(_as_arrow(_line_batches(plan, spec, catalogue)), PARSED_SCHEMA)

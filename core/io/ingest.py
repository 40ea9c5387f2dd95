"""Read an uploaded behaviour log (and an optional item catalogue) into a canonical EventLog.

Nothing is lost: every input row ends in exactly one of the accepted events, the rejected rows
(original text plus a reason) or the dropped exact duplicates, and the report's counts add up:
``accepted + rejected + duplicates == rows_in``.

Steps, each vectorised over whole columns (Arrow kernels, numpy masks, table joins):

1. bytes and format (``core.io.reader``): gzip / zip unpacked, then Parquet, Excel, JSON, JSON
   Lines or delimited text told apart by content; encoding, delimiter and header detected;
2. columns (``core.io.columns``): an explicit (field -> column) mapping first, then names;
3. fields (``core.io.fields``): times, coordinates, places, events, weights; validation;
4. de-duplication, catalogue join (``core.io.catalogue``), ``core.schema.conform``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core import schema
from core.errors import InvalidInputError, MissingColumnsError
from core.io import reader
from core.io.catalogue import Catalogue, catalogue_from, join_catalogue
from core.io.columns import (
    CATALOGUE_FIELDS,
    MAPPABLE,
    detect_catalogue,
    detect_mapping,
    names_tried,
)
from core.io.fields import REASONS, extras, fields, text, timestamp_bounds, validate
from core.io.reader import Raw, ReadOptions, Source
from core.schema import DEFAULT_EVENT_WEIGHTS, ITEM, LAT, LON, REQUIRED, TS, USER

Mapping = tuple[tuple[str, str | int], ...]


@dataclass(frozen=True)
class IngestSpec:
    """How to read an upload; every ``None`` means "detect".

    ``mapping`` pairs (field, column) for the events, ``items_mapping`` (field, column) for the
    catalogue; a column is a name or a 0-based position (int or digit string). Events fields are
    ``core.io.columns.MAPPABLE`` (canonical fields plus ``place`` and ``category``); catalogue
    fields are ``CATALOGUE_FIELDS`` (``item_id``, ``item_text`` — repeat it to join several
    columns —, ``category``, ``lat``, ``lon``, ``price``). ``sheet`` picks an Excel sheet by name
    or 0-based index. The ``items_*`` options do for the catalogue what the plain ones do for the
    events.
    """

    mapping: Mapping = ()
    has_header: bool | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    items_mapping: Mapping = ()
    items_has_header: bool | None = None
    items_delimiter: str | None = None
    items_encoding: str | None = None
    items_sheet: str | int | None = None
    event_weights: tuple[tuple[str, float], ...] = tuple(DEFAULT_EVENT_WEIGHTS.items())
    weight_from_value: bool = True
    min_time: str = "1990-01-01"
    max_future: str = "1D"
    place_column: str | None = None
    ignore: tuple[str, ...] = ()  # fields NOT to detect by name (the mapping form's "none")

    def read_options(self, items: bool = False) -> ReadOptions:
        if items:
            return ReadOptions(
                self.items_has_header, self.items_delimiter, self.items_encoding, self.items_sheet
            )
        return ReadOptions(self.has_header, self.delimiter, self.encoding, self.sheet)


@dataclass(frozen=True)
class Sniffed:
    """What :func:`sniff` found at the start of a file: enough to build a column-mapping form.

    ``mapping`` is (field, column) like ``IngestSpec.mapping`` (a catalogue may list
    ``item_text`` several times); ``fields`` the fields a form may offer; ``missing`` the
    required fields not found.
    """

    format: str  # "csv", "jsonl", "json", "parquet" or "excel"
    compression: str | None  # None, "gzip" or "zip"
    encoding: str | None
    delimiter: str | None
    has_header: bool
    columns: tuple[str, ...]
    mapping: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]
    preview: pd.DataFrame = field(compare=False, repr=False)
    role: str = "events"  # or "items"
    fields: tuple[str, ...] = MAPPABLE
    sheets: tuple[str, ...] = ()  # Excel: the workbook's sheet names

    def describe(self) -> str:
        """One line for people, e.g. ``"JSON Lines (gzip), 12 columns"``."""
        return describe_format(self.format, self.compression, self.delimiter, len(self.columns))


@dataclass(frozen=True)
class IngestReport:
    """Counts and detections of one ingest; ``accepted + rejected + duplicates == rows_in``."""

    rows_in: int
    accepted: int
    rejected: int
    duplicates: int
    rejected_by_reason: tuple[tuple[str, int], ...]
    column_mapping: tuple[tuple[str, str], ...]
    format: str
    compression: str | None
    delimiter: str | None
    encoding: str | None
    has_header: bool
    time_format: str
    time_min: str | None
    time_max: str | None
    n_users: int
    n_items: int
    located_share: float
    locations_cleared: int
    places_unresolved: tuple[str, ...]
    catalogue_rows: int
    catalogue_matched_items: int
    extra_columns: tuple[str, ...]
    warnings: tuple[str, ...]
    catalogue_mapping: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict:
        """A JSON-serialisable dict (tuples become lists; mappings become dicts / lists)."""
        out = asdict(self)
        for key in ("rejected_by_reason", "column_mapping"):
            out[key] = dict(out[key])
        out["catalogue_mapping"] = [list(p) for p in self.catalogue_mapping]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True)
class IngestResult:
    """The accepted EventLog, the rejected rows (raw text, ``row_number``, ``reason``), the report."""

    events: pd.DataFrame
    rejected: pd.DataFrame
    report: IngestReport


_FORMAT_NAMES = {
    "csv": "delimited text",
    "jsonl": "JSON Lines",
    "json": "a JSON array",
    "parquet": "Parquet",
    "excel": "an Excel workbook",
}


def describe_format(fmt: str, compression: str | None, delimiter: str | None, n_cols: int) -> str:
    name = _FORMAT_NAMES.get(fmt, fmt)
    if fmt == "csv" and delimiter:
        name += f" (delimiter {delimiter!r})"
    if compression:
        name += f", {compression}-compressed"
    return f"{name} with {n_cols} columns"


def _read(source: Source, opts: ReadOptions) -> Raw:
    data, compression = reader.unpack(reader.read_bytes(source))
    return reader.read(data, opts, compression)


def ingest(
    source: Source, items: Source | None = None, spec: IngestSpec = IngestSpec()
) -> IngestResult:
    """Read an event log (and optionally an item catalogue) into a canonical EventLog.

    Parameters
    ----------
    source
        The events: a path, bytes or a binary file object holding delimited text (any delimiter
        including ``::``), JSON Lines, a JSON array, Parquet or Excel ``.xlsx``, optionally gzip-
        or zip-compressed. The file name is never looked at.
    items
        Optional item catalogue in any of these formats, joined on item id; its text columns
        (title, name, category, genres, description…) become ``item_text``, its category the
        ``category`` column, its coordinates fill events that have none.
    spec
        Mappings (field -> column) and overrides for detection and validation.

    Returns
    -------
    IngestResult
        ``events`` (canonical EventLog via ``core.schema.conform``, unmapped columns kept as extras),
        ``rejected`` (original columns as text + ``row_number`` + ``reason``) and ``report``.

    Raises
    ------
    MissingColumnsError
        If user, item or time cannot be found: one sentence says what the file holds, then the
        columns found and names tried.
    InvalidInputError
        If the file cannot be read or the spec names unknown columns or fields.

    Examples
    --------
    >>> result = ingest(b"user,item,time\\nu1,i1,2012-04-03T18:00:09Z\\n,i2,2012-04-03T18:00:09Z\\n")
    >>> result.report.accepted, result.report.rejected
    (1, 1)
    """
    raw = _read(source, spec.read_options())
    columns = tuple(raw.table.column_names)
    mapping, missing = detect_mapping(columns, spec.mapping, spec.ignore, spec.place_column)
    if missing:
        raise _missing_error(raw, mapping, missing)
    ids = {fld: text(raw.table.column(mapping[fld])) for fld in (USER, ITEM)}
    bounds = timestamp_bounds(spec.min_time, spec.max_future)
    reason, times = validate(raw.table, mapping, ids, bounds)
    valid = reason == ""
    found = fields(
        raw.table, mapping, ids, valid, times, dict(spec.event_weights), spec.weight_from_value
    )
    kept = extras(raw.table, mapping, valid)
    events = pd.DataFrame({**found.columns, **kept})
    catalogue = (
        Catalogue.empty()
        if items is None
        else catalogue_from(_read(items, spec.read_options(items=True)), spec.items_mapping)
    )
    events, matched, join_warnings = join_catalogue(events, catalogue, items is not None)
    dup = pd.util.hash_pandas_object(events, index=False).duplicated().to_numpy()
    events = schema.conform(_for_conform(events[~dup], events[TS].array.asi8[~dup]))
    rejected = _rejected_frame(raw, reason, valid)
    warnings = [*found.warnings, *catalogue.warnings, *join_warnings]
    if not raw.has_header and raw.format in ("csv", "excel"):
        warnings.append("no header row: columns are named by 0-based position")
    if times.naive:
        warnings.append(f"{times.naive} times had no zone offset and were taken as UTC")
    counts = rejected["reason"].value_counts()
    located = events[LAT].notna().to_numpy() & events[LON].notna().to_numpy()
    report = IngestReport(
        rows_in=raw.rows_in,
        accepted=len(events),
        rejected=len(rejected),
        duplicates=int(dup.sum()),
        rejected_by_reason=tuple((r, int(counts[r])) for r in REASONS if r in counts.index),
        column_mapping=tuple(mapping.items()),
        format=raw.format,
        compression=raw.compression,
        delimiter=raw.delimiter,
        encoding=raw.encoding,
        has_header=raw.has_header,
        time_format=times.describe(),
        time_min=events[TS].min().isoformat() if len(events) else None,
        time_max=events[TS].max().isoformat() if len(events) else None,
        n_users=int(events[USER].nunique()),
        n_items=int(events[ITEM].nunique()),
        located_share=float(located.mean()) if len(events) else 0.0,
        locations_cleared=found.locations_cleared,
        places_unresolved=found.places_unresolved,
        catalogue_rows=catalogue.rows,
        catalogue_matched_items=matched,
        extra_columns=tuple(kept),
        warnings=tuple(warnings),
        catalogue_mapping=catalogue.mapping,
    )
    return IngestResult(events=events, rejected=rejected, report=report)


def _missing_error(
    raw: Raw, mapping: dict[str, str], missing: tuple[str, ...]
) -> MissingColumnsError:
    columns = tuple(raw.table.column_names)
    what = describe_format(raw.format, raw.compression, raw.delimiter, len(columns))
    header = "" if raw.has_header else " and no header row (columns are named by 0-based position)"
    found = [f for f in REQUIRED if f in mapping]
    recognised = (
        f"only {found} could be recognised"
        if found
        else "no user, item or time column could be recognised"
    )
    sentence = (
        f"source: expected an event log with user, item and time columns, found {what}, "
        f"{raw.rows_in:,} rows{header}, where {recognised}."
    )
    return MissingColumnsError(
        f"{sentence} Required fields {list(missing)} not found: columns found {list(columns)}; "
        f"names tried {names_tried(missing)}; give an explicit mapping such as "
        f"('{missing[0]}', 'COLUMN') or --map {missing[0]}=COLUMN"
    )


def _for_conform(events: pd.DataFrame, ts: np.ndarray) -> pd.DataFrame:
    """Pre-sort by time and hand the text columns over as plain object arrays.

    ``conform`` re-encodes text columns with ``astype(str).astype("category")`` and sorts by time;
    from object arrays (a cheap take from the categories) and an already sorted frame both steps
    cost about half of what they cost from categoricals in file order.
    """
    order = np.argsort(ts, kind="stable")
    out = events.iloc[order].reset_index(drop=True)
    for col in (schema.USER, schema.ITEM, schema.EVENT, schema.ITEM_TEXT):
        if col in out and isinstance(out[col].dtype, pd.CategoricalDtype):
            values = out[col].cat.categories.to_numpy(dtype=object)
            codes = out[col].cat.codes.to_numpy()
            plain = np.append(values, None)[np.where(codes < 0, len(values), codes)]
            out[col] = plain
    return out


def _rejected_frame(raw: Raw, reason: np.ndarray, valid: np.ndarray) -> pd.DataFrame:
    table = raw.table
    bad = np.flatnonzero(~valid)
    picked = table.take(pa.array(bad))
    out = pd.DataFrame(
        {
            name: pc.cast(picked.column(name), pa.string()).to_numpy(zero_copy_only=False)
            for name in picked.column_names
        }
    )
    out["row_number"] = raw.row_number[bad]
    out["reason"] = reason[bad]
    if len(raw.malformed):
        malformed = raw.malformed.assign(reason="malformed_row")
        out = pd.concat([out.assign(raw_line=None), malformed], ignore_index=True)
    out = out.sort_values("row_number", kind="stable").reset_index(drop=True)
    columns = [c for c in out.columns if c not in ("row_number", "reason")]
    return out[[*columns, "row_number", "reason"]]


# ----------------------------------------------------------------------------- sniff


def sniff(source: Source, spec: IngestSpec = IngestSpec(), *, items: bool = False) -> Sniffed:
    """Look at the start of a file: format, encoding, delimiter, header, columns, detected mapping.

    Parameters
    ----------
    source
        Path, bytes or binary file object (read once; compression and format by content).
    spec
        Overrides for anything detected (the ``items_*`` ones when ``items``).
    items
        Sniff an item catalogue: ``mapping`` then pairs catalogue fields with columns and
        ``missing`` is ``("item_id",)`` when no id column is found.

    Returns
    -------
    Sniffed
        With ``preview`` holding the first rows as text.

    Raises
    ------
    InvalidInputError
        If the source cannot be read or the mapping names an unknown column or field.
    """
    opts = spec.read_options(items)
    data = reader.read_bytes(source)
    head, compression = reader.unpack(data, head_only=True)
    fmt = reader.detect_format(head)
    if fmt in ("json", "excel") and compression == "gzip":  # needs the whole document
        head, compression = reader.unpack(data)
    sheets: tuple[str, ...] = ()
    encoding = delimiter = None
    has_header = True
    if fmt == "csv":
        raw = _sniff_csv(head, opts)
        encoding, delimiter, has_header = raw.encoding, raw.delimiter, raw.has_header
        table = raw.table
    elif fmt == "parquet":
        batches = pq.ParquetFile(pa.BufferReader(head)).iter_batches(batch_size=20)
        first = next(batches, None)
        schema_ = pq.read_schema(pa.BufferReader(head))
        table = reader.flatten(
            pa.Table.from_batches([first]) if first is not None else schema_.empty_table()
        )
    elif fmt == "jsonl":
        encoding = opts.encoding or reader.detect_encoding(_cut(head[:65536], "utf-8"))
        table = reader.read_json_head(reader.to_utf8(_cut(head[: 1 << 20], encoding), encoding))
    else:  # a JSON array or Excel needs the whole document
        raw = reader.read(head, opts, compression)
        encoding, has_header, table = raw.encoding, raw.has_header, raw.table.slice(0, 20)
        if fmt == "excel":
            from core.io.formats import sheet_names

            sheets = sheet_names(head)
    columns = tuple(table.column_names)
    preview = pd.DataFrame(
        {c: pc.cast(table.column(c), pa.string()).to_pylist() for c in columns},
        columns=list(columns),
    ).fillna("")
    if items:
        found = detect_catalogue(columns, spec.items_mapping)
        mapping = tuple((f, c) for f, cols in found.items() for c in cols)
        missing = () if ITEM in found else (ITEM,)
        offered = CATALOGUE_FIELDS
    else:
        detected, missing = detect_mapping(columns, spec.mapping, spec.ignore, spec.place_column)
        mapping, offered = tuple(detected.items()), MAPPABLE
    return Sniffed(
        format=fmt,
        compression=compression,
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        columns=columns,
        mapping=mapping,
        missing=missing,
        preview=preview,
        role="items" if items else "events",
        fields=offered,
        sheets=sheets,
    )


def _sniff_csv(head: bytes, opts: ReadOptions) -> Raw:
    sample = head[: 1 << 16]
    encoding = opts.encoding or reader.detect_encoding(_cut(sample, "utf-8"))
    content = reader.to_utf8(_cut(sample, encoding), encoding).decode("utf-8", errors="replace")
    if not content.strip():
        raise InvalidInputError("source: expected delimited text or Parquet, found an empty file")
    delimiter = opts.delimiter or reader.detect_delimiter(content)
    rows = reader.head_rows(content, delimiter, 21)
    has_header = reader.detect_header(rows) if opts.has_header is None else opts.has_header
    width = max((len(r) for r in rows), default=0)
    columns = (
        reader.unique_names(rows[0]) if has_header and rows else [str(i) for i in range(width)]
    )
    body = rows[1:] if has_header else rows
    cells = [r[: len(columns)] + [""] * (len(columns) - len(r)) for r in body]
    table = pa.table(
        {c: pa.array([r[i] for r in cells], type=pa.string()) for i, c in enumerate(columns)}
    )
    return Raw(
        table,
        np.arange(1, len(cells) + 1),
        reader.no_malformed(),
        "csv",
        None,
        encoding,
        delimiter,
        has_header,
    )


def _cut(head: bytes, encoding: str) -> bytes:
    """A head sample without a character cut at its end."""
    if encoding.startswith("utf-16"):
        return head[: len(head) - len(head) % 2]
    if encoding.startswith("utf-8"):
        for cut in range(4):
            try:
                (head[: len(head) - cut] if cut else head).decode("utf-8")
                return head[: len(head) - cut] if cut else head
            except UnicodeDecodeError:
                continue
    return head

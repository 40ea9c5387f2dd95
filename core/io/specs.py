"""The records of reading a log: IngestSpec (what to do), Sniffed (what a first look found),
IngestReport and IngestResult (what came out). A mapping is (field -> column) everywhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from core.io.columns import MAPPABLE
from core.io.reader import ReadOptions
from core.schema import DEFAULT_EVENT_WEIGHTS

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
    """How an ingest report names the source's format.

    For example ``"delimited text (delimiter ';'), gzip-compressed with 5 columns"``.

    Parameters
    ----------
    fmt
        The format key (``csv``, ``parquet``, ``jsonl`` …).
    compression
        The compression detected, or None.
    delimiter
        The delimiter of delimited text (only shown for ``csv``).
    n_cols
        Number of source columns.

    Returns
    -------
    str
    """
    name = _FORMAT_NAMES.get(fmt, fmt)
    if fmt == "csv" and delimiter:
        name += f" (delimiter {delimiter!r})"
    if compression:
        name += f", {compression}-compressed"
    return f"{name} with {n_cols} columns"

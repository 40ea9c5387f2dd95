"""``python -m core ingest EVENTS [--items ITEMS] [--map FIELD=COLUMN ...] --out DIR``.

Writes ``events.parquet`` (accepted EventLog), ``rejected.csv`` (original rows with row number and
reason; cells that a spreadsheet would run as a formula are prefixed with a quote) and
``report.json``, then prints a one-screen summary.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from core.errors import InvalidInputError
from core.io.ingest import MAPPABLE, IngestSpec, ingest

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("events", help="event log: CSV/TSV/...(optionally .gz) or Parquet")
    parser.add_argument("--items", help="optional item catalogue joined on item id")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help=f"use COLUMN (name or 0-based position) for FIELD, one of {', '.join(MAPPABLE)}",
    )
    parser.add_argument("--delimiter", help="override delimiter detection (use \\t for tab)")
    parser.add_argument("--encoding", help="override encoding detection, e.g. cp1252")
    header = parser.add_mutually_exclusive_group()
    header.add_argument("--header", dest="has_header", action="store_true", default=None)
    header.add_argument("--no-header", dest="has_header", action="store_false")
    parser.add_argument("--out", required=True, help="output directory (created if needed)")


def _parse_map(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    mapping = []
    for pair in pairs:
        fld, sep, column = pair.partition("=")
        if not sep or not fld or not column:
            raise InvalidInputError(f"--map: expected FIELD=COLUMN, found {pair!r}")
        mapping.append((column, fld.strip()))
    return tuple(mapping)


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells that start like a spreadsheet formula get a leading quote."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            text = out[col]
            risky = text.astype(str).str.startswith(_FORMULA_PREFIXES) & text.notna()
            out[col] = text.where(~risky, "'" + text.astype(str))
    return out


def main(args: argparse.Namespace) -> int:
    delimiter = args.delimiter.replace("\\t", "\t") if args.delimiter else None
    spec = IngestSpec(
        mapping=_parse_map(args.map),
        has_header=args.has_header,
        delimiter=delimiter,
        encoding=args.encoding,
    )
    result = ingest(args.events, items=args.items, spec=spec)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result.events.to_parquet(out / "events.parquet", index=False)
    formula_safe(result.rejected).to_csv(out / "rejected.csv", index=False)
    report = result.report
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    print(summary(report, out))
    return 0


def summary(report, out: Path) -> str:
    """The one-screen text summary printed after an ingest."""
    lines = [
        f"rows in      {report.rows_in:>10,}",
        f"accepted     {report.accepted:>10,}",
        f"rejected     {report.rejected:>10,}"
        + "".join(f"   {reason}: {count:,}" for reason, count in report.rejected_by_reason),
        f"duplicates   {report.duplicates:>10,}",
        f"users {report.n_users:,}   items {report.n_items:,}   "
        f"time {report.time_min} .. {report.time_max}",
        f"read as {report.format}"
        + (f" ({report.compression})" if report.compression else "")
        + (
            f", encoding {report.encoding}, delimiter {report.delimiter!r}, header {report.has_header}"
            if report.format == "csv"
            else ""
        ),
        f"time format  {report.time_format}",
        "columns      " + ", ".join(f"{f} <- {c}" for f, c in report.column_mapping),
        f"located {report.located_share:.1%}   locations cleared {report.locations_cleared:,}"
        + (
            f"   unresolved places {len(report.places_unresolved)}"
            if report.places_unresolved
            else ""
        ),
    ]
    if report.catalogue_rows:
        lines.append(
            f"catalogue    {report.catalogue_rows:,} rows, {report.catalogue_matched_items:,} items matched"
        )
    if report.extra_columns:
        lines.append("extra cols   " + ", ".join(report.extra_columns))
    lines += [f"warning: {w}" for w in report.warnings]
    lines.append(f"wrote {out}/events.parquet, rejected.csv, report.json")
    return "\n".join(lines)

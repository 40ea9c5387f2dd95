"""``python -m core ingest EVENTS [input options, see core.cli.options] --out DIR``.

Writes ``events.parquet`` (accepted EventLog), ``rejected.csv`` (original rows with row number and
reason; formula-safe through ``core.io.export.table_csv``: cells and headers that a spreadsheet
would run as a formula are prefixed with a quote) and
``report.json``, then prints a one-screen summary.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.cli.options import add_input_arguments, read_events
from core.io.export import table_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the shared input options and the ``--out`` folder of ``python -m core ingest``.

    Parameters
    ----------
    parser
        The ``ingest`` parser.
    """
    add_input_arguments(parser, out="output directory (created if needed)")


def main(args: argparse.Namespace) -> int:
    """Ingest the log; write ``events.parquet``, ``rejected.csv`` and ``report.json``; print the summary.

    Parameters
    ----------
    args
        The shared input options and ``out``.

    Returns
    -------
    int
        0 once the three files are written.
    """
    result = read_events(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result.events.to_parquet(out / "events.parquet", index=False)
    (out / "rejected.csv").write_bytes(table_csv(result.rejected))
    report = result.report
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    print(summary(report, out))
    return 0


def summary(report, out: Path) -> str:
    """The one-screen text summary printed after an ingest.

    Parameters
    ----------
    report
        The IngestReport of the run.
    out
        The folder the files were written to (named in the last line).

    Returns
    -------
    str
        Counts, how the source was read, the column mapping, location and catalogue figures, then
        one line per warning.
    """
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
            + "   columns "
            + ", ".join(f"{f} <- {c}" for f, c in report.catalogue_mapping)
        )
    if report.extra_columns:
        lines.append("extra cols   " + ", ".join(report.extra_columns))
    lines += [f"warning: {w}" for w in report.warnings]
    lines.append(f"wrote {out}/events.parquet, rejected.csv, report.json")
    return "\n".join(lines)

"""The input options every subcommand that reads an event log shares (one definition).

``EVENTS [--items ITEMS] [--map FIELD=COLUMN ...] [--items-map FIELD=COLUMN ...] [--delimiter D]
[--encoding E] [--header | --no-header] [--sheet S] [--items-header | --items-no-header]``.
A COLUMN is a name or a 0-based position; ``--items-map item_text=COLUMN`` may be repeated to
join several text columns.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

from core.errors import InvalidInputError
from core.interests.embeddings import SOURCES
from core.io.columns import CATALOGUE_FIELDS, MAPPABLE
from core.io.ingest import IngestResult, IngestSpec, ingest

T = TypeVar("T")

EVENTS_HELP = (
    "event log: delimited text (any delimiter, e.g. , \\t ; | ::), JSON Lines, JSON, Parquet or "
    "Excel .xlsx, optionally gzip/zip-compressed; the format is read from the content"
)


def add_input_arguments(parser: argparse.ArgumentParser, out: str | None = None) -> None:
    """Add the shared input options (the events argument included) to ``parser``.

    Parameters
    ----------
    parser
        A command's parser; gets ``events``, ``--items``, ``--map``, ``--items-map``,
        ``--delimiter``, ``--encoding``, ``--sheet`` and the header switches.
    out
        When given, a required ``--out`` folder option with this help text too.
    """
    if out is not None:
        parser.add_argument("--out", required=True, help=out)
    parser.add_argument("events", help=EVENTS_HELP)
    parser.add_argument("--items", default=None, help="optional item catalogue joined on item id")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help=f"use COLUMN (name or 0-based position) for FIELD, one of {', '.join(MAPPABLE)}",
    )
    parser.add_argument(
        "--items-map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help=(
            f"catalogue column for FIELD, one of {', '.join(CATALOGUE_FIELDS)} (repeat item_text "
            "to join several columns); COLUMN a name or 0-based position"
        ),
    )
    parser.add_argument("--delimiter", help="override delimiter detection (use \\t for tab)")
    parser.add_argument("--encoding", help="override encoding detection, e.g. cp1252")
    parser.add_argument("--sheet", default=None, help="Excel sheet name or 0-based index")
    header = parser.add_mutually_exclusive_group()
    header.add_argument("--header", dest="has_header", action="store_true", default=None)
    header.add_argument("--no-header", dest="has_header", action="store_false")
    items_header = parser.add_mutually_exclusive_group()
    items_header.add_argument(
        "--items-header", dest="items_has_header", action="store_true", default=None
    )
    items_header.add_argument("--items-no-header", dest="items_has_header", action="store_false")


def parse_map(pairs: list[str], option: str = "--map") -> tuple[tuple[str, str], ...]:
    """``["user_id=0", "ts=when"]`` -> ``(("user_id", "0"), ("ts", "when"))`` (field, column).

    Parameters
    ----------
    pairs
        ``FIELD=COLUMN`` strings as given on the command line.
    option
        The option named in the error message.

    Returns
    -------
    tuple of (str, str)

    Raises
    ------
    InvalidInputError
        If a pair has no ``=``, an empty field or an empty column.
    """
    mapping = []
    for pair in pairs:
        fld, sep, column = pair.partition("=")
        if not sep or not fld.strip() or not column:
            raise InvalidInputError(f"{option}: expected FIELD=COLUMN, found {pair!r}")
        mapping.append((fld.strip(), column))
    return tuple(mapping)


#: The shared options, as stored with a trained model (``input_options``).
OPTION_NAMES = (
    "map",
    "items_map",
    "delimiter",
    "encoding",
    "sheet",
    "has_header",
    "items_has_header",
)


def input_options(args: argparse.Namespace) -> dict:
    """The shared options of ``args`` as a JSON-serialisable dict.

    Parameters
    ----------
    args
        Parsed options; absent ones are None.

    Returns
    -------
    dict
        One entry per :data:`OPTION_NAMES` name (stored in ``model.json`` to re-read the log).
    """
    return {name: getattr(args, name, None) for name in OPTION_NAMES}


def spec_from_options(options: dict) -> IngestSpec:
    """The IngestSpec of a dict written by :func:`input_options` (missing keys: detect).

    Parameters
    ----------
    options
        Option name -> value; a ``\\t`` delimiter means a tab.

    Returns
    -------
    IngestSpec
    """
    delimiter = options.get("delimiter")
    return IngestSpec(
        mapping=parse_map(list(options.get("map") or [])),
        items_mapping=parse_map(list(options.get("items_map") or []), "--items-map"),
        has_header=options.get("has_header"),
        delimiter=delimiter.replace("\\t", "\t") if delimiter else None,
        encoding=options.get("encoding"),
        sheet=options.get("sheet"),
        items_has_header=options.get("items_has_header"),
    )


def spec_from(args: argparse.Namespace) -> IngestSpec:
    """The IngestSpec the shared options describe.

    Parameters
    ----------
    args
        Parsed options, read through :func:`input_options` (absent ones: detect).

    Returns
    -------
    IngestSpec
        Mapping, header, delimiter, encoding and sheet choices for ``core.io.ingest``.
    """
    return spec_from_options(input_options(args))


def read_events(args: argparse.Namespace) -> IngestResult:
    """Ingest ``args.events`` (and ``args.items``) with the shared options.

    Parameters
    ----------
    args
        Needs ``events`` and ``items`` besides the options :func:`spec_from` reads.

    Returns
    -------
    IngestResult
        The accepted events, the rejected rows and the report.
    """
    return ingest(args.events, items=args.items, spec=spec_from(args))


def spec_args(spec_type: type[T], args: argparse.Namespace, **given: Any) -> T:
    """A frozen spec built from the options whose ``dest`` names one of its fields.

    Parameters
    ----------
    spec_type
        A dataclass (e.g. ``AnalysisSpec``); its fields that no option names keep their defaults.
    args
        Parsed options.
    **given
        Fields set here instead of from ``args``.

    Returns
    -------
    T
        ``spec_type(**fields)``.
    """
    names = {f.name for f in dataclasses.fields(spec_type)}  # type: ignore[arg-type]
    return spec_type(**{k: v for k, v in vars(args).items() if k in names}, **given)


def add_analysis_arguments(parser: argparse.ArgumentParser, *, any_period: bool = False) -> None:
    """The analysis options the atlas and interests commands share: ``--source --k --half-life
    --period --device --cache-dir --top`` (``dest`` = the ``AnalysisSpec`` / ``AtlasSpec`` field,
    for :func:`spec_args`).

    Parameters
    ----------
    parser
        The command's parser.
    any_period
        Accept any pandas period alias instead of D, W or M.
    """
    parser.add_argument("--source", default="auto", choices=SOURCES, help="item vector source")
    parser.add_argument("--k", type=int, default=None, help="number of topics (default: automatic)")
    parser.add_argument(
        "--half-life",
        dest="half_life_days",
        metavar="HALF_LIFE",
        type=float,
        default=14.0,
        help="interest half-life in days",
    )
    parser.add_argument(
        "--period",
        default="W",
        choices=None if any_period else ["D", "W", "M"],
        help="calendar period (D, W or M"
        + (", or any pandas period alias)" if any_period else ")"),
    )
    parser.add_argument("--device", default="auto", help="torch device: auto, cpu, cuda, mps")
    parser.add_argument("--cache-dir", default=None, help="vector cache (default $ATLAS_CACHE_DIR)")
    parser.add_argument("--top", type=int, default=20, help="users in the drift ranking")

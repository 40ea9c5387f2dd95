"""``python -m core atlas EVENTS... --engine local|spark --out DIR``: build an atlas folder.

EVENTS are files, folders or globs (any format ingest reads for the local engine, which streams
them out of core; CSV / TSV, JSON Lines, optionally gzip, or Parquet for Spark). The folder holds
``manifest.json`` + Parquet tables (see core.engines.folder); ``open_atlas(DIR)`` reads it back.
"""

from __future__ import annotations

import argparse
import time

from core.cli.options import add_analysis_arguments, add_input_arguments, spec_args, spec_from
from core.engines.folder import AtlasSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``atlas`` options: inputs (several files, folders or globs), engine, Spark master,
    H3 resolution, analysis options and ``--out``.

    Parameters
    ----------
    parser
        The ``python -m core atlas`` parser.
    """
    add_input_arguments(parser, out="atlas folder to write")
    for action in parser._actions:  # several inputs here: files, folders or globs
        if action.dest == "events":
            action.nargs = "+"
            action.help = "event files, folders or globs (" + action.help + ")"
    parser.add_argument("--engine", default="local", choices=["local", "spark"])
    parser.add_argument("--master", default="local[2]", help="Spark master URL (spark engine)")
    parser.add_argument("--res", type=int, default=8, help="H3 resolution 0..15 (default 8)")
    add_analysis_arguments(parser)


def main(args: argparse.Namespace) -> int:
    """Build an atlas folder with the chosen engine and print its row counts and timing.

    Parameters
    ----------
    args
        The inputs, ``engine`` / ``master``, ``res``, the AtlasSpec analysis fields and ``out``.

    Returns
    -------
    int
        0 once the folder is written; errors propagate to ``core.__main__``.
    """
    started = time.perf_counter()
    ingest_spec = spec_from(args)
    spec = spec_args(AtlasSpec, args)
    if args.engine == "spark":
        from core.engines import spark as engine

        manifest = engine.build(
            args.events, args.out, args.items, ingest_spec, spec, master=args.master
        )
    else:
        from core.engines import local as engine

        manifest = engine.build(args.events, args.out, args.items, ingest_spec, spec)
    rows = manifest.rows
    print(
        f"{manifest.engine}: {rows['events']:,} events, {rows['user_interests']:,} users, "
        f"{rows['cells']:,} cell x period rows, {manifest.topics['k']} topics "
        f"({manifest.topics['source']}); wrote {args.out}/ in {time.perf_counter() - started:.1f}s"
    )
    return 0

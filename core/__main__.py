"""``python -m core COMMAND ...``: the command-line entry point.

Each subcommand lives in ``core/cli/<name>.py`` and is imported only when it is run, so
``python -m core ingest`` does not pay for importing torch models it does not use.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import AtlasError

#: subcommand -> one-line help. The module ``core.cli.<subcommand>`` implements it.
COMMANDS: dict[str, str] = {
    "ingest": "read an event log (+ item catalogue), write accepted / rejected rows and a report",
    "sample": "generate the bundled sample log and its ground truth",
    "interests": "item vectors, named topics, user interest vectors and timelines",
    "heatmap": "H3 / hour-of-week aggregates and a standalone HTML map",
    "train": "train the sequence model and compare it with baselines",
    "recommend": "top-k recommendations with reasons from a trained model",
    "atlas": "build an atlas folder (manifest + Parquet tables) with the local or Spark engine",
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level ``python -m core COMMAND`` parser: one subcommand per :data:`COMMANDS` entry.

    Only used for usage and the command list; each command's own options are added by its
    ``core.cli`` module in :func:`main`.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(prog="python -m core", description="Interest Atlas core")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``python -m core`` command: import its ``core.cli`` module, parse its options, call it.

    Parameters
    ----------
    argv
        The arguments after ``python -m core``; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: the command's own, 1 when it raised an AtlasError (printed to stderr),
        2 for a missing or unknown command (after usage is printed).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        build_parser().parse_args(argv)  # prints usage and exits
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(f"core.cli.{name}")
    parser = argparse.ArgumentParser(prog=f"python -m core {name}", description=COMMANDS[name])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.main(args))
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

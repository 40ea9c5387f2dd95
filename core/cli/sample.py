"""``python -m core sample --out DIR``: write a generated sample log, its catalogue and ground truth."""

from __future__ import annotations

import argparse

from core.cli.options import spec_args
from core.sample import SampleSpec, generate, write


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``sample`` options: ``--out``, seed, sizes, drifters and ``--clean``; defaults from
    SampleSpec.

    Parameters
    ----------
    parser
        The ``python -m core sample`` parser.
    """
    defaults = SampleSpec()
    parser.add_argument(
        "--out", required=True, help="folder to write into (assets/ for the bundled one)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--users", dest="n_users", metavar="USERS", type=int, default=defaults.n_users
    )
    parser.add_argument(
        "--items", dest="n_items", metavar="ITEMS", type=int, default=defaults.n_items
    )
    parser.add_argument("--weeks", type=int, default=defaults.weeks)
    parser.add_argument(
        "--drifters", dest="n_drifters", metavar="DRIFTERS", type=int, default=defaults.n_drifters
    )
    parser.add_argument(
        "--clean", dest="dirty", action="store_false", help="leave out duplicates and bad rows"
    )


def main(args: argparse.Namespace) -> int:
    """Generate the sample, write it and print its sizes and planted truth.

    Parameters
    ----------
    args
        ``out`` and the SampleSpec fields (seed, sizes, drifters, dirty).

    Returns
    -------
    int
        0 once every file is written (their paths are printed).
    """
    spec = spec_args(SampleSpec, args)
    sample = generate(spec)
    paths = write(sample, args.out)
    events = sample.events_raw
    print(
        f"{len(events):,} events ({'plus dirty rows' if spec.dirty else 'clean'}), "
        f"{events['user_id'].nunique():,} users, {len(sample.items_raw):,} items, "
        f"{len(sample.truth.drifters)} drifters, emerging '{sample.truth.emerging_topic}' "
        f"from {sample.truth.emerging_start.date()}"
    )
    for path in paths:
        print(f"  wrote {path}")
    return 0

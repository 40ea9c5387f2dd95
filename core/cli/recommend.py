"""``python -m core recommend DIR --user U -k 10``: top-k unseen items with reasons.

DIR is a folder written by ``python -m core train``. The user's history is read from an event log:
``--events FILE`` (through core.io.ingest), ``--sample`` (the bundled sample), or by default the log the
model was trained on (its path is stored in ``model.json``).
"""

from __future__ import annotations

import argparse

import pandas as pd

from core.recsys import persist, recommend


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``recommend`` options: model folder, user (or ``--all-users``), k, where the history
    comes from, cut-off time, location, blend weights, CSV output and device.

    Parameters
    ----------
    parser
        The ``python -m core recommend`` parser.
    """
    parser.add_argument("model_dir", help="folder written by `python -m core train`")
    parser.add_argument("--user", help="user id (omit with --all-users)")
    parser.add_argument("-k", type=int, default=10, help="number of items (default 10)")
    parser.add_argument(
        "--events", help="event log holding the user's history (default: the training log)"
    )
    parser.add_argument("--items", default=None, help="optional item catalogue for core.io.ingest")
    parser.add_argument(
        "--sample", action="store_true", help="read history from the bundled sample"
    )
    parser.add_argument("--at", default=None, help="use history up to this time (ISO 8601)")
    parser.add_argument("--near", default=None, help="LAT,LON: blend in proximity there")
    parser.add_argument("--w-seq", type=float, default=recommend.BlendWeights.sequence)
    parser.add_argument("--w-interest", type=float, default=recommend.BlendWeights.interest)
    parser.add_argument("--w-geo", type=float, default=recommend.BlendWeights.geo)
    parser.add_argument("--all-users", action="store_true", help="score every user")
    parser.add_argument("--csv", default=None, help="write the table to this CSV file")
    parser.add_argument("--device", default=None, help="torch device (default: auto)")


def main(args: argparse.Namespace) -> int:
    """Load the model bundle and the history, print the top-k table (and write it with ``--csv``).

    Parameters
    ----------
    args
        ``model_dir``, ``user`` / ``all_users``, ``k``, the history source (``events``,
        ``items``, ``sample``), ``at``, ``near``, the ``w_*`` weights, ``csv`` and ``device``.

    Returns
    -------
    int
        0 once the table is printed.

    Raises
    ------
    InvalidInputError
        If no history can be found, ``--near`` is not ``LAT,LON``, or no user is given.
    """
    from core.errors import InvalidInputError

    bundle = persist.load(args.model_dir, args.device)
    if args.sample:
        from core.sample import bundled_event_log

        events = bundled_event_log()
    elif args.events:
        from core.io.ingest import ingest

        events = ingest(args.events, items=args.items).events
    elif bundle.info.get("events"):
        from core.cli.options import spec_from_options
        from core.io.ingest import ingest

        spec = spec_from_options(bundle.info.get("ingest") or {})
        events = ingest(
            str(bundle.info["events"]), items=bundle.info.get("items"), spec=spec
        ).events
    else:
        raise InvalidInputError(
            "history: expected --events FILE or --sample (the model does not name its training log), "
            "found neither"
        )
    near = None
    if args.near:
        try:
            lat, lon = (float(x) for x in args.near.split(","))
        except ValueError as exc:
            raise InvalidInputError(f"--near: expected LAT,LON, found {args.near!r}") from exc
        near = (lat, lon)
    weights = recommend.BlendWeights(sequence=args.w_seq, interest=args.w_interest, geo=args.w_geo)
    if args.all_users:
        table = recommend.score_all_users(bundle, events, args.k, args.at, near, weights)
    elif args.user is None:
        raise InvalidInputError("--user: expected a user id (or --all-users), found none")
    else:
        table = recommend.top_k(bundle, events, args.user, args.k, args.at, near, weights)
    print(table.attrs.get("blend", ""))
    with pd.option_context("display.width", 250, "display.max_colwidth", 90):
        print(table.to_string(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0

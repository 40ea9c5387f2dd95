"""``python -m core interests EVENTS [--items ITEMS] --out DIR``: item vectors, topics, user interests.

``python -m core interests NEW_EVENTS --update STATE_DIR [--out DIR]`` folds a new file into a saved
state (``core.statefolder``: safetensors + JSON + Parquet): exact duplicates of logged rows are
dropped, interests carried forward with ``update``; the first run on an empty STATE_DIR builds it.

Writes ``item_vectors.parquet`` (item_id, item_text, topic, label, v0..), ``topics.parquet`` (topic,
label, size, weight_share, top_items, top_titles), ``user_vectors.parquet`` (user_id, n_events,
weight, top_topic, one share:<label> column per topic, v0..), ``timeline.parquet`` (one row per user and
active period) and ``drift.parquet`` (users whose interests changed most), then prints a summary.
With ``--finetune`` the encoder is first adapted to the log's co-engagement
(``core.interests.finetune``), every vector is the adapted one, and ``encoder_report.csv`` puts
the frozen and the adapted encoder side by side (held-out pair recall@10, LM-interest NDCG@10).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from core import statefolder
from core.atlas import AnalysisSpec, Atlas
from core.cli.options import add_analysis_arguments, add_input_arguments, read_events, spec_args
from core.errors import InvalidInputError
from core.interests.finetune import FinetuneSpec
from core.interests.state import topic_shares
from core.interests.state import user_vectors as unit_user_vectors
from core.interests.text_encoder import DEFAULT_MODEL, MULTILINGUAL_MODEL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``interests`` options: inputs, ``--out`` / ``--update``, encoder model, blend weight,
    analysis options, ``--finetune`` and ``--timeline-vectors``.

    Parameters
    ----------
    parser
        The ``python -m core interests`` parser.
    """
    add_input_arguments(parser)
    parser.add_argument(
        "--out", default=None, help="output directory (created if needed; default: --update DIR)"
    )
    parser.add_argument(
        "--update",
        default=None,
        metavar="STATE_DIR",
        help="fold EVENTS into the interest state saved in STATE_DIR (built there on first use)",
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=(
            f"sentence-transformers name or local folder; default: {DEFAULT_MODEL} for mostly "
            f"English text, {MULTILINGUAL_MODEL} (bundled) otherwise, chosen by script detection"
        ),
    )
    parser.add_argument("--blend-alpha", type=float, default=0.5, help="text weight in a blend")
    add_analysis_arguments(parser, any_period=True)
    parser.add_argument(
        "--finetune",
        dest="adapt",
        action="store_true",
        help="adapt the encoder to the log: a contrastive adapter trained on items the same users "
        "engage with within a day (minutes on 2 CPU cores at the sample's size, cached); "
        "writes encoder_report.csv (frozen vs adapted)",
    )
    parser.add_argument(
        "--timeline-vectors", action="store_true", help="store each timeline row's vector too"
    )


def _with_vectors(head: pd.DataFrame, vectors) -> pd.DataFrame:
    dims = pd.DataFrame(
        vectors.numpy(), columns=[f"v{i}" for i in range(vectors.shape[1])], dtype="float32"
    )
    return pd.concat([head.reset_index(drop=True), dims], axis=1)


def _finetune(atlas: Atlas, out: Path) -> None:
    """Adapt the encoder (progress per epoch), print and write the frozen-vs-adapted report."""

    def progress(epoch: int, loss: float, eta: float) -> bool:
        print(f"fine-tuning epoch {epoch}: loss {loss:.3f}, about {eta:.0f}s left", flush=True)
        return True

    report = atlas.encoder_report(progress)
    print(atlas.adaptation().summary())
    report.to_csv(out / "encoder_report.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(report.drop(columns="protocol").to_string(index=False))


def main(args: argparse.Namespace) -> int:
    """Build (or, with ``--update``, extend) the interest analysis; write item vectors, topics, user
    vectors, timeline and drift as Parquet and print a short summary.

    Parameters
    ----------
    args
        The inputs, ``out`` / ``update``, ``model``, ``blend_alpha``, ``adapt``,
        ``timeline_vectors`` and the AnalysisSpec fields.

    Returns
    -------
    int
        0 once the tables (and, with ``--update``, the state) are saved.

    Raises
    ------
    InvalidInputError
        If neither ``--out`` nor ``--update`` is given.
    """
    started = time.perf_counter()
    if args.out is None and args.update is None:
        raise InvalidInputError("--out: expected an output directory (or --update STATE_DIR)")
    out = Path(args.out or args.update)
    out.mkdir(parents=True, exist_ok=True)
    events = read_events(args).events
    if args.update is not None and statefolder.exists(args.update):
        atlas = statefolder.open_state(args.update).extend(events, source=Path(args.events).name)
        print(f"update: {atlas.arrivals[-1].summary()}")
    else:
        atlas = Atlas(
            events,
            spec_args(AnalysisSpec, args, finetune=FinetuneSpec() if args.adapt else None),
        )
    events = atlas.events
    if args.adapt:
        _finetune(atlas, out)
    item_vecs, topics, state = atlas.item_vectors, atlas.topics, atlas.interests()
    tl = atlas.timeline(args.period, with_vectors=args.timeline_vectors)
    ranking = atlas.drift_ranking(args.period, n=args.top)

    items = item_vecs.frame()
    items.insert(2, "topic", topics.item_topic)
    items.insert(3, "label", list(topics.item_labels().values()))
    items.to_parquet(out / "item_vectors.parquet", index=False)
    topics.table.to_parquet(out / "topics.parquet", index=False)
    _ids, unit = unit_user_vectors(state)
    _with_vectors(topic_shares(state), unit).to_parquet(out / "user_vectors.parquet", index=False)
    tl.to_parquet(out / "timeline.parquet", index=False)
    ranking.to_parquet(out / "drift.parquet", index=False)

    print(
        f"events: {len(events):,}  users: {len(state.user_ids):,}  items: {len(item_vecs.item_ids):,}"
    )
    print(f"item vectors: {item_vecs.source}, {item_vecs.dim} dims: {item_vecs.message}")
    print(f"topics: {topics.k} (silhouette {topics.silhouette:.3f})")
    for row in topics.table.itertuples():  # one line per topic (a dozen at most)
        print(f"  {row.topic:>2}  {row.size:>5} items  {row.weight_share:6.1%}  {row.label}")
    print(
        f"timeline: {len(tl):,} user-periods ({args.period}), half-life {args.half_life_days:g} days"
    )
    if not ranking.empty:
        print("largest interest changes:")
        for row in ranking.head(5).itertuples():  # five lines
            print(
                f"  {row.user_id}: {row.from_topic} -> {row.to_topic} around "
                f"{pd.Timestamp(row.change_ts):%Y-%m-%d} (shift {row.drift:.2f})"
            )
    if args.update is not None:
        statefolder.save_state(atlas, args.update)
        print(f"state saved to {args.update} ({len(events):,} events)")
    print(f"wrote {', '.join(sorted(p.name for p in out.glob('*.parquet')))} to {out}")
    print(f"done in {time.perf_counter() - started:.1f}s")
    return 0

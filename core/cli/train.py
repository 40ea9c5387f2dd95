"""``python -m core train EVENTS --out DIR``: train the sequence model, compare it with baselines.

Writes into DIR: ``model.safetensors`` + ``model.json`` (the model bundle, loadable by
``python -m core recommend DIR``), ``report.csv`` (the sequence model and the baselines on the same
split, protocol in every row) and ``history.csv`` (loss and validation NDCG@10 per epoch).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from core.atlas import Atlas
from core.cli.options import add_input_arguments, input_options, read_events
from core.device import describe
from core.recsys import persist, train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options: inputs, ``--out``, model sizes (default ``TrainSpec.for_log``),
    loss, seed, text initialisation, topics, new-item evaluation, device and ``--quiet``.

    Parameters
    ----------
    parser
        The ``python -m core train`` parser.
    """
    add_input_arguments(parser, out="folder to write the model into")
    parser.add_argument("--epochs", type=int, default=None, help="default: TrainSpec.for_log")
    parser.add_argument("--max-len", type=int, default=None, help="default: TrainSpec.for_log")
    parser.add_argument("--d-model", type=int, default=None, help="default: TrainSpec.for_log")
    parser.add_argument("--layers", type=int, default=None, help="default: TrainSpec.for_log")
    parser.add_argument("--loss", choices=["full", "sampled"], default="full")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exclude-seen", action="store_true", help="rank only unseen items")
    parser.add_argument(
        "--hour-of-week",
        dest="use_hour_of_week",
        action="store_true",
        help="add hour-of-week inputs",
    )
    parser.add_argument(
        "--text",
        choices=["auto", "none"],
        default="auto",
        help="auto: initialise items from language-model vectors (core.interests.embeddings); none: skip",
    )
    parser.add_argument(
        "--id-dropout",
        type=float,
        default=None,
        help="share of candidates scored by their text alone in each training batch, so that "
        "items with no training events rank by their text (default: auto, "
        f"{train.AUTO_ID_DROPOUT} where at least {100 * train.UNTRAINED_SHARE:.0f}%% of the items have "
        "no training event, else 0; text models only)",
    )
    parser.add_argument("--no-topics", action="store_true", help="skip naming topics for reasons")
    parser.add_argument(
        "--new-items",
        action="store_true",
        help="also evaluate on new items: a seeded 10%% of items lose every training interaction, "
        "text-initialised and ID-only models are trained without them (segment 'new items' in "
        "report.csv)",
    )
    parser.add_argument("--device", default=None, help="torch device (default: auto)")
    parser.add_argument("--quiet", action="store_true")


def main(args: argparse.Namespace) -> int:
    """Train the sequence model, save the bundle and write ``report.csv`` and ``history.csv``.

    Parameters
    ----------
    args
        The inputs, ``out``, the TrainSpec fields given as options, ``text``, ``no_topics``,
        ``new_items``, ``device`` and ``quiet``.

    Returns
    -------
    int
        0 once the bundle and both reports are written.
    """
    events = read_events(args).events
    # the sizes default to TrainSpec.for_log (given options override); the rest by option dest
    sizes = {"epochs": args.epochs, "max_len": args.max_len, "d_model": args.d_model}
    sizes["n_layers"] = args.layers
    fitted = train.TrainSpec.for_log(
        len(events), **{k: v for k, v in sizes.items() if v is not None}
    )
    fields = {f.name for f in dataclasses.fields(train.TrainSpec)}
    spec = replace(
        fitted, **{k: v for k, v in vars(args).items() if k in fields and k not in sizes}
    )
    atlas = Atlas(events)
    item_topic = None
    if args.text == "auto":
        iv = atlas.item_vectors
        print(f"item vectors: {iv.message}")
        if not args.no_topics:
            item_topic = atlas.item_topic_labels
    t0 = time.perf_counter()

    def progress(epoch: int, loss: float, metric: float, eta: float) -> bool:
        if not args.quiet:
            print(
                f"epoch {epoch}: loss {loss:.4f}, validation NDCG@10 {metric:.4f}, ETA {eta:.0f}s"
            )
        return True

    result = atlas.train(spec, use_text=args.text == "auto", progress=progress)
    bundle = persist.bundle_from(result, item_topic)
    # Remember where the log came from, so `python -m core recommend DIR --user U` needs nothing else.
    source = {"events": str(Path(args.events).resolve())}
    if args.items:
        source["items"] = str(Path(args.items).resolve())
    source["ingest"] = input_options(args)  # the mapping etc., so the log reads the same again
    bundle = replace(bundle, info={**bundle.info, **source})
    out = persist.save(bundle, args.out)
    report = result.report
    if args.new_items:
        report = pd.concat([report, _new_items(atlas, spec, args)], ignore_index=True)
    report.to_csv(Path(out) / "report.csv", index=False)
    pd.DataFrame(result.history, columns=["epoch", "loss", "val_ndcg10"]).to_csv(
        Path(out) / "history.csv", index=False
    )
    print(
        f"trained on {describe(result.model.device)} in {time.perf_counter() - t0:.1f}s "
        f"(best epoch {result.best_epoch}, {result.stopped})"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(report.drop(columns="protocol").to_string(index=False))
    for text in report["protocol"].drop_duplicates():
        print("protocol:", text)
    print(f"model written to {out}")
    return 0


def _new_items(atlas: Atlas, spec: train.TrainSpec, args) -> pd.DataFrame:
    """The 'new items' rows: models retrained on the log without new items' training events (the
    text model reads the frozen encoder's text vectors, never behaviour vectors)."""
    from core.recsys.newitems import NEW_ITEMS, new_item_report, new_item_summary

    t0 = time.perf_counter()
    if not args.quiet:
        print("new-item evaluation: training text-initialised and ID-only models …")
    if args.text == "auto":
        rows = atlas.new_item_report(spec)
    else:
        rows = new_item_report(atlas.events, None, None, spec)
    if not args.quiet:
        print(f"new-item evaluation done in {time.perf_counter() - t0:.1f}s")
        print(new_item_summary(rows))
    return rows[rows["segment"] == NEW_ITEMS]

"""Sequence-model training speed (seconds per epoch) on CPU and, where present, on the GPU.

    python bench/train.py                      # bundled sample, CPU (+ GPU if available)
    python bench/train.py --epochs 3 --device cpu
    python bench/train.py --ml100k /tmp/recbole/recbole-1.2.1-py3-none-any.whl --full

``--ml100k WHEEL`` reads MovieLens-100K from the recbole wheel (a zip; pip download --no-deps recbole)
instead of the bundled sample. ``--full`` trains to convergence at default settings and prints the
whole comparison table (sequence model vs baselines) with the training time; ``--new-items`` prints
the new-item table (a seeded 10 % of items lose every training event: text-initialised vs ID-only
sequence model, item-kNN, most popular, LM interest, on all test users and on those whose target
is a new item).
Figures are printed side by side: each device against CPU in the same run.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.device import describe
from core.recsys import train
from core.schema import conform

ML_DIR = "recbole/dataset_example/ml-100k/"


def ml100k(wheel: str) -> pd.DataFrame:
    """MovieLens-100K as a canonical EventLog (item text = title (year) | genres)."""
    with zipfile.ZipFile(wheel) as z:
        inter = pd.read_csv(io.BytesIO(z.read(ML_DIR + "ml-100k.inter")), sep="\t")
        item = pd.read_csv(io.BytesIO(z.read(ML_DIR + "ml-100k.item")), sep="\t")
    inter.columns = [c.split(":")[0] for c in inter.columns]
    item.columns = [c.split(":")[0] for c in item.columns]
    text = (
        item["movie_title"].astype(str)
        + " ("
        + item["release_year"].astype(str)
        + ") | "
        + item["class"].astype(str)
    )
    events = pd.DataFrame(
        {
            "user_id": inter["user_id"],
            "item_id": inter["item_id"],
            "ts": pd.to_datetime(inter["timestamp"], unit="s", utc=True),
            "event": "rating",
            "weight": inter["rating"],
        }
    )
    events["item_text"] = events["item_id"].map(dict(zip(item["item_id"], text, strict=True)))
    return conform(events)


def item_vectors(events: pd.DataFrame) -> tuple[torch.Tensor | None, list[str] | None, str]:
    """LM item vectors from core.interests.embeddings when it is available, else none."""
    try:
        from core.interests.embeddings import EmbeddingSpec, build_item_vectors
    except ImportError:
        return None, None, "no item vectors (core.interests.embeddings unavailable)"
    iv = build_item_vectors(events, EmbeddingSpec())
    return iv.vectors, [str(i) for i in iv.item_ids], f"item vectors: {iv.source} {iv.model}"


def seconds_per_epoch(events: pd.DataFrame, spec: train.TrainSpec, device: str) -> float:
    result = train.fit(events, spec=replace(spec, device=device, patience=10**6))
    return result.seconds_per_epoch


def _new_items(events: pd.DataFrame, spec: train.TrainSpec, args: argparse.Namespace) -> int:
    """The new-item table for each training seed, then mean ± sd of the new-item rows."""
    from core.recsys.newitems import new_item_report, new_item_summary

    vecs, ids, note = item_vectors(events)
    print(note)
    cols = ["segment", "model", "NDCG@10", "HR@10", "MRR", "n_users"]
    reports = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        t1 = time.perf_counter()
        report = new_item_report(events, vecs, ids, replace(spec, device=args.device, seed=seed))
        print(f"seed {seed}: models trained in {time.perf_counter() - t1:.0f}s")
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(report[[c for c in cols if c in report.columns]].to_string(index=False))
        print(new_item_summary(report), flush=True)
        reports.append(report.assign(seed=seed))
    print("protocol:", reports[-1]["protocol"].iloc[-1])
    both = pd.concat(reports, ignore_index=True)
    table = both.groupby(["segment", "model"], sort=False)[["NDCG@10", "HR@10", "MRR"]].agg(
        ["mean", "std"]
    )
    print(f"mean ± sd over seeds {args.seeds}:")
    for (segment, model), row in table.iterrows():
        cells = " | ".join(f"{row[(m, 'mean')]:.4f} ± {row[(m, 'std')]:.4f}" for m in cols[2:5])
        print(f"| {segment} | {model} | {cells} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ml100k", help="path of the recbole wheel holding ml-100k")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default=None, help="only this device (cpu, cuda)")
    parser.add_argument("--full", action="store_true", help="train to convergence, print the table")
    parser.add_argument("--no-text", action="store_true", help="train without LM item vectors")
    parser.add_argument(
        "--new-items",
        action="store_true",
        help="the new-item table: 10%% of items lose their training events (text vs ID-only)",
    )
    parser.add_argument("--seeds", default="0", help="training seeds of --new-items, e.g. 0,1,2")
    args = parser.parse_args()

    t0 = time.perf_counter()
    if args.ml100k:
        events, name = ml100k(args.ml100k), "MovieLens-100K"
    else:
        from core.sample import bundled_event_log

        events, name = bundled_event_log(), "bundled sample"
    print(
        f"data: {name}: {len(events)} events, {events['user_id'].nunique()} users, "
        f"{events['item_id'].nunique()} items (loaded in {time.perf_counter() - t0:.1f}s)"
    )
    spec = train.TrainSpec.for_log(len(events))
    if args.new_items:
        return _new_items(events, spec, args)
    if args.full:
        spec = replace(spec, device=args.device)
        vecs, ids, note = (None, None, "no item vectors") if args.no_text else item_vectors(events)
        print(note)
        t1 = time.perf_counter()
        result = train.train_and_compare(
            events,
            item_vectors=vecs,
            item_ids=ids,
            spec=spec,
            callback=lambda e, loss, m, eta: print(
                f"  epoch {e}: loss {loss:.3f} val NDCG@10 {m:.4f} ({time.perf_counter() - t1:.0f}s)",
                flush=True,
            ),
        )
        print(
            f"trained on {describe(result.model.device)} in {result.seconds:.1f}s "
            f"({len(result.history)} epochs, {result.seconds_per_epoch:.2f}s/epoch, "
            f"best epoch {result.best_epoch}, stopped: {result.stopped})"
        )
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(result.report.drop(columns="protocol").to_string(index=False))
        print("protocol:", result.report["protocol"].iloc[0])
        return 0

    devices = (
        [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    )
    quick = replace(spec, epochs=args.epochs)
    figures = {d: seconds_per_epoch(events, quick, d) for d in devices}
    print(
        f"seconds per epoch ({args.epochs} epochs, d_model={spec.d_model}, layers={spec.n_layers}, "
        f"max_len={spec.max_len}, batch={spec.batch_size}, loss={spec.loss}):"
    )
    for d, s in figures.items():
        ratio = figures.get("cpu", s) / s if s > 0 else float("nan")
        label = describe(torch.device(d))
        print(f"  {label:40s} {s:8.2f} s/epoch   speed-up vs CPU: {ratio:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

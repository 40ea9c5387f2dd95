"""Ablation of the sequence model on MovieLens-100K: each factor toggled from the defaults, 3 seeds.

    python bench/ablation.py --ml100k /tmp/recbole/recbole-1.2.1-py3-none-any.whl
    python bench/ablation.py --ml100k WHEEL --variants defaults,no-text --seeds 0,1,2
    python bench/ablation.py --ml100k WHEEL --variants defaults --set max_len=100 --set dropout=0.3

Every variant trains with ``TrainSpec.for_log`` defaults for the log, changed in one factor (text
initialisation, time-gap input, history length, width, dropout, ...), with early stopping on the
validation split; the figures are test NDCG@10 / HR@10 (time-ordered leave-one-out, full ranking
over all items, seen items kept), mean ± sd over the seeds, beside the defaults of the same run, with
training seconds, epochs run and the best epoch. The LM item vectors are encoded once and cached in
``--cache`` (a .pt file) so each variant reads them instead of loading the encoder again.
Prints a Markdown table (paste it into the README) and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.train import item_vectors, ml100k
from core.recsys import train
from core.recsys.evaluate import evaluate_model
from core.recsys.sequences import build_steps, make_splits

#: variant name -> (what it changes, spec overrides; "text": False trains ID-only).
VARIANTS: dict[str, tuple[str, dict[str, object]]] = {
    "defaults": ("defaults (`TrainSpec.for_log`)", {}),
    "no-text": ("ID-only (no text-initialised item embeddings)", {"text": False}),
    "no-gap": ("no time-gap input", {"use_time_gap": False}),
    "len100": ("history length 100", {"max_len": 100}),
    "len200": ("history length 200", {"max_len": 200}),
    "len20": ("history length 20", {"max_len": 20}),
    "width32": ("width 32", {"d_model": 32}),
    "width128": ("width 128", {"d_model": 128}),
    "drop0.2": ("dropout 0.2", {"dropout": 0.2}),
    "drop0.5": ("dropout 0.5", {"dropout": 0.5}),
    "no-seen": ("no seen-item score", {"seen_bias": False}),
    "layers1": ("1 block", {"n_layers": 1}),
    "id-drop0.2": ("item-ID dropout 0.2 (candidates scored by text alone)", {"id_dropout": 0.2}),
    "id-drop0.1": ("item-ID dropout 0.1", {"id_dropout": 0.1}),
    "sampled": ("sampled softmax (512 negatives)", {"loss": "sampled"}),
    "old": (
        "previous model (lr 2e-3, no warm-up, no seen-item score)",
        {
            "max_len": 50,
            "dropout": 0.2,
            "lr": 2e-3,
            "batch_size": 64,
            "warmup_steps": 0,
            "seen_bias": False,
        },
    ),
}

DEFAULT_VARIANTS = "defaults,no-seen,no-text,no-gap,len20,len100,width32,drop0.5"


def _parse_set(items: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        key, _, value = item.partition("=")
        default = getattr(train.TrainSpec, key)
        if default is None:  # an optional number (e.g. id_dropout: None = auto)
            out[key] = None if value.lower() == "none" else float(value)
        elif isinstance(default, bool):
            out[key] = value.lower() in ("1", "true", "yes")
        else:
            out[key] = type(default)(value)
    return out


def _mean_sd(values: list[float]) -> str:
    a = np.asarray(values, dtype=float)
    sd = a.std(ddof=1) if len(a) > 1 else 0.0
    return f"{a.mean():.4f} ± {sd:.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ml100k", required=True, help="path of the recbole wheel holding ml-100k")
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help=f"of {', '.join(VARIANTS)}")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--set", action="append", default=[], help="base override KEY=VALUE")
    parser.add_argument("--cache", default="/tmp/ml100k_item_vectors.pt")
    parser.add_argument("--verbose", action="store_true", help="print every epoch")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    events = ml100k(args.ml100k)
    if os.path.exists(args.cache):
        vecs, ids = torch.load(args.cache)
    else:
        vecs, ids, note = item_vectors(events)
        print(note)
        torch.save((vecs, ids), args.cache)
    base = train.TrainSpec.for_log(len(events), **_parse_set(args.set))
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"base spec: {base}")
    print(f"load average before: {os.getloadavg()[0]:.1f}, torch threads {torch.get_num_threads()}")

    rows = []
    for name in args.variants.split(","):
        label, change = VARIANTS[name]
        change = dict(change)
        use_text = bool(change.pop("text", True))
        spec = replace(base, **change)
        ndcg, hr, secs, epochs, best = [], [], [], [], []
        for seed in seeds:
            s = replace(spec, seed=seed)
            t0 = time.perf_counter()
            result = train.fit(
                events,
                *((vecs, ids) if use_text else (None, None)),
                s,
                callback=(
                    lambda e, loss, val, eta, t0=t0: print(
                        f"    epoch {e}: loss {loss:.3f} val NDCG@10 {val:.4f} "
                        f"({time.perf_counter() - t0:.0f}s)",
                        flush=True,
                    )
                )
                if args.verbose
                else None,
            )
            steps = build_steps(events, result.vocab, s.collapse_repeats)
            _, test = make_splits(steps)
            m = evaluate_model(result.model, steps, test, s.exclude_seen)
            ndcg.append(m.ndcg)
            hr.append(m.hr)
            secs.append(result.seconds)
            epochs.append(len(result.history))
            best.append(result.best_epoch)
            print(
                f"  {name} seed {seed}: NDCG@10 {m.ndcg:.4f} HR@10 {m.hr:.4f} val {result.val_ndcg:.4f} "
                f"{result.seconds:.0f}s {len(result.history)} epochs (best {result.best_epoch}, "
                f"{result.seconds_per_epoch:.1f}s/epoch) load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        rows.append(
            f"| {label} | {_mean_sd(ndcg)} | {_mean_sd(hr)} | {np.mean(secs):.0f} | "
            f"{np.mean(epochs):.0f} ({np.mean(best):.0f}) |"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(
        f"\n| variant (seeds {args.seeds}) | NDCG@10 | HR@10 | seconds | epochs (best) |\n"
        "|---|---|---|---|---|"
    )
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""User interests on 1M events x 384 dims vs the memory-bound floor, measured in the same run.

The floor is one ``index_add_`` of an already materialised (events x 384) float32 tensor into the
(users x 384) result: the least any segment sum over these events must do. ``user_interests`` does
the whole job (time decay, weights, item lookup, per-user weighted means, topic shares) from the
EventLog. Also shown: the naive gather-then-index_add peer, and CPU vs GPU when a GPU is present.

    python bench/interests.py [--events 1000000] [--users 100000] [--items 20000] [--dim 384]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.interests.embeddings import ItemVectors
from core.interests.state import InterestSpec, user_interests
from core.interests.timeline import timeline
from core.interests.topics import Topics
from core.schema import conform


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):  # repetitions of a timing, not data
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return min(times)


def make_world(n_events: int, n_users: int, n_items: int, dim: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        np.sort(rng.integers(0, 180 * 86400, n_events)), unit="s"
    )
    events = conform(
        pd.DataFrame(
            {
                "user_id": pd.Categorical.from_codes(
                    rng.integers(0, n_users, n_events),
                    categories=[f"u{j:07d}" for j in range(n_users)],
                ),
                "item_id": pd.Categorical.from_codes(
                    rng.zipf(1.3, n_events) % n_items,
                    categories=[f"i{j:06d}" for j in range(n_items)],
                ),
                "ts": ts,
                "weight": rng.choice([1.0, 2.0, 3.0, 5.0], n_events),
            }
        )
    )
    gen = torch.Generator().manual_seed(seed)
    vec = torch.nn.functional.normalize(torch.randn(n_items, dim, generator=gen), dim=1)
    ids = tuple(f"i{j:06d}" for j in range(n_items))
    k = 12
    topics = Topics(
        item_topic=rng.integers(0, k, n_items),
        labels=tuple(f"t{j}" for j in range(k)),
        centroids=torch.zeros(k, dim),
        table=pd.DataFrame(),
        k=k,
        silhouette=float("nan"),
        item_ids=ids,
    )
    return events, ItemVectors(ids, vec, "text", "random", "bench"), topics


def world_arguments(parser: argparse.ArgumentParser, users: int) -> None:
    """``--events --users --items --dim``: the size of the world :func:`make_world` generates."""
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=users)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)


def run(args: argparse.Namespace, device: str) -> dict[str, float]:
    events, iv, topics = make_world(args.events, args.users, args.items, args.dim)
    dev = torch.device(device)
    u = torch.from_numpy(events["user_id"].cat.codes.to_numpy().astype(np.int64)).to(dev)
    i = torch.from_numpy(events["item_id"].cat.codes.to_numpy().astype(np.int64)).to(dev)
    w = torch.from_numpy(events["weight"].to_numpy(np.float32)).to(dev)
    table = iv.vectors.to(dev)
    x = table[i]  # (E, d) materialised before timing: the floor's input

    def floor() -> None:
        torch.zeros((args.users, args.dim), device=dev).index_add_(0, u, x)

    def naive() -> None:  # gather rows, scale, index_add: what a direct port would do
        torch.zeros((args.users, args.dim), device=dev).index_add_(0, u, table[i] * w[:, None])

    spec = InterestSpec(device=device)
    out = {
        "floor": best_of(floor),
        "naive": best_of(naive),
        "user_interests": best_of(lambda: user_interests(events, iv, topics, spec)),
    }
    if args.timeline:
        out["timeline"] = best_of(lambda: timeline(events, iv, topics, spec), repeat=1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    world_arguments(parser, users=100_000)
    parser.add_argument("--timeline", action="store_true", help="also time the weekly timeline")
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"{args.events:,} events, {args.users:,} users, {args.items:,} items, {args.dim} dims; "
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads"
    )
    rows = {}
    for device in devices:  # one or two devices
        rows[device] = run(args, device)
    header = f"{'device':8s}" + "".join(f"{k:>16s}" for k in rows["cpu"]) + f"{'ratio':>10s}"
    print(header)
    for device, r in rows.items():
        ratio = r["user_interests"] / r["floor"]
        cells = "".join(f"{v * 1e3:14.1f}ms" for v in r.values())
        print(f"{device:8s}{cells}{ratio:9.2f}x")
    print("ratio = user_interests / floor (target <= 3x); naive = gather + index_add peer")
    if "cuda" in rows:
        print(
            f"GPU speed-up on user_interests: {rows['cpu']['user_interests'] / rows['cuda']['user_interests']:.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Adding a day of new events to a 1M-event dataset: ``Atlas.extend`` (interests folded forward
with ``update``) vs a full recompute over the combined log, both timed, results compared (1e-5).

The day is the last day of the generated log held back; a few rows of it also appear in the log
already (exact duplicates, dropped by ``extend``). ``--timeline`` also folds a weekly timeline
(recomputed only for the users with new events) against the full timeline.

    python bench/update.py [--events 1000000] [--users 50000] [--items 20000] [--dim 384] [--timeline]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.interests import make_world, world_arguments
from core import schema
from core.atlas import AnalysisSpec, Atlas


def best_of(fn, repeat: int = 5):
    """The shortest of ``repeat`` timings (the machine is shared) and the last result."""
    times = []
    for _ in range(repeat):  # repetitions of a timing, not data
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    world_arguments(parser, users=50_000)
    parser.add_argument("--timeline", action="store_true", help="fold a weekly timeline too")
    args = parser.parse_args()

    events, vectors, topics = make_world(args.events, args.users, args.items, args.dim)
    cut = events[schema.TS].max() - pd.Timedelta(days=1)
    old, day = events[events[schema.TS] <= cut], events[events[schema.TS] > cut]
    day = pd.concat([day, old.tail(100)], ignore_index=True)  # 100 rows the log already has
    spec = AnalysisSpec(device="cpu")
    base = Atlas(old.reset_index(drop=True), spec).seeded(vectors, topics)
    base.interests()
    if args.timeline:
        base.timeline("W")
    print(f"log: {len(old):,} events; a day of {len(day):,} new rows (100 already logged)")

    def fold():
        out = base.extend(day, source="day")
        return out, out.interests(), out.timeline("W") if args.timeline else None

    def recompute():
        out = Atlas(folded.events, spec).seeded(vectors, topics)
        return out, out.interests(), out.timeline("W") if args.timeline else None

    t_update, (folded, folded_state, folded_tl) = best_of(fold)
    t_full, (_full, full_state, full_tl) = best_of(recompute)

    arrival = folded.arrivals[-1]
    print(arrival.summary())
    what = "interests + weekly timeline" if args.timeline else "interests"
    print(f"update (extend, {what}): {t_update:8.3f} s")
    print(
        f"full recompute ({what}): {t_full:8.3f} s   ({t_full / t_update:.1f}x the update; best of 5)"
    )
    diff = max(
        float((folded_state.mean - full_state.mean).abs().max()),
        float((folded_state.topic_share - full_state.topic_share).abs().max()),
        float(((folded_state.total - full_state.total).abs() / full_state.total).max()),
    )
    same = folded_state.user_ids == full_state.user_ids and diff <= 1e-5
    print(f"interests equal within 1e-5: {same} (largest difference {diff:.2e})")
    if args.timeline:
        shares = [c for c in full_tl.columns if c not in folded_tl.columns[:7] and c != "vector"]
        numeric = full_tl[shares].select_dtypes("number").columns
        a, b = folded_tl[numeric].to_numpy(float), full_tl[numeric].to_numpy(float)
        same_nan = bool((np.isnan(a) == np.isnan(b)).all())  # drift is NaN on a user's first row
        tl_diff = float(np.nanmax(np.abs(a - b))) if same_nan else float("inf")
        print(
            f"timeline rows {len(folded_tl):,} vs {len(full_tl):,}, largest difference {tl_diff:.2e}"
        )
        same = same and len(folded_tl) == len(full_tl) and tl_diff <= 1e-5
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

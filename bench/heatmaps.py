"""Heatmap aggregation and H3 assignment speed, each next to a peer measured in the same run.

1. H3 assignment: core.spacetime.geo.h3_cells (vectorised) on N points vs the plain h3-py loop on a 100k
   subset (extrapolated), in points per second.
2. Counts per hour-of-week x H3 res 8 x topic over N located events: core.spacetime.heatmaps (factorize the
   cells + one torch bincount) vs DuckDB ``GROUP BY`` on the same precomputed columns (cell, how,
   topic), both ending in numpy arrays of the non-empty groups. Target: at most 1.0x DuckDB's time.

Usage: ``python bench/heatmaps.py [--events 10000000] [--device auto] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.device import describe, pick_device
from core.spacetime import geo, grouping
from core.spacetime.filters import time_bins

CITIES = np.array([[40.74, -73.99], [51.51, -0.13], [35.68, 139.69], [39.90, 116.40]])


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    """N located events around four cities over six months, 10 topics, local offsets."""
    rng = np.random.default_rng(seed)
    city = rng.integers(0, len(CITIES), n)
    spread = rng.choice([0.01, 0.05], size=n, p=[0.6, 0.4])  # hotspots + the rest of town
    lat = CITIES[city, 0] + rng.normal(0, 1, n) * spread
    lon = CITIES[city, 1] + rng.normal(0, 1, n) * spread * 1.3
    seconds = rng.integers(0, 182 * 86400, n)
    ts = np.datetime64("2026-03-01", "s") + seconds.astype("timedelta64[s]")
    offset = np.array([-240, 60, 540, 480])[city]
    return pd.DataFrame(
        {
            "lat": lat,
            "lon": lon,
            "local": (ts + offset.astype("timedelta64[m]")).astype("datetime64[ns]"),
            "topic": rng.integers(0, 10, n),
        }
    )


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop-sample", type=int, default=100_000)
    args = parser.parse_args()
    n = args.events
    device = pick_device(args.device)
    threads = os.cpu_count()
    print(f"# bench/heatmaps.py: {n:,} events, device {describe(device)}, {threads} CPU cores")

    t0 = time.perf_counter()
    frame = generate(n)
    print(f"generated in {time.perf_counter() - t0:.1f}s")

    # 1. H3 assignment throughput.
    lat, lon = frame["lat"].to_numpy(), frame["lon"].to_numpy()
    cpu0 = time.process_time()
    t_vec, cells = best(lambda: geo.h3_cells(lat, lon, 8), 1)
    cpu_vec = time.process_time() - cpu0
    k = min(args.loop_sample, n)
    lat_k, lon_k = lat[:k], lon[:k]
    cpu0 = time.process_time()
    t_loop, loop_cells = best(lambda: geo.h3_cells_loop(lat_k, lon_k, 8), 1)
    cpu_loop = time.process_time() - cpu0
    assert np.array_equal(loop_cells, cells[:k]), "vectorised and loop H3 cells differ"
    vec_rate, loop_rate = n / t_vec, k / t_loop
    print("\n## H3 assignment, res 8")
    # Points per CPU-second too: on a shared, loaded machine wall time understates both.
    print(f"{'method':38s} {'points/s':>12s} {'pts/CPU-s':>12s} {'time for N':>11s}")
    print(
        f"{'core.spacetime.geo.h3_cells (h3ronpy, threads)':38s} {vec_rate:12,.0f} {n / cpu_vec:12,.0f} "
        f"{t_vec:10.2f}s"
    )
    print(
        f"{'h3-py loop (' + f'{k:,}' + ' pts, extrapolated)':38s} {loop_rate:12,.0f} "
        f"{k / cpu_loop:12,.0f} {n / loop_rate:10.2f}s"
    )
    print(
        f"speed-up: {vec_rate / loop_rate:.1f}x wall, {(n / cpu_vec) / (k / cpu_loop):.1f}x per CPU-s; target >= 3M points/s: {vec_rate >= 3e6}"
    )

    # 2. Aggregation on the same precomputed columns.
    how, _ = time_bins(frame["local"].to_numpy(), "how")
    topic = frame["topic"].to_numpy(dtype=np.int64)
    cols = pd.DataFrame({"cell": cells, "how": how.astype(np.int64), "topic": topic})
    del frame

    def ours():
        code, uniques = grouping.factorize_cells(cells)
        c, b, t, counts = grouping.grouped_counts(code, how, topic, len(uniques), 168, 10, device)
        return uniques[c], b, t, counts

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.register("cols", cols)

    def duck():
        res = con.execute(
            "SELECT cell, how, topic, count(*) AS n FROM cols GROUP BY cell, how, topic"
        ).fetchnumpy()
        return res["cell"], res["how"], res["topic"], res["n"]

    ours()  # warm-up (torch kernels, allocator)
    duck()
    t_ours, got = best(ours, args.repeat)
    t_duck, ref = best(duck, args.repeat)
    # Same groups, same counts (DuckDB's order is arbitrary: sort both).
    a = pd.DataFrame(dict(zip(("cell", "how", "topic", "n"), got, strict=True)))
    b = pd.DataFrame(dict(zip(("cell", "how", "topic", "n"), ref, strict=True)))
    a = a.astype("int64", errors="ignore").sort_values(["cell", "how", "topic"], ignore_index=True)
    b = b.astype({"how": "int64", "topic": "int64", "n": "int64"}).sort_values(
        ["cell", "how", "topic"], ignore_index=True
    )
    same = (
        len(a) == len(b)
        and np.array_equal(a["cell"].to_numpy(np.uint64), b["cell"].to_numpy(np.uint64))
        and np.array_equal(a[["how", "topic", "n"]].to_numpy(), b[["how", "topic", "n"]].to_numpy())
    )
    print("\n## counts per hour-of-week x H3 res 8 x topic (same precomputed columns)")
    print(f"{'method':34s} {'time':>8s} {'groups':>10s} {'ratio':>7s}")
    print(
        f"{'core.spacetime.heatmaps (torch bincount)':34s} {t_ours:7.3f}s {len(a):10,d} {t_ours / t_duck:6.2f}x"
    )
    print(f"{'DuckDB GROUP BY':34s} {t_duck:7.3f}s {len(b):10,d} {1.0:6.2f}x")
    print(f"identical results: {same}; total {int(a['n'].sum()):,} == {n:,}")
    print(f"target <= 1.0x DuckDB: {t_ours <= t_duck}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory (RSS): {rss:.2f} GB")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: ``core.io.ingest`` vs the bare readers, on the same rows in several formats.

1. a 1M-row, 8-column CSV: ``ingest`` vs ``pandas.read_csv`` (times, ratio, target <= 2.5x, and
   the peak memory of each, tracemalloc);
2. the first ``--format-rows`` of those rows as JSON Lines: ``ingest`` vs ``pyarrow.json.read_json``
   and ``pandas.read_json(lines=True)``;
3. the same rows as an Excel ``.xlsx``: ``ingest`` vs ``pandas.read_excel`` (calamine engine, the
   one ingest uses, and openpyxl).

Run: ``.venv/bin/python bench/ingest.py [--rows N] [--format-rows N]``; the defaults finish in
under two minutes on two shared CPU cores.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.json as pa_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.io import ingest


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Write a realistic 8-column event log: user, item, ISO time, event, rating, lat, lon, title."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01", tz="UTC").value // 10**9
    ts = pd.to_datetime(start + rng.integers(0, 180 * 86400, rows), unit="s", utc=True)
    items = rng.integers(0, 50_000, rows)
    frame = pd.DataFrame(
        {
            "user_id": pd.Series(rng.integers(0, 100_000, rows)).map("u{}".format),
            "item_id": pd.Series(items).map("i{}".format),
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "event": rng.choice(
                ["view", "click", "cart", "purchase"], rows, p=[0.7, 0.2, 0.07, 0.03]
            ),
            "rating": rng.integers(1, 6, rows),
            "lat": np.round(rng.uniform(30, 50, rows), 6),
            "lon": np.round(rng.uniform(-120, 120, rows), 6),
            "title": pd.Series(items % 1000).map("Product number {} in the catalogue".format),
        }
    )
    frame.to_csv(path, index=False)


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def formats(csv_path: Path, tmp: Path, rows: int, repeat: int) -> None:
    """JSON Lines and Excel copies of the first ``rows`` rows, each read by ingest and bare readers."""
    frame = pd.read_csv(csv_path, nrows=rows)
    jsonl = tmp / "events.jsonl"
    frame.to_json(jsonl, orient="records", lines=True)
    t_ing = best_of(lambda: ingest(jsonl), repeat)
    t_pa = best_of(lambda: pa_json.read_json(jsonl), repeat)
    t_pd = best_of(lambda: pd.read_json(jsonl, lines=True), repeat)
    print(f"JSON Lines, {rows:,} rows, {jsonl.stat().st_size / 2**20:.0f} MiB:")
    print(f"  core.io.ingest            : {t_ing:6.2f} s")
    print(
        f"  pyarrow.json.read_json    : {t_pa:6.2f} s   ratio ingest / pyarrow {t_ing / t_pa:5.2f}x"
    )
    print(
        f"  pandas.read_json(lines)   : {t_pd:6.2f} s   ratio ingest / pandas  {t_ing / t_pd:5.2f}x"
    )
    xlsx = tmp / "events.xlsx"
    t0 = time.perf_counter()
    frame.to_excel(xlsx, index=False)
    written = time.perf_counter() - t0
    t_ing = best_of(lambda: ingest(xlsx), repeat)
    t_cal = best_of(lambda: pd.read_excel(xlsx, engine="calamine"), repeat)
    t_opx = best_of(lambda: pd.read_excel(xlsx, engine="openpyxl"), 1)
    print(
        f"Excel .xlsx, {rows:,} rows, {xlsx.stat().st_size / 2**20:.0f} MiB (written in {written:.0f} s):"
    )
    print(f"  core.io.ingest            : {t_ing:6.2f} s")
    print(
        f"  pandas.read_excel calamine: {t_cal:6.2f} s   ratio ingest / calamine {t_ing / t_cal:5.2f}x"
    )
    print(
        f"  pandas.read_excel openpyxl: {t_opx:6.2f} s   ratio ingest / openpyxl {t_ing / t_opx:5.2f}x"
    )


def measure(fn) -> tuple[float, float, object]:
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs")
    parser.add_argument(
        "--format-rows", type=int, default=10_000, help="rows of the JSON Lines / Excel copies"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        make_csv(path, args.rows)
        size = path.stat().st_size / 2**20
        print(f"file: {args.rows:,} rows x 8 columns, {size:.0f} MiB")
        # Timings without tracemalloc (it slows allocation-heavy code), peaks in a separate run.
        best_pd = best_ing = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            pd.read_csv(path)
            best_pd = min(best_pd, time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = ingest(path)
            best_ing = min(best_ing, time.perf_counter() - t0)
        _, peak_pd, _ = measure(lambda: pd.read_csv(path))
        _, peak_ing, _ = measure(lambda: ingest(path))
        formats(path, Path(tmp), min(args.format_rows, args.rows), args.repeat)
    rep = result.report
    print(f"pandas.read_csv : {best_pd:6.2f} s   peak {peak_pd:7.0f} MiB (tracemalloc)")
    print(f"core.io.ingest     : {best_ing:6.2f} s   peak {peak_ing:7.0f} MiB (tracemalloc)")
    print(f"ratio ingest / read_csv: {best_ing / best_pd:.2f}x (target <= 2.5x)")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"accepted {rep.accepted:,}  rejected {rep.rejected:,}  duplicates {rep.duplicates:,}")


if __name__ == "__main__":
    main()

"""Benchmark: build the same atlas with the local engine and Spark local[N], side by side.

Run: ``.venv/bin/python bench/scale.py [--sizes 1000000] [--spark-master local[2]] [--spread]
[--engines local memory spark] [--data DIR]``. ``local`` is the local engine as ``--engine local``
runs it (streamed, DuckDB out of core), ``memory`` the in-memory local build it replaced.
Larger runs: ``--sizes 1000000 10000000 50000000 --max-events spark=10000000`` (the 50M log needs
~4 GB of disk for its CSV; ``--max-events`` skips an engine above a size);
``--spread`` scatters the points over a continent instead of four cities. For each size the log
is generated once (city-clustered, ISO times with offsets, 4 cities), then each engine runs in its
own process: wall time and peak RSS of the whole process tree (the driver, Spark's JVM and its
Python workers, sampled from /proc every 0.2 s) are printed in one table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.engines.synth import clustered_events  # noqa: E402

RUN = """
import sys
from core.engines import AtlasSpec
spec = AtlasSpec(k=8, source="behaviour")
engine, src, out, master = sys.argv[1:5]
if engine == "spark":
    from core.engines import spark
    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "6g",
        "spark.sql.shuffle.partitions": sys.argv[5],
    }
    s = spark.session(master, **conf)
    s.sparkContext.setLogLevel("ERROR")
    spark.build([src], out, spec=spec, spark=s)
elif engine == "memory":  # the in-memory local build (every file read whole): the old path
    from core.engines import local
    local.build([src], out, spec=spec, in_memory=True)
else:  # the local engine: streamed, DuckDB out of core
    from core.engines import local
    local.build([src], out, spec=spec)
"""


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(stat[1])
            rss[int(entry)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return sum(rss.get(p, 0) for p in tree)


def measure(engine: str, src: Path, out: Path, master: str, partitions: int) -> tuple[float, float]:
    """(wall seconds, peak RSS GiB) of one engine run in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, engine, str(src), str(out), master, str(partitions)],
        env=env,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.2)
    if proc.returncode:
        raise SystemExit(f"{engine} failed with exit code {proc.returncode}")
    return time.perf_counter() - started, peak / 2**30


def write_log(src: Path, n: int, spread: bool, chunk: int = 2_000_000) -> None:
    """``n`` clustered events as CSV, generated in chunks (a 50M-event frame would not fit) and
    written by Arrow's CSV writer (no value needs quoting: ids, ISO times, numbers)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    n_users = max(100, n // 50)
    with open(src, "wb") as fh:
        for i, lo in enumerate(range(0, n, chunk)):
            part = clustered_events(min(chunk, n - lo), n_users, 2_000, seed=i, spread=spread)
            options = pcsv.WriteOptions(include_header=i == 0, quoting_style="none")
            pcsv.write_csv(pa.Table.from_pandas(part, preserve_index=False), fh, options)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--spread", action="store_true", help="continent-spread points")
    parser.add_argument(
        "--engines",
        nargs="+",
        default=["local", "memory", "spark"],
        help="local (streamed), memory (the in-memory local build), spark",
    )
    parser.add_argument("--data", default=None, help="folder to keep (and reuse) the logs in")
    parser.add_argument(
        "--shuffle-partitions", type=int, default=8, help="spark.sql.shuffle.partitions"
    )
    parser.add_argument(
        "--max-events",
        nargs="*",
        default=[],
        metavar="ENGINE=N",
        help="skip ENGINE above N events, e.g. spark=10000000 memory=10000000",
    )
    args = parser.parse_args()
    limits = {k: int(v) for k, v in (item.split("=", 1) for item in args.max_events)}
    results: dict[str, list[tuple[int, float, float]]] = {}
    print(f"{'events':>11} {'engine':>14} {'wall s':>8} {'peak GiB':>9} {'B/event':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data) if args.data else Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            src = data / f"events_{n}{'_spread' if args.spread else ''}.csv"
            if not src.exists():
                write_log(src, n, args.spread)
            for engine in args.engines:
                label = args.spark_master if engine == "spark" else engine
                if n > limits.get(engine, n):
                    print(f"{n:>11,} {label:>14} {'skipped (--max-events)':>28}", flush=True)
                    continue
                out = Path(tmp) / f"atlas_{engine}_{n}"
                wall, peak = measure(engine, src, out, args.spark_master, args.shuffle_partitions)
                print(
                    f"{n:>11,} {label:>14} {wall:>8.1f} {peak:>9.2f} {peak * 2**30 / n:>9.0f}",
                    flush=True,
                )
                results.setdefault(label, []).append((n, wall, peak))
            if not args.data:
                src.unlink()
    growth(results)
    return 0


def growth(results: dict[str, list[tuple[int, float, float]]]) -> None:
    """How each engine's time and memory grow from its smallest size (1.0 = linear in events),
    and each engine's wall time over the local engine's at the sizes both ran."""
    for label, rows in results.items():
        n0, wall0, peak0 = rows[0]
        for n, wall, peak in rows[1:]:
            print(
                f"{label}: {n0:,} -> {n:,} events (x{n / n0:.0f}): wall x{wall / wall0:.1f} "
                f"(per event x{wall / wall0 * n0 / n:.2f} of linear), peak x{peak / peak0:.2f}"
            )
    local = {n: wall for n, wall, _ in results.get("local", [])}
    for label, rows in results.items():
        if label == "local":
            continue
        for n, wall, _ in rows:
            if n in local:
                print(f"{label} / local at {n:,} events: {wall / local[n]:.2f}x wall time")


if __name__ == "__main__":
    raise SystemExit(main())

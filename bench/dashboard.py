"""Dashboard responsiveness with a ~1M-event log: first load vs filter change, in a real browser.

Generates a ~1M-event log with the sample generator (in a temp dir), starts the app on it
($ATLAS_DATASET), and drives the system Chromium with Playwright. For each page it prints the time
from opening the page to the page settled (first computation: item vectors, topics, aggregates)
next to the time from a filter change to the page settled (target < 1 s after the first
computation), and the same change again (served from the cache). The Overview row gives its first
draw after the data is ready (target <= 5 s on 2 cores), then the page reopened twice (cached).

Usage: .venv/bin/python bench/dashboard.py [--users 23000] [--items 2000] [--pages data,overview]
(``--pages``: a comma-separated subset of data, overview, interests, map; default all.)
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from browser_flags import CHROMIUM_ARGS  # noqa: E402  (after the path set-up; test-only flags)

from core.io.export import find_browser  # noqa: E402

APP = '[data-testid="stApp"]'


def settle(page, timeout: float = 900.0, quiet: float = 0.5) -> float:
    """Seconds until the script stopped running (and stayed stopped for ``quiet`` s)."""
    t0 = time.perf_counter()
    calm_since = None
    while time.perf_counter() - t0 < timeout:
        state = page.get_attribute(APP, "data-test-script-state")
        if state in ("running", "rerunRequested", "initial", None):
            calm_since = None
        elif calm_since is None:
            calm_since = time.perf_counter()
        elif time.perf_counter() - calm_since >= quiet:
            return calm_since - t0
        time.sleep(0.02)
    raise TimeoutError("page did not settle")


def timed(page, action) -> float:
    """Seconds from ``action()`` to the page settled."""
    t0 = time.perf_counter()
    action()
    page.wait_for_timeout(50)  # let the rerun request reach the server
    return time.perf_counter() - t0 - 0.05 + settle(page)


def make_log(directory: Path, users: int, items: int) -> tuple[Path, Path, int]:
    from core.sample import SampleSpec, generate

    sample = generate(SampleSpec(seed=1, n_users=users, n_items=items, dirty=False))
    events = directory / "events.parquet"
    catalogue = directory / "items.csv"
    sample.events_raw.to_parquet(events, index=False)
    sample.items_raw.to_csv(catalogue, index=False)
    return events, catalogue, len(sample.events_raw)


def start(events: Path, catalogue: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ATLAS_DATASET": str(events),
        "ATLAS_ITEMS": str(catalogue),
    }
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py")]
    cmd += ["--server.port", str(port), "--server.headless", "true"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("streamlit did not start")


Row = tuple[str, float, float, float]


def overview(page, url: str) -> Row:
    """The Overview, the page the app opens on: first draw once the data is ready (item vectors,
    topics, findings, map...), then reopened twice (served from the cache)."""
    times = []
    for _ in range(3):
        page.goto(url)
        page.wait_for_selector(APP)
        times.append(settle(page))
    return ("Overview: first draw / reopen", *times)


def interests(page, url: str, side) -> Row:
    """The Interests page's shares tab, then week -> month -> week -> month."""
    page.goto(f"{url}/interests")
    page.wait_for_selector(APP)
    first = settle(page)
    first += timed(page, lambda: page.get_by_role("tab", name="Shares over time").click())
    change = timed(page, lambda: side.get_by_text("month", exact=True).click())
    back = timed(page, lambda: side.get_by_text("week", exact=True).click())
    again = timed(page, lambda: side.get_by_text("month", exact=True).click())
    print(f"  (back to week, cached: {back:.2f} s)")
    return ("Interests (shares tab): week→month", first, change, again)


def atlas_map(page, url: str) -> Row:
    """The Map page, stepped to the next week twice and back once."""
    page.goto(f"{url}/atlas_map")
    page.wait_for_selector(APP)
    first = settle(page)
    nxt = page.get_by_role("button", name="▶")
    step1 = timed(page, nxt.click)
    step2 = timed(page, nxt.click)
    step_back = timed(page, page.get_by_role("button", name="◀").click)
    print(f"  (another new week: {step2:.2f} s)")
    return ("Map: step to next week", first, step1, step_back)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=23_000)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--pages", default="data,overview,interests,map")
    args = parser.parse_args()
    pages = set(args.pages.split(","))
    chromium = find_browser()
    if not chromium:
        print("bench/dashboard.py needs the system chromium (make system-deps)")
        return 1
    from playwright.sync_api import sync_playwright

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        events, catalogue, n = make_log(Path(tmp), args.users, args.items)
        print(f"generated {n:,} events in {time.perf_counter() - t0:.1f} s")
        proc, url = start(events, catalogue)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                side = page.locator('[data-testid="stSidebar"]')

                page.goto(f"{url}/data")  # the Data page: ingest only (always: the data is ready)
                first_data = settle(page)
                rows.append(("Data (ingest 1M rows)", first_data, float("nan"), float("nan")))
                if "overview" in pages:
                    rows.append(overview(page, url))
                if "interests" in pages:
                    rows.append(interests(page, url, side))
                if "map" in pages:
                    rows.append(atlas_map(page, url))
                browser.close()

        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print(f"\n{n:,} events · time to the page settled in Chromium (seconds)")
    print(
        f"{'page / change':34s} {'first load':>11s} {'filter change':>14s} {'cached repeat':>14s}"
    )
    for name, first, change, again in rows:
        print(f"{name:34s} {first:11.2f} {change:14.2f} {again:14.2f}")
    changes = [r[2] for r in rows if not r[0].startswith(("Data", "Overview")) and r[2] == r[2]]
    if changes:
        print(
            f"\nslowest filter change {max(changes):.2f} s (target < 1 s after the first computation)"
        )
    for name, first, reopen, _ in rows:
        if name.startswith("Overview"):
            print(f"Overview first draw {first:.2f} s (target <= 5 s), reopened {reopen:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

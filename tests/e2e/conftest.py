"""Real-browser fixtures: a Streamlit server on a free port and the system Chromium via Playwright.

The browser tests run in CI (CI=true) and must not be skipped there; locally they are skipped only
when Chromium is absent and CI is unset.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for path in (ROOT, HERE, ROOT / "tests" / "dashboard"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from browser_flags import CHROMIUM_ARGS  # noqa: E402  (after the path set-up)

from core.io.export import find_browser  # noqa: E402

CHROMIUM = find_browser() or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run dashboard/app.py`` and wait until it answers its health check."""
    port = port or _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"streamlit did not answer on {url} within 90 s")


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    proc, url = start_server()
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (install it: make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        yield b
        b.close()

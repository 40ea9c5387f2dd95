"""Flags for a headless Chromium driven by Playwright (browser tests, bench/dashboard.py): no
sandbox (root), and none of the background calls a closed network refuses. Test-only, so it
lives here and not in core (core.io.export.find_browser finds the binary)."""

CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

"""Helpers of the browser tests: waiting for Streamlit to settle, navigating, uploading."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Frame, Page

APP = '[data-testid="stApp"]'


def settle(page: Page, timeout: float = 240.0, quiet: float = 1.0) -> float:
    """Wait until the script has stopped running for ``quiet`` seconds; return seconds waited."""
    t0 = time.perf_counter()
    page.wait_for_selector(APP, timeout=timeout * 1000)
    calm_since = None
    while time.perf_counter() - t0 < timeout:
        state = page.get_attribute(APP, "data-test-script-state")
        running = state in ("running", "rerunRequested", "initial", None)
        if running:
            calm_since = None
        elif calm_since is None:
            calm_since = time.perf_counter()
        elif time.perf_counter() - calm_since >= quiet:
            return time.perf_counter() - t0 - quiet
        time.sleep(0.1)
    raise TimeoutError(f"the app kept running for {timeout} s")


def goto_page(page: Page, title: str) -> None:
    """Click a page in the sidebar navigation and wait for it."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    page.wait_for_timeout(300)
    settle(page)


def dataset_caption(page: Page) -> str:
    return page.locator('[data-testid="stCaptionContainer"]').first.inner_text()


def upload(
    page: Page,
    events: tuple[str, bytes],
    items: tuple[str, bytes] | None = None,
    mapping: dict[str, str] | None = None,
) -> None:
    """Choose the events file (and catalogue) on the Data page, set ``mapping`` (field -> column)
    in the mapping form, then submit it."""
    inputs = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    inputs.nth(0).set_input_files(
        files=[{"name": events[0], "mimeType": "text/csv", "buffer": events[1]}]
    )
    settle(page)
    if items is not None:
        inputs.nth(1).set_input_files(
            files=[{"name": items[0], "mimeType": "text/csv", "buffer": items[1]}]
        )
        settle(page)
    for field, column in (mapping or {}).items():
        box = page.locator('[data-testid="stSelectbox"]').filter(
            has=page.get_by_text(field, exact=True)
        )
        open_select(page, box.first)
        # options read "column · e.g. <first value>" (or the bare name when the column is empty)
        label = re.compile(rf"^{re.escape(column)}( · e\.g\. .*)?$")
        page.get_by_role("option", name=label).click()
    page.get_by_role("button", name="Load these events").click()
    page.wait_for_timeout(300)
    settle(page)


def map_frame(page: Page) -> Frame:
    """The streamlit-folium iframe of the page."""
    handle = page.wait_for_selector('iframe[title*="st_folium"]', timeout=60_000)
    frame = handle.content_frame()
    assert frame is not None
    return frame


def open_select(page: Page, box) -> None:
    """Open a select box's list (the first click after a rerun may only focus it)."""
    for _ in range(4):  # a few tries, not a loop over data
        box.get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option").first.wait_for(timeout=2_000)
            return
        except Exception:
            page.keyboard.press("Escape")
    raise AssertionError("the select box did not open")

"""The analyst's main journey in a real browser (Playwright driving the system Chromium)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from apptest_helpers import make_small_upload  # tests/dashboard/apptest_helpers.py
from e2e_helpers import dataset_caption, goto_page, map_frame, settle, upload

pytestmark = pytest.mark.e2e


def test_upload_explore_map_user_and_download(server: str, browser, tmp_path) -> None:
    files = make_small_upload(seed=11)
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server}/data")  # the app opens on the Overview; uploads are on Data
    settle(page)
    assert "bundled sample" in dataset_caption(page)

    # upload events + catalogue; the user column has a name no detector knows: map it by hand
    events_csv = files.events_csv.replace(b"user_id,", b"who_did_it,", 1)
    upload(
        page,
        ("journey.csv", events_csv),
        ("catalogue.csv", files.items_csv),
        mapping={"user_id": "who_did_it"},
    )
    assert "journey" in dataset_caption(page)
    assert page.get_by_text("In catalogue").count() == 1

    # topics and trends
    goto_page(page, "Interests & trends")
    assert "journey" in dataset_caption(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # drawn after settling
    assert page.locator(".js-plotly-plot").count() >= 1  # topic sizes chart
    page.get_by_role("tab", name="Shares over time").click()
    page.wait_for_timeout(300)
    settle(page)
    assert page.get_by_text("Topic shares per W").count() >= 1

    # the map draws H3 cells (SVG paths inside the folium iframe), with no internet needed
    goto_page(page, "Map")
    frame = map_frame(page)
    frame.wait_for_selector("path.leaflet-interactive", state="attached", timeout=60_000)
    drawn = frame.evaluate(
        "() => [...document.querySelectorAll('path.leaflet-interactive')]"
        ".filter(p => (p.getAttribute('d') || '').length > 20).length"
    )
    assert drawn > 3  # hexagons on screen (cells outside the view get an empty path)

    # one user, recommendations with reasons, downloads
    goto_page(page, "Users")
    assert page.get_by_role("heading", name="Recommendations").count() == 1
    with page.expect_download() as png_info:
        page.locator('[data-testid="stDownloadButton"] button', has_text="PNG").first.click()
    png = png_info.value
    assert png.suggested_filename.endswith(".png") and "user" in png.suggested_filename
    png_bytes = png.path().read_bytes()
    assert png_bytes[:8] == b"\x89PNG\r\n\x1a\n" and len(png_bytes) > 5_000

    csv_buttons = page.locator('[data-testid="stDownloadButton"] button', has_text="CSV")
    recs_csv = None
    for i in range(csv_buttons.count()):
        with page.expect_download() as csv_info:
            csv_buttons.nth(i).click()
        download = csv_info.value
        if download.suggested_filename.startswith("recommendations"):
            recs_csv = download.path().read_bytes().decode("utf-8-sig")
            break
    assert recs_csv is not None, "no recommendations CSV download on the Users page"
    recs = pd.read_csv(io.StringIO(recs_csv))
    assert {"item_id", "score", "reason", "topic"} <= set(recs.columns)
    assert len(recs) == 10 and recs["reason"].str.len().min() > 10
    assert recs["score"].is_monotonic_decreasing
    assert not dialogs
    context.close()

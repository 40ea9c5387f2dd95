"""The first page is the Overview with findings; the Map plays through the periods; the playback
HTML downloaded from the Map page plays offline in Chromium."""

from __future__ import annotations

import time

import pytest
from e2e_helpers import goto_page, map_frame, settle

pytestmark = pytest.mark.e2e

LABEL = ".st-key-map_period_label"


def test_opens_on_the_overview_with_findings_then_plays_the_map(server: str, browser, tmp_path):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server)
    settle(page, timeout=480)
    assert page.get_by_role("heading", name="Overview").count() == 1
    assert page.get_by_text("bundled sample").count() >= 1
    page.locator('[data-testid="stMetricLabel"]').first.wait_for(timeout=60_000)
    tiles = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert {"Events", "Users", "Items", "Time span", "Located"} <= set(tiles)
    findings = page.locator('[class*="st-key-ov_finding_"]')
    assert findings.count() >= 3
    assert (
        "pickleball" in findings.first.inner_text() and "rose from" in findings.first.inner_text()
    )
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # drawn after settling
    assert page.locator(".js-plotly-plot").count() >= 1  # top interests
    assert page.get_by_text("Emerging", exact=True).count() == 1
    frame = map_frame(page)
    frame.wait_for_selector("path.leaflet-interactive", state="attached", timeout=60_000)

    # the Map page plays through the periods: the period label advances at least three times
    goto_page(page, "Map")
    label = page.locator(LABEL)
    seen = [label.inner_text()]
    page.get_by_role("button", name="Play", exact=True).click()
    deadline = time.time() + 180
    while len(set(seen)) < 4 and time.time() < deadline:
        page.wait_for_timeout(250)
        text = label.inner_text()
        if text != seen[-1]:
            seen.append(text)
    assert len(set(seen)) >= 4, seen
    assert all(s.startswith("week of") for s in seen[1:]), seen
    page.get_by_role("button", name="Pause", exact=True).click()
    settle(page)

    # the playback as a self-contained HTML animation, opened with no network at all
    button = page.locator('[data-testid="stDownloadButton"] button', has_text="Playback HTML")
    button.wait_for(timeout=60_000)
    # the file is made on click (a server round trip that renders every frame): allow for a busy
    # machine rather than the default 30 s
    with page.expect_download(timeout=180_000) as info:
        button.click()
    path = tmp_path / "playback.html"
    info.value.save_as(path)
    assert info.value.suggested_filename.startswith("map_playback")
    offline = browser.new_context(offline=True)
    requests: list[str] = []

    def refuse(route) -> None:
        requests.append(route.request.url)
        route.abort()

    offline.route("http://**/*", refuse)
    offline.route("https://**/*", refuse)
    html = offline.new_page()
    html.on("pageerror", lambda exc: errors.append(str(exc)))
    html.goto(path.as_uri())
    first = html.inner_text("#period")
    html.click("#play")
    html.wait_for_function(
        "(first) => document.getElementById('period').textContent !== first",
        arg=first,
        timeout=10_000,
    )
    drawn = html.evaluate(
        "Array.from(document.querySelectorAll('path.leaflet-interactive'))"
        ".filter(p => p.getAttribute('fill-opacity') !== '0').length"
    )
    assert drawn > 0
    assert requests == [] and errors == []
    offline.close()
    context.close()

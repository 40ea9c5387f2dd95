"""The exported playback HTML plays offline in Chromium: frames draw and the period label advances."""

from __future__ import annotations

import pytest

from core.render.playback import playback_html
from core.spacetime.heatmaps import topics_from_text
from core.spacetime.playback import PlaybackSpec, playback_frames


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    from core.sample import bundled_event_log

    events = bundled_event_log()
    item_topic, labels = topics_from_text(events, 8)
    play = playback_frames(events, item_topic, labels, PlaybackSpec(res=6, period="W"))
    path = tmp_path_factory.mktemp("playback") / "playback.html"
    path.write_text(playback_html(play, interval_ms=150), encoding="utf-8")
    return path, play


def test_playback_plays_offline_and_draws_cells(browser, page_file):
    path, play = page_file
    context = browser.new_context(offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    first = page.inner_text("#period")
    assert first == f"{play.periods[0]:%Y-%m-%d}"
    seen = {first}
    page.click("#play")
    for _ in range(3):  # the label advances at least three times
        page.wait_for_function(
            "(seen) => !seen.includes(document.getElementById('period').textContent)",
            arg=sorted(seen),
            timeout=5000,
        )
        seen.add(page.inner_text("#period"))
    assert len(seen) >= 4
    page.click("#play")  # pause
    page.evaluate("window.atlasPlayback.show(10)")
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('path.leaflet-interactive'))"
        ".filter(p => p.getAttribute('fill-opacity') !== '0').length"
    )
    expected = int((play.cells["bin"] == play.periods[10]).sum())
    assert drawn == expected > 0
    assert errors == []
    context.close()

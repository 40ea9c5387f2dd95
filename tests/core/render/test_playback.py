"""Map playback: one colour scale across frames, and an offline HTML page holding the frames."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.render.playback import playback_html
from core.schema import ITEM, conform
from core.spacetime.playback import PlaybackSpec, fixed_scale, playback_frames

TIMES_SQUARE = (40.7580, -73.9855)
SOHO = (51.5136, -0.1365)
EVIL = "<script>alert(1)</script>${x}`"


@pytest.fixture
def log() -> pd.DataFrame:
    # Week of 2 March: 1 event at Times Square; week of 9 March: none; week of 16 March: 4 at
    # Times Square and 2 in Soho.
    rows = [("u1", "a", "2026-03-02T10:00Z", *TIMES_SQUARE)]
    rows += [("u2", "a", "2026-03-16T10:00Z", *TIMES_SQUARE)] * 4
    rows += [("u3", "b", "2026-03-17T10:00Z", *SOHO)] * 2
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts", "lat", "lon"])
    frame["item_text"] = frame["item_id"]
    return conform(frame)


def _topics(events: pd.DataFrame) -> np.ndarray:
    return np.array([{"a": 0, "b": 1}[i] for i in events[ITEM].cat.categories])


def test_fixed_scale_by_hand():
    scale, lo, hi = fixed_scale(np.array([1.0, 4.0, 2.0]), log=False)
    assert (lo, hi) == (1.0, 4.0) and scale.tolist() == pytest.approx([0.0, 1.0, 1 / 3])
    scale, _, _ = fixed_scale(np.array([1.0, 4.0, 2.0]), log=True)
    assert scale.tolist() == pytest.approx([0.0, 1.0, np.log(2) / np.log(4)])


def test_frames_share_one_scale_and_keep_empty_periods(log):
    play = playback_frames(log, _topics(log), ("x", EVIL), PlaybackSpec(res=8, log=False))
    assert [f"{p:%m-%d}" for p in play.periods] == ["03-02", "03-09", "03-16"]
    assert (play.lo, play.hi) == (1.0, 4.0)
    # Week 1's single event is the global minimum (scale 0), not its own frame's maximum.
    first = play.cells[play.cells["bin"] == play.periods[0]]
    assert first["scale"].tolist() == [0.0]
    last = play.cells[play.cells["bin"] == play.periods[2]].sort_values("events")
    assert last["events"].tolist() == [2, 4]
    assert last["scale"].tolist() == pytest.approx([1 / 3, 1.0])
    shares = playback_frames(log, _topics(log), ("x", EVIL), PlaybackSpec(res=8, value="x"))
    assert (shares.lo, shares.hi, shares.log) == (0.0, 1.0, False)
    with pytest.raises(InvalidInputError, match=r"spec\.value: expected 'events', 'users' or one"):
        playback_frames(log, _topics(log), ("x", EVIL), PlaybackSpec(value="nope"))
    with pytest.raises(InvalidInputError, match=r"spec\.period: expected one of"):
        playback_frames(log, None, (), PlaybackSpec(period="how"))


def _data(page: str) -> dict:
    raw = re.search(
        r'<script id="playback-data" type="application/json">(.*?)</script>', page, re.S
    )
    return json.loads(raw.group(1))


def test_html_holds_every_frame_and_plays_offline(log):
    play = playback_frames(log, _topics(log), ("x", EVIL), PlaybackSpec(res=8))
    page = playback_html(play, title=f"Weekly {EVIL}")
    data = _data(page)
    assert data["periods"] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert [len(f) for f in data["frames"]] == [1, 0, 2]
    assert len(data["cells"]["features"]) == 2  # two distinct cells, drawn once
    # Palette index of the fixed scale: week 3's 4-event cell is the top colour (8 of 0..8).
    assert max(row[1] for row in data["frames"][2]) == 8
    for control in ('id="play"', 'id="speed"', 'id="frame"', 'id="period"', "atlasPlayback"):
        assert control in page
    # Offline: Leaflet inlined, no script or stylesheet fetched from the network.
    assert "L.map" in page and "Leaflet (BSD-2-Clause), inlined" in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r'<link[^>]+href="https?://', page)
    assert data["tiles"] is None


def test_uploaded_strings_are_escaped_everywhere(log):
    play = playback_frames(log, _topics(log), ("x", EVIL), PlaybackSpec(res=8))
    page = playback_html(play, title=EVIL)
    assert "<script>alert(1)</script>" not in page and "${x}" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#36;{x}&#96;" in page  # the title, escaped
    tips = [row[2] for frame in _data(page)["frames"] for row in frame]
    soho = [t for t in tips if "events: 2" in t]
    assert soho and "top interest: &lt;script&gt;alert(1)&lt;/script&gt;&#36;{x}&#96;" in soho[0]

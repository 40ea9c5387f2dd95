"""The playback as an animated GIF: one figure per period on the fixed colour scale, one frame each."""

from __future__ import annotations

import io
import itertools
import shutil

import numpy as np
import pandas as pd
import pytest

from core.errors import BrowserUnavailableError, InvalidInputError
from core.io import export
from core.render.animation import AnimationSpec, playback_figures, playback_gif
from core.render.maps import PALETTE
from core.schema import ITEM, conform
from core.spacetime.playback import PlaybackSpec, playback_frames

TIMES_SQUARE = (40.7580, -73.9855)
SOHO = (51.5136, -0.1365)


@pytest.fixture
def play():
    # Week of 2 March: 1 event at Times Square; week of 9 March: none; week of 16 March: 4 at
    # Times Square and 2 in Soho. Linear scale over all weeks: lo = 1, hi = 4.
    rows = [("u1", "a", "2026-03-02T10:00Z", *TIMES_SQUARE)]
    rows += [("u2", "a", "2026-03-16T10:00Z", *TIMES_SQUARE)] * 4
    rows += [("u3", "b", "2026-03-17T10:00Z", *SOHO)] * 2
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts", "lat", "lon"])
    events = conform(frame)
    topic = np.array([{"a": 0, "b": 1}[i] for i in events[ITEM].cat.categories])
    return playback_frames(events, topic, ("x", "y"), PlaybackSpec(res=8, log=False))


def _cells(fig) -> list:
    return [t for t in fig.data if t.fill == "toself"]


def test_one_figure_per_period_with_its_label_on_one_colour_scale(play):
    figs = playback_figures(play, title="Playback")
    assert len(figs) == 3  # the empty week keeps its frame
    titles = [f.layout.title.text for f in figs]
    assert titles == [
        "Playback · 2026-03-02 · 1 cells",
        "Playback · 2026-03-09 · 0 cells",
        "Playback · 2026-03-16 · 2 cells",
    ]
    # Week 1's single event is the global minimum: the lightest colour, not its frame's darkest.
    assert [t.fillcolor for t in _cells(figs[0])] == [PALETTE[0]]
    assert _cells(figs[1]) == []
    # Week 3: Soho (2 events: (2 - 1) / 3 of the way, palette step round(8 / 3) = 3) and Times
    # Square (4 events, the top of the scale: step 8).
    assert [t.fillcolor for t in _cells(figs[2])] == [PALETTE[3], PALETTE[8]]
    # A hexagon: 7 points (closed ring) and the gap that ends it.
    assert len(_cells(figs[0])[0].x) == 8 and np.isnan(_cells(figs[0])[0].x[-1])
    # The colour bar and the view are the same objects in every frame.
    bars = [f.data[-1].to_plotly_json() for f in figs]
    assert bars[0] == bars[1] == bars[2]
    assert bars[0]["marker"]["colorbar"]["ticktext"] == ["1", "1.8", "2.5", "3.2", "4"]
    views = [(f.layout.xaxis.range, f.layout.yaxis.range) for f in figs]
    assert views[0] == views[1] == views[2]
    lon, lat = _cells(figs[2])[1].x, _cells(figs[2])[1].y  # Times Square is inside the view
    assert views[0][0][0] <= np.nanmin(lon) and np.nanmax(lat) <= views[0][1][1]


def test_the_frame_count_is_bounded_by_the_most_recent_periods(play):
    figs = playback_figures(play, spec=AnimationSpec(max_frames=2))
    assert [f.layout.title.text.split(" · ")[1] for f in figs] == ["2026-03-09", "2026-03-16"]
    bounded = playback_figures(play, bounds=(40.0, -75.0, 41.0, -73.0))
    assert bounded[0].layout.xaxis.range == (-75.0, -73.0)
    assert bounded[0].layout.yaxis.range == (40.0, 41.0)
    with pytest.raises(InvalidInputError, match=r"bounds: expected \(south, west, north, east\)"):
        playback_figures(play, bounds=(41.0, -75.0, 40.0, -73.0))
    with pytest.raises(InvalidInputError, match="spec: expected width, height"):
        AnimationSpec(max_frames=0)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs the system chromium")
def test_the_gif_has_one_distinct_frame_per_period(play):
    from PIL import Image, ImageChops

    gif = playback_gif(play, spec=AnimationSpec(width=360, height=300, interval_ms=700))
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF" and image.size == (360, 300)
    assert image.n_frames == 3 and image.info["loop"] == 0
    frames = []
    for i in range(image.n_frames):
        image.seek(i)
        assert image.info["duration"] == 700
        frames.append(image.convert("RGB"))
    for a, b in itertools.pairwise(frames):
        assert ImageChops.difference(a, b).getbbox() is not None  # consecutive frames differ


def test_without_chromium_no_file_is_made_and_the_error_says_why(monkeypatch, play):
    monkeypatch.setattr(export, "_SERVER_STARTED", False)
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(export.shutil, "which", lambda name: None)
    with pytest.raises(BrowserUnavailableError, match=r"^browser: expected Chromium"):
        playback_gif(play)

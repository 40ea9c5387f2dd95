"""Filters: the window edges read as UTC timestamps, garbage is a clear project error, boxes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.schema import TS, conform
from core.spacetime.filters import EventFilter, in_box, mask


@pytest.fixture
def log() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2"],
            "item_id": ["a", "b", "a"],
            "ts": ["2026-03-01T23:00:00Z", "2026-03-02T00:00:00Z", "2026-03-02T01:00:00+02:00"],
        }
    )
    return conform(frame)


def test_garbage_window_edge_is_an_invalid_input_error(log):
    # Regression: pandas' DateParseError escaped from mask() before.
    with pytest.raises(InvalidInputError, match=r"spec\.start: expected a timestamp.*'garbage'"):
        mask(log, EventFilter(start="garbage"))
    with pytest.raises(InvalidInputError, match=r"spec\.end: expected a timestamp"):
        mask(log, EventFilter(end="not a date"))


def test_naive_window_edges_mean_utc(log):
    def kept(spec: EventFilter) -> list[str]:
        return log[TS][mask(log, spec)].dt.strftime("%d %H:%M").tolist()

    # 2026-03-02T01:00+02:00 is 1 March 23:00 UTC: before a naive start of 2 March (= UTC).
    assert kept(EventFilter(start="2026-03-02")) == ["02 00:00"]
    aware = EventFilter(start=pd.Timestamp("2026-03-02T01:00", tz="Europe/Berlin"))  # 00:00Z
    assert kept(aware) == ["02 00:00"]
    assert kept(EventFilter(end="2026-03-02")) == ["01 23:00", "01 23:00"]


def test_box_edges_are_included_and_antimeridian_boxes_wrap():
    lat = np.array([10.0, 10.0, 10.0, 30.0])
    lon = np.array([179.5, -179.5, 0.0, 179.5])
    assert in_box(lat, lon, (0, 179, 20, -179), "box").tolist() == [True, True, False, False]
    assert in_box(lat, lon, (10, 0, 30, 0), "box").tolist() == [False, False, True, False]
    with pytest.raises(InvalidInputError, match=r"box: expected \(south, west, north, east\)"):
        in_box(lat, lon, (0, 1, 2), "box")

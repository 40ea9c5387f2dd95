"""The facade's Overview, comparison and playback views: hand-counted headline figures, shares
that add up, segments resolved as stated, results kept per spec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import schema
from core.atlas import AnalysisSpec, Atlas
from core.atlas_views import SegmentSpec
from core.errors import InvalidInputError
from core.spacetime.filters import EventFilter
from core.spacetime.trends import TrendSpec


def _log() -> pd.DataFrame:
    # 8 events, 3 users, 3 items; two events have no location
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", "c", "c", "c"],
            "item_id": ["x", "x", "y", "y", "z", "z", "z", "x"],
            "ts": pd.to_datetime(
                [
                    "2026-03-02 08:00",
                    "2026-03-03 09:00",
                    "2026-03-10 10:00",
                    "2026-03-11 11:00",
                    "2026-03-18 12:00",
                    "2026-03-19 13:00",
                    "2026-03-25 14:00",
                    "2026-03-30 15:00",
                ],
                utc=True,
            ),
            "lat": [40.70, 40.71, np.nan, 40.72, 40.73, 51.50, 51.51, np.nan],
            "lon": [-74.00, -74.01, np.nan, -74.02, -74.03, -0.12, -0.13, np.nan],
        }
    )
    return schema.conform(frame)


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas(_log(), AnalysisSpec(source="behaviour", k=2))


def test_summary_counts_by_hand(atlas: Atlas) -> None:
    s = atlas.summary
    assert (s.events, s.users, s.items) == (8, 3, 3)
    assert s.located_share == 6 / 8
    assert s.days == pytest.approx((28 * 24 + 7) / 24)  # 03-02 08:00 -> 03-30 15:00
    assert atlas.summary is atlas.summary


def test_top_interests_shares_add_up_and_trends_follow_the_weeks(atlas: Atlas) -> None:
    top = atlas.top_interests(8, "W")
    assert top["events"].sum() == 8 and top["share"].sum() == pytest.approx(1.0)
    assert list(top["events"]) == sorted(top["events"], reverse=True)
    weeks = len(atlas.complete_periods(TrendSpec(period="W")))
    assert all(len(t) == weeks for t in top["trend"])


def test_segments_filter_by_window_and_main_interest(atlas: Atlas) -> None:
    early = SegmentSpec("early", EventFilter(end="2026-03-15"))
    late = SegmentSpec("late", EventFilter(start="2026-03-15"))
    result = atlas.compare(early, late)
    assert (result.n_a, result.n_b) == (4, 4)
    assert result.names == ("early", "late")
    assert atlas.compare(early, late) is result  # kept per pair of segments
    topic = atlas.topic_info.labels[0]
    group = SegmentSpec("group", main_topic=topic)
    rest = SegmentSpec("rest", main_topic=topic, rest=True)
    split = atlas.compare(group, rest)
    assert split.n_a + split.n_b == 8 and split.n_a > 0


def test_segment_specs_say_what_is_wrong() -> None:
    with pytest.raises(InvalidInputError, match="area: expected a layer of"):
        SegmentSpec("x", area=("planets", "Mars"))
    with pytest.raises(InvalidInputError, match="rest: expected a main_topic"):
        SegmentSpec("x", rest=True)


def test_an_unknown_region_name_is_refused(atlas: Atlas) -> None:
    with pytest.raises(InvalidInputError, match="area: expected a region of 'nyc_boroughs'"):
        atlas.compare(
            SegmentSpec("a", area=("nyc_boroughs", "Atlantis")), SegmentSpec("b", EventFilter())
        )


def test_a_borough_segment_holds_only_its_events(atlas: Atlas) -> None:
    # (40.70..40.73, -74.00..-74.03): lower Manhattan / the harbour; London is in no borough
    result = atlas.compare(
        SegmentSpec("m", area=("nyc_boroughs", "Manhattan")), SegmentSpec("all", EventFilter())
    )
    assert result.n_b == 8 and 0 < result.n_a <= 4

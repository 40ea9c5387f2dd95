"""Counts per period, hour-of-week, filters and emerging topics on hand-computable logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.schema import ITEM, conform
from core.spacetime.trends import (
    BASIS_LONGITUDE,
    BASIS_OFFSET,
    BASIS_UTC,
    EventFilter,
    TrendSpec,
    complete_periods,
    emerging,
    hour_of_week,
    mask,
    period_counts,
    time_bins,
    topic_codes,
)


def _log(rows: list[tuple], **extra) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts"])
    for key, values in extra.items():
        frame[key] = values
    return conform(frame)


@pytest.fixture
def tiny() -> pd.DataFrame:
    # Two weeks: Mon 2026-03-02 .. Sun 03-08 and Mon 03-09 ..; items a, b in topic "x", c in "y".
    return _log(
        [
            ("u1", "a", "2026-03-02T10:00:00Z"),
            ("u1", "b", "2026-03-03T10:00:00Z"),
            ("u2", "c", "2026-03-08T23:30:00Z"),
            ("u2", "a", "2026-03-09T00:10:00Z"),
            ("u3", "c", "2026-03-10T08:00:00Z"),
        ],
        event=["view", "click", "view", "view", "purchase"],
    )


def _topics(events: pd.DataFrame) -> np.ndarray:
    mapping = {"a": 0, "b": 0, "c": 1}
    return np.array([mapping[i] for i in events[ITEM].cat.categories])


def test_time_bins_hour_of_week_starts_monday_midnight():
    stamps = np.array(
        ["2026-03-02T00:00", "2026-03-08T23:59", "2026-03-04T13:15"], dtype="datetime64[ns]"
    )
    how, labels = time_bins(stamps, "how")
    assert how.tolist() == [0, 167, 2 * 24 + 13]
    assert len(labels) == 168
    assert time_bins(stamps, "dow")[0].tolist() == [0, 6, 2]
    assert time_bins(stamps, "hour")[0].tolist() == [0, 23, 13]


def test_time_bins_weeks_are_dense_and_start_on_monday():
    stamps = np.array(["2026-03-04", "2026-03-20"], dtype="datetime64[ns]")
    codes, labels = time_bins(stamps, "W")
    assert [str(x.date()) for x in labels] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert codes.tolist() == [0, 2]


def test_period_counts_weekly_by_hand(tiny):
    out = period_counts(tiny, _topics(tiny), ("x", "y"), TrendSpec(period="W"))
    assert out["period"].dt.strftime("%Y-%m-%d").tolist() == ["2026-03-02", "2026-03-09"]
    assert out["events"].tolist() == [3, 2]
    assert out["users"].tolist() == [2, 2]
    assert out["share:x"].tolist() == pytest.approx([2 / 3, 1 / 2])
    assert out["n:y"].tolist() == [1, 1]
    # The log starts Monday 10:00, so week 1 is partial; week 2 ends on Tuesday: partial too.
    assert out["complete"].tolist() == [False, False]


def test_period_counts_daily_includes_empty_days(tiny):
    out = period_counts(tiny, None, (), TrendSpec(period="D"))
    assert len(out) == 9  # 2 .. 10 March
    assert out["events"].sum() == 5
    assert out.loc[out["period"] == pd.Timestamp("2026-03-05", tz="UTC"), "events"].item() == 0
    assert out["complete"].iloc[1:-1].all()


def test_filters_combine_topic_event_user_and_window(tiny):
    topic, labels = topic_codes(tiny, _topics(tiny), ("x", "y"))
    spec = EventFilter(start="2026-03-03", end="2026-03-10", topics=("x",), events=("VIEW",))
    assert mask(tiny, spec, topic, labels).sum() == 1  # only u2's view of a on the 9th
    assert mask(tiny, EventFilter(users=("u2",)), topic, labels).sum() == 2


def test_unknown_topic_filter_names_the_labels(tiny):
    topic, labels = topic_codes(tiny, _topics(tiny), ("x", "y"))
    with pytest.raises(InvalidInputError, match=r"spec.topics: expected labels among \['x', 'y'\]"):
        mask(tiny, EventFilter(topics=("z",)), topic, labels)


def test_item_topic_of_wrong_length_is_rejected(tiny):
    with pytest.raises(InvalidInputError, match="one topic per item category"):
        topic_codes(tiny, np.array([0, 1]), ("x", "y"))


def test_unassigned_items_get_their_own_label(tiny):
    topic, labels = topic_codes(tiny, np.array([0, -1, 1]), ("x", "y"))
    assert labels == ("x", "y", "unassigned")
    assert sorted(set(topic.tolist())) == [0, 1, 2]


def test_hour_of_week_uses_offset_column():
    log = _log(
        [("u", "a", "2026-03-02T03:00:00Z"), ("u", "a", "2026-03-02T03:00:00Z")],
        tz_offset_min=[-300, 60],
    )
    grid, basis = hour_of_week(log)
    assert basis == BASIS_OFFSET
    assert grid.loc["Sun", 22] == 1  # 03:00 UTC - 5 h = Sunday 22:00
    assert grid.loc["Mon", 4] == 1
    assert grid.to_numpy().sum() == 2


def test_hour_of_week_estimates_from_longitude_then_falls_back_to_utc():
    log = _log([("u", "a", "2026-03-02T03:00:00Z")], lat=[35.7], lon=[139.7])
    grid, basis = hour_of_week(log)
    assert basis == BASIS_LONGITUDE
    assert grid.loc["Mon", 12] == 1  # round(139.7 / 15) = 9 h ahead
    grid, basis = hour_of_week(_log([("u", "a", "2026-03-02T03:00:00Z")]))
    assert basis == BASIS_UTC
    assert grid.loc["Mon", 3] == 1


def test_emerging_z_score_by_hand():
    # Baseline: 90 x, 10 y. Recent (last 28 days): 20 x, 20 y.
    base = [("u", "a", "2026-01-01T00:00:00Z")] * 90 + [("u", "c", "2026-01-01T00:00:00Z")] * 10
    recent = [("u", "a", "2026-03-20T00:00:00Z")] * 20 + [("u", "c", "2026-03-20T00:00:00Z")] * 20
    log = _log(base + recent)
    out = emerging(log, np.array([0, 1]), ("x", "y"), recent="28D")
    p_r, p_b, pooled = 0.5, 0.1, 30 / 140
    z = (p_r - p_b) / np.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 100))
    top = out.iloc[0]
    assert top["topic"] == "y" and top["z"] == pytest.approx(z)
    assert top["direction"] == "emerging" and out.iloc[1]["direction"] == "fading"
    assert top["recent_events"] == 20 and top["baseline_events"] == 10
    assert "28D" in out.attrs["window"]
    assert "+00:00" not in out.attrs["window"] and "00:00:00" not in out.attrs["window"]


def test_emerging_rejects_bad_window(tiny):
    with pytest.raises(InvalidInputError, match="recent/baseline"):
        emerging(tiny, _topics(tiny), ("x", "y"), recent="-3D")


def test_planted_emerging_topic_ranks_first_on_bundled_sample():
    from core.sample import bundled_event_log, bundled_truth

    events, truth = bundled_event_log(), bundled_truth()
    labels = tuple(truth.topics)
    items = events[ITEM].cat.categories
    item_topic = np.array([labels.index(truth.item_topic[i]) for i in items])
    out = emerging(events, item_topic, labels, recent="28D")
    assert out.iloc[0]["topic"] == truth.emerging_topic
    assert out.iloc[0]["direction"] == "emerging"


def test_complete_periods_keeps_only_fully_covered_periods(tiny):
    daily = period_counts(tiny, None, (), TrendSpec(period="D"))
    kept = complete_periods(daily)
    # Log from Mon 2 March 10:00 to Tue 10 March 08:00: 3..9 March are whole days, the edges not.
    assert kept["period"].dt.strftime("%d").tolist() == ["03", "04", "05", "06", "07", "08", "09"]
    assert kept["events"].tolist() == [1, 0, 0, 0, 0, 1, 1]
    weekly = period_counts(tiny, None, (), TrendSpec(period="W"))
    assert complete_periods(weekly).empty


def test_complete_periods_needs_the_complete_column():
    with pytest.raises(InvalidInputError, match="counts: expected the output of period_counts"):
        complete_periods(pd.DataFrame({"period": [], "events": []}))


def test_siblings_take_events_item_topic_labels_spec_in_that_order(tiny):
    spec = EventFilter(topics=("y",))
    grid, _ = hour_of_week(tiny, _topics(tiny), ("x", "y"), spec)
    assert int(grid.to_numpy().sum()) == 2

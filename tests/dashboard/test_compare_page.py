"""Compare page: two time windows, two user groups and two areas side by side; the per-topic
two-proportion test matches a hand-worked z."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from apptest_helpers import assert_clean, new_app

from core import schema


def _z(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-proportion z with the pooled standard error, written out by hand."""
    p1, p2, p = x1 / n1, x2 / n2, (x1 + x2) / (n1 + n2)
    return (p1 - p2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


def test_hand_worked_z() -> None:
    # 30 of 100 against 20 of 100: pooled p = 0.25, se = sqrt(0.25 * 0.75 * 0.02) = 0.061237
    assert round(_z(30, 100, 20, 100), 4) == 1.633


def _topic_of_events(data) -> pd.Series:
    from dashboard import cached

    info = cached.topics(data.fingerprint, cached.AnalysisSpec(), data.events)
    labels = np.asarray(info.labels, dtype=object)
    codes = data.events[schema.ITEM].cat.codes.to_numpy()
    return pd.Series(labels[np.asarray(info.item_topic)[codes]], index=data.events.index)


def test_two_windows_per_topic_z_matches_the_hand_computation(small_dataset) -> None:
    at = new_app(small_dataset, page="compare")
    at.segmented_control(key="cmp_kind").set_value("windows")
    at.run()
    assert_clean(at)
    (a0, a1), (b0, b1) = at.slider(key="cmp_win_a").value, at.slider(key="cmp_win_b").value
    table = at.dataframe[0].value.set_index("topic")

    ts = small_dataset.events[schema.TS]
    day = pd.Timedelta(days=1)
    in_a = (ts >= pd.Timestamp(a0, tz="UTC")) & (ts < pd.Timestamp(a1, tz="UTC") + day)
    in_b = (ts >= pd.Timestamp(b0, tz="UTC")) & (ts < pd.Timestamp(b1, tz="UTC") + day)
    topic = _topic_of_events(small_dataset)
    n_a, n_b = int(in_a.sum()), int(in_b.sum())
    checked = 0
    for label in table.index:
        x_a, x_b = int((topic[in_a] == label).sum()), int((topic[in_b] == label).sum())
        assert table.loc[label, "events_a"] == x_a and table.loc[label, "events_b"] == x_b
        if 0 < x_a + x_b < n_a + n_b:
            assert abs(table.loc[label, "z"] - _z(x_a, n_a, x_b, n_b)) < 1e-9
            p = math.erfc(abs(_z(x_a, n_a, x_b, n_b)) / math.sqrt(2))
            assert abs(table.loc[label, "p_value"] - p) < 1e-12
            checked += 1
    assert checked >= 2
    # shares are shown in percent, the difference in points
    first = table.index[0]
    assert abs(table.loc[first, "share_a"] - 100 * table.loc[first, "events_a"] / n_a) < 1e-9


def test_main_interest_group_against_the_rest(small_dataset) -> None:
    at = new_app(small_dataset, page="compare")
    at.segmented_control(key="cmp_kind").set_value("users")
    at.run()
    assert_clean(at)
    topic = at.selectbox(key="cmp_topic").value
    counts = {m.label: m.value for m in at.metric}
    # users whose main interest (most events) is the topic, by hand with pandas
    labels = _topic_of_events(small_dataset)
    per_user = pd.crosstab(small_dataset.events[schema.USER].astype(str), labels)
    order = list(per_user.columns)
    from dashboard import cached

    info = cached.topics(small_dataset.fingerprint, cached.AnalysisSpec(), small_dataset.events)
    per_user = per_user.reindex(columns=[t for t in info.labels if t in order], fill_value=0)
    main = per_user.idxmax(axis=1)
    group = set(main[main == topic].index)
    in_group = small_dataset.events[schema.USER].astype(str).isin(group)
    assert counts[f"A: main interest {topic}"] == f"{int(in_group.sum()):,} events"
    assert counts["B: the rest"] == f"{int((~in_group).sum()):,} events"
    assert len(at.get("plotly_chart")) == 3  # shares + two rhythms


def test_two_busiest_areas_and_bundled_regions_on_the_sample() -> None:
    at = new_app(page="compare")
    assert_clean(at)
    assert at.segmented_control(key="cmp_kind").value == "areas"
    names = [m.label for m in at.metric]
    assert len(names) == 2 and names[0] != names[1]
    items = [d.value for d in at.dataframe[1:3]]
    assert all(len(i) == 10 for i in items)
    at.segmented_control(key="cmp_source").set_value("regions")
    at.run()
    at.selectbox(key="cmp_layer").set_value("nyc_boroughs")
    at.run()
    at.selectbox(key="cmp_region_a").set_value("Manhattan")
    at.selectbox(key="cmp_region_b").set_value("Brooklyn")
    at.run()
    assert_clean(at)
    assert [m.label for m in at.metric] == ["A: Manhattan", "B: Brooklyn"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "CSV" in labels and "PNG" in labels

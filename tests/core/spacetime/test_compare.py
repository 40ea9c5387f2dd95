"""Segment comparison: per-topic z against a hand-worked two-proportion z, rhythm, top items."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.schema import ITEM, conform
from core.spacetime.compare import compare_segments, main_topic_mask
from core.spacetime.filters import EventFilter


@pytest.fixture
def log() -> pd.DataFrame:
    # Window A (Mon 2 March, 09:xx UTC): 30 events of item "a" (topic x), 10 of "c" (topic y).
    # Window B (Mon 6 April, 20:xx UTC): 10 of "b" (topic x), 30 of "c" (topic y).
    a = [("u1", "a", "2026-03-02T09:00Z")] * 30 + [("u2", "c", "2026-03-02T09:30Z")] * 10
    b = [("u3", "b", "2026-04-06T20:00Z")] * 10 + [("u4", "c", "2026-04-06T20:30Z")] * 30
    frame = pd.DataFrame(a + b, columns=["user_id", "item_id", "ts"])
    frame["item_text"] = frame["item_id"].map({"a": "Alpha", "b": None, "c": "Gamma"})
    return conform(frame)


def _item_topic(events: pd.DataFrame) -> np.ndarray:
    return np.array([{"a": 0, "b": 0, "c": 1}[i] for i in events[ITEM].cat.categories])


def test_topic_shares_and_z_by_hand(log):
    spring = EventFilter(end="2026-03-03")
    april = EventFilter(start="2026-04-01")
    out = compare_segments(log, _item_topic(log), ("x", "y"), spring, april, names=("Mar", "Apr"))
    x = out.topics.set_index("topic").loc["x"]
    # p_a = 30/40 = 0.75, p_b = 10/40 = 0.25, pooled 0.5: se = sqrt(0.25 * (1/40 + 1/40)) =
    # 0.111803, z = 0.5 / 0.111803 = 4.472136; two-sided p = erfc(4.472136 / sqrt 2) = 7.74e-6.
    assert (x["events_a"], x["events_b"]) == (30, 10)
    assert (x["share_a"], x["share_b"], x["difference"]) == pytest.approx((0.75, 0.25, 0.5))
    assert x["z"] == pytest.approx(4.472136, abs=1e-6)
    assert x["p_value"] == pytest.approx(math.erfc(4.472136 / math.sqrt(2)), rel=1e-5)
    assert x["p_value"] == pytest.approx(7.744e-6, rel=1e-3)
    assert bool(x["significant"])  # below 0.05 / 2 topics
    assert out.topics.set_index("topic").loc["y", "z"] == pytest.approx(-4.472136, abs=1e-6)
    assert (out.n_a, out.n_b, out.names) == (40, 40, ("Mar", "Apr"))


def test_rhythm_and_top_items_of_each_segment(log):
    out = compare_segments(
        log,
        _item_topic(log),
        ("x", "y"),
        EventFilter(end="2026-03-03"),
        EventFilter(start="2026-04-01"),
    )
    assert out.basis == "UTC"
    assert out.rhythm_a.loc["Mon", 9] == 40 and int(out.rhythm_a.to_numpy().sum()) == 40
    assert out.rhythm_b.loc["Mon", 20] == 40
    a_items = out.items[out.items["segment"] == "A"]
    assert a_items["item"].tolist() == ["Alpha", "Gamma"]
    assert a_items["share"].tolist() == pytest.approx([0.75, 0.25])
    b_items = out.items[out.items["segment"] == "B"]
    assert b_items["item"].tolist() == ["Gamma", "b"]  # no text: the item id
    assert b_items["rank"].tolist() == [1, 2]


def test_masks_as_segments_and_main_interest(log):
    item_topic = _item_topic(log)
    fans = main_topic_mask(log, item_topic, ("x", "y"), "x")
    # u1 (30 x) and u3 (10 x) have x as main interest; u2 and u4 have y.
    assert int(fans.sum()) == 40
    out = compare_segments(log, item_topic, ("x", "y"), fans, ~fans)
    assert out.topics.set_index("topic").loc["x", ["share_a", "share_b"]].tolist() == [1.0, 0.0]
    with pytest.raises(InvalidInputError, match="a: expected an EventFilter or a boolean mask"):
        compare_segments(log, item_topic, ("x", "y"), np.ones(3, bool), ~fans)
    with pytest.raises(InvalidInputError, match="topic: expected one of"):
        main_topic_mask(log, item_topic, ("x", "y"), "z")


def test_an_empty_segment_is_not_significant(log):
    out = compare_segments(log, None, (), EventFilter(users=("nobody",)), EventFilter())
    assert out.n_a == 0 and not out.topics["significant"].any()
    assert out.rhythm_a.to_numpy().sum() == 0

"""The drift ranking straight from the events equals the ranking of the full timeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError
from core.interests.changes import RANKING_COLUMNS, change_ranking, drift_ranking
from core.interests.embeddings import EmbeddingSpec, ItemVectors, build_item_vectors
from core.interests.state import InterestSpec
from core.interests.timeline import timeline
from core.interests.topics import Topics, TopicSpec, find_topics
from core.sample import SampleSpec, generate, to_event_log
from core.schema import conform

T0 = pd.Timestamp("2026-03-02", tz="UTC")  # a Monday


def _three_items() -> tuple[ItemVectors, Topics]:
    """Items i0, i2 of topic "even" and i1 of topic "odd" (vectors do not enter the ranking)."""
    ids = ("i0", "i1", "i2")
    vectors = ItemVectors(ids, torch.eye(3), "text", "test", "hand-made")
    topics = Topics(
        item_topic=np.array([0, 1, 0]),
        labels=("even", "odd"),
        centroids=torch.zeros(2, 3),
        table=pd.DataFrame(),
        k=2,
        silhouette=float("nan"),
        item_ids=ids,
    )
    return vectors, topics


@pytest.fixture(scope="module")
def world():
    sample = generate(SampleSpec(seed=5, n_users=400, n_items=200, weeks=12, n_drifters=30))
    ev = to_event_log(sample)
    iv = build_item_vectors(ev, EmbeddingSpec(source="behaviour"))
    return ev, iv, find_topics(iv, ev, TopicSpec(k=6, device="cpu"))


@pytest.mark.parametrize(("period", "n"), [("W", 10_000), ("W", 7), ("D", 25), ("M", 0)])
def test_equals_the_ranking_of_the_timeline(world, period, n):
    ev, iv, topics = world
    spec = InterestSpec(period=period, device="cpu")
    want = drift_ranking(timeline(ev, iv, topics, spec), n=n)
    got = change_ranking(ev, iv, topics, spec, n=n)
    assert list(got.columns) == list(RANKING_COLUMNS)
    assert len(drift_ranking(timeline(ev, iv, topics, spec), n=10_000)) > 20  # not a trivial case
    assert len(got) == min(n, len(want))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_a_hand_made_switch_and_the_edges():
    iv, topics = _three_items()
    # a: "even" (i0) on two days, then "odd" (i1) on two days; b: one event, no boundary.
    rows = [
        ("a", "i0", 0.5),
        ("a", "i0", 7.5),
        ("a", "i1", 14.5),
        ("a", "i1", 28.5),
        ("b", "i2", 1),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "days"])
    ev = conform(frame.assign(ts=T0 + pd.to_timedelta(frame.pop("days"), unit="D")))
    got = change_ranking(ev, iv, topics, InterestSpec(device="cpu"))
    assert got["user_id"].tolist() == ["a"]
    row = got.iloc[0]
    assert (row["from_topic"], row["to_topic"], row["drift"]) == ("even", "odd", 1.0)
    # two days on each side: n_eff = 2 * 2 / 4 = 1, score = 1 - 0.5 / sqrt(1)
    assert row["score"] == pytest.approx(0.5)
    assert (row["n_before"], row["n_after"]) == (2, 2)
    assert row["change_ts"] == T0 + pd.Timedelta(days=11)  # midway between days 7.5 and 14.5
    assert row["change_period"] == T0 + pd.Timedelta(days=7)  # the week of 03-09
    assert change_ranking(ev.iloc[:0], iv, topics).empty
    with pytest.raises(InvalidInputError, match="n must be >= 0"):
        change_ranking(ev, iv, topics, n=-1)

"""Incremental interests equal a full recompute, whatever the split points (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.interests.embeddings import ItemVectors
from core.interests.state import InterestSpec, update, user_interests, user_vectors
from core.interests.timeline import timeline
from core.interests.topics import Topics
from core.schema import conform

N_ITEMS, DIM = 6, 8
_gen = torch.Generator().manual_seed(0)
IV = ItemVectors(
    tuple(f"i{j}" for j in range(N_ITEMS)),
    torch.nn.functional.normalize(torch.randn(N_ITEMS, DIM, generator=_gen), dim=1),
    "text",
    "test",
    "hand-made",
)
TOPICS = Topics(
    item_topic=np.array([0, 0, 1, 1, 2, 2]),
    labels=("t0", "t1", "t2"),
    centroids=torch.zeros(3, DIM),
    table=pd.DataFrame(),
    k=3,
    silhouette=float("nan"),
    item_ids=IV.item_ids,
)
EVENT = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(list(IV.item_ids)),
    st.floats(0, 200, allow_nan=False),  # days
    st.floats(0.1, 5.0, allow_nan=False),
)


def _log(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "days", "weight"])
    frame["ts"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(frame["days"], unit="D")
    return conform(frame.drop(columns="days"))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(EVENT, min_size=2, max_size=40),
    cuts=st.lists(st.floats(0, 1), min_size=1, max_size=3),
    half_life=st.floats(0.5, 60),
)
def test_incremental_equals_batch(rows, cuts, half_life) -> None:
    ev = _log(rows)  # sorted by time
    spec = InterestSpec(half_life_days=half_life, device="cpu")
    bounds = sorted({int(c * len(ev)) for c in cuts} | {len(ev)})
    bounds = [b for b in bounds if b > 0]
    state = user_interests(ev.iloc[: bounds[0]], IV, TOPICS, spec)
    for lo, hi in itertools.pairwise(bounds):
        state = update(state, ev.iloc[lo:hi], IV, TOPICS, spec)
    full = user_interests(ev, IV, TOPICS, spec)
    assert state.user_ids == full.user_ids
    torch.testing.assert_close(user_vectors(state)[1], user_vectors(full)[1], atol=1e-5, rtol=0)
    torch.testing.assert_close(state.topic_share, full.topic_share, atol=1e-5, rtol=0)
    torch.testing.assert_close(state.total, full.total, atol=1e-5, rtol=1e-5)


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(EVENT, min_size=1, max_size=40))
def test_timeline_shares_sum_to_one_and_rows_are_active_periods(rows) -> None:
    ev = _log(rows)
    tl = timeline(ev, IV, TOPICS, InterestSpec(device="cpu"))
    shares = tl[[f"share:{label}" for label in TOPICS.labels]].to_numpy()
    np.testing.assert_allclose(shares.sum(1), 1.0, atol=1e-9)
    assert tl["n_events"].sum() == len(ev)
    assert not tl.duplicated(["user_id", "period"]).any()
    assert tl.drop_duplicates("user_id")["drift"].isna().all()  # no previous period
    assert ((tl["drift"].dropna() >= 0) & (tl["drift"].dropna() <= 2)).all()

"""Invariants of recommendations: unseen, sorted, unique, at most k, same in batch and one by one."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.recsys import persist, recommend, train
from core.schema import conform

N_ITEMS = 10


def random_log(seed: int, n_events: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return conform(
        pd.DataFrame(
            {
                "user_id": "u" + pd.Series(rng.integers(0, 25, n_events)).astype(str),
                "item_id": "i" + pd.Series(rng.integers(0, N_ITEMS, n_events)).astype(str),
                "ts": pd.Timestamp("2026-03-01", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 30 * 86400, n_events), unit="s"),
                "lat": rng.uniform(48.0, 48.2, n_events),
                "lon": rng.uniform(2.2, 2.5, n_events),
            }
        )
    )


@pytest.fixture(scope="module")
def bundle() -> persist.ModelBundle:
    spec = train.TrainSpec(d_model=8, n_heads=1, n_layers=1, epochs=1, max_len=6, batch_size=32)
    vecs = torch.randn(N_ITEMS, 4, generator=torch.Generator().manual_seed(0))
    result = train.fit(random_log(0), vecs, [f"i{i}" for i in range(N_ITEMS)], spec)
    return persist.bundle_from(result)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    user=st.integers(0, 24),
    k=st.integers(1, 12),
    cut_day=st.one_of(st.none(), st.integers(0, 30)),
    near=st.one_of(st.none(), st.tuples(st.floats(48.0, 48.2), st.floats(2.2, 2.5))),
    w=st.tuples(st.floats(0.01, 1), st.floats(0, 1), st.floats(0, 1)),
)
def test_recommendations_are_unseen_sorted_unique_and_at_most_k(
    bundle, seed, user, k, cut_day, near, w
):
    events = random_log(seed)
    uid = f"u{user}"
    at = (
        None
        if cut_day is None
        else pd.Timestamp("2026-03-01", tz="UTC") + pd.Timedelta(days=cut_day)
    )
    weights = recommend.BlendWeights(*w)
    out = recommend.top_k(bundle, events, uid, k=k, at_time=at, near=near, weights=weights)
    hist = events[events["user_id"] == uid]
    if at is not None:
        hist = hist[hist["ts"] <= at]
    seen = set(hist["item_id"].astype(str))
    assert len(out) == min(k, N_ITEMS - len(seen))
    assert not set(out["item_id"]) & seen
    assert out["item_id"].is_unique
    assert out["score"].is_monotonic_decreasing
    assert out["score"].between(0, 1).all()
    batch = recommend.score_all_users(bundle, events, k=k, at_time=at, near=near, weights=weights)
    mine = batch[batch["user_id"] == uid]
    assert mine["item_id"].tolist() == out["item_id"].tolist()

"""New events folded into a loaded analysis: exact duplicates dropped and counted, interests and
timelines carried forward equal to a full recompute with the same vectors and topics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import schema
from core.arrivals import append_events
from core.atlas import AnalysisSpec, Atlas
from core.errors import InvalidInputError
from core.interests.state import user_interests
from core.interests.timeline import timeline


def _log(seed: int, start: str, days: int, n: int, users: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items = np.array([f"i{k}" for k in range(12)])
    return schema.conform(
        pd.DataFrame(
            {
                "user_id": [f"u{k}" for k in rng.integers(0, users, n)],
                "item_id": rng.choice(items, n),
                "ts": pd.Timestamp(start, tz="UTC")
                + pd.to_timedelta(rng.integers(0, days * 24 * 3600, n), unit="s"),
            }
        )
    )


def _three_rows() -> pd.DataFrame:
    return schema.conform(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "b"],
                "item_id": ["x", "y", "x"],
                "ts": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"], utc=True),
            }
        )
    )


def test_duplicates_are_dropped_and_counted() -> None:
    old = _three_rows()
    new = schema.conform(
        pd.DataFrame(
            {  # row 1 is old row 2; rows 2 and 3 are one row twice; row 4 is new to the log
                "user_id": ["a", "c", "c", "b"],
                "item_id": ["y", "z", "z", "y"],
                "ts": pd.to_datetime(
                    ["2026-01-02", "2026-01-04", "2026-01-04", "2026-01-05"], utc=True
                ),
            }
        )
    )
    combined, added, arrival = append_events(old, new, source="day2.csv")
    assert (arrival.rows, arrival.duplicates, arrival.added) == (4, 2, 2)
    assert (arrival.new_users, arrival.new_items) == (1, 1)  # user c, item z
    assert len(combined) == 5
    assert list(added["user_id"].astype(str)) == ["c", "b"]
    assert arrival.time_min == pd.Timestamp("2026-01-04", tz="UTC")
    assert arrival.time_max == pd.Timestamp("2026-01-05", tz="UTC")
    # old codes do not move: the old categories come first
    assert list(combined["item_id"].cat.categories) == ["x", "y", "z"]
    assert "2 of 4 events added (2 duplicates dropped)" in arrival.summary()


def test_a_batch_of_only_known_rows_adds_nothing() -> None:
    old = _three_rows()
    combined, added, arrival = append_events(old, old.copy())
    assert (arrival.added, arrival.duplicates, len(combined), len(added)) == (0, 3, 3, 0)


def test_a_frame_that_is_not_an_event_log_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="new_events: expected the canonical columns"):
        append_events(_three_rows(), pd.DataFrame({"a": [1]}))


@pytest.fixture(scope="module")
def folded() -> tuple[Atlas, Atlas]:
    base = Atlas(_log(1, "2026-03-02", 42, 900), AnalysisSpec(source="behaviour", k=3))
    base.interests()
    base.timeline("W")
    base.timeline("D", users=("u1", "u2"))
    # the next day, with some rows the log already has (exact duplicates)
    new = pd.concat([_log(2, "2026-04-13", 1, 120), base.events.tail(5)], ignore_index=True)
    return base, base.extend(new, source="day.csv")


def test_interests_carried_forward_equal_a_full_recompute(folded) -> None:
    base, nxt = folded
    arrival = nxt.arrivals[-1]
    assert arrival.incremental and arrival.duplicates >= 5 and arrival.added <= 120
    assert len(nxt.events) == len(base.events) + arrival.added
    assert nxt.item_vectors is base.item_vectors and nxt.topics is base.topics
    carried = nxt.interests()
    full = user_interests(nxt.events, base.item_vectors, base.topics, base.interest_spec())
    assert carried.user_ids == full.user_ids
    np.testing.assert_allclose(carried.mean.numpy(), full.mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(carried.topic_share.numpy(), full.topic_share.numpy(), atol=1e-5)
    np.testing.assert_allclose(carried.total.numpy(), full.total.numpy(), rtol=1e-5)
    assert carried.n_events.tolist() == full.n_events.tolist()
    assert carried.ref_time == full.ref_time


@pytest.mark.parametrize(("period", "users"), [("W", None), ("D", ("u1", "u2"))])
def test_timelines_carried_forward_equal_a_full_recompute(folded, period, users) -> None:
    base, nxt = folded
    carried = nxt.timeline(period, users)
    full = timeline(
        nxt.events,
        base.item_vectors,
        base.topics,
        base.interest_spec(period),
        users=None if users is None else list(users),
    )
    pd.testing.assert_frame_equal(carried, full, check_exact=False, rtol=1e-5, atol=1e-5)
    assert len(carried) > len(base.timeline(period, users))  # the timelines extend


def test_new_items_start_the_analysis_afresh_and_say_so() -> None:
    base = Atlas(_three_rows(), AnalysisSpec(source="behaviour", k=2))
    assert base.topic_info.labels  # computed before the batch arrives
    new = schema.conform(pd.DataFrame({"user_id": ["a"], "item_id": ["new"], "ts": ["2026-01-09"]}))
    nxt = base.extend(new)
    arrival = nxt.arrivals[-1]
    assert not arrival.incremental and "1 new items" in arrival.how
    assert "item_vectors" not in nxt.__dict__  # computed again over the combined log


def test_a_batch_with_its_categories_in_another_order_keeps_each_value() -> None:
    old = _three_rows()  # users a, b; items x, y
    new = schema.conform(
        pd.DataFrame(
            {
                "user_id": pd.Categorical(["b", "a", "q"], categories=["q", "b", "a"]),
                "item_id": pd.Categorical(["y", "x", "x"], categories=["y", "x"]),
                "ts": pd.to_datetime(["2026-01-04", "2026-01-05", "2026-01-06"], utc=True),
            }
        )
    )
    combined, _added, arrival = append_events(old, new)
    assert combined["user_id"].astype(str).tolist() == ["a", "a", "b", "b", "a", "q"]
    assert combined["item_id"].astype(str).tolist() == ["x", "y", "x", "y", "x", "x"]
    assert list(combined["user_id"].cat.categories) == ["a", "b", "q"]  # old codes kept
    assert (arrival.new_users, arrival.new_items, arrival.touched_users) == (1, 0, ("b", "a", "q"))

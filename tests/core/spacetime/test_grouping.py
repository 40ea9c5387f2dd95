"""Grouping: the one distinct-users count and the local/UTC time bins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.schema import conform
from core.spacetime.grouping import bin_events, distinct_count


def test_distinct_users_per_group_by_hand():
    group = np.array([0, 0, 0, 2, 2, 2])
    user = np.array([7, 7, 3, 3, 1, 3])
    # group 0: users {7, 3}; group 1: none; group 2: {3, 1}; group 3: none
    assert distinct_count(group, user, 4).tolist() == [2, 0, 2, 0]
    assert distinct_count(np.zeros(0, np.int64), np.zeros(0, np.int64), 2).tolist() == [0, 0]


def test_cycles_bin_in_local_time_and_periods_in_utc():
    frame = pd.DataFrame(
        {
            "user_id": ["u"],
            "item_id": ["a"],
            "ts": ["2026-03-02T14:00:00Z"],
            "tz_offset_min": [-300],
        }
    )
    events = conform(frame)
    how, _, basis = bin_events(events, "how")
    assert how.tolist() == [9] and basis == "local (offset column)"  # Monday 09:00 in New York
    day, labels, basis = bin_events(events, "D")
    assert day.tolist() == [0] and basis == "UTC"
    assert labels[0] == pd.Timestamp("2026-03-02", tz="UTC")

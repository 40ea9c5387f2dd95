import numpy as np
import pandas as pd
import pytest
from recsys_logs import cycle_log, hand_log

from core.errors import InvalidInputError
from core.recsys import sequences


def test_steps_collapse_consecutive_events_on_one_item():
    events = hand_log()
    vocab = sequences.build_vocab(events)
    steps = sequences.build_steps(events, vocab)
    items = vocab.items.to_numpy()[steps.item - 1]
    assert items.tolist() == ["A", "B", "A", "C", "C", "B"]
    assert steps.length.tolist() == [4, 2] and steps.start.tolist() == [0, 4]
    assert steps.purchase.tolist() == [False, False, True, False, False, False]
    assert vocab.events[steps.event[0] - 1] == "cart"  # the furthest stage of the first step
    # 2026-01-05 is a Monday; 10:00 UTC + 60 min = 11:00 local -> hour of week 11 (+1 for padding)
    assert steps.hour[0] == 12
    assert steps.gap[0] == 1 and steps.gap[1] > 1  # first step of a user: "no gap"
    uncollapsed = sequences.build_steps(events, vocab, collapse_repeats=False)
    assert uncollapsed.length.tolist() == [5, 2]


def test_steps_stop_at_at_time():
    events = hand_log()
    vocab = sequences.build_vocab(events)
    steps = sequences.build_steps(
        events, vocab, at_time=pd.Timestamp("2026-01-05 10:01:30", tz="UTC")
    )
    assert steps.length.tolist() == [2, 2]


def test_right_aligned_matches_brute_force():
    rng = np.random.default_rng(3)
    values = np.arange(1, 31)
    lo = rng.integers(0, 20, 15)
    hi = lo + rng.integers(0, 10, 15)
    got = sequences.right_aligned(values, lo, hi, 4)
    for r in range(15):  # checking a tiny result row by row, not computing it
        part = values[max(lo[r], hi[r] - 4) : hi[r]].tolist()
        assert got[r].tolist() == [0] * (4 - len(part)) + part


def test_splits_are_time_ordered_leave_one_out():
    events = hand_log()
    steps = sequences.build_steps(events, sequences.build_vocab(events))
    val, test = sequences.make_splits(steps)
    assert val.users.tolist() == [0] and test.users.tolist() == [0]  # user b has only 2 steps
    assert val.hi.tolist() == [2] and test.hi.tolist() == [3]
    assert val.targets(steps).tolist() == [0] and test.targets(steps).tolist() == [2]  # A, then C


def test_training_windows_cover_each_training_transition_once():
    events = cycle_log(n_users=5, length=11)
    steps = sequences.build_steps(events, sequences.build_vocab(events))
    lo, hi = sequences.training_windows(steps, 3)
    inputs = sequences.right_aligned(np.arange(len(steps.item)), lo, hi, 3)
    valid = sequences.right_aligned(np.ones(len(steps.item), dtype=int), lo, hi, 3) > 0
    got = sorted(inputs[valid].tolist())
    # training steps are all but the last two: inputs are steps 0..len-4 of each user
    expected = sorted((steps.start[u] + j) for u in range(5) for j in range(steps.length[u] - 3))
    assert got == expected


def test_a_naive_at_time_is_read_as_utc():
    # regression: build_steps(at_time=<naive>) raised TypeError comparing with UTC times
    events = hand_log()
    vocab = sequences.build_vocab(events)
    naive = sequences.build_steps(events, vocab, at_time=pd.Timestamp("2026-01-05 10:01:30"))
    text = sequences.build_steps(events, vocab, at_time="2026-01-05 10:01:30")
    # a: A (0 s, 30 s collapse) and B (90 s); b: C (50 s) and B (60 s) -> 2 steps each
    assert naive.length.tolist() == [2, 2] and text.length.tolist() == [2, 2]


def test_a_garbage_at_time_names_the_argument():
    events = hand_log()
    with pytest.raises(InvalidInputError, match="at_time: expected a timestamp"):
        sequences.build_steps(events, sequences.build_vocab(events), at_time="soon")


def test_ranges_concatenate_index_ranges():
    owner, index = sequences.ranges(np.array([3, 0, 7]), np.array([2, 0, 1]))
    assert owner.tolist() == [0, 0, 2] and index.tolist() == [3, 4, 7]

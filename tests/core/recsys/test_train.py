import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError, TooLittleDataError
from core.recsys import train
from core.schema import conform

TINY = train.TrainSpec(
    d_model=16,
    n_heads=1,
    n_layers=1,
    dropout=0.0,
    epochs=12,
    lr=1e-2,
    batch_size=16,
    max_len=8,
    patience=12,
)


def cycle_log(n_users: int = 60, n_items: int = 12, length: int = 7, seed: int = 0) -> pd.DataFrame:
    """Every user walks the cycle i0 -> i1 -> ... from a random start: a pure sequential habit."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, n_items, n_users)
    items = ((start[:, None] + np.arange(length)[None, :]) % n_items).ravel()
    user = np.repeat(np.arange(n_users), length)
    step = np.tile(np.arange(length), n_users)
    ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(user * 7 + step * 18000, unit="s")
    return conform(
        pd.DataFrame(
            {
                "user_id": "u" + pd.Series(user).astype(str),
                "item_id": "i" + pd.Series(items).astype(str),
                "ts": ts,
                "event": np.where(items % 3 == 0, "purchase", "view"),
                "item_text": "title " + pd.Series(items).astype(str),
            }
        )
    )


def hand_log() -> pd.DataFrame:
    t = pd.Timestamp("2026-01-05 10:00", tz="UTC")
    rows = [
        ("a", "A", 0, "view"),
        ("a", "A", 30, "cart"),  # same item right after: one step with the view
        ("a", "B", 90, "view"),
        ("a", "A", 200, "purchase"),  # A again, not consecutive: a new step
        ("a", "C", 400, "view"),
        ("b", "C", 50, "view"),
        ("b", "B", 60, "view"),
    ]
    return conform(
        pd.DataFrame(
            {
                "user_id": [r[0] for r in rows],
                "item_id": [r[1] for r in rows],
                "ts": [t + pd.Timedelta(seconds=r[2]) for r in rows],
                "event": [r[3] for r in rows],
                "tz_offset_min": 60.0,
            }
        )
    )


def test_steps_collapse_consecutive_events_on_one_item():
    events = hand_log()
    vocab = train.build_vocab(events)
    steps = train.build_steps(events, vocab)
    items = vocab.items.to_numpy()[steps.item - 1]
    assert items.tolist() == ["A", "B", "A", "C", "C", "B"]
    assert steps.length.tolist() == [4, 2] and steps.start.tolist() == [0, 4]
    assert steps.purchase.tolist() == [False, False, True, False, False, False]
    assert vocab.events[steps.event[0] - 1] == "cart"  # the furthest stage of the first step
    # 2026-01-05 is a Monday; 10:00 UTC + 60 min = 11:00 local -> hour of week 11 (+1 for padding)
    assert steps.hour[0] == 12
    assert steps.gap[0] == 1 and steps.gap[1] > 1  # first step of a user: "no gap"
    uncollapsed = train.build_steps(events, vocab, collapse_repeats=False)
    assert uncollapsed.length.tolist() == [5, 2]


def test_steps_stop_at_at_time():
    events = hand_log()
    vocab = train.build_vocab(events)
    steps = train.build_steps(events, vocab, at_time=pd.Timestamp("2026-01-05 10:01:30", tz="UTC"))
    assert steps.length.tolist() == [2, 2]


def test_right_aligned_matches_brute_force():
    rng = np.random.default_rng(3)
    values = np.arange(1, 31)
    lo = rng.integers(0, 20, 15)
    hi = lo + rng.integers(0, 10, 15)
    got = train.right_aligned(values, lo, hi, 4)
    for r in range(15):  # checking a tiny result row by row, not computing it
        part = values[max(lo[r], hi[r] - 4) : hi[r]].tolist()
        assert got[r].tolist() == [0] * (4 - len(part)) + part


def test_splits_are_time_ordered_leave_one_out():
    events = hand_log()
    steps = train.build_steps(events, train.build_vocab(events))
    val, test = train.make_splits(steps)
    assert val.users.tolist() == [0] and test.users.tolist() == [0]  # user b has only 2 steps
    assert val.hi.tolist() == [2] and test.hi.tolist() == [3]
    assert val.targets(steps).tolist() == [0] and test.targets(steps).tolist() == [2]  # A, then C


def test_training_windows_cover_each_training_transition_once():
    events = cycle_log(n_users=5, length=11)
    steps = train.build_steps(events, train.build_vocab(events))
    lo, hi = train.training_windows(steps, 3)
    inputs = train.right_aligned(np.arange(len(steps.item)), lo, hi, 3)
    valid = train.right_aligned(np.ones(len(steps.item), dtype=int), lo, hi, 3) > 0
    got = sorted(inputs[valid].tolist())
    # training steps are all but the last two: inputs are steps 0..len-4 of each user
    expected = sorted((steps.start[u] + j) for u in range(5) for j in range(steps.length[u] - 3))
    assert got == expected


def test_fit_learns_a_planted_sequential_habit_and_beats_popularity():
    events = cycle_log()
    result = train.train_and_compare(events, spec=TINY)
    report = result.report.set_index("model")
    seq = report.loc["sequence model (SASRec)", "NDCG@10"]
    assert seq > 0.9
    assert seq > 1.5 * report.loc["most popular", "NDCG@10"]
    assert report.loc["sequence model (SASRec)", "protocol"].startswith(
        "time-ordered leave-one-out"
    )
    assert "purchase propensity (same encoder)" in report.index
    assert result.history[-1][0] == len(result.history)


def test_training_is_reproducible_with_a_seed():
    events = cycle_log(n_users=20)
    spec = train.TrainSpec(**{**TINY.__dict__, "epochs": 2})
    a = train.fit(events, spec=spec)
    b = train.fit(events, spec=spec)
    assert [h[1] for h in a.history] == [h[1] for h in b.history]


def test_callback_reports_progress_and_can_cancel():
    events = cycle_log(n_users=20)
    seen = []

    def callback(epoch, loss, metric, eta):
        seen.append((epoch, loss, metric, eta))
        return False

    result = train.fit(events, spec=TINY, callback=callback)
    assert result.stopped == "cancelled" and len(seen) == 1
    assert seen[0][0] == 1 and seen[0][3] >= 0


def test_item_vectors_are_aligned_by_id_and_used():
    events = cycle_log(n_users=20)
    ids = [f"i{i}" for i in range(12)][::-1]
    vecs = torch.nn.functional.normalize(torch.randn(12, 5), dim=1)
    spec = train.TrainSpec(**{**TINY.__dict__, "epochs": 1})
    result = train.fit(events, vecs, ids, spec)
    assert result.config.text_dim == 5
    row = list(result.vocab.items).index("i3")
    torch.testing.assert_close(result.item_vectors[row], vecs[ids.index("i3")])


def test_sampled_softmax_and_exclude_seen_run():
    events = cycle_log(n_users=20)
    spec = train.TrainSpec(
        **{**TINY.__dict__, "epochs": 2, "loss": "sampled", "n_negatives": 4, "exclude_seen": True}
    )
    result = train.fit(events, spec=spec)
    report = train.evaluate(result, events, "validation")
    assert "seen items excluded" in report.loc[0, "protocol"]


def test_too_little_data_and_bad_specs_are_explained():
    events = hand_log()
    with pytest.raises(TooLittleDataError, match="3 or more steps"):
        train.fit(events[events["user_id"] == "b"])
    with pytest.raises(InvalidInputError, match="loss"):
        train.fit(events, spec=train.TrainSpec(loss="bpr"))
    with pytest.raises(InvalidInputError, match="split"):
        train.evaluate(None, events, "train")  # type: ignore[arg-type]


def test_on_the_bundled_sample_the_model_beats_popularity_and_item_knn():
    from core.sample import bundled_event_log

    events = bundled_event_log()
    spec = train.TrainSpec.fast(epochs=3)
    result = train.train_and_compare(events, spec=spec)
    report = result.report.set_index("model")["NDCG@10"]
    seq = report["sequence model (SASRec)"]
    assert seq >= 1.5 * report["most popular"]
    assert seq > report["item-kNN (co-occurrence)"]

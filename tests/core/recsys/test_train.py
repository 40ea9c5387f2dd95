import pytest
import torch
from recsys_logs import TINY, cycle_log, hand_log

from core.errors import InvalidInputError, TooLittleDataError
from core.recsys import evaluate, train


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


def test_too_little_data_and_bad_specs_are_explained():
    events = hand_log()
    with pytest.raises(TooLittleDataError, match="3 or more steps"):
        train.fit(events[events["user_id"] == "b"])
    with pytest.raises(InvalidInputError, match="loss"):
        train.fit(events, spec=train.TrainSpec(loss="bpr"))
    with pytest.raises(
        InvalidInputError, match=r"id_dropout: expected a share in \[0, 1\), found 1.0"
    ):
        train.fit(events, spec=train.TrainSpec(id_dropout=1.0))
    with pytest.raises(InvalidInputError, match="split"):
        evaluate.compare(None, events, "train")  # type: ignore[arg-type]


def test_on_the_bundled_sample_the_model_beats_popularity_and_item_knn():
    from core.sample import bundled_event_log

    events = bundled_event_log()
    spec = train.TrainSpec.fast(epochs=3)
    result = train.train_and_compare(events, spec=spec)
    report = result.report.set_index("model")["NDCG@10"]
    seq = report["sequence model (SASRec)"]
    assert seq >= 1.5 * report["most popular"]
    assert seq > report["item-kNN (co-occurrence)"]


def test_for_log_narrows_the_model_below_five_thousand_events():
    small, large = train.TrainSpec.for_log(4_999), train.TrainSpec.for_log(5_000)
    assert (small.d_model, small.batch_size) == (32, 64)
    assert (small.lr, small.warmup_steps) == (2e-3, 0)  # too few steps to warm up over
    assert large == train.TrainSpec()
    assert (large.d_model, large.lr, large.warmup_steps) == (64, 5e-3, 200)
    assert train.TrainSpec.fast().warmup_steps == 0
    assert train.TrainSpec.for_log(10, epochs=3).epochs == 3
    with pytest.raises(InvalidInputError, match="n_events: expected >= 0, found -1"):
        train.TrainSpec.for_log(-1)


def test_model_key_changes_with_everything_that_decides_the_model():
    vecs = torch.eye(3)
    ids = ["a", "b", "c"]
    key = train.model_key("fp", TINY, vecs, ids)
    assert key == train.model_key("fp", TINY, vecs.clone(), list(ids))  # stable
    assert len(key) == 32
    others = {
        "data": train.model_key("fp2", TINY, vecs, ids),
        "spec": train.model_key(
            "fp", train.TrainSpec(**{**TINY.__dict__, "d_model": 8}), vecs, ids
        ),
        "time limit": train.model_key(
            "fp", train.TrainSpec(**{**TINY.__dict__, "max_seconds": 60.0}), vecs, ids
        ),
        "text toggle": train.model_key("fp", TINY),
        "vectors": train.model_key("fp", TINY, vecs * 2, ids),
        "ids": train.model_key("fp", TINY, vecs, ids[::-1]),
        "session": train.model_key("fp", TINY, vecs, ids, salt="session 2"),
    }
    assert key not in others.values()
    assert len(set(others.values())) == len(others)


def test_item_id_dropout_is_auto_where_items_have_no_training_event():
    # cycle_log: 12 items, every one trained. Without the training events on i5 and i6 (2 of 12
    # items, 17 % >= 5 %) auto turns on; ID-only never drops; an explicit share always wins.
    from core.recsys.newitems import without_training_interactions

    events = cycle_log(n_users=30)
    vecs = torch.nn.functional.normalize(torch.randn(12, 5), dim=1)
    ids = [f"i{i}" for i in range(12)]
    spec = train.TrainSpec(**{**TINY.__dict__, "epochs": 1})
    reduced = without_training_interactions(events, ["i5", "i6"]).events
    assert train.fit(events, vecs, ids, spec).id_dropout == 0.0
    assert train.fit(reduced, vecs, ids, spec).id_dropout == train.AUTO_ID_DROPOUT
    assert train.fit(reduced, spec=spec).id_dropout == 0.0
    explicit = train.TrainSpec(**{**spec.__dict__, "id_dropout": 0.05})
    assert train.fit(reduced, vecs, ids, explicit).id_dropout == 0.05
    assert train.fit(events, vecs, ids, explicit).id_dropout == 0.05

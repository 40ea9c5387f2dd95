import torch
from recsys_logs import TINY, cycle_log, hand_log

from core.recsys import evaluate, sequences, train


def test_sampled_softmax_and_exclude_seen_run():
    events = cycle_log(n_users=20)
    spec = train.TrainSpec(
        **{**TINY.__dict__, "epochs": 2, "loss": "sampled", "n_negatives": 4, "exclude_seen": True}
    )
    result = train.fit(events, spec=spec)
    report = evaluate.compare(result, events, "validation")
    assert "seen items excluded" in report.loc[0, "protocol"]


def test_baselines_never_recommend_the_latest_step_item_when_repeats_collapse():
    # user a's test history is A, B, A: the next step cannot be A again (it would be the same step)
    events = hand_log()
    vocab = sequences.build_vocab(events)
    steps = sequences.build_steps(events, vocab)
    _, test = sequences.make_splits(steps)
    device = torch.device("cpu")
    args = (steps, test, 3, device, False, evaluate.BASELINES, None, 14.0)
    a = vocab.items.get_loc("A")
    collapsed = evaluate._baseline_scorers(*args, True)[evaluate.MOST_POPULAR](slice(0, 1))
    kept = evaluate._baseline_scorers(*args, False)[evaluate.MOST_POPULAR](slice(0, 1))
    assert torch.isneginf(collapsed[0, a]) and bool(torch.isfinite(kept).all())
    # most popular over the training part (a: A, B, A; b: C, B): A 2, B 2, C 1
    assert kept[0].tolist() == [2.0, 2.0, 1.0]


def test_segments_report_only_the_users_whose_target_is_in_the_segment():
    events = cycle_log(n_users=20)
    spec = train.TrainSpec(**{**TINY.__dict__, "epochs": 1, "propensity": False})
    result = train.fit(events, spec=spec)
    report = evaluate.compare(result, events, segments={"i0 only": ["i0"]})
    steps = sequences.build_steps(events, result.vocab)
    _, test = sequences.make_splits(steps)
    n_i0 = int((result.vocab.items[test.targets(steps)] == "i0").sum())
    seg = report[report["segment"] == "i0 only"]
    assert set(seg["model"]) == set(report.loc[report["segment"] == "all", "model"])
    assert (seg["n_users"] == n_i0).all() and (
        report.loc[report["segment"] == "all", "n_users"] == 20
    ).all()

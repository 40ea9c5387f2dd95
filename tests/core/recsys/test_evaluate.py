from recsys_logs import TINY, cycle_log

from core.recsys import evaluate, train


def test_sampled_softmax_and_exclude_seen_run():
    events = cycle_log(n_users=20)
    spec = train.TrainSpec(
        **{**TINY.__dict__, "epochs": 2, "loss": "sampled", "n_negatives": 4, "exclude_seen": True}
    )
    result = train.fit(events, spec=spec)
    report = evaluate.compare(result, events, "validation")
    assert "seen items excluded" in report.loc[0, "protocol"]

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from recsys_logs import TINY, cycle_items, item_titles, walk_log

from core.errors import InvalidInputError
from core.recsys import persist, recommend, train
from core.schema import conform

N_ITEMS = 12


def cycle_log(n_users: int = 40, length: int = 6) -> pd.DataFrame:
    """Users walk i0 -> i1 -> ... ; item k sits k km north of Berlin's centre."""
    return walk_log(
        cycle_items(np.random.default_rng(1), n_users, N_ITEMS, length),
        step_s=3600,
        item_text=item_titles,
        lat=lambda i: 52.52 + i * (1 / 111.2),
        lon=13.405,
    )


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return cycle_log()


@pytest.fixture(scope="module")
def bundle(events) -> persist.ModelBundle:
    spec = dataclasses.replace(TINY, epochs=10, patience=10)
    vecs = torch.nn.functional.normalize(
        torch.randn(N_ITEMS, 6, generator=torch.Generator().manual_seed(0)), dim=1
    )
    result = train.fit(events, vecs, [f"i{i}" for i in range(N_ITEMS)], spec)
    return persist.bundle_from(result, {f"i{i}": f"topic {i % 2}" for i in range(N_ITEMS)})


def history(events: pd.DataFrame, user: str) -> pd.DataFrame:
    return events[events["user_id"] == user]


def test_top_k_returns_unseen_items_best_first_with_all_columns(bundle, events):
    out = recommend.top_k(bundle, events, "u3", k=4)
    assert list(out.columns) == list(recommend.COLUMNS)
    assert len(out) == 4
    assert not set(out["item_id"]) & set(history(events, "u3")["item_id"].astype(str))
    assert out["score"].is_monotonic_decreasing
    assert out["geo_score"].eq(0).all()  # no location given
    assert "0.6·sequence" in out.attrs["blend"] and out.attrs["weights"]["interest"] == 0.3


def test_the_planted_next_item_comes_first(bundle, events):
    h = history(events, "u5")
    last = int(h.sort_values("ts")["item_id"].astype(str).iloc[-1][1:])
    out = recommend.top_k(bundle, events, "u5", k=3, weights=recommend.BlendWeights(1.0, 0.0, 0.0))
    assert out["item_id"].iloc[0] == f"i{(last + 1) % N_ITEMS}"


def test_reasons_name_past_events_with_times_and_the_topic(bundle, events):
    out = recommend.top_k(bundle, events, "u2", k=3)
    h = history(events, "u2")
    seen = set(h["item_id"].astype(str))
    for reason, items, topic in zip(out["reason"], out["reason_items"], out["topic"], strict=True):
        assert reason.startswith("after 'title ")
        assert f"topic: {topic}" in reason
        named = [part.split(" @ ")[0] for part in items.split("; ")]
        assert 1 <= len(named) <= recommend.REASON_STEPS and set(named) <= seen
        assert "2026-01-01" in items


def test_at_time_uses_only_earlier_history(bundle, events):
    h = history(events, "u7").sort_values("ts")
    cut = h["ts"].iloc[2]
    out = recommend.top_k(bundle, events, "u7", k=N_ITEMS, at_time=cut)
    later = set(h["item_id"].astype(str).iloc[3:])
    assert later <= set(out["item_id"])  # items seen only after the cut are still candidates
    assert len(out) == N_ITEMS - 3


def test_near_blends_in_proximity(bundle, events):
    item_far = recommend.top_k(bundle, events, "u1", k=N_ITEMS, near=(52.52 + 11 / 111.2, 13.405))
    geo = item_far.set_index("item_id")["geo_score"]
    nearest_unseen = max(geo.index, key=lambda i: int(i[1:]))  # item k lies k km north
    assert geo.idxmax() == nearest_unseen
    assert (geo > 0).all()
    assert "0.1·geo" in item_far.attrs["blend"]


def test_unknown_user_and_bad_arguments_are_explained(bundle, events):
    with pytest.raises(InvalidInputError, match="user: expected a user id"):
        recommend.top_k(bundle, events, "nobody")
    with pytest.raises(InvalidInputError, match="k: expected"):
        recommend.top_k(bundle, events, "u1", k=0)
    with pytest.raises(InvalidInputError, match=r"weights\.geo"):
        recommend.top_k(bundle, events, "u1", weights=recommend.BlendWeights(geo=-1))
    with pytest.raises(InvalidInputError, match="near"):
        recommend.top_k(bundle, events, "u1", near=(123.0, 0.0))


def test_score_all_users_matches_top_k_user_by_user(bundle, events):
    everyone = recommend.score_all_users(bundle, events, k=3, batch_size=7)
    assert len(everyone) == 3 * events["user_id"].nunique()
    assert everyone.groupby("user_id")["rank"].apply(list).map(lambda r: r == [1, 2, 3]).all()
    one = recommend.top_k(bundle, events, "u9", k=3)
    mine = everyone[everyone["user_id"] == "u9"].reset_index(drop=True)
    assert mine["item_id"].tolist() == one["item_id"].tolist()
    np.testing.assert_allclose(mine["score"], one["score"], rtol=1e-5)
    assert mine["reason"].tolist() == one["reason"].tolist()


def test_a_user_who_saw_everything_gets_an_empty_table(bundle):
    t = pd.Timestamp("2026-02-01", tz="UTC")
    seen_all = conform(
        pd.DataFrame(
            {
                "user_id": "u0",
                "item_id": [f"i{i}" for i in range(N_ITEMS)],
                "ts": [t + pd.Timedelta(minutes=i) for i in range(N_ITEMS)],
            }
        )
    )
    out = recommend.top_k(bundle, seen_all, "u0", k=5)
    assert out.empty and list(out.columns) == list(recommend.COLUMNS)


def test_cli_trains_then_recommends(tmp_path, capsys):
    from core.__main__ import main

    csv = tmp_path / "events.csv"
    cycle_log().assign(event="view").to_csv(csv, index=False)
    out = tmp_path / "model"
    assert (
        main(["train", str(csv), "--out", str(out), "--epochs", "2", "--text", "none", "--quiet"])
        == 0
    )
    assert {"model.safetensors", "model.json", "report.csv", "history.csv"} <= {
        p.name for p in out.iterdir()
    }
    assert "sequence model (SASRec)" in pd.read_csv(out / "report.csv")["model"].tolist()
    capsys.readouterr()
    assert main(["recommend", str(out), "--user", "u3", "-k", "3"]) == 0
    printed = capsys.readouterr().out
    assert "score = (0.6·sequence + 0.3·interest)" in printed and "after 'title" in printed


def test_score_shares_add_up_to_the_score_and_follow_the_weights(bundle, events):
    near = (52.52 + 11 / 111.2, 13.405)
    out = recommend.top_k(bundle, events, "u1", k=N_ITEMS, near=near)
    total = out["seq_share"] + out["interest_share"] + out["geo_share"]
    np.testing.assert_allclose(total, out["score"], atol=1e-6)
    # Each share is its weight (0.6, 0.3, 0.1 of 1.0) times a part scaled into [0, 1].
    assert out["seq_share"].between(0, 0.6 + 1e-6).all()
    assert out["interest_share"].between(0, 0.3 + 1e-6).all()
    assert out["geo_share"].between(0, 0.1 + 1e-6).all()
    assert out["seq_share"].max() == pytest.approx(
        0.6, abs=1e-6
    )  # the best unseen item by sequence
    alone = recommend.top_k(bundle, events, "u1", k=3)
    assert alone["geo_share"].eq(0).all()


def test_cli_new_items_adds_the_segment_rows_to_the_report(tmp_path, capsys):
    from core.__main__ import main

    csv = tmp_path / "events.csv"
    cycle_log(n_users=80).assign(event="view").to_csv(csv, index=False)
    out = tmp_path / "model"
    args = ["train", str(csv), "--out", str(out), "--epochs", "2", "--new-items", "--id-dropout"]
    assert main([*args, "0.2"]) == 0
    printed = capsys.readouterr().out
    report = pd.read_csv(out / "report.csv")
    assert set(report["segment"].dropna()) == {"all", "new items"}
    new = report[report["segment"] == "new items"].set_index("model")
    assert {"sequence model (SASRec)", "sequence model (ID-only)", "most popular"} <= set(new.index)
    assert "new-item split: 1 of 12 items (seed 0)" in new["protocol"].iloc[0]
    assert "test users whose next item is new" in printed

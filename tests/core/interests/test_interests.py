"""User interests: hand-computed decayed means, a float64 reference, incremental == batch, drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError
from core.interests.embeddings import EmbeddingSpec, ItemVectors, build_item_vectors
from core.interests.state import InterestSpec, topic_shares, update, user_interests, user_vectors
from core.interests.text_encoder import EncoderSpec
from core.interests.timeline import TIMELINE_COLUMNS, drift_ranking, timeline
from core.interests.topics import Topics, TopicSpec, find_topics
from core.sample import SampleSpec, bundled_event_log, bundled_truth, generate, to_event_log
from core.schema import conform

T0 = pd.Timestamp("2026-03-02", tz="UTC")  # a Monday


def tiny_world(n_items: int = 3, d: int = 4, seed: int = 0) -> tuple[ItemVectors, Topics]:
    gen = torch.Generator().manual_seed(seed)
    vec = torch.nn.functional.normalize(torch.randn(n_items, d, generator=gen), dim=1)
    ids = tuple(f"i{j}" for j in range(n_items))
    iv = ItemVectors(ids, vec, "text", "test", "hand-made")
    item_topic = np.arange(n_items) % 2
    topics = Topics(
        item_topic=item_topic,
        labels=("even", "odd"),
        centroids=torch.zeros(2, d),
        table=pd.DataFrame(),
        k=2,
        silhouette=float("nan"),
        item_ids=ids,
    )
    return iv, topics


def log(rows: list[tuple[str, str, float, float]] | list[tuple[str, str, float]]) -> pd.DataFrame:
    """rows: (user, item, days after T0, weight), or (user, item, days after T0) for weight 1."""
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "days", "weight"][: len(rows[0])])
    if "weight" not in frame:
        frame["weight"] = 1.0
    frame["ts"] = T0 + pd.to_timedelta(frame["days"], unit="D")
    return conform(frame.drop(columns="days"))


def test_interest_vector_matches_hand_computation() -> None:
    iv, topics = tiny_world()
    ev = log([("a", "i0", 0.0, 1.0), ("a", "i1", 14.0, 2.0), ("b", "i2", 7.0, 1.0)])
    state = user_interests(ev, iv, topics, InterestSpec(half_life_days=14.0, device="cpu"))
    assert state.user_ids == ("a", "b")
    assert state.ref_time == T0 + pd.Timedelta(days=14)
    # a at day 14: i0 weighs 1 * 2**-1 = 0.5, i1 weighs 2; total 2.5.
    v = iv.vectors
    expected_a = (0.5 * v[0] + 2.0 * v[1]) / 2.5
    torch.testing.assert_close(state.mean[0], expected_a)
    assert state.total[0].item() == pytest.approx(2.5)
    assert state.total[1].item() == pytest.approx(2**-0.5)
    torch.testing.assert_close(state.topic_share[0], torch.tensor([0.2, 0.8], dtype=torch.float64))
    _, unit = user_vectors(state)
    torch.testing.assert_close(unit[0], expected_a / expected_a.norm())
    shares = topic_shares(state).set_index("user_id")
    assert shares.loc["a", "share:odd"] == pytest.approx(0.8)
    assert shares.loc["b", "top_topic"] == "even"
    assert shares.loc["a", "n_events"] == 2


def test_at_ignores_later_events() -> None:
    iv, topics = tiny_world()
    ev = log([("a", "i0", 0.0, 1.0), ("a", "i1", 14.0, 2.0)])
    state = user_interests(ev, iv, topics, InterestSpec(device="cpu"), at=T0 + pd.Timedelta(days=7))
    torch.testing.assert_close(state.mean[0], iv.vectors[0])
    assert state.total[0].item() == pytest.approx(2**-0.5)


def test_naive_at_is_taken_as_utc() -> None:
    # Regression: a naive timestamp (or a date string) raised TypeError from tz_convert.
    iv, topics = tiny_world()
    ev = log([("a", "i0", 0.0, 1.0), ("a", "i1", 14.0, 2.0)])
    spec = InterestSpec(device="cpu")
    for at in ("2026-03-09", pd.Timestamp("2026-03-09"), "2026-03-09T00:00:00"):
        state = user_interests(ev, iv, topics, spec, at=at)
        assert state.ref_time == pd.Timestamp("2026-03-09", tz="UTC")
        # Day 7 of a 14-day half-life: only i0, weighing 2 ** -0.5.
        assert state.total[0].item() == pytest.approx(2**-0.5)
    aware = user_interests(ev, iv, topics, spec, at=pd.Timestamp("2026-03-09 01:00", tz="+01:00"))
    assert aware.ref_time == pd.Timestamp("2026-03-09", tz="UTC")


def test_garbage_at_is_a_clear_error() -> None:
    iv, topics = tiny_world()
    ev = log([("a", "i0", 0.0, 1.0)])
    with pytest.raises(InvalidInputError, match=r"at: expected a timestamp .*found 'garbage'"):
        user_interests(ev, iv, topics, InterestSpec(device="cpu"), at="garbage")


def test_topic_named_like_a_fixed_column_does_not_collide() -> None:
    # Topics labelled "weight" and "drift": their shares live in share:<label> columns.
    iv, topics = tiny_world()
    topics = Topics(
        item_topic=topics.item_topic,
        labels=("weight", "drift"),
        centroids=topics.centroids,
        table=topics.table,
        k=2,
        silhouette=float("nan"),
        item_ids=topics.item_ids,
    )
    ev = log([("a", "i0", 0.0, 1.0), ("a", "i1", 0.0, 3.0), ("a", "i1", 8.0, 1.0)])
    spec = InterestSpec(half_life_days=14.0, device="cpu")
    tl = timeline(ev, iv, topics, spec)
    assert list(tl.columns) == [*TIMELINE_COLUMNS, "share:weight", "share:drift"]
    # Week 1 (ends day 7): i0 1 * 2**(-7/14), i1 3 * 2**(-7/14): shares 1/4 and 3/4.
    assert tl["share:weight"][0] == pytest.approx(0.25)
    assert tl["share:drift"][0] == pytest.approx(0.75)
    assert tl["weight"][0] == pytest.approx(4 * 2**-0.5)
    shares = topic_shares(user_interests(ev, iv, topics, spec))
    fixed = ["user_id", "n_events", "weight", "top_topic"]
    assert list(shares.columns) == [*fixed, "share:weight", "share:drift"]


def test_equals_float64_reference_on_random_log() -> None:
    rng = np.random.default_rng(5)
    iv, topics = tiny_world(n_items=20, d=16, seed=2)
    n = 3000
    rows = list(
        zip(
            rng.choice([f"u{j}" for j in range(50)], n),
            rng.choice(list(iv.item_ids), n),
            rng.uniform(0, 120, n),
            rng.uniform(0.5, 5.0, n),
            strict=True,
        )
    )
    ev = log(rows)
    spec = InterestSpec(half_life_days=10.0, device="cpu")
    state = user_interests(ev, iv, topics, spec)
    # Brute force in float64 numpy, one groupby.
    ts = ev["ts"]
    age = (ts.max() - ts).dt.total_seconds().to_numpy() / 86400.0
    dw = ev["weight"].to_numpy() * 0.5 ** (age / 10.0)
    item_pos = pd.Index(iv.item_ids).get_indexer(ev["item_id"].astype(str))
    vec64 = iv.vectors.double().numpy()[item_pos]
    frame = pd.DataFrame(vec64 * dw[:, None]).assign(
        user=ev["user_id"].astype(str).to_numpy(), w=dw
    )
    frame["odd"] = dw * (item_pos % 2)
    sums = frame.groupby("user").sum()
    expected = sums[list(range(16))].to_numpy() / sums["w"].to_numpy()[:, None]
    assert list(sums.index) == list(state.user_ids)
    np.testing.assert_allclose(state.mean.numpy(), expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(
        state.topic_share[:, 1].numpy(), (sums["odd"] / sums["w"]).to_numpy(), atol=1e-9
    )


def test_update_equals_full_recompute() -> None:
    iv, topics = tiny_world()
    ev = log(
        [
            ("a", "i0", 0.0, 1.0),
            ("b", "i1", 3.0, 2.0),
            ("a", "i2", 9.0, 1.0),
            ("c", "i1", 20.0, 3.0),
            ("a", "i1", 30.0, 1.0),
        ]
    )
    spec = InterestSpec(device="cpu")
    old, new = ev.iloc[:2], ev.iloc[2:]
    inc = update(user_interests(old, iv, topics, spec), new, iv, topics, spec)
    full = user_interests(ev, iv, topics, spec)
    assert inc.user_ids == full.user_ids and inc.ref_time == full.ref_time
    torch.testing.assert_close(inc.mean, full.mean, atol=1e-5, rtol=0)
    torch.testing.assert_close(inc.topic_share, full.topic_share, atol=1e-9, rtol=0)
    torch.testing.assert_close(inc.total, full.total, atol=1e-9, rtol=1e-9)
    assert inc.n_events.tolist() == full.n_events.tolist()
    assert (inc.last_ts == full.last_ts).all()


def test_update_rejects_other_half_life() -> None:
    iv, topics = tiny_world()
    ev = log([("a", "i0", 0.0, 1.0)])
    state = user_interests(ev, iv, topics, InterestSpec(half_life_days=14, device="cpu"))
    with pytest.raises(InvalidInputError, match="half_life_days must match the state's 14"):
        update(state, ev, iv, topics, InterestSpec(half_life_days=7, device="cpu"))


def test_unknown_item_is_reported() -> None:
    iv, topics = tiny_world()
    ev = log([("a", "zzz", 0.0, 1.0)])
    with pytest.raises(InvalidInputError, match=r"1 item\(s\) without a vector, e.g. \['zzz'\]"):
        user_interests(ev, iv, topics, InterestSpec(device="cpu"))


def test_timeline_rows_drift_and_last_state() -> None:
    iv, topics = tiny_world()
    # a: two weeks on i0, then i1 in week 3; nothing in week 4; i1 again in week 5.
    ev = log(
        [
            ("a", "i0", 0.5),
            ("a", "i0", 7.5),
            ("a", "i1", 14.5),
            ("a", "i1", 28.5),
            ("b", "i2", 1.0),
        ]
    )
    spec = InterestSpec(half_life_days=7.0, device="cpu")
    tl = timeline(ev, iv, topics, spec, with_vectors=True)
    a = tl[tl["user_id"] == "a"].reset_index(drop=True)
    weeks = pd.DatetimeIndex(a["period"]).tz_convert(None)
    assert list(weeks.strftime("%m-%d")) == ["03-02", "03-09", "03-16", "03-30"]
    assert np.isnan(a["drift"][0]) and a["drift"][1] == pytest.approx(0.0, abs=1e-7)
    # Week 3 by hand: at its end (day 21) i0 weighs 2**(-20.5/7) + 2**(-13.5/7), i1 2**(-6.5/7).
    v = iv.vectors.double()
    w0 = 2 ** (-20.5 / 7) + 2 ** (-13.5 / 7)
    w1 = 2 ** (-6.5 / 7)
    mix = w0 * v[0] + w1 * v[1]
    cos = float(mix @ v[0] / mix.norm())
    assert a["drift"][2] == pytest.approx(1 - cos, abs=1e-6)
    assert a["share:odd"][2] == pytest.approx(w1 / (w0 + w1), abs=1e-9)
    # The last row equals the state at the end of its period.
    state = user_interests(ev, iv, topics, spec, at=a["period_end"].iloc[-1])
    torch.testing.assert_close(
        torch.from_numpy(a["vector"].iloc[-1]), user_vectors(state)[1][0], atol=1e-6, rtol=0
    )
    # The change: topic "even" for two weeks, then "odd" (day boundary in week 3).
    best = drift_ranking(tl, n=5).set_index("user_id")
    assert best.loc["a", "from_topic"] == "even" and best.loc["a", "to_topic"] == "odd"
    assert best.loc["a", "drift"] == pytest.approx(1.0)
    assert best.loc["a", "change_start"] == T0 + pd.Timedelta(days=7.5)
    assert best.loc["a", "change_end"] == T0 + pd.Timedelta(days=14.5)
    assert "b" not in best.index  # one event: no boundary to rank


def test_timeline_for_selected_users_and_empty() -> None:
    iv, topics = tiny_world()
    ev = log([("a", "i0", 0.5, 1.0), ("b", "i1", 1.0, 1.0)])
    spec = InterestSpec(device="cpu")
    assert set(timeline(ev, iv, topics, spec, users=["b"])["user_id"]) == {"b"}
    empty = timeline(ev, iv, topics, spec, users=["nobody"])
    assert empty.empty and "drift" in empty.columns
    assert drift_ranking(empty).empty


def test_rejects_unknown_period() -> None:
    iv, topics = tiny_world()
    ev = log([("a", "i0", 0.5, 1.0)])
    with pytest.raises(InvalidInputError, match="period must be a pandas period alias"):
        timeline(ev, iv, topics, InterestSpec(period="fortnight", device="cpu"))


# -- acceptance on generated logs with planted drifters ------------------------------------------
def _drift_checks(ev: pd.DataFrame, truth, iv: ItemVectors) -> tuple[float, float, float]:
    topics = find_topics(iv, ev, TopicSpec(device="cpu"))
    tl = timeline(ev, iv, topics, InterestSpec(device="cpu"))
    drifters = truth.drifters.set_index("user_id")
    ranking = drift_ranking(tl, n=len(drifters))
    hit = ranking["user_id"].isin(drifters.index)
    found = ranking[hit].set_index("user_id")
    true_ts = pd.DatetimeIndex(drifters.loc[found.index, "change_ts"])
    true_week = true_ts.tz_convert(None).to_period("W").start_time
    weeks_off = (pd.DatetimeIndex(found["change_period"]).tz_convert(None) - true_week).days // 7
    one = pd.Timedelta(days=7)
    in_gap = (true_ts >= pd.DatetimeIndex(found["change_start"]) - one) & (
        true_ts <= pd.DatetimeIndex(found["change_end"]) + one
    )
    return float(hit.mean()), float((np.abs(weeks_off) <= 1).mean()), float(in_gap.mean())


@pytest.fixture(scope="module")
def encoder_spec(tmp_path_factory: pytest.TempPathFactory) -> EncoderSpec:
    cache = tmp_path_factory.getbasetemp() / "atlas-cache"
    cache.mkdir(exist_ok=True)
    return EncoderSpec(cache_dir=str(cache), device="cpu")


def test_bundled_sample_drifters_lead_the_ranking(encoder_spec: EncoderSpec) -> None:
    ev = bundled_event_log()
    iv = build_item_vectors(ev, EmbeddingSpec(encoder=encoder_spec))
    precision, within_one, in_gap = _drift_checks(ev, bundled_truth(), iv)
    assert precision >= 0.8, precision
    # The log cannot date a change more finely than the gap between a user's last old-topic
    # and first new-topic events; the midpoint lands within one week of the truth for most.
    assert within_one >= 0.8, within_one
    assert in_gap >= 0.95, in_gap


def test_other_seed_and_size_drifters_lead_the_ranking() -> None:
    sample = generate(SampleSpec(seed=11, n_users=1500, n_items=600, n_drifters=60))
    ev = to_event_log(sample)
    iv = build_item_vectors(ev, EmbeddingSpec(source="behaviour"))
    precision, within_one, in_gap = _drift_checks(ev, sample.truth, iv)
    assert precision >= 0.8, precision
    assert within_one >= 0.8, within_one
    assert in_gap >= 0.95, in_gap


def test_cli_writes_parquet_outputs(tmp_path, capsys) -> None:
    from core.__main__ import main

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "user_id": rng.choice([f"u{j}" for j in range(30)], n),
            "item_id": rng.choice([f"i{j}" for j in range(25)], n),
            "timestamp": (T0 + pd.to_timedelta(rng.uniform(0, 60, n), unit="D")).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "event": rng.choice(["view", "click", "purchase"], n),
        }
    )
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    code = main(["interests", str(path), "--out", str(out), "--device", "cpu", "--k", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "item vectors: behaviour" in printed and "no item has text" in printed
    for name in ("item_vectors", "topics", "user_vectors", "timeline", "drift"):
        assert (out / f"{name}.parquet").exists()
    users = pd.read_parquet(out / "user_vectors.parquet")
    assert len(users) == 30 and "v0" in users.columns
    topics = pd.read_parquet(out / "topics.parquet")
    assert len(topics) == 3 and topics["size"].sum() == 25

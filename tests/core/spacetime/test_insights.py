"""Findings: hand-worked signals, thresholds that hold findings back, and the sample's planted truths."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.schema import ITEM, conform
from core.spacetime import trends
from core.spacetime.insights import FindingSpec, findings, findings_markdown
from core.spacetime.signals import area_peaks, hotspot_reach, onsets, two_proportion_z


def test_two_proportion_z_by_hand():
    # p = 50/200 = 0.25, se = sqrt(0.25 * 0.75 * (1/100 + 1/100)) = 0.0612372, z = 0.1 / se.
    assert two_proportion_z(30, 100, 20, 100) == pytest.approx(1.632993, abs=1e-6)
    assert two_proportion_z(0, 0, 5, 10) == 0.0  # an empty side: undefined, reported as 0


def _counts(xs: list[int], ys: list[int]) -> pd.DataFrame:
    n = np.add(xs, ys)
    return pd.DataFrame(
        {
            "period": pd.date_range("2026-03-02", periods=len(xs), freq="7D", tz="UTC"),
            "events": n,
            "complete": True,
            "n:x": xs,
            "n:y": ys,
        }
    )


def test_onset_is_the_first_period_that_stays_apart_from_before():
    out = onsets(_counts([10, 10, 50, 50], [90, 90, 50, 50])).set_index("topic")
    # Split before period 1: period 1 (10 %) equals before (10 %), z = 0: no. Before period 2
    # (20/200 = 10 %): periods 2 and 3 at 50 % give z = 0.4 / 0.0518 = 7.7 >= 3: the onset.
    assert out.loc["x", "onset"] == pd.Timestamp("2026-03-16", tz="UTC")
    assert out.loc["x", "direction"] == "rise" and out.loc["y", "direction"] == "fall"
    assert out.loc["x", ["share_before", "share_after"]].tolist() == pytest.approx([0.1, 0.5])
    assert out.loc["x", "z"] == pytest.approx(two_proportion_z(100, 200, 20, 200))
    with pytest.raises(InvalidInputError, match="counts: expected at most 520 periods"):
        onsets(_counts([1] * 521, [1] * 521))
    steady = onsets(_counts([10, 11, 10, 9], [90, 89, 90, 91])).set_index("topic")
    assert steady["onset"].isna().all() and (steady["direction"] == "").all()


def _emerging(z: float, recent: float, base: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "topic": ["x"],
            "recent_events": [500],
            "baseline_events": [1500],
            "recent_share": [recent],
            "baseline_share": [base],
            "z": [z],
            "recent_start": [pd.Timestamp("2026-03-16", tz="UTC")],
            "recent_end": [pd.Timestamp("2026-03-30", tz="UTC")],
            "baseline_start": [pd.Timestamp("2026-03-02", tz="UTC")],
        }
    )


def test_emerging_finding_quotes_the_numbers_and_the_onset():
    counts = _counts([10, 10, 50, 50], [90, 90, 50, 50])
    out = findings(counts=counts, emerging=_emerging(8.25, 0.5, 0.1))
    assert out["text"].tolist() == [
        "x rose from 10.0 % to 50.0 % of engagement after 2026-03-16 (z = 8.2)"
    ]
    row = out.iloc[0]
    assert row["kind"] == "emerging" and row["link"] == "Interests" and row["value"] == 8.25
    assert json.loads(row["figures"])["onset"] == "2026-03-16T00:00:00+00:00"
    assert findings_markdown(out).splitlines() == [
        "# Findings",
        "",
        "- x rose from 10.0 % to 50.0 % of engagement after 2026-03-16 (z = 8.2) "
        "(|z| >= 3 and share change >= 2.0 %; see Interests)",
    ]
    assert "No finding passed its threshold." in findings_markdown(findings())
    # Without period counts the sentence names the window instead of an onset.
    alone = findings(emerging=_emerging(8.25, 0.5, 0.1))["text"].item()
    assert alone.endswith("after the 2026-03-16 to 2026-03-30 window (z = 8.2)")


def test_findings_below_their_thresholds_are_not_made():
    assert findings(emerging=_emerging(2.9, 0.5, 0.1)).empty  # |z| < 3
    assert findings(emerging=_emerging(9.0, 0.11, 0.1)).empty  # share moved 1 point < 2
    assert findings().empty and list(findings().columns) == [
        "kind",
        "text",
        "value",
        "threshold",
        "figures",
        "link",
    ]


def _drift(pairs: list[tuple[str, str, str]], drift: float = 0.8) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(len(pairs))],
            "drift": drift,
            "from_topic": [p[0] for p in pairs],
            "to_topic": [p[1] for p in pairs],
            "change_period": pd.to_datetime([p[2] for p in pairs], utc=True),
        }
    )


def test_drift_finding_names_the_largest_group_and_the_busiest_week():
    pairs = [("run", "yoga", "2026-04-06")] * 3 + [("jazz", "run", "2026-04-13")] * 2
    pairs += [("jazz", "jazz", "2026-04-13")]  # no move: not counted
    text = findings(drift=_drift(pairs))["text"].item()
    assert text == (
        "5 users' interests changed; the largest group, 3 users, moved from run to yoga; most "
        "changes came in the week of 2026-04-06"
    )
    assert findings(drift=_drift(pairs[:2])).empty  # 2 users < 3
    assert findings(drift=_drift(pairs, drift=0.1)).empty  # drift below 0.3
    # Where the ranking gives the switch's score and active days, unclear or thin ones drop out.
    scored = _drift(pairs).assign(score=[0.9, 0.9, 0.5, 0.9, 0.9, 0.9], n_before=3, n_after=3)
    two = FindingSpec(min_drift_users=2)
    text = findings(drift=scored, spec=two)["text"].item()
    # run -> yoga keeps 2 of 3 (one score 0.5); jazz -> run 2: the tie goes to the first names.
    assert "4 users' interests changed; the largest group, 2 users, moved from jazz to run" in text
    assert findings(drift=scored.assign(n_after=2), spec=two).empty


def _located(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts", "lat", "lon", "event"])
    frame["tz_offset_min"] = 0
    return conform(frame)


def test_hotspot_reach_by_hand(monkeypatch):
    # Purchases 0.5 km and 2 km from hotspot 1 (at 0, 0; 1 deg lat = 111.195 km), one 10 km off,
    # one next to hotspot 2 (at 1, 1); a view next to hotspot 1 is not a purchase.
    rows = [
        ("u", "a", "2026-03-02T10:00Z", 0.5 / 111.195, 0.0, "purchase"),
        ("u", "a", "2026-03-02T11:00Z", 2 / 111.195, 0.0, "purchase"),
        ("u", "a", "2026-03-02T12:00Z", 10 / 111.195, 0.0, "purchase"),
        ("u", "a", "2026-03-02T13:00Z", 1.0, 1.0, "purchase"),
        ("u", "a", "2026-03-02T14:00Z", 0.0, 0.0, "view"),
    ]
    spots = pd.DataFrame({"lat": [0.0, 1.0], "lon": [0.0, 1.0]})
    reach = hotspot_reach(_located(rows), spots, radius_km=3.0)
    assert reach["events"].tolist() == [2, 3] and reach["share"].tolist() == [0.5, 0.75]
    monkeypatch.setattr("core.spacetime.signals._BLOCK", 3)  # blocks of 3 and 1: same counts
    pd.testing.assert_frame_equal(hotspot_reach(_located(rows), spots, radius_km=3.0), reach)
    assert hotspot_reach(_located(rows), spots, radius_km=3.0, event=None)["events"].tolist() == [
        3,
        4,
    ]
    with pytest.raises(InvalidInputError, match="radius_km: expected a positive distance"):
        hotspot_reach(_located(rows), spots, radius_km=0)
    few = findings(reach=reach)  # 4 purchases < 30: too few to say anything
    assert few.empty
    enough = findings(reach=reach.assign(total=40), spec=FindingSpec(min_events=30))
    assert enough["text"].item() == (
        "Half of all purchases happen within 3 km of 1 hotspot (50.0 %)"
    )


def test_area_peaks_by_hand():
    # Area "A" (box around 0, 0), Monday: topic x at 08:00 three times, topic y at 08:00 once and
    # at 20:00 four times. Weekend events are left out.
    rows = [("u", "a", "2026-03-02T08:10Z", 0.0, 0.0, "view")] * 3
    rows += [("u", "b", "2026-03-02T08:20Z", 0.0, 0.0, "view")]
    rows += [("u", "b", "2026-03-02T20:00Z", 0.0, 0.0, "view")] * 4
    rows += [("u", "a", "2026-03-07T20:00Z", 0.0, 0.0, "view")] * 5  # Saturday
    events = _located(rows)
    item_topic = np.array([0 if i == "a" else 1 for i in events[ITEM].cat.categories])
    areas = pd.DataFrame({"area": ["A"], "south": [-1], "west": [-1], "north": [1], "east": [1]})
    peaks = area_peaks(events, item_topic, ("x", "y"), areas).set_index("topic")
    assert peaks.loc["x", ["hour", "events"]].tolist() == [8, 3]
    # x: 3/3 of its weekday events at 8; the area has 4/8 at 8: lift 2.
    assert peaks.loc["x", "peak_share"] == 1.0 and peaks.loc["x", "lift"] == pytest.approx(2.0)
    assert peaks.loc["x", "z"] == pytest.approx(two_proportion_z(3, 3, 1, 5))
    assert peaks.loc["y", "hour"] == 20 and peaks.loc["y", "lift"] == pytest.approx(0.8 / 0.5)


@pytest.fixture(scope="module")
def sample():
    from core.sample import BUNDLED_TRUTH, bundled_event_log

    events = bundled_event_log()
    truth = json.loads(BUNDLED_TRUTH.read_text(encoding="utf-8"))
    labels = tuple(truth["topics"])
    item_topic = np.array(
        [labels.index(truth["item_topic"][i]) for i in events[ITEM].cat.categories]
    )
    return events, item_topic, labels, truth


def test_planted_truths_come_out_of_the_bundled_sample(sample):
    events, item_topic, labels, truth = sample
    counts = trends.period_counts(events, item_topic, labels, trends.TrendSpec(period="W"))
    ranked = trends.emerging(events, item_topic, labels)
    drifters = pd.DataFrame(truth["drifters"])
    change = pd.to_datetime(drifters["change_ts"], utc=True)
    drift = drifters.assign(
        drift=1.0, change_period=change.dt.floor("D") - pd.to_timedelta(change.dt.dayofweek, "D")
    )
    out = findings(counts=counts, emerging=ranked, drift=drift)
    first = out.iloc[0]
    start = pd.Timestamp(truth["emerging_start"])
    assert first["kind"] == "emerging"
    assert first["text"].startswith(f"{truth['emerging_topic']} rose from ")
    assert f"after {start:%Y-%m-%d}" in first["text"]
    assert json.loads(first["figures"])["onset"] == start.isoformat()
    sizes = drifters.groupby(["from_topic", "to_topic"]).size()
    largest = {f"from {a} to {b}" for (a, b), n in sizes.items() if n == sizes.max()}
    text = out.loc[out["kind"] == "drift", "text"].item()
    assert f"the largest group, {sizes.max()} users" in text
    assert any(pair in text for pair in largest)
    assert text.startswith(f"{len(drifters)} users' interests changed")


def test_the_real_drift_ranking_names_a_largest_planted_group(sample):
    from core.interests.embeddings import EmbeddingSpec, build_item_vectors
    from core.interests.state import InterestSpec
    from core.interests.timeline import drift_ranking, timeline
    from core.interests.topics import TopicSpec, find_topics

    events, _, truth_labels, truth = sample
    vectors = build_item_vectors(events, EmbeddingSpec(source="behaviour"))
    topics = find_topics(vectors, events, TopicSpec(k=len(truth_labels)))
    ranked = drift_ranking(
        timeline(events, vectors, topics, InterestSpec(period="W")), n=events["user_id"].nunique()
    )
    # Name each found topic by the planted topic most of its items have.
    planted = pd.Series([truth["item_topic"][i] for i in events[ITEM].cat.categories])
    found = pd.Series(np.asarray(topics.item_topic))
    named = planted.groupby(found).agg(lambda s: s.value_counts().index[0])
    rename = {str(topics.labels[k]): v for k, v in named.items() if k >= 0}
    figures = json.loads(findings(drift=ranked).set_index("kind").loc["drift", "figures"])
    pair = (rename[figures["from_topic"]], rename[figures["to_topic"]])
    sizes = pd.DataFrame(truth["drifters"]).groupby(["from_topic", "to_topic"]).size()
    assert pair in set(sizes[sizes == sizes.max()].index)

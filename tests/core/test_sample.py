"""The sample generator is deterministic and plants exactly the structure its truth describes."""

from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from core import schema
from core.errors import InvalidInputError
from core.sample import (
    BUNDLED_EVENTS,
    BUNDLED_ITEMS,
    BUNDLED_TRUTH,
    EMERGING_TOPIC,
    GroundTruth,
    SampleSpec,
    bundled_truth,
    generate,
    to_event_log,
    write,
)

SMALL = SampleSpec(
    seed=3, n_users=400, n_items=200, n_drifters=20, weeks=20, emerging_start_week=10
)


@pytest.fixture(scope="module")
def small():
    return generate(SMALL)


def test_same_seed_gives_identical_logs(small):
    again = generate(SMALL)
    pd.testing.assert_frame_equal(small.events_raw, again.events_raw)
    assert small.truth.item_topic == again.truth.item_topic


def test_other_seed_gives_another_log(small):
    other = generate(SampleSpec(**{**SMALL.__dict__, "seed": 4}))
    assert not small.events_raw["item_id"].equals(other.events_raw["item_id"])


def test_funnel_steps_get_rarer(small):
    counts = small.events_raw["event"].value_counts()
    assert counts["view"] > counts["click"] > counts["cart"] > counts["purchase"] > 0


def test_drifters_engage_only_their_from_topic_before_and_to_topic_after(small):
    events = to_event_log(small)
    topic = events[schema.ITEM].astype(str).map(small.truth.item_topic)
    d = small.truth.drifters.set_index("user_id")
    mine = events[schema.USER].astype(str).isin(d.index)
    sub = events[mine].assign(topic=topic[mine])
    users = sub[schema.USER].astype(str)
    change = pd.to_datetime(users.map(d["change_ts"]), utc=True)
    before = sub[schema.TS] < change
    stable = sub["topic"] != EMERGING_TOPIC
    # Session starts are in local time: allow events up to 14 h either side of the change date.
    margin = (sub[schema.TS] - change).abs() > pd.Timedelta(hours=14)
    expected = np.where(before, users.map(d["from_topic"]), users.map(d["to_topic"]))
    ok = (sub["topic"] == expected) | ~stable | ~margin
    assert ok.all()
    assert (d["from_topic"] != d["to_topic"]).all()


def test_emerging_topic_is_rare_before_its_start_and_grows_after(small):
    events = to_event_log(small)
    is_new = events[schema.ITEM].astype(str).map(small.truth.item_topic) == EMERGING_TOPIC
    before = is_new[events[schema.TS] < small.truth.emerging_start].mean()
    late = is_new[events[schema.TS] > events[schema.TS].max() - pd.Timedelta(days=28)].mean()
    assert before < 0.01
    assert late > 0.15


def test_planted_sequences_follow_the_habit_more_than_chance(small):
    views = small.events_raw[small.events_raw["event"] == "view"]
    same_user = views["user_id"].to_numpy()[1:] == views["user_id"].to_numpy()[:-1]
    prev, nxt = views["item_id"].to_numpy()[:-1], views["item_id"].to_numpy()[1:]
    follows = pd.Series(prev).map(small.truth.sequential_next).to_numpy() == nxt
    # Within a session about 60% of next visits follow the habit; across sessions almost none.
    assert follows[same_user].mean() > 0.3


def test_local_time_rhythm_peaks_in_the_evening(small):
    ts = pd.to_datetime(small.events_raw["timestamp"], utc=True)
    local = ts + pd.to_timedelta(small.events_raw["tz_offset_min"], unit="min")
    by_hour = local.dt.hour.value_counts(normalize=True)
    assert by_hour.loc[[19, 20, 21]].sum() > 3 * by_hour.loc[[2, 3, 4]].sum()


def test_truth_round_trips_through_json(small):
    again = GroundTruth.from_json(small.truth.to_json())
    assert again.item_topic == small.truth.item_topic
    assert again.sequential_next == small.truth.sequential_next
    assert again.purchase_intent == small.truth.purchase_intent
    pd.testing.assert_frame_equal(again.drifters, small.truth.drifters, check_dtype=False)


def test_written_file_holds_clean_rows_plus_counted_dirt(small, tmp_path):
    events_path, items_path, _ = write(small, tmp_path)
    raw = pd.read_csv(events_path, dtype=str, keep_default_na=False)
    n = len(small.events_raw)
    assert len(raw) == n + max(n // 400, 1) + 12 + 13 + 15
    assert (raw["timestamp"] == "1970-01-01T00:00:00Z").sum() == 15
    assert len(pd.read_csv(items_path)) == SMALL.n_items


def test_bundled_assets_match_the_generator(tmp_path):
    """assets/ must be what `python -m core sample --out assets` writes today, byte for byte."""
    written = write(generate(SampleSpec()), tmp_path)
    bundled = (BUNDLED_EVENTS, BUNDLED_ITEMS, BUNDLED_TRUTH)
    for fresh, shipped in zip(written, bundled, strict=True):
        assert fresh.name == shipped.name
        assert _sha256(fresh) == _sha256(shipped), f"{shipped} differs from the generator's output"
    assert bundled_truth().item_topic == json.loads(written[2].read_text())["item_topic"]


def _sha256(path) -> str:
    """Hash of a file's content (a gzip file's uncompressed bytes, so headers don't matter)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return hashlib.sha256(raw).hexdigest()


def test_purchase_intent_follows_the_topic_rates_in_the_truth(small):
    events = small.events_raw
    topic = events["item_id"].map(small.truth.item_topic)
    rate = small.truth.purchase_intent["topic_rate"]
    counts = pd.crosstab(topic, events["event"])
    conversion = counts["purchase"] / counts["view"]
    planted = pd.Series(rate).reindex(conversion.index)
    assert conversion.corr(planted, method="spearman") > 0.8
    assert set(rate) == set(small.truth.topics)


def test_a_cart_earlier_in_a_session_makes_a_purchase_likelier(small):
    events = small.events_raw.assign(ts=pd.to_datetime(small.events_raw["timestamp"], utc=True))
    events = events.sort_values(["user_id", "ts"], kind="stable").reset_index(drop=True)
    gap = events.groupby("user_id")["ts"].diff() > pd.Timedelta(minutes=45)
    new_user = events["user_id"] != events["user_id"].shift()
    session = (gap | new_user).cumsum()
    # a visit starts with its view; carts and purchases of a visit follow it within a minute or two
    visit = (events["event"] == "view").cumsum()
    per_visit = pd.DataFrame(
        {
            "session": session.groupby(visit).first(),
            "cart": (events["event"] == "cart").groupby(visit).any(),
            "bought": (events["event"] == "purchase").groupby(visit).any(),
        }
    )
    earlier = per_visit.groupby("session")["cart"].cumsum() - per_visit["cart"]
    carted = per_visit[per_visit["cart"]]
    with_cart = carted.loc[earlier[per_visit["cart"]] > 0, "bought"].mean()
    without = carted.loc[earlier[per_visit["cart"]] == 0, "bought"].mean()
    assert with_cart > without + 0.15
    assert small.truth.purchase_intent["cart_boost"] > 0


def test_sizes_too_small_are_refused():
    with pytest.raises(InvalidInputError, match="n_items must be at least 20: got 5"):
        generate(SampleSpec(n_items=5))

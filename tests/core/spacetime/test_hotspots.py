"""Hotspots: two dense blobs in sparse noise are found, with their own dominant interests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.schema import ITEM, conform
from core.spacetime.geo import haversine_m
from core.spacetime.hotspots import HotspotSpec, hotspots

A = (40.7580, -73.9855)  # Times Square: mostly topic "bar"
B = (40.7060, -74.0090)  # Financial District: mostly topic "office"


def _blobs(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_a, n_b, n_noise = 400, 250, 200
    lat = np.concatenate(
        [
            A[0] + rng.normal(0, 4e-4, n_a),
            B[0] + rng.normal(0, 4e-4, n_b),
            rng.uniform(40.55, 40.9, n_noise),
        ]
    )
    lon = np.concatenate(
        [
            A[1] + rng.normal(0, 5e-4, n_a),
            B[1] + rng.normal(0, 5e-4, n_b),
            rng.uniform(-74.2, -73.75, n_noise),
        ]
    )
    item = np.concatenate(
        [
            rng.choice(["bar1", "bar2", "office1"], n_a, p=[0.5, 0.4, 0.1]),
            rng.choice(["office1", "office2", "bar1"], n_b, p=[0.5, 0.4, 0.1]),
            rng.choice(["bar1", "office1"], n_noise),
        ]
    )
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 60, len(lat)).astype(str),
            "item_id": item,
            "ts": "2026-03-02T10:00:00Z",
            "lat": lat,
            "lon": lon,
        }
    )
    events = conform(frame)
    topic_of = {"bar1": 0, "bar2": 0, "office1": 1, "office2": 1}
    return events, np.array([topic_of[i] for i in events[ITEM].cat.categories])


def test_two_blobs_are_found_largest_first_with_their_interests():
    events, item_topic = _blobs()
    result = hotspots(events, item_topic, ("bar", "office"), HotspotSpec(eps_m=200, min_events=40))
    spots = result.hotspots
    assert len(spots) == 2
    first, second = spots.iloc[0], spots.iloc[1]
    assert haversine_m(first["lat"], first["lon"], *A) < 100
    assert haversine_m(second["lat"], second["lon"], *B) < 100
    assert first["dominant_topic"] == "bar" and second["dominant_topic"] == "office"
    assert first["events"] >= 380 and second["events"] >= 230
    assert first["top_topics"].startswith("bar (")
    # Every event carries its hotspot id; the counts agree with the table.
    counts = np.bincount(result.event_hotspot, minlength=3)
    assert counts[1:].tolist() == spots["events"].tolist()


def test_clusters_of_too_few_users_are_dropped():
    events, item_topic = _blobs()
    events["user_id"] = pd.Categorical(np.where(events["lat"] > 40.73, "solo", events["user_id"]))
    result = hotspots(events, item_topic, ("bar", "office"), HotspotSpec(eps_m=200, min_events=40))
    assert len(result.hotspots) == 1
    assert result.hotspots["dominant_topic"].item() == "office"
    assert set(np.unique(result.event_hotspot).tolist()) == {0, 1}


def test_no_located_events_and_bad_settings():
    events, item_topic = _blobs()
    empty = hotspots(events, item_topic, ("bar", "office"), HotspotSpec(users=("nobody",)))
    assert empty.hotspots.empty and empty.event_hotspot.sum() == 0
    with pytest.raises(InvalidInputError, match="expected eps_m > 0, 0 < grid_m <= eps_m / 2"):
        hotspots(events, item_topic, ("bar", "office"), HotspotSpec(eps_m=100, grid_m=80))


def test_the_input_log_is_left_untouched_when_items_are_named_by_their_text():
    events, item_topic = _blobs()
    events["item_text"] = events[ITEM].astype(str).str.upper()
    before = events[ITEM].cat.categories.tolist()
    hotspots(events, item_topic, ["bar", "office"], HotspotSpec(eps_m=150, min_events=20))
    assert events[ITEM].cat.categories.tolist() == before  # was overwritten with the item texts

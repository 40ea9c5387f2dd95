"""Which events an analysis looks at, and when they happened: the shared start of every aggregate.

:class:`EventFilter` is the base of every spec in this package (TrendSpec, HeatmapSpec, RegionSpec,
HotspotSpec); :func:`mask` applies it in one vectorised pass, :func:`located` narrows it to events
with a valid location, :func:`local_times` gives wall-clock times and :func:`time_bins` bins them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.io.timeparse import as_utc
from core.schema import EVENT, ITEM, LAT, LON, TS, TZ_OFFSET, USER, codes
from core.spacetime import geo

#: Time bins understood by :func:`time_bins`: calendar periods (UTC) and local-time cycles.
PERIODS = ("H", "D", "W", "M")
CYCLES = ("how", "hour", "dow")
#: pandas offset of one calendar period.
OFFSETS = {"H": "h", "D": "D", "W": "7D", "M": "MS"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Label of events whose item has no topic (topic index -1) or when no topics are given.
UNASSIGNED = "unassigned"
ALL_TOPICS = "all"

BASIS_OFFSET = "local (offset column)"
BASIS_LONGITUDE = "local (estimated from longitude)"
BASIS_UTC = "UTC"


@dataclass(frozen=True)
class EventFilter:
    """Which events to keep; every field left at its default keeps everything.

    ``start`` / ``end``: half-open UTC window [start, end) (anything ``pd.Timestamp`` reads; naive
    means UTC); ``topics``: topic labels; ``events``: event types; ``users``: user ids; ``region``:
    a bounding box ``(south, west, north, east)`` in degrees (events without a location are dropped
    by it).
    """

    start: str | pd.Timestamp | None = None
    end: str | pd.Timestamp | None = None
    topics: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    region: tuple[float, float, float, float] | None = None


def utc_ns(value: object, name: str) -> np.datetime64:
    """``value`` (naive = UTC) as a naive datetime64[ns] in UTC, comparable with the TS column.

    Parameters
    ----------
    value
        A timestamp or date string (see :func:`core.io.timeparse.as_utc`).
    name
        The argument's name, for the error message.

    Returns
    -------
    numpy.datetime64
    """
    return as_utc(value, name).tz_localize(None).to_datetime64()


def topic_codes(
    events: pd.DataFrame, item_topic: np.ndarray | None, labels: Sequence[str]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Topic index of every event (int64) and the labels those indices name.

    Without ``item_topic`` every event gets topic 0 labelled ``"all"``. Items with topic -1 get an
    extra ``"unassigned"`` label at the end.

    Parameters
    ----------
    events
        Canonical EventLog.
    item_topic
        Topic index per item category, -1 = unassigned; None for no topics.
    labels
        Topic labels indexed by ``item_topic`` (distinct).

    Returns
    -------
    tuple of (numpy.ndarray, tuple of str)
        The topic code of every event and the labels, ``"unassigned"`` appended where needed.

    Raises
    ------
    InvalidInputError
        If the labels repeat, or ``item_topic`` does not have one entry per item category, or
        indexes past ``labels``.
    """
    if item_topic is None:
        return np.zeros(len(events), dtype=np.int64), (ALL_TOPICS,)
    item_codes, items = codes(events[ITEM])
    topic = np.asarray(item_topic, dtype=np.int64)
    labels = tuple(str(x) for x in labels)
    if len(set(labels)) != len(labels):
        raise InvalidInputError(f"labels: expected distinct topic labels, found {list(labels)}")
    if topic.shape != (len(items),):
        raise InvalidInputError(
            f"item_topic: expected one topic per item category ({len(items)}), found shape "
            f"{topic.shape}"
        )
    if len(topic) and topic.max() >= len(labels):
        raise InvalidInputError(
            f"item_topic: expected indices below len(labels)={len(labels)}, found {topic.max()}"
        )
    per_event = topic[item_codes] if len(item_codes) else np.zeros(0, dtype=np.int64)
    if (per_event < 0).any():
        per_event = np.where(per_event < 0, len(labels), per_event)
        labels = (*labels, UNASSIGNED)
    return per_event, labels


def in_box(lat: np.ndarray, lon: np.ndarray, box: Sequence[float], name: str) -> np.ndarray:
    """True where (lat, lon) lies in ``box``, edges included.

    Parameters
    ----------
    lat, lon
        Coordinates in degrees.
    box
        ``(south, west, north, east)``; a box with west > east crosses the antimeridian.
    name
        The argument's name, for the error message.

    Returns
    -------
    numpy.ndarray
        Boolean mask.

    Raises
    ------
    InvalidInputError
        If ``box`` is not four numbers.
    """
    if box is None or len(box) != 4:
        raise InvalidInputError(f"{name}: expected (south, west, north, east), found {box!r}")
    south, west, north, east = (float(v) for v in box)
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    inside_lon = (lon >= west) & (lon <= east) if west <= east else (lon >= west) | (lon <= east)
    return (lat >= south) & (lat <= north) & inside_lon


def mask(
    events: pd.DataFrame,
    spec: EventFilter,
    topic: np.ndarray | None = None,
    labels: Sequence[str] = (),
) -> np.ndarray:
    """Boolean mask of the events that pass every filter of ``spec`` (vectorised, no row loop).

    Parameters
    ----------
    events
        Canonical EventLog.
    spec
        Any :class:`EventFilter` (TrendSpec, HeatmapSpec, ...).
    topic, labels
        Per-event topic indices and their labels (from :func:`topic_codes`); needed only when
        ``spec.topics`` is set.

    Returns
    -------
    numpy.ndarray of bool, one entry per event.

    Raises
    ------
    InvalidInputError
        If ``spec.topics`` names a label not in ``labels``, the window edges are not timestamps,
        or the region is malformed.
    """
    keep = np.ones(len(events), dtype=bool)
    if spec.start is not None or spec.end is not None:
        ts = events[TS].to_numpy(dtype="datetime64[ns]")
        if spec.start is not None:
            keep &= ts >= utc_ns(spec.start, "spec.start")
        if spec.end is not None:
            keep &= ts < utc_ns(spec.end, "spec.end")
    if spec.topics:
        unknown = [t for t in spec.topics if t not in labels]
        if topic is None or unknown:
            raise InvalidInputError(
                f"spec.topics: expected labels among {list(labels)}, found unknown {unknown}"
            )
        wanted = np.array([labels.index(t) for t in spec.topics], dtype=np.int64)
        keep &= np.isin(topic, wanted)
    if spec.events:
        keep &= events[EVENT].isin([str(e).lower() for e in spec.events]).to_numpy()
    if spec.users:
        keep &= events[USER].isin([str(u) for u in spec.users]).to_numpy()
    if spec.region is not None:
        keep &= in_box(events[LAT], events[LON], spec.region, "spec.region")
    return keep


def located(
    events: pd.DataFrame, spec: EventFilter, topic: np.ndarray, labels: Sequence[str]
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """The filter mask narrowed to events with a valid location: the start of every spatial aggregate.

    Parameters
    ----------
    events
        Canonical EventLog.
    spec
        The filter.
    topic, labels
        From :func:`topic_codes`.

    Returns
    -------
    tuple of (numpy.ndarray, int, numpy.ndarray, numpy.ndarray)
        The mask, the number of events the filter kept before locations were required, and the lat /
        lon columns.
    """
    keep = mask(events, spec, topic, labels)
    n_events = int(keep.sum())
    lat = events[LAT].to_numpy(dtype=np.float64)
    lon = events[LON].to_numpy(dtype=np.float64)
    return keep & geo.valid_location(lat, lon), n_events, lat, lon


def local_times(events: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Wall-clock time of every event (naive datetime64[ns]) and the basis it was computed on.

    The offset column wins when it has any value (rows without one fall back to an offset estimated
    from longitude, then to UTC); otherwise longitude gives ``round(lon / 15)`` hours; otherwise UTC.

    Parameters
    ----------
    events
        Canonical EventLog; ``tz_offset_min`` and ``lon`` are used where present.

    Returns
    -------
    tuple of (numpy.ndarray, str)
        The local times, and one of ``"local (offset column)"``, ``"local (estimated from
        longitude)"``, ``"UTC"``.
    """
    ts = events[TS].to_numpy(dtype="datetime64[ns]")
    offset = events[TZ_OFFSET].to_numpy(dtype=np.float64)
    from_lon = np.round(events[LON].to_numpy(dtype=np.float64) / 15.0) * 60.0
    if np.isfinite(offset).any():
        basis = BASIS_OFFSET
    elif np.isfinite(from_lon).any():
        basis = BASIS_LONGITUDE
    else:
        return ts, BASIS_UTC
    minutes = np.where(np.isfinite(offset), offset, from_lon)
    minutes = np.where(np.isfinite(minutes), minutes, 0.0).astype(np.int64)
    return ts + minutes.astype("timedelta64[m]"), basis


def time_bins(stamps: np.ndarray, period: str | None) -> tuple[np.ndarray, pd.Index]:
    """Bin index of every timestamp and the labels of all bins (dense: empty bins included).

    Parameters
    ----------
    stamps
        datetime64[ns] values (UTC, or local wall-clock times for the cycles).
    period
        ``None`` (one bin "all"), a calendar period ``"H" | "D" | "W" | "M"`` (weeks start on
        Monday; labels are the bin starts) or a cycle ``"how"`` (hour of week 0..167, Monday 00:00 =
        0), ``"hour"`` (0..23), ``"dow"`` (0 = Monday .. 6).

    Returns
    -------
    tuple of (numpy.ndarray, pandas.Index)
        The int64 bin of every stamp and the bin labels.

    Raises
    ------
    InvalidInputError
        If ``period`` is not one of those.
    """
    stamps = np.asarray(stamps, dtype="datetime64[ns]")
    n = len(stamps)
    if period is None:
        return np.zeros(n, dtype=np.int64), pd.Index(["all"], name="bin")
    if period in CYCLES:
        hours = stamps.astype("datetime64[h]").astype(np.int64)
        # 1970-01-01 was a Thursday: +72 h makes Monday 00:00 hour 0 of the week.
        how = (hours + 72) % 168
        if period == "how":
            return how, pd.RangeIndex(168, name="hour_of_week")
        if period == "hour":
            return how % 24, pd.RangeIndex(24, name="hour")
        return how // 24, pd.RangeIndex(7, name="dow")
    if period not in PERIODS:
        raise InvalidInputError(
            f"period: expected one of {PERIODS + CYCLES} or None, found {period!r}"
        )
    if period == "W":
        days = stamps.astype("datetime64[D]").astype(np.int64)
        units = days - (days + 3) % 7  # Monday on or before
        step, unit = 7, "D"
    else:
        unit = {"H": "h", "D": "D", "M": "M"}[period]
        units = stamps.astype(f"datetime64[{unit}]").astype(np.int64)
        step = 1
    if n == 0:
        return np.zeros(0, dtype=np.int64), pd.DatetimeIndex([], tz="UTC", name="period")
    lo, hi = units.min(), units.max()
    index = np.arange(lo, hi + 1, step).astype(f"datetime64[{unit}]").astype("datetime64[ns]")
    return (units - lo) // step, pd.DatetimeIndex(index, tz="UTC", name="period")

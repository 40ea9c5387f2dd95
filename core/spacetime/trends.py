"""When interests happen: counts per period, hour-of-week rhythms, emerging and fading topics.

Every function here takes a canonical EventLog (core/schema.py), an optional topic index per item
(``item_topic[i]`` is the topic of ``events[ITEM].cat.categories[i]``, -1 = unassigned) and the topic
labels, plus a frozen spec whose filters are applied by one shared vectorised mask (:func:`mask`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.schema import EVENT, ITEM, LAT, LON, TS, TZ_OFFSET, USER, codes
from core.spacetime import geo

#: Time bins understood by :func:`time_bins`: calendar periods (UTC) and local-time cycles.
PERIODS = ("H", "D", "W", "M")
CYCLES = ("how", "hour", "dow")
_OFFSETS = {"H": "h", "D": "D", "W": "7D", "M": "MS"}
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

    ``start`` / ``end``: half-open UTC window [start, end) (anything ``pd.Timestamp`` reads);
    ``topics``: topic labels; ``events``: event types; ``users``: user ids; ``region``: a bounding
    box ``(south, west, north, east)`` in degrees (events without a location are dropped by it).
    """

    start: str | pd.Timestamp | None = None
    end: str | pd.Timestamp | None = None
    topics: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    region: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class TrendSpec(EventFilter):
    """Filters plus the calendar period of :func:`period_counts` ("H", "D", "W" or "M")."""

    period: str = "W"


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def topic_codes(
    events: pd.DataFrame, item_topic: np.ndarray | None, labels: Sequence[str]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Topic index of every event (int64) and the labels those indices name.

    Without ``item_topic`` every event gets topic 0 labelled ``"all"``. Items with topic -1 get an
    extra ``"unassigned"`` label at the end.

    Raises
    ------
    InvalidInputError
        If ``item_topic`` does not have one entry per item category, or indexes past ``labels``.
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
        If ``spec.topics`` names a label not in ``labels``, or the window or region is malformed.
    """
    keep = np.ones(len(events), dtype=bool)
    if spec.start is not None or spec.end is not None:
        ts = events[TS].to_numpy(dtype="datetime64[ns]")
        if spec.start is not None:
            keep &= ts >= _utc(spec.start).tz_localize(None).to_datetime64()
        if spec.end is not None:
            keep &= ts < _utc(spec.end).tz_localize(None).to_datetime64()
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
        if len(spec.region) != 4:
            raise InvalidInputError(
                f"spec.region: expected (south, west, north, east), found {spec.region!r}"
            )
        south, west, north, east = (float(v) for v in spec.region)
        lat = events[LAT].to_numpy(dtype=np.float64)
        lon = events[LON].to_numpy(dtype=np.float64)
        inside_lon = (
            (lon >= west) & (lon <= east) if west <= east else (lon >= west) | (lon <= east)
        )
        keep &= (lat >= south) & (lat <= north) & inside_lon
    return keep


def located(
    events: pd.DataFrame, spec: EventFilter, topic: np.ndarray, labels: Sequence[str]
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """The filter mask narrowed to events with a valid location, the number of events the filter
    kept before that, and the lat / lon columns: the common start of every spatial aggregate."""
    keep = mask(events, spec, topic, labels)
    n_events = int(keep.sum())
    lat = events[LAT].to_numpy(dtype=np.float64)
    lon = events[LON].to_numpy(dtype=np.float64)
    return keep & geo.valid_location(lat, lon), n_events, lat, lon


def local_times(events: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Wall-clock time of every event (naive datetime64[ns]) and the basis it was computed on.

    The offset column wins when it has any value (rows without one fall back to an offset estimated
    from longitude, then to UTC); otherwise longitude gives ``round(lon / 15)`` hours; otherwise UTC.
    Returns one of ``"local (offset column)"``, ``"local (estimated from longitude)"``, ``"UTC"``.
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

    ``period``: ``None`` (one bin "all"), a calendar period ``"H" | "D" | "W" | "M"`` (weeks start
    on Monday; labels are the bin starts) or a cycle ``"how"`` (hour of week 0..167, Monday 00:00 =
    0), ``"hour"`` (0..23), ``"dow"`` (0 = Monday .. 6).

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


def _bincount(values: np.ndarray, minlength: int, weights: np.ndarray | None = None) -> np.ndarray:
    out = np.bincount(values, weights=weights, minlength=minlength)
    return out if weights is not None else out.astype(np.int64)


def _distinct_count(group: np.ndarray, user: np.ndarray, n_groups: int) -> np.ndarray:
    """Number of distinct users per group: unique (group, user) pairs, then count per group."""
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    n_users = int(user.max()) + 1
    pairs = torch.unique(torch.from_numpy(group * n_users + user))
    return _bincount((pairs // n_users).numpy(), n_groups)


def _share_columns(labels: Sequence[str]) -> list[str]:
    return [f"share:{label}" for label in labels]


def period_counts(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    spec: TrendSpec | None = None,
) -> pd.DataFrame:
    """Events, distinct users and topic shares per calendar period (UTC), empty periods included.

    Parameters
    ----------
    events
        Canonical EventLog.
    item_topic
        Topic index per item category (``events[ITEM].cat.categories`` order), -1 = unassigned;
        ``None`` for no topics.
    labels
        Topic labels indexed by ``item_topic``.
    spec
        Filters and ``period`` ("H", "D", "W", "M"); default ``TrendSpec()`` (weekly, everything).

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (UTC bin start), ``events``, ``users``, ``complete`` (the log covers the
        whole period: the first and last are usually partial), then ``share:<label>`` (share of
        the period's events in each topic, 0 when the period is empty) and ``n:<label>`` counts.

    Examples
    --------
    >>> period_counts(log, None, (), TrendSpec(period="D"))  # doctest: +SKIP
    """
    spec = TrendSpec() if spec is None else spec
    topic, labels = topic_codes(events, item_topic, labels)
    keep = mask(events, spec, topic, labels)
    if spec.period not in PERIODS:
        raise InvalidInputError(f"spec.period: expected one of {PERIODS}, found {spec.period!r}")
    stamps = events[TS].to_numpy(dtype="datetime64[ns]")[keep]
    bins, index = time_bins(stamps, spec.period)
    n_bins, n_topics = len(index), len(labels)
    user = codes(events[USER])[0][keep]
    topic = topic[keep]
    counts = _bincount(bins, n_bins)
    by_topic = _bincount(bins * n_topics + topic, n_bins * n_topics).reshape(n_bins, n_topics)
    shares = by_topic / np.maximum(counts, 1)[:, None]
    out = pd.DataFrame(
        {"period": index, "events": counts, "users": _distinct_count(bins, user, n_bins)}
    )
    # A period is complete when the (filtered) log covers all of it: forecasts should drop the rest.
    if len(stamps):
        ends = (index + pd.tseries.frequencies.to_offset(_OFFSETS[spec.period])).tz_localize(None)
        starts = index.tz_localize(None)
        out["complete"] = (starts >= stamps.min()) & (
            ends <= stamps.max() + np.timedelta64(1, "ns")
        )
    else:
        out["complete"] = np.zeros(0, dtype=bool)
    share_frame = pd.DataFrame(shares, columns=_share_columns(labels))
    count_frame = pd.DataFrame(by_topic, columns=[f"n:{label}" for label in labels])
    return pd.concat([out, share_frame, count_frame], axis=1)


def hour_of_week(
    events: pd.DataFrame,
    spec: EventFilter | None = None,
    item_topic: np.ndarray | None = None,
    labels: Sequence[str] = (),
) -> tuple[pd.DataFrame, str]:
    """Events per weekday x hour (7 x 24) in local time where the log gives it, UTC otherwise.

    Parameters
    ----------
    events
        Canonical EventLog.
    spec
        Filters (any :class:`EventFilter`); ``spec.topics`` needs ``item_topic`` and ``labels``.
    item_topic, labels
        Optional topic assignment, see :func:`period_counts`.

    Returns
    -------
    (pandas.DataFrame, str)
        The 7 x 24 count frame (index Mon..Sun, columns 0..23) and its time basis:
        ``"local (offset column)"``, ``"local (estimated from longitude)"`` or ``"UTC"``.
    """
    spec = EventFilter() if spec is None else spec
    topic, labels = topic_codes(events, item_topic, labels)
    keep = mask(events, spec, topic, labels)
    local, basis = local_times(events[keep])
    how, _ = time_bins(local, "how")
    grid = _bincount(how, 168).reshape(7, 24)
    frame = pd.DataFrame(
        grid, index=pd.Index(WEEKDAYS, name="weekday"), columns=pd.RangeIndex(24, name="hour")
    )
    return frame, basis


def emerging(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    recent: str = "28D",
    baseline: str | None = None,
    spec: EventFilter | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Topics whose share of events in a recent window departs from their baseline share.

    The recent window is ``[end - recent, end)`` with ``end`` defaulting to just after the last event;
    the baseline is everything before it (or only the ``baseline`` span before it). Topics are
    ranked by the two-proportion z-score ``(p_recent - p_base) / sqrt(p (1 - p) (1/n_recent +
    1/n_base))`` with ``p`` the pooled share, so small topics need a larger change to rank high.

    Parameters
    ----------
    events, item_topic, labels
        See :func:`period_counts`; topics are required.
    recent
        Length of the recent window (a pandas timedelta string: "28D", "6W" is not valid, use "42D").
    baseline
        Length of the baseline window before it; ``None`` = all earlier events.
    spec
        Extra filters (window filters apply before the split).
    end
        End of the recent window (exclusive).

    Returns
    -------
    pandas.DataFrame
        One row per topic, best first: ``rank``, ``topic``, ``recent_events``, ``baseline_events``,
        ``recent_share``, ``baseline_share``, ``lift`` (recent / baseline share), ``z``,
        ``direction`` ("emerging" when z > 1.96, "fading" when z < -1.96, else "steady"),
        ``recent_start``, ``recent_end``, ``baseline_start``. ``attrs["window"]`` states the windows.

    Raises
    ------
    InvalidInputError
        If ``item_topic`` is None or ``recent`` / ``baseline`` is not a positive duration.
    """
    if item_topic is None:
        raise InvalidInputError("item_topic: expected a topic per item for emerging(), found None")
    spec = EventFilter() if spec is None else spec
    try:
        span = pd.Timedelta(recent)
        base_span = None if baseline is None else pd.Timedelta(baseline)
    except ValueError as exc:
        raise InvalidInputError(
            f"recent/baseline: expected durations like '28D', found {recent!r}/{baseline!r}"
        ) from exc
    if span <= pd.Timedelta(0) or (base_span is not None and base_span <= pd.Timedelta(0)):
        raise InvalidInputError(
            f"recent/baseline: expected positive durations, found {recent!r}/{baseline!r}"
        )
    topic, labels = topic_codes(events, item_topic, labels)
    keep = mask(events, spec, topic, labels)
    ts = events[TS].to_numpy(dtype="datetime64[ns]")[keep]
    topic = topic[keep]
    k = len(labels)
    if end is None:
        # Midnight after the last event: readable window edges that still include it.
        last = ts.max() if len(ts) else np.datetime64("now", "ns")
        stop = (last.astype("datetime64[D]") + np.timedelta64(1, "D")).astype("datetime64[ns]")
    else:
        stop = _utc(end).tz_localize(None).to_datetime64()
    cut = stop - span.to_timedelta64()
    in_recent = (ts >= cut) & (ts < stop)
    in_base = ts < cut
    if base_span is not None:
        in_base &= ts >= cut - base_span.to_timedelta64()
    r = _bincount(topic[in_recent], k).astype(np.float64)
    b = _bincount(topic[in_base], k).astype(np.float64)
    n_r, n_b = r.sum(), b.sum()
    p_r = r / n_r if n_r else np.zeros(k)
    p_b = b / n_b if n_b else np.zeros(k)
    pooled = (r + b) / max(n_r + n_b, 1.0)
    se = np.sqrt(pooled * (1 - pooled) * ((1 / n_r if n_r else 0) + (1 / n_b if n_b else 0)))
    z = np.where(se > 0, (p_r - p_b) / np.where(se > 0, se, 1.0), 0.0)
    # New in the recent window: infinite lift; absent from both windows: undefined.
    unseen = np.where(p_r > 0, np.inf, np.nan)
    lift = np.where(p_b > 0, p_r / np.where(p_b > 0, p_b, 1.0), unseen)
    base_start = ts[in_base].min() if in_base.any() else cut
    frame = pd.DataFrame(
        {
            "topic": labels,
            "recent_events": r.astype(np.int64),
            "baseline_events": b.astype(np.int64),
            "recent_share": p_r,
            "baseline_share": p_b,
            "lift": lift,
            "z": z,
            "direction": np.where(z > 1.96, "emerging", np.where(z < -1.96, "fading", "steady")),
            "recent_start": pd.Timestamp(cut, tz="UTC"),
            "recent_end": pd.Timestamp(stop, tz="UTC"),
            "baseline_start": pd.Timestamp(base_start, tz="UTC"),
        }
    )
    frame = frame.sort_values("z", ascending=False, kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.attrs["window"] = (
        f"recent {pd.Timestamp(cut, tz='UTC')} to {pd.Timestamp(stop, tz='UTC')} ({recent}, "
        f"{int(n_r)} events) vs baseline from {pd.Timestamp(base_start, tz='UTC')} "
        f"({int(n_b)} events)"
    )
    return frame

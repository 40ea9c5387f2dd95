"""When interests happen: counts per period, hour-of-week rhythms, emerging and fading topics.

Every function here takes ``(events, item_topic, labels, spec)``: a canonical EventLog
(core/schema.py), an optional topic index per item (``item_topic[i]`` is the topic of
``events[ITEM].cat.categories[i]``, -1 = unassigned), the topic labels, and a frozen spec whose
filters are applied by the shared vectorised mask (:func:`core.spacetime.filters.mask`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.schema import TS, USER, codes
from core.spacetime.filters import (
    ALL_TOPICS,
    BASIS_LONGITUDE,
    BASIS_OFFSET,
    BASIS_UTC,
    CYCLES,
    OFFSETS,
    PERIODS,
    UNASSIGNED,
    WEEKDAYS,
    EventFilter,
    local_times,
    located,
    mask,
    time_bins,
    topic_codes,
    utc_ns,
)
from core.spacetime.grouping import bincount, distinct_count

# Re-exported: callers that imported the filter primitives from here keep working.
__all__ = [
    "ALL_TOPICS",
    "BASIS_LONGITUDE",
    "BASIS_OFFSET",
    "BASIS_UTC",
    "CYCLES",
    "PERIODS",
    "UNASSIGNED",
    "WEEKDAYS",
    "EventFilter",
    "TrendSpec",
    "complete_periods",
    "emerging",
    "hour_of_week",
    "local_times",
    "located",
    "mask",
    "period_counts",
    "time_bins",
    "topic_codes",
]


@dataclass(frozen=True)
class TrendSpec(EventFilter):
    """Filters plus the calendar period of :func:`period_counts` ("H", "D", "W" or "M")."""

    period: str = "W"


def _share_columns(labels: Sequence[str]) -> list[str]:
    return [f"share:{label}" for label in labels]


def period_counts(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    spec: TrendSpec | None = None,
) -> pd.DataFrame:
    """Events, distinct users and topic shares per calendar period (UTC), empty periods included.

    Periods run from the first to the last event's period, so a gap in the log is a row of zeros
    rather than a missing row (a chart's line then drops to 0 instead of bridging the gap).

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

    Raises
    ------
    InvalidInputError
        If ``spec.period`` is not one of those, or the filter or topics are invalid.

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
    counts = bincount(bins, n_bins)
    by_topic = bincount(bins * n_topics + topic, n_bins * n_topics).reshape(n_bins, n_topics)
    shares = by_topic / np.maximum(counts, 1)[:, None]
    out = pd.DataFrame(
        {"period": index, "events": counts, "users": distinct_count(bins, user, n_bins)}
    )
    # A period is complete when the (filtered) log covers all of it: forecasts should drop the rest.
    if len(stamps):
        ends = (index + pd.tseries.frequencies.to_offset(OFFSETS[spec.period])).tz_localize(None)
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
    item_topic: np.ndarray | None = None,
    labels: Sequence[str] = (),
    spec: EventFilter | None = None,
) -> tuple[pd.DataFrame, str]:
    """Events per weekday x hour (7 x 24) in local time where the log gives it, UTC otherwise.

    Parameters
    ----------
    events
        Canonical EventLog.
    item_topic, labels
        Optional topic assignment, see :func:`period_counts`.
    spec
        Filters (any :class:`EventFilter`); ``spec.topics`` needs ``item_topic`` and ``labels``.

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
    grid = bincount(how, 168).reshape(7, 24)
    frame = pd.DataFrame(
        grid, index=pd.Index(WEEKDAYS, name="weekday"), columns=pd.RangeIndex(24, name="hour")
    )
    return frame, basis


def emerging(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    spec: EventFilter | None = None,
    *,
    recent: str = "28D",
    baseline: str | None = None,
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
    spec
        Extra filters (window filters apply before the split).
    recent
        Length of the recent window (a pandas timedelta string: "28D", "6W" is not valid, use "42D").
    baseline
        Length of the baseline window before it; ``None`` = all earlier events.
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
        stop = utc_ns(end, "end")
    cut = stop - span.to_timedelta64()
    in_recent = (ts >= cut) & (ts < stop)
    in_base = ts < cut
    if base_span is not None:
        in_base &= ts >= cut - base_span.to_timedelta64()
    r = bincount(topic[in_recent], k).astype(np.float64)
    b = bincount(topic[in_base], k).astype(np.float64)
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
        f"recent {_when(cut)} to {_when(stop)} ({recent}, {int(n_r)} events) "
        f"vs baseline from {_when(base_start)} ({int(n_b)} events)"
    )
    return frame


def _when(value: object) -> str:
    """A time for people: "2026-06-01", or "2026-06-01 14:30 UTC" when not at midnight."""
    stamp = pd.Timestamp(value, tz="UTC")
    return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M} UTC"


def complete_periods(counts: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`period_counts` whose period the log covers entirely (``complete``).

    The first and last periods of a log are usually partial: a half-covered edge week looks like a
    collapse and drags a forecast down, so forecasts and trend lines should use these rows only.
    The rule is the one ``period_counts`` states for its ``complete`` column, applied once here.

    Parameters
    ----------
    counts
        Output of :func:`period_counts`.

    Returns
    -------
    pandas.DataFrame
        The complete rows, index reset (empty when no period is complete).

    Raises
    ------
    InvalidInputError
        If ``counts`` has no ``complete`` column.
    """
    if "complete" not in counts.columns:
        raise InvalidInputError(
            f"counts: expected the output of period_counts() with a 'complete' column, found "
            f"{list(counts.columns)}"
        )
    keep = counts["complete"].to_numpy(dtype=bool)
    return counts[keep].reset_index(drop=True)

"""The count tables of an atlas assembled from grouped counts (what Spark and DuckDB return), with
the local code's own rules: order, labels and derived columns exactly as
core.spacetime.heatmaps / regions / trends give them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from core.engines.folder import SHARE
from core.engines.keys import region_layer, unit_labels
from core.spacetime import geo
from core.spacetime.filters import OFFSETS as _OFFSETS
from core.spacetime.filters import WEEKDAYS
from core.spacetime.regions import REGION


def share_columns(labels: Sequence[str]) -> list[str]:
    """``share:<label>`` for each topic label: never collides with a fixed column.

    Parameters
    ----------
    labels
        The atlas's topic labels.

    Returns
    -------
    list of str
        The column names of the share tables, one per label.
    """
    return [f"{SHARE}{label}" for label in labels]


def hour_of_week_from_counts(how: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """The 7 x 24 grid (index weekday Mon..Sun, columns "0".."23") from counts per hour of week.

    Parameters
    ----------
    how, events
        Hour-of-week keys (0..167) and their event counts.

    Returns
    -------
    pandas.DataFrame
        A ``weekday`` column and 24 int64 hour columns.
    """
    grid = np.bincount(np.asarray(how, np.int64), weights=events, minlength=168).astype(np.int64)
    frame = pd.DataFrame(grid.reshape(7, 24), columns=[str(h) for h in range(24)])
    frame.insert(0, "weekday", list(WEEKDAYS))
    return frame


def hour_of_week_frame(grid: pd.DataFrame) -> pd.DataFrame:
    """The local function's grid in the atlas form (weekday column, string hour columns).

    Parameters
    ----------
    grid
        core.spacetime's hour-of-week grid (weekday index, integer hour columns).

    Returns
    -------
    pandas.DataFrame
    """
    out = grid.copy()
    out.columns = [str(c) for c in out.columns]
    out = out.reset_index()
    return out


def period_counts_from_counts(
    per_bin: pd.DataFrame,
    per_topic: pd.DataFrame,
    labels: Sequence[str],
    period: str,
    ts_min_ns: int | None,
    ts_max_ns: int | None,
) -> pd.DataFrame:
    """core.spacetime.trends.period_counts from ``per_bin`` (unit, events, users) and
    ``per_topic`` (unit, topic, events): dense periods from first to last, empty ones included.

    Parameters
    ----------
    per_bin, per_topic
        The grouped counts above.
    labels, period
        Topic labels and the atlas period.
    ts_min_ns, ts_max_ns
        First and last event time; a period is ``complete`` if inside them (None: none is).

    Returns
    -------
    pandas.DataFrame
        period, events, users, complete, then ``share:`` and ``n:`` columns per topic.
    """
    step = 7 if period == "W" else 1
    k = len(labels)
    if len(per_bin):
        lo, hi = int(per_bin["unit"].min()), int(per_bin["unit"].max())
        units = np.arange(lo, hi + 1, step)
    else:
        units = np.zeros(0, np.int64)
    index = unit_labels(units, period)
    pos = (per_bin["unit"].to_numpy(np.int64) - (units[0] if len(units) else 0)) // step
    n = len(units)
    counts = np.zeros(n, np.int64)
    users = np.zeros(n, np.int64)
    counts[pos] = per_bin["events"].to_numpy(np.int64)
    users[pos] = per_bin["users"].to_numpy(np.int64)
    by_topic = np.zeros((n, k), np.int64)
    tpos = (per_topic["unit"].to_numpy(np.int64) - (units[0] if len(units) else 0)) // step
    by_topic[tpos, per_topic["topic"].to_numpy(np.int64)] = per_topic["events"].to_numpy(np.int64)
    shares = by_topic / np.maximum(counts, 1)[:, None]
    out = pd.DataFrame({"period": index, "events": counts, "users": users})
    if n and ts_min_ns is not None and ts_max_ns is not None:
        ends = (index + pd.tseries.frequencies.to_offset(_OFFSETS[period])).tz_localize(None)
        starts = index.tz_localize(None)
        lo_ts, hi_ts = np.datetime64(int(ts_min_ns), "ns"), np.datetime64(int(ts_max_ns), "ns")
        out["complete"] = (starts >= lo_ts) & (ends <= hi_ts + np.timedelta64(1, "ns"))
    else:
        out["complete"] = np.zeros(n, dtype=bool)
    share_frame = pd.DataFrame(shares, columns=share_columns(labels))
    count_frame = pd.DataFrame(by_topic, columns=[f"n:{label}" for label in labels])
    return pd.concat([out, share_frame, count_frame], axis=1)


def place_frames_from_counts(
    place: np.ndarray,
    values: np.ndarray | None,
    unit: np.ndarray,
    topic: np.ndarray,
    events: np.ndarray,
    users: np.ndarray,
    place_users: pd.DataFrame,
    labels: Sequence[str],
    period: str,
    column: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """core.spacetime.grouping.group_frames' two frames, rebuilt from grouped counts.

    Ordered like the local code: ascending place, period, topic.

    Parameters
    ----------
    place, unit, topic
        The group keys: ``place`` sortable codes in the local order, ``unit`` the time unit,
        ``topic`` the topic index.
    values
        What the ``column`` of the frames shows for each place code (None: the codes themselves).
    events, users
        Events and distinct users per (place, unit, topic) group.
    place_users
        Distinct users per (place, unit): columns ``place``, ``unit``, ``users``.
    labels
        Topic labels.
    period
        The calendar period of the units.
    column
        Name of the place column.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        ``(per place and period, per place, period and topic)``.
    """
    k = len(labels)
    order = np.lexsort((topic, unit, place))
    place, unit, topic = place[order], unit[order], topic[order]
    events, users = events[order], users[order]
    topics_frame = pd.DataFrame(
        {
            column: place if values is None else values[place],
            "bin": unit_labels(unit, period),
            "topic": pd.Categorical.from_codes(topic, categories=list(labels)),
            "events": events,
            "users": users,
        }
    )
    # (place, bin) groups in the same order; their topic mix from the rows above.
    start = (
        np.r_[True, (place[1:] != place[:-1]) | (unit[1:] != unit[:-1])]
        if len(place)
        else np.zeros(0, bool)
    )
    group = np.cumsum(start) - 1
    n_pb = int(start.sum())
    mix = np.zeros((n_pb, k), dtype=np.int64)
    mix[group, topic] = events
    totals = mix.sum(axis=1)
    pb_place, pb_unit = place[start], unit[start]
    key = pd.MultiIndex.from_arrays(
        [place_users["place"].to_numpy(place.dtype), place_users["unit"].to_numpy(np.int64)]
    )
    where = key.get_indexer(pd.MultiIndex.from_arrays([pb_place, pb_unit]))
    pb_users = place_users["users"].to_numpy(np.int64)[where] if n_pb else np.zeros(0, np.int64)
    shares = mix / np.maximum(totals, 1)[:, None]
    dominant = mix.argmax(axis=1) if n_pb else np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame(
        {
            column: pb_place if values is None else values[pb_place],
            "bin": unit_labels(pb_unit, period),
            "events": totals,
            "users": pb_users,
            "dominant_topic": np.asarray(labels, dtype=object)[dominant],
            "dominant_share": shares[np.arange(n_pb), dominant],
        }
    )
    share_frame = pd.DataFrame(shares, columns=share_columns(labels))
    return pd.concat([frame, share_frame], axis=1), topics_frame


def _grouped(by_topic: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """The unit, topic, events and users columns of grouped counts."""
    return (
        by_topic["unit"].to_numpy(np.int64),
        by_topic["topic"].to_numpy(np.int64),
        by_topic["events"].to_numpy(np.int64),
        by_topic["users"].to_numpy(np.int64),
    )


def cells_from_counts(
    by_topic: pd.DataFrame, cell_users: pd.DataFrame, labels: Sequence[str], period: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """core.spacetime.heatmaps.aggregate's ``cells`` and ``by_topic`` frames from grouped counts,
    in the local order: ascending cell (as uint64), period, topic.

    Parameters
    ----------
    by_topic
        h3 (as int64), unit, topic, events, users per group.
    cell_users
        h3, unit, users (distinct per cell and unit).
    labels, period
        Topic labels and the atlas period.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        ``(cells, by_topic)``.
    """
    h3 = by_topic["h3"].to_numpy(np.int64).view(np.uint64)
    users = pd.DataFrame(
        {
            "place": cell_users["h3"].to_numpy(np.int64).view(np.uint64),
            "unit": cell_users["unit"],
            "users": cell_users["users"],
        }
    )
    frame, topics_frame = place_frames_from_counts(
        h3, None, *_grouped(by_topic), users, labels, period, geo.CELL
    )
    frame.insert(1, "h3_hex", geo.cell_strings(frame[geo.CELL].to_numpy(np.uint64)))
    return frame, topics_frame


def count_tables(
    place_counts: Callable[[str], tuple[pd.DataFrame, pd.DataFrame]],
    per_bin: pd.DataFrame,
    per_topic: pd.DataFrame,
    how: pd.DataFrame,
    labels: Sequence[str],
    period: str,
    stats: Mapping[str, object],
) -> dict[str, pd.DataFrame]:
    """Every count table of an atlas from an engine's grouped counts.

    Parameters
    ----------
    place_counts
        ``place_counts(place)`` for place "h3" (located events) or "region" (events in a
        country): ``(by_topic, place_users)`` as :func:`place_frames_from_counts` reads them.
    per_bin, per_topic
        Events and distinct users per period unit; events per (unit, topic).
    how
        ``how`` (hour-of-week key) and ``n`` (its events).
    labels, period
        Topic labels and the atlas period.
    stats
        ``lo`` / ``hi``: the log's first and last event time (ns).

    Returns
    -------
    dict
        cells, cells_by_topic, regions, regions_by_topic, period_counts and hour_of_week.
    """
    cells, cells_by_topic = cells_from_counts(*place_counts("h3"), labels, period)
    by_region, regions_by_topic = regions_from_counts(
        *place_counts("region"), region_layer()[2], labels, period
    )
    return {
        "cells": cells,
        "cells_by_topic": cells_by_topic,
        "regions": by_region,
        "regions_by_topic": regions_by_topic,
        "period_counts": period_counts_from_counts(
            per_bin, per_topic, labels, period, stats["lo"], stats["hi"]
        ),
        "hour_of_week": hour_of_week_from_counts(how["how"].to_numpy(), how["n"].to_numpy()),
    }


def regions_from_counts(
    by_topic: pd.DataFrame,
    region_users: pd.DataFrame,
    names: Sequence[str],
    labels: Sequence[str],
    period: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """core.spacetime.regions.aggregate's ``regions`` and ``by_topic`` frames from grouped counts.

    Parameters
    ----------
    by_topic
        Region code, unit, topic, events, users per group.
    region_users
        Region, unit, users (distinct per region and unit).
    names
        The layer's region names, indexed by region code (in order of first appearance, as the
        local code factorises them).
    labels
        Topic labels.
    period
        The calendar period of the units.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        ``(regions, by_topic)``.
    """
    users = pd.DataFrame(
        {
            "place": region_users["region"].to_numpy(np.int64),
            "unit": region_users["unit"],
            "users": region_users["users"],
        }
    )
    return place_frames_from_counts(
        by_topic["region"].to_numpy(np.int64),
        np.asarray(names, dtype=object),
        *_grouped(by_topic),
        users,
        labels,
        period,
        REGION,
    )

"""Who changed interests, when and from what to what: change points and the drift ranking.

At each of a user's active days, the user's (undecayed, weighted) topic shares before and from then
on are compared: ``shift`` is their total-variation distance and ``shift_score = shift - 0.5 /
sqrt(n_eff)`` (``n_eff = n_before * n_after / (n_before + n_after)`` active days) discounts splits
resting on few days. ``core.interests.timeline`` keeps each timeline row's best boundary;
``drift_ranking`` ranks users by their best row, and ``change_ranking`` gives the same ranking
straight from the events (no interest vectors, no timeline: what the Overview needs on open).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.interests._kernels import item_rows, ts_ns, user_index, validate, weights
from core.interests.embeddings import ItemVectors
from core.interests.state import InterestSpec
from core.interests.topics import Topics
from core.schema import TS, USER

__all__ = ["RANKING_COLUMNS", "change_ranking", "drift_ranking"]

#: The columns of a drift ranking, in order.
RANKING_COLUMNS = (
    USER,
    "drift",
    "change_period",
    "from_topic",
    "to_topic",
    "change_ts",
    "score",
    "n_before",
    "n_after",
    "change_start",
    "change_end",
)


def _change_points(
    ev_row: np.ndarray,
    upos: np.ndarray,
    ts: np.ndarray,
    w: np.ndarray,
    topic_of: np.ndarray,
    n_rows: int,
    k: int,
) -> tuple[np.ndarray, ...]:
    """The best day boundary inside each timeline row, comparing a user's topics before vs after.

    Units are a user's active days (one visit makes several funnel events that are not independent
    observations of interest, so evidence is counted in days). At the start of each unit, ``shift``
    is the total-variation distance between the user's (undecayed, weighted) topic shares before
    and from then on; ``score = shift - 0.5 / sqrt(n_eff)``, with ``n_eff = nb * na / (nb + na)``
    active days, discounts splits that rest on few days. Each row keeps its best unit boundary.
    Returns per row: shift, score (-inf where no boundary), days before, days after, shares
    before (R, k), shares after (R, k), boundary time (ns, midway between the last event before and
    the first event after).
    """
    day = ts // 86_400_000_000_000  # UTC calendar days: a day never straddles two periods
    day = day - day.min()
    span = int(day.max()) + 1
    unit_key, ev_unit = np.unique(upos * span + day, return_inverse=True)
    ev_unit = ev_unit.reshape(-1)
    n_units = len(unit_key)
    unit_user = unit_key // span
    unit_top = np.bincount(ev_unit * k + topic_of, weights=w, minlength=n_units * k).reshape(
        n_units, k
    )
    unit_row = np.zeros(n_units, dtype=np.int64)
    unit_row[ev_unit] = ev_row
    first_unit = np.searchsorted(unit_user, np.arange(int(unit_user.max()) + 1))
    last_unit = np.append(first_unit[1:], n_units) - 1
    # Segmented cumulative sums: global cumsum minus the cumsum at the user's first unit.
    cum = np.cumsum(unit_top, axis=0)
    excl = cum - unit_top
    before = excl - excl[first_unit][unit_user]
    user_total = cum[last_unit] - excl[first_unit]
    after = user_total[unit_user] - before
    idx = np.arange(n_units)
    n_before = (idx - first_unit[unit_user]).astype(np.float64)
    n_after = (last_unit[unit_user] - idx + 1).astype(np.float64)
    p_before, p_after = _rownorm(before), _rownorm(after)
    shift = np.where(n_before > 0, 0.5 * np.abs(p_before - p_after).sum(1), 0.0)
    n_eff = n_before * n_after / np.maximum(n_before + n_after, 1.0)
    score = np.where(n_before > 0, shift - 0.5 / np.sqrt(np.maximum(n_eff, 1e-12)), -np.inf)
    first_ts = np.full(n_units, np.iinfo(np.int64).max)
    np.minimum.at(first_ts, ev_unit, ts)
    last_ts = np.full(n_units, np.iinfo(np.int64).min)
    np.maximum.at(last_ts, ev_unit, ts)
    prev_last = np.where(n_before > 0, last_ts[np.maximum(idx - 1, 0)], first_ts)
    change_ns = prev_last + (first_ts - prev_last) // 2
    # Best unit of each row: sort by (row, -score), keep the first of each row.
    order = np.lexsort((-np.nan_to_num(score, neginf=-1e300), unit_row))
    keep = order[np.r_[True, unit_row[order][1:] != unit_row[order][:-1]]]
    assert len(keep) == n_rows
    return (
        shift[keep],
        score[keep],
        n_before[keep].astype(np.int64),
        n_after[keep].astype(np.int64),
        p_before[keep],
        p_after[keep],
        change_ns[keep],
        prev_last[keep],
        first_ts[keep],
    )


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def _rownorm(x: np.ndarray) -> np.ndarray:
    s = x.sum(1, keepdims=True)
    return np.where(s > 0, x / np.where(s > 0, s, 1.0), 0.0)


def drift_ranking(timeline_frame: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` users whose interests changed most, with when and from which topic to which.

    Each user's change is the period boundary with the highest ``shift_score`` in their timeline.

    Parameters
    ----------
    timeline_frame
        Output of ``timeline``.
    n
        How many users to return.

    Returns
    -------
    pandas.DataFrame
        ``user_id, drift`` (total-variation distance between topic shares before and after, 0..1),
        ``change_period`` (start of the period holding ``change_ts``), ``from_topic, to_topic,
        change_ts, score, n_before, n_after`` (active days), ``change_start, change_end`` (the change
        happened between these two events); sorted by ``score`` descending.

    Raises
    ------
    InvalidInputError
        If ``timeline_frame`` lacks the timeline columns or ``n`` < 0.
    """
    need = [USER, "shift", "shift_score", "before_topic", "after_topic", "change_ts"]
    need += ["change_period", "n_before", "n_after", "change_start", "change_end"]
    missing = [c for c in need if c not in timeline_frame.columns]
    if missing:
        raise InvalidInputError(
            f"timeline_frame lacks columns {missing}: expected the output of timeline(), "
            f"found {list(timeline_frame.columns)}"
        )
    if n < 0:
        raise InvalidInputError(f"n must be >= 0: got {n}")
    if timeline_frame.empty:
        return pd.DataFrame(columns=list(RANKING_COLUMNS))
    best = (
        timeline_frame.sort_values([USER, "shift_score"], ascending=[True, False], kind="stable")
        .drop_duplicates(USER, keep="first")
        .sort_values(["shift_score", USER], ascending=[False, True], kind="stable")
        .head(n)
    )
    best = best[np.isfinite(best["shift_score"].to_numpy(dtype=np.float64))]
    return pd.DataFrame(
        {
            USER: best[USER].to_numpy(),
            "drift": best["shift"].to_numpy(dtype=np.float64),
            "change_period": pd.DatetimeIndex(best["change_period"]),
            "from_topic": best["before_topic"].to_numpy(),
            "to_topic": best["after_topic"].to_numpy(),
            "change_ts": pd.DatetimeIndex(best["change_ts"]),
            "score": best["shift_score"].to_numpy(dtype=np.float64),
            "n_before": best["n_before"].to_numpy(),
            "n_after": best["n_after"].to_numpy(),
            "change_start": pd.DatetimeIndex(best["change_start"]),
            "change_end": pd.DatetimeIndex(best["change_end"]),
        }
    )


def change_ranking(
    events: pd.DataFrame,
    item_vectors: ItemVectors,
    topics: Topics,
    spec: InterestSpec | None = None,
    n: int = 20,
) -> pd.DataFrame:
    """``drift_ranking(timeline(events, item_vectors, topics, spec), n)`` without the timeline.

    A user's best change boundary is the best over all of their active days, so the boundaries
    are scored once per user (ties: the earliest day, as the timeline keeps them) and the interest
    vectors are never carried through the periods: the cost is a few passes over the events.

    Parameters
    ----------
    events
        A canonical EventLog.
    item_vectors, topics
        Item vectors and the topics found from them (every event's item needs a vector).
    spec
        The period that ``change_period`` names (``spec.period``); half-life and device do not
        enter the ranking.
    n
        How many users to return.

    Returns
    -------
    pandas.DataFrame
        As ``drift_ranking``, equal to it.

    Raises
    ------
    InvalidInputError
        If columns are missing, the period alias is unknown, an item has no vector or ``n`` < 0.
    """
    spec = InterestSpec() if spec is None else spec
    validate(events, item_vectors, topics, spec.half_life_days, spec.period)
    if n < 0:
        raise InvalidInputError(f"n must be >= 0: got {n}")
    if events.empty:
        return pd.DataFrame(columns=list(RANKING_COLUMNS))
    topic_of = topics.item_topic[item_rows(events, item_vectors)]
    user_str, upos = user_index(events[USER])
    cp = _change_points(
        upos, upos, ts_ns(events[TS]), weights(events), topic_of, len(user_str), topics.k
    )
    shift, score, n_before, n_after, p_before, p_after, change_ns, gap_start, gap_end = cp
    # user_str is sorted, so the position breaks ties of score as the user id does
    order = np.lexsort((np.arange(len(score)), -score))
    order = order[np.isfinite(score[order])][:n]
    lab = np.array(topics.labels, dtype=object)
    change_ts = _utc(change_ns[order])
    return pd.DataFrame(
        {
            USER: user_str[order].astype(object),
            "drift": shift[order].astype(np.float64),
            "change_period": change_ts.tz_convert(None)
            .to_period(spec.period)
            .start_time.tz_localize("UTC"),
            "from_topic": np.where(n_before[order] > 0, lab[p_before[order].argmax(1)], None),
            "to_topic": lab[p_after[order].argmax(1)],
            "change_ts": change_ts,
            "score": score[order].astype(np.float64),
            "n_before": n_before[order],
            "n_after": n_after[order],
            "change_start": _utc(gap_start[order]),
            "change_end": _utc(gap_end[order]),
        }
    )

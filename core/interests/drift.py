"""Change points and the drift ranking: which users' interests moved, when, and from what to what.

Each active-day boundary of a user compares their topic shares before and after it (undecayed):
``shift`` is the total-variation distance and ``shift_score = shift - 0.5 / sqrt(n_eff)``
(``n_eff = n_before * n_after / (n_before + n_after)`` active days) discounts splits resting on few
days. :func:`core.interests.timeline.timeline` keeps the best boundary of every row;
:func:`drift_ranking` picks each user's best row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.schema import USER

__all__ = ["change_points", "drift_ranking"]


def change_points(
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

    Parameters
    ----------
    ev_row
        Timeline row of every event (events sorted by user, then time).
    upos
        User position of every event.
    ts
        Event times, int64 ns since the epoch.
    w
        Event weights.
    topic_of
        Topic index of every event.
    n_rows
        Number of timeline rows.
    k
        Number of topics.

    Returns
    -------
    tuple of numpy.ndarray
        Per row: shift, score (-inf where no boundary), days before, days after, shares before
        (R, k), shares after (R, k), boundary time (ns, midway between the last event before and the
        first event after), the last event time before and the first event time after.
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
    cols = [USER, "drift", "change_period", "from_topic", "to_topic", "change_ts", "score"]
    cols += ["n_before", "n_after", "change_start", "change_end"]
    if timeline_frame.empty:
        return pd.DataFrame(columns=cols)
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

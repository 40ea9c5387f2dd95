"""How each user's interests move: a per-period timeline, change points and a drift ranking.

The timeline evaluates the decayed interest of ``core.interests.state`` at the end of every period in
which a user had events; ``drift`` is the cosine distance between consecutive periods. To rank users
whose interests *changed*, each active-day boundary also compares the user's topic shares before and
after it (undecayed): ``shift`` is their total-variation distance and ``shift_score = shift - 0.5 /
sqrt(n_eff)`` (``n_eff = n_before * n_after / (n_before + n_after)`` active days) discounts splits
resting on few days, so a user with three visits cannot outrank a user who clearly moved. (A
consecutive-period cosine drift of the *decayed* vector ranks poorly: a new user's first weeks swing
widely while an established user's switch moves it slowly.)

Topic share columns are named ``share:<label>`` so that no topic label can collide with a fixed
column such as ``weight`` or ``drift``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.interests import _kernels as kernels
from core.interests.drift import change_points, drift_ranking
from core.interests.embeddings import ItemVectors
from core.interests.state import InterestSpec
from core.interests.topics import Topics
from core.schema import TS, USER

__all__ = ["TIMELINE_COLUMNS", "drift_ranking", "timeline"]

_DEFAULT_SPEC = InterestSpec()

#: The fixed columns of a timeline frame, before the ``share:<label>`` columns.
TIMELINE_COLUMNS = (
    USER,
    "period",
    "period_end",
    "n_events",
    "weight",
    "drift",
    "top_topic",
    "shift",
    "shift_score",
    "n_before",
    "n_after",
    "before_topic",
    "after_topic",
    "change_ts",
    "change_period",
    "change_start",
    "change_end",
)


def _period_starts(ts: pd.Series, period: str) -> pd.Series:
    naive = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period(period).dt.start_time


def timeline(
    events: pd.DataFrame,
    item_vectors: ItemVectors,
    topics: Topics,
    spec: InterestSpec = _DEFAULT_SPEC,
    users: Sequence[str] | None = None,
    with_vectors: bool = False,
) -> pd.DataFrame:
    """Each user's interest at the end of every period in which they had events.

    Periods without events are left out: decay scales a user's sums but does not rotate them, so
    the interest vector and topic shares are unchanged until the next event.

    Parameters
    ----------
    events
        A canonical EventLog.
    item_vectors, topics
        Item vectors and the topics found from them.
    spec
        Half-life, period ("D", "W", "M", ...) and device.
    users
        Only these users (default: all).
    with_vectors
        Add a ``vector`` column holding each row's unit interest vector (float32 array).

    Returns
    -------
    pandas.DataFrame
        One row per (user, active period), sorted by user then period, with columns ``user_id,
        period`` (period start, UTC), ``period_end, n_events, weight`` (decayed total at the period
        end), ``drift`` (cosine distance to the user's previous row; NaN on the first),
        ``top_topic``, then the best change boundary inside this period (see
        :func:`core.interests.drift.change_points`):
        ``shift`` (0..1), ``shift_score``, ``n_before, n_after`` (active days), ``before_topic,
        after_topic``, ``change_ts`` (midway between the last event before and the first after),
        ``change_period`` (its period start), ``change_start, change_end`` (that gap), then one
        column ``share:<label>`` per topic.

    Raises
    ------
    InvalidInputError
        If columns are missing, the period alias is unknown or an item has no vector.
    """
    kernels.validate(events, item_vectors, topics, spec.half_life_days, spec.period)
    if users is not None:
        events = events[events[USER].astype(str).isin(pd.Index(users).astype(str))]
    labels = list(topics.labels)
    k = topics.k
    if events.empty:
        return pd.DataFrame(columns=[*TIMELINE_COLUMNS, *kernels.share_columns(labels)])
    device = pick_device(spec.device)
    rows_of = kernels.item_rows(events, item_vectors)
    ts = kernels.ts_ns(events[TS])
    w = kernels.weights(events)
    user_str, upos = kernels.user_index(events[USER])
    n_users = len(user_str)

    # Rows: distinct (user, period), sorted by user then period.
    pstart = _period_starts(events[TS], spec.period)
    pcodes, pcats = pd.factorize(pstart, sort=True)
    pend_cats = (pd.PeriodIndex(pcats, freq=spec.period) + 1).start_time
    n_p = len(pcats)
    row_key = upos * n_p + pcodes
    row_keys, ev_row = np.unique(row_key, return_inverse=True)
    ev_row = ev_row.reshape(-1)
    n_rows = len(row_keys)
    row_user = row_keys // n_p
    row_period = row_keys % n_p
    first_row = np.searchsorted(row_user, np.arange(n_users))
    rank = np.arange(n_rows) - first_row[row_user]
    row_end_ns = pend_cats.to_numpy("datetime64[ns]").view("i8")[row_period]

    # Per-row sums decayed to the row's period end.
    dw = w * np.exp2(-((row_end_ns[ev_row] - ts) / kernels.NS_PER_DAY) / spec.half_life_days)
    row_w = np.bincount(ev_row, weights=dw, minlength=n_rows)
    rel = dw / np.where(row_w > 0, row_w, 1.0)[ev_row]  # float32-safe, as in _aggregate
    topic_of = topics.item_topic[rows_of]
    row_top = np.bincount(ev_row * k + topic_of, weights=dw, minlength=n_rows * k).reshape(
        n_rows, k
    )
    tot, top, drift, unit = _carry(
        ev_row,
        rows_of,
        rel,
        row_w,
        row_top,
        row_user,
        rank,
        row_end_ns,
        n_users,
        item_vectors.vectors.to(device=device, dtype=torch.float32),
        spec.half_life_days,
        with_vectors,
    )
    shares = np.where(tot[:, None] > 0, top / np.maximum(tot, 1e-300)[:, None], 0.0)

    raw_events = np.bincount(ev_row, minlength=n_rows)
    cp = change_points(ev_row, upos, ts, w, topic_of, n_rows, k)
    shift, score, n_before, n_after, p_before, p_after, change_ns, gap_start, gap_end = cp

    change_idx = pd.DatetimeIndex(change_ns.view("datetime64[ns]"))
    change_period = change_idx.to_period(spec.period).start_time
    lab = np.array(labels, dtype=object)
    frame = pd.DataFrame(
        {
            USER: user_str[row_user],
            "period": pd.DatetimeIndex(pcats[row_period]).tz_localize("UTC"),
            "period_end": pd.DatetimeIndex(pend_cats[row_period]).tz_localize("UTC"),
            "n_events": raw_events.astype(np.int64),
            "weight": tot,
            "drift": drift,
            "top_topic": lab[shares.argmax(1)],
            "shift": shift,
            "shift_score": score,
            "n_before": n_before.astype(np.int64),
            "n_after": n_after.astype(np.int64),
            "before_topic": np.where(n_before > 0, lab[p_before.argmax(1)], None),
            "after_topic": lab[p_after.argmax(1)],
            "change_ts": change_idx.tz_localize("UTC"),
            "change_period": change_period.tz_localize("UTC"),
            "change_start": _utc(gap_start),
            "change_end": _utc(gap_end),
        }
    )
    frame = pd.concat([frame, pd.DataFrame(shares, columns=kernels.share_columns(labels))], axis=1)
    if with_vectors:
        frame["vector"] = list(unit)
    return frame


def _carry(
    ev_row: np.ndarray,
    ev_items: np.ndarray,
    rel: np.ndarray,
    row_w: np.ndarray,
    row_top: np.ndarray,
    row_user: np.ndarray,
    rank: np.ndarray,
    row_end_ns: np.ndarray,
    n_users: int,
    table: torch.Tensor,
    half_life_days: float,
    with_vectors: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Decayed totals, topic sums, drift (and unit vectors) per row, carried across each user's rows.

    One vectorised step per rank (a user's 1st, 2nd, ... active period: at most the number of
    periods), over all users at once; only the users' current state (n_users x d) is held, plus
    the rows' vectors when asked for.
    """
    n_rows, k = row_top.shape
    device, d = table.device, table.shape[1]
    tot = np.zeros(n_rows)
    top = np.zeros((n_rows, k))
    drift = np.full(n_rows, np.nan)
    unit = np.zeros((n_rows, d), dtype=np.float32) if with_vectors else None
    # float32 state: drift needs ~1e-6, and the (users x d) traffic is the cost here.
    state = torch.zeros((n_users, d), dtype=torch.float32, device=device)
    user_tot = np.zeros(n_users)
    user_top = np.zeros((n_users, k))
    user_end = np.zeros(n_users, dtype=np.int64)
    ev_rank = rank[ev_row]
    ev_order = np.argsort(ev_rank, kind="stable")
    n_steps = int(rank.max()) + 1
    ev_bounds = np.searchsorted(ev_rank[ev_order], np.arange(n_steps + 1))
    row_order = np.argsort(rank, kind="stable")
    row_bounds = np.searchsorted(rank[row_order], np.arange(n_steps + 1))
    for j in range(n_steps):  # steps over period ranks, not users
        r = np.sort(row_order[row_bounds[j] : row_bounds[j + 1]])
        ev = ev_order[ev_bounds[j] : ev_bounds[j + 1]]
        local = np.searchsorted(r, ev_row[ev])
        sums = (
            kernels.segment_sum(
                torch.from_numpy(local).to(device),
                torch.from_numpy(ev_items[ev]).to(device),
                torch.from_numpy(rel[ev]).to(device),
                len(r),
                table,
            )
            * torch.from_numpy(row_w[r].astype(np.float32)).to(device)[:, None]
        )  # (|r|, d)
        users = row_user[r]
        a = np.where(
            j > 0,
            np.exp2(-((row_end_ns[r] - user_end[users]) / kernels.NS_PER_DAY) / half_life_days),
            0.0,
        )
        users_t = torch.from_numpy(users).to(device)
        prev = state[users_t]
        new = prev * torch.from_numpy(a.astype(np.float32)).to(device)[:, None] + sums
        if j > 0:
            dot = (prev * new).sum(1)
            norms = prev.norm(dim=1) * new.norm(dim=1)
            cos = torch.where(norms > 0, dot / norms.clamp_min(1e-30), torch.ones_like(dot))
            drift[r] = (1.0 - cos).clamp_min(0).double().cpu().numpy()
        state[users_t] = new
        tot[r] = user_tot[users] = user_tot[users] * a + row_w[r]
        top[r] = user_top[users] = user_top[users] * a[:, None] + row_top[r]
        user_end[users] = row_end_ns[r]
        if unit is not None:
            unit[r] = torch.nn.functional.normalize(new, dim=1).float().cpu().numpy()
    return tot, top, drift, unit


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")

"""What each user is interested in, at any time, and how that changes.

A user's interest vector at time t is the weighted mean of the vectors of the items they engaged
with up to t, each event weighted by its ``weight`` times an exponential time decay
``2 ** (-(t - ts) / half_life)``; their topic shares are the same weighted mean of topic memberships.

The state keeps, per user, the decayed mean vector, the decayed topic shares and the decayed total
weight at a reference time, so new events can be folded in later without touching old ones
(``update``): the result equals a full recompute. All sums are segment sums on the device (a sparse
users x items matrix times the item vectors), never a Python loop over users or events.

The timeline evaluates the same per period for every user; ``drift`` is the cosine distance between
consecutive periods. To rank users whose interests *changed*, each active-day boundary also compares
the user's topic shares before and after it (undecayed): ``shift`` is their total-variation distance
and ``shift_score = shift - 0.5 / sqrt(n_eff)`` (``n_eff = n_before * n_after / (n_before +
n_after)`` active days) discounts splits resting on few days, so a user with three visits cannot
outrank a user who clearly moved. (A consecutive-period cosine drift of the *decayed* vector ranks
poorly: a new user's first weeks swing widely while an established user's switch moves it slowly.)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.errors import InvalidInputError
from core.interests.embeddings import ItemVectors
from core.interests.topics import Topics
from core.schema import ITEM, TS, USER, WEIGHT, codes

_NS_PER_DAY = 86_400e9


@dataclass(frozen=True)
class InterestSpec:
    """Decay half-life (days), timeline period (pandas period alias: "D", "W", "M") and device."""

    half_life_days: float = 14.0
    period: str = "W"
    device: str = "auto"


@dataclass(frozen=True)
class InterestState:
    """Everything needed to continue incrementally, per user (rows follow ``user_ids``, sorted).

    ``mean``: (n_users, d) float32 decayed weighted mean of item vectors; ``topic_share``:
    (n_users, k) float64 decayed weighted mean of topic memberships; ``total``: (n_users,) float64
    decayed total weight at ``ref_time``; ``n_events``: (n_users,) int64; ``last_ts``: last event
    time per user (datetime64[ns], UTC). The decayed sums are ``mean * total`` and
    ``topic_share * total``. Tensors live on the CPU.
    """

    user_ids: tuple[str, ...]
    mean: torch.Tensor
    topic_share: torch.Tensor
    total: torch.Tensor
    n_events: torch.Tensor
    last_ts: np.ndarray
    ref_time: pd.Timestamp
    half_life_days: float
    topic_labels: tuple[str, ...]

    @property
    def sums(self) -> torch.Tensor:
        """(n_users, d) decayed weighted sums of item vectors at ``ref_time``."""
        return self.mean * self.total[:, None].to(self.mean.dtype)


# -- helpers ---------------------------------------------------------------------------------------
def _validate(
    events: pd.DataFrame, item_vectors: ItemVectors, topics: Topics, spec: InterestSpec
) -> None:
    missing = [c for c in (USER, ITEM, TS, WEIGHT) if c not in events.columns]
    if missing:
        raise InvalidInputError(
            f"events lacks columns {missing}: expected a canonical EventLog, found {list(events.columns)}"
        )
    if not spec.half_life_days > 0:
        raise InvalidInputError(f"half_life_days must be > 0: got {spec.half_life_days}")
    if len(topics.item_topic) != len(item_vectors.item_ids):
        raise InvalidInputError(
            f"topics cover {len(topics.item_topic)} items but item_vectors has "
            f"{len(item_vectors.item_ids)}: expected topics found from these vectors"
        )
    try:
        pd.Period("2026-01-01", freq=spec.period)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"period must be a pandas period alias such as 'D', 'W', 'M': got {spec.period!r}"
        ) from exc


def _item_rows(events: pd.DataFrame, item_vectors: ItemVectors) -> np.ndarray:
    """Row of each event's item in ``item_vectors`` (raises if an item has no vector)."""
    ev_codes, cats = codes(events[ITEM])
    pos = pd.Index(item_vectors.item_ids).get_indexer(cats.astype(str))
    rows = pos[ev_codes] if len(ev_codes) else np.empty(0, np.int64)
    if (rows < 0).any():
        unknown = pd.unique(events[ITEM].astype(str).to_numpy()[rows < 0])
        raise InvalidInputError(
            f"events mention {len(unknown)} item(s) without a vector, e.g. {list(unknown[:5])}: "
            "expected item_vectors built from a log that contains them"
        )
    return rows.astype(np.int64)


def _weights(events: pd.DataFrame) -> np.ndarray:
    # Unknown strength counts as 1; negative signals are not interests (clipped to 0).
    return np.clip(events[WEIGHT].fillna(1.0).to_numpy(dtype=np.float64), 0.0, None)


def _ts_ns(series: pd.Series) -> np.ndarray:
    return series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]").view("i8")


def _segment_sum(
    rows: torch.Tensor, cols: torch.Tensor, vals: torch.Tensor, n_rows: int, table: torch.Tensor
) -> torch.Tensor:
    """out[r] = sum over i with rows[i] == r of vals[i] * table[cols[i]]  -> (n_rows, d).

    A sparse (n_rows x n_table) matrix times ``table``: it never materialises the (events x d)
    gathered rows, which is what keeps it near the memory-bound floor.
    """
    d = table.shape[1]
    if rows.numel() == 0:
        return torch.zeros((n_rows, d), dtype=table.dtype, device=table.device)
    if table.device.type == "mps":  # no sparse CSR matmul there: gather + index_add
        contrib = table[cols] * vals[:, None].to(table.dtype)  # (E, d)
        return torch.zeros((n_rows, d), dtype=table.dtype, device=table.device).index_add_(
            0, rows, contrib
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        # CSR built directly: one sort by (row, col) on the device; duplicates stay as separate
        # entries (the product sums them), which saves coalesce's second pass.
        _, perm = torch.sort(rows * table.shape[0] + cols)
        crow = torch.zeros(n_rows + 1, dtype=torch.int64, device=rows.device)
        crow[1:] = torch.cumsum(torch.bincount(rows, minlength=n_rows), 0)
        mat = torch.sparse_csr_tensor(
            crow,
            cols[perm],
            vals[perm].to(table.dtype),
            (n_rows, table.shape[0]),
            check_invariants=False,
        )
        return (mat @ table).to_dense()


def _user_index(users: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ids of the users present and each event's position among them.

    Works on the categorical codes, so the string sort touches users, not events.
    """
    ev_codes, cats = codes(users)
    present = np.flatnonzero(np.bincount(ev_codes, minlength=len(cats)))  # O(n), no sort
    names = np.asarray(cats.astype(str))[present]
    order = np.argsort(names, kind="stable")
    lut = np.full(len(cats), -1, dtype=np.int64)
    lut[present[order]] = np.arange(len(present))
    return names[order].astype(str), lut[ev_codes]


def _aggregate(
    user_pos: np.ndarray,
    item_rows: np.ndarray,
    w: np.ndarray,
    ts_ns: np.ndarray,
    ref_ns: int,
    n_users: int,
    item_vectors: ItemVectors,
    topics: Topics,
    half_life_days: float,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Decayed weighted means at ``ref_ns``: vectors (n_users, d) f32, topic shares (n_users, k)
    f64, and decayed total weights f64."""
    decay = np.exp2(-((ref_ns - ts_ns) / _NS_PER_DAY) / half_life_days)
    dw = w * decay
    tot = np.bincount(user_pos, weights=dw, minlength=n_users)
    # Each event's share of its user's total, in float64: the float32 product then never
    # underflows, however old the event (2 ** -134 is below float32's range).
    rel = dw / np.where(tot > 0, tot, 1.0)[user_pos]
    rows_t = torch.from_numpy(user_pos).to(device)
    cols_t = torch.from_numpy(item_rows).to(device)
    table = item_vectors.vectors.to(device=device, dtype=torch.float32)
    vec = _segment_sum(rows_t, cols_t, torch.from_numpy(rel).to(device), n_users, table)
    k = topics.k
    topic_of = topics.item_topic[item_rows]
    top = np.bincount(user_pos * k + topic_of, weights=rel, minlength=n_users * k)
    return (
        vec.cpu(),
        torch.from_numpy(top.reshape(n_users, k)),
        torch.from_numpy(tot),
    )


def _safe_div(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    den = den.reshape(den.shape + (1,) * (num.ndim - den.ndim))
    return torch.where(den > 0, num / den.clamp_min(1e-300).to(num.dtype), torch.zeros_like(num))


# -- public ----------------------------------------------------------------------------------------
def user_interests(
    events: pd.DataFrame,
    item_vectors: ItemVectors,
    topics: Topics,
    spec: InterestSpec = InterestSpec(),
    at: pd.Timestamp | str | None = None,
) -> InterestState:
    """Every user's decayed interest vector and topic shares at time ``at``.

    Parameters
    ----------
    events
        A canonical EventLog.
    item_vectors
        Item vectors covering every item in ``events``.
    topics
        Topics found from ``item_vectors``.
    spec
        Half-life and device.
    at
        Evaluation time (UTC); events after it are ignored. Default: the last event's time.

    Returns
    -------
    InterestState
        Users (sorted by id) with at least one event up to ``at``.

    Raises
    ------
    InvalidInputError
        If columns are missing, the half-life is not positive, or an item has no vector.

    Examples
    --------
    >>> state = user_interests(events, item_vectors, topics, InterestSpec(half_life_days=7))  # doctest: +SKIP
    >>> ids, vecs = user_vectors(state)  # doctest: +SKIP
    """
    _validate(events, item_vectors, topics, spec)
    ts = _ts_ns(events[TS])
    if at is None:
        ref_ns = int(ts.max()) if len(ts) else 0
    else:
        ref_ns = int(pd.Timestamp(at).tz_convert("UTC").tz_localize(None).value)
    keep = ts <= ref_ns
    sub = events.loc[keep]
    return _from_events(sub, ts[keep], ref_ns, item_vectors, topics, spec)


def _from_events(
    sub: pd.DataFrame,
    ts: np.ndarray,
    ref_ns: int,
    item_vectors: ItemVectors,
    topics: Topics,
    spec: InterestSpec,
) -> InterestState:
    device = pick_device(spec.device)
    item_rows = _item_rows(sub, item_vectors)
    users, upos = _user_index(sub[USER])
    n = len(users)
    vec, top, tot = _aggregate(
        upos,
        item_rows,
        _weights(sub),
        ts,
        ref_ns,
        n,
        item_vectors,
        topics,
        spec.half_life_days,
        device,
    )
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, upos, ts)
    return InterestState(
        user_ids=tuple(users.tolist()),
        mean=vec.float(),
        topic_share=top,
        total=tot,
        n_events=torch.from_numpy(np.bincount(upos, minlength=n).astype(np.int64)),
        last_ts=last.view("datetime64[ns]"),
        ref_time=pd.Timestamp(ref_ns, tz="UTC"),
        half_life_days=spec.half_life_days,
        topic_labels=topics.labels,
    )


def update(
    state: InterestState,
    new_events: pd.DataFrame,
    item_vectors: ItemVectors,
    topics: Topics,
    spec: InterestSpec = InterestSpec(),
) -> InterestState:
    """Fold events that arrived after ``state`` into it, without touching the old events.

    The reference time moves to the latest of ``state.ref_time`` and the new events' times; old
    sums decay to it and the new events' decayed contributions are added. The result equals
    ``user_interests`` over all events (within float tolerance, 1e-5).

    Parameters
    ----------
    state
        A state from ``user_interests`` or a previous ``update``.
    new_events
        The events after ``state.ref_time`` (late events, at or before it, are folded in too).
    item_vectors, topics
        The same vectors and topics the state was built with (items are matched by id).
    spec
        Must have the state's half-life.

    Returns
    -------
    InterestState

    Raises
    ------
    InvalidInputError
        If the half-life or the topics differ from the state's, or an item has no vector.
    """
    _validate(new_events, item_vectors, topics, spec)
    if spec.half_life_days != state.half_life_days:
        raise InvalidInputError(
            f"half_life_days must match the state's {state.half_life_days}: got {spec.half_life_days}"
        )
    if topics.labels != state.topic_labels:
        raise InvalidInputError(
            "topics differ from the state's: expected the topics it was built with, "
            f"found {len(topics.labels)} topics labelled {list(topics.labels)[:3]}..."
        )
    if new_events.empty:
        return state
    ts = _ts_ns(new_events[TS])
    old_ref = int(state.ref_time.value)
    ref_ns = max(old_ref, int(ts.max()))
    fresh = _from_events(new_events, ts, ref_ns, item_vectors, topics, spec)
    new_pos = pd.Index(state.user_ids).get_indexer(pd.Index(fresh.user_ids))
    if (new_pos >= 0).all():  # only known users (a hash lookup, no string sort)
        user_ids, old_pos = state.user_ids, np.arange(len(state.user_ids))
    else:
        users = np.union1d(
            np.array(state.user_ids, dtype=object), np.array(fresh.user_ids, dtype=object)
        )
        users = np.sort(users.astype(str))
        old_pos = np.searchsorted(users, np.array(state.user_ids, dtype=str))
        new_pos = np.searchsorted(users, np.array(fresh.user_ids, dtype=str))
        user_ids = tuple(users.tolist())
    n, d, k = len(user_ids), state.mean.shape[1], state.topic_share.shape[1]
    a = float(np.exp2(-((ref_ns - old_ref) / _NS_PER_DAY) / spec.half_life_days))

    # Users without new events keep their mean and shares (decay scales a user's sums, it does
    # not rotate them); only their total decays. The batch's users are recombined in float64:
    # mean' = (mean_old * tot_old * a + mean_new * tot_new) / total'. Cost: O(users + batch * d).
    total = torch.zeros(n, dtype=torch.float64)
    old_tot = state.total * a
    total[old_pos] = old_tot
    total[new_pos] += fresh.total
    if n == len(state.user_ids):  # no new users: old_pos is 0..n-1
        mean, share = state.mean.clone(), state.topic_share.clone()
    else:
        mean = torch.zeros((n, d), dtype=state.mean.dtype)
        share = torch.zeros((n, k), dtype=torch.float64)
        mean[old_pos], share[old_pos] = state.mean, state.topic_share
    was = np.full(n, -1, dtype=np.int64)
    was[old_pos] = np.arange(len(old_pos))
    prev = was[new_pos]
    known = torch.from_numpy(prev >= 0)
    prev_t = torch.from_numpy(np.clip(prev, 0, None))
    w_old = torch.where(known, old_tot[prev_t], torch.zeros_like(fresh.total))[:, None]
    num_mean = state.mean[prev_t].double() * w_old + fresh.mean.double() * fresh.total[:, None]
    num_share = state.topic_share[prev_t] * w_old + fresh.topic_share * fresh.total[:, None]
    den = total[new_pos]
    mean[new_pos] = _safe_div(num_mean, den).to(mean.dtype)
    share[new_pos] = _safe_div(num_share, den)
    counts = torch.zeros(n, dtype=torch.int64)
    counts[old_pos] += state.n_events
    counts[new_pos] += fresh.n_events
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    last[old_pos] = state.last_ts.view("i8")
    last[new_pos] = np.maximum(last[new_pos], fresh.last_ts.view("i8"))
    return InterestState(
        user_ids=user_ids,
        mean=mean.float(),
        topic_share=share,
        total=total,
        n_events=counts,
        last_ts=last.view("datetime64[ns]"),
        ref_time=pd.Timestamp(ref_ns, tz="UTC"),
        half_life_days=state.half_life_days,
        topic_labels=state.topic_labels,
    )


def user_vectors(state: InterestState) -> tuple[tuple[str, ...], torch.Tensor]:
    """User ids and their L2-normalised interest vectors (n_users, d) float32 (zero if no weight)."""
    return state.user_ids, torch.nn.functional.normalize(state.mean, dim=1)


def topic_shares(state: InterestState) -> pd.DataFrame:
    """One row per user: ``user_id, n_events, weight, top_topic`` and one share column per topic label.

    ``weight`` is the decayed total weight at ``state.ref_time``; shares sum to 1 (0 if no weight).
    """
    shares = state.topic_share.numpy()
    labels = list(state.topic_labels)
    head = pd.DataFrame(
        {
            USER: list(state.user_ids),
            "n_events": state.n_events.numpy(),
            "weight": state.total.numpy(),
            "top_topic": np.array(labels, dtype=object)[shares.argmax(1)] if len(labels) else None,
        }
    )
    return pd.concat([head, pd.DataFrame(shares, columns=labels)], axis=1)


def _period_starts(ts: pd.Series, period: str) -> pd.Series:
    naive = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period(period).dt.start_time


def timeline(
    events: pd.DataFrame,
    item_vectors: ItemVectors,
    topics: Topics,
    spec: InterestSpec = InterestSpec(),
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
        ``top_topic``, then the best change boundary inside this period (see ``_change_points``):
        ``shift`` (0..1), ``shift_score``, ``n_before, n_after`` (active days), ``before_topic,
        after_topic``, ``change_ts`` (midway between the last event before and the first after),
        ``change_period`` (its period start), ``change_start, change_end`` (that gap), then one
        share column per topic label.

    Raises
    ------
    InvalidInputError
        If columns are missing, the period alias is unknown or an item has no vector.
    """
    _validate(events, item_vectors, topics, spec)
    if users is not None:
        events = events[events[USER].astype(str).isin(pd.Index(users).astype(str))]
    labels = list(topics.labels)
    k = topics.k
    if events.empty:
        cols = [USER, "period", "period_end", "n_events", "weight", "drift", "top_topic"]
        cols += ["shift", "shift_score", "n_before", "n_after", "before_topic", "after_topic"]
        cols += ["change_ts", "change_period", "change_start", "change_end"]
        return pd.DataFrame(columns=[*cols, *labels])
    device = pick_device(spec.device)
    item_rows = _item_rows(events, item_vectors)
    ts = _ts_ns(events[TS])
    w = _weights(events)
    user_str, upos = _user_index(events[USER])
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
    dw = w * np.exp2(-((row_end_ns[ev_row] - ts) / _NS_PER_DAY) / spec.half_life_days)
    row_w = np.bincount(ev_row, weights=dw, minlength=n_rows)
    rel = dw / np.where(row_w > 0, row_w, 1.0)[ev_row]  # float32-safe, as in _aggregate
    topic_of = topics.item_topic[item_rows]
    row_top = np.bincount(ev_row * k + topic_of, weights=dw, minlength=n_rows * k).reshape(
        n_rows, k
    )
    tot, top, drift, unit = _carry(
        ev_row,
        item_rows,
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
    cp = _change_points(ev_row, upos, ts, w, topic_of, n_rows, k)
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
    frame = pd.concat([frame, pd.DataFrame(shares, columns=labels)], axis=1)
    if with_vectors:
        frame["vector"] = list(unit)
    return frame


def _carry(
    ev_row: np.ndarray,
    item_rows: np.ndarray,
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
            _segment_sum(
                torch.from_numpy(local).to(device),
                torch.from_numpy(item_rows[ev]).to(device),
                torch.from_numpy(rel[ev]).to(device),
                len(r),
                table,
            )
            * torch.from_numpy(row_w[r].astype(np.float32)).to(device)[:, None]
        )  # (|r|, d)
        users = row_user[r]
        a = np.where(
            j > 0,
            np.exp2(-((row_end_ns[r] - user_end[users]) / _NS_PER_DAY) / half_life_days),
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

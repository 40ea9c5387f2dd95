"""What each user is interested in at a point in time, and folding in new events.

A user's interest vector at time t is the weighted mean of the vectors of the items they engaged
with up to t, each event weighted by its ``weight`` times an exponential time decay
``2 ** (-(t - ts) / half_life)``; their topic shares are the same weighted mean of topic memberships.

The state keeps, per user, the decayed mean vector, the decayed topic shares and the decayed total
weight at a reference time, so new events can be folded in later without touching old ones
(``update``): the result equals a full recompute. All sums are segment sums on the device (a sparse
users x items matrix times the item vectors), never a Python loop over users or events. How
interests move over time (timeline, change points, drift ranking) is in ``core.interests.timeline``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.errors import InvalidInputError
from core.interests._kernels import (
    NS_PER_DAY,
    item_rows,
    segment_sum,
    share_columns,
    ts_ns,
    user_index,
    validate,
    weights,
)
from core.interests.embeddings import ItemVectors
from core.interests.topics import Topics
from core.io.timeparse import as_utc
from core.schema import TS, USER


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


def _aggregate(
    user_pos: np.ndarray,
    ev_items: np.ndarray,
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
    decay = np.exp2(-((ref_ns - ts_ns) / NS_PER_DAY) / half_life_days)
    dw = w * decay
    tot = np.bincount(user_pos, weights=dw, minlength=n_users)
    # Each event's share of its user's total, in float64: the float32 product then never
    # underflows, however old the event (2 ** -134 is below float32's range).
    rel = dw / np.where(tot > 0, tot, 1.0)[user_pos]
    rows_t = torch.from_numpy(user_pos).to(device)
    cols_t = torch.from_numpy(ev_items).to(device)
    table = item_vectors.vectors.to(device=device, dtype=torch.float32)
    vec = segment_sum(rows_t, cols_t, torch.from_numpy(rel).to(device), n_users, table)
    k = topics.k
    topic_of = topics.item_topic[ev_items]
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
        Evaluation time; events after it are ignored. Naive times (e.g. ``"2026-02-01"``) are
        taken as UTC. Default: the last event's time.

    Returns
    -------
    InterestState
        Users (sorted by id) with at least one event up to ``at``.

    Raises
    ------
    InvalidInputError
        If columns are missing, the half-life is not positive, an item has no vector, or ``at`` is
        not a timestamp.

    Examples
    --------
    >>> state = user_interests(events, item_vectors, topics, InterestSpec(half_life_days=7))  # doctest: +SKIP
    >>> ids, vecs = user_vectors(state)  # doctest: +SKIP
    """
    validate(events, item_vectors, topics, spec.half_life_days, spec.period)
    ts = ts_ns(events[TS])
    last = int(ts.max()) if len(ts) else 0
    ref_ns = last if at is None else int(as_utc(at, "at").value)
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
    rows = item_rows(sub, item_vectors)
    users, upos = user_index(sub[USER])
    n = len(users)
    vec, top, tot = _aggregate(
        upos,
        rows,
        weights(sub),
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
        Old and new users (sorted by id), at the new reference time.

    Raises
    ------
    InvalidInputError
        If the half-life or the topics differ from the state's, or an item has no vector.
    """
    validate(new_events, item_vectors, topics, spec.half_life_days, spec.period)
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
    ts = ts_ns(new_events[TS])
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
    a = float(np.exp2(-((ref_ns - old_ref) / NS_PER_DAY) / spec.half_life_days))

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
    """User ids and their unit interest vectors.

    Parameters
    ----------
    state
        A state from ``user_interests`` or ``update``.

    Returns
    -------
    tuple of (tuple of str, torch.Tensor)
        ``state.user_ids`` and an (n_users, d) float32 tensor of L2-normalised interest vectors
        (zero rows for users with no weight).
    """
    return state.user_ids, torch.nn.functional.normalize(state.mean, dim=1)


def topic_shares(state: InterestState) -> pd.DataFrame:
    """Each user's topic shares at ``state.ref_time``.

    Parameters
    ----------
    state
        A state from :func:`user_interests` or :func:`update`, as for :func:`user_vectors`.

    Returns
    -------
    pandas.DataFrame
        One row per user: ``user_id, n_events, weight`` (decayed total weight at ``ref_time``),
        ``top_topic``, then one column ``share:<label>`` per topic (shares sum to 1; 0 if no
        weight). The prefix keeps a topic named e.g. "weight" from colliding with a fixed column.
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
    return pd.concat([head, pd.DataFrame(shares, columns=share_columns(labels))], axis=1)

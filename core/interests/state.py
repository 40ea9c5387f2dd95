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
from functools import cached_property

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.errors import InvalidInputError
from core.interests._kernels import (
    NS_PER_DAY,
    item_rows,
    segment_sum,
    ts_ns,
    user_index,
    validate,
    weights,
)
from core.interests._rows import UserRows
from core.interests.embeddings import ItemVectors
from core.interests.readout import topic_shares, user_vectors
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
    ``topic_share * total``. Tensors live on the CPU and are read-only.

    ``mean`` and ``topic_share`` are read from ``rows``, which a state folded forward by
    ``update`` shares with the state it came from (only the users with new events get new rows):
    reading them all gathers the rows once; :meth:`rows_of` reads a few users only. Build a state
    from whole tensors with :meth:`of`.
    """

    user_ids: tuple[str, ...]
    rows: UserRows
    total: torch.Tensor
    n_events: torch.Tensor
    last_ts: np.ndarray
    ref_time: pd.Timestamp
    half_life_days: float
    topic_labels: tuple[str, ...]

    @classmethod
    def of(cls, user_ids, mean: torch.Tensor, topic_share: torch.Tensor, **fields) -> InterestState:
        """A state over whole ``mean`` (n_users, d) and ``topic_share`` (n_users, k) tensors;
        ``fields``: the other fields (``total``, ``n_events``, ``last_ts``, ``ref_time``,
        ``half_life_days``, ``topic_labels``)."""
        return cls(user_ids=tuple(user_ids), rows=UserRows.of(mean, topic_share), **fields)

    @cached_property
    def _read(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.rows.read()

    @property
    def mean(self) -> torch.Tensor:
        """(n_users, d) float32 decayed weighted mean of item vectors."""
        return self._read[0]

    @property
    def topic_share(self) -> torch.Tensor:
        """(n_users, k) float64 decayed weighted mean of topic memberships."""
        return self._read[1]

    @cached_property
    def user_index(self) -> pd.Index:
        """``user_ids`` as an index (position of a user id: ``get_indexer``)."""
        return pd.Index(self.user_ids)

    def rows_of(self, users) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean vectors and topic shares of ``users`` only (ids in ``user_ids``).

        Raises
        ------
        InvalidInputError
            If a user id is not in the state.
        """
        pos = self.user_index.get_indexer(pd.Index(list(users)).astype(str))
        if (pos < 0).any():
            raise InvalidInputError(
                f"users: expected ids of this state, found {int((pos < 0).sum())} unknown"
            )
        return self.rows.read_at(pos)

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
    return InterestState.of(
        users.tolist(),
        vec.float(),
        top,
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
    user_ids, old_pos, new_pos, prev = _merge_users(state, fresh)
    n = len(user_ids)
    a = float(np.exp2(-((ref_ns - old_ref) / NS_PER_DAY) / spec.half_life_days))

    # Users without new events keep their mean and shares (decay scales a user's sums, it does
    # not rotate them) and their rows; only their total decays. The batch's users are
    # recombined in float64: mean' = (mean_old * tot_old * a + mean_new * tot_new) / total'.
    # Cost: O(users) scalars + O(batch * d); the (users x d) table is neither copied nor decayed.
    # Scalars per user in numpy (a torch tensor indexed by a numpy array is read element-wise).
    old_tot = state.total.numpy() * a
    fresh_tot = fresh.total.numpy()
    total = np.zeros(n)
    total[old_pos] = old_tot
    total[new_pos] += fresh_tot
    # Each batch user's new mean is a convex mix of the old and the batch's means (weights
    # w_old / total' and w_new / total', in float64): float32 keeps it within 1e-7.
    known, seen = prev >= 0, np.clip(prev, 0, None)
    if known.any():  # a new user reads any old row, with weight 0
        w_old = np.where(known, old_tot[seen], 0.0)
        old_mean, old_share = state.rows.read_at(seen)
    else:
        w_old = np.zeros(len(prev))
        old_mean, old_share = torch.zeros_like(fresh.mean), torch.zeros_like(fresh.topic_share)
    den = total[new_pos]
    safe = np.where(den > 0, den, 1.0)
    c_old = torch.from_numpy(np.where(den > 0, w_old / safe, 0.0))[:, None]
    c_new = torch.from_numpy(np.where(den > 0, fresh_tot / safe, 0.0))[:, None]
    mean = old_mean * c_old.float()
    mean.addcmul_(fresh.mean, c_new.float())
    share = old_share * c_old + fresh.topic_share * c_new
    rows = state.rows.replaced(new_pos, mean, share, n, old_pos)
    counts = np.zeros(n, dtype=np.int64)
    counts[old_pos] = state.n_events.numpy()
    counts[new_pos] += fresh.n_events.numpy()
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    last[old_pos] = state.last_ts.view("i8")
    last[new_pos] = np.maximum(last[new_pos], fresh.last_ts.view("i8"))
    out = InterestState(
        user_ids=user_ids,
        rows=rows,
        total=torch.from_numpy(total),
        n_events=torch.from_numpy(counts),
        last_ts=last.view("datetime64[ns]"),
        ref_time=pd.Timestamp(ref_ns, tz="UTC"),
        half_life_days=state.half_life_days,
        topic_labels=state.topic_labels,
    )
    if user_ids is state.user_ids:
        out.__dict__["user_index"] = state.user_index  # same ids: the hash table carries over
    return out


def _merge_users(
    state: InterestState, fresh: InterestState
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """The ids of both states (sorted), where the old users went, where the batch's users are,
    and each batch user's old position (-1: new user).

    New users are inserted into the sorted old ids (a binary search each, then one O(users)
    move), so the ids of all users are never sorted again.
    """
    prev = state.user_index.get_indexer(fresh.user_index)
    n_old = len(state.user_ids)
    unknown = prev < 0
    if not unknown.any():  # only known users: a hash lookup
        return state.user_ids, np.arange(n_old), prev, prev
    old_ids = np.asarray(state.user_ids, dtype=object)
    names = np.asarray(fresh.user_ids, dtype=object)[unknown]  # sorted, as fresh.user_ids
    at = np.searchsorted(old_ids, names)
    ids = np.insert(old_ids, at, names)
    old_pos = np.arange(n_old) + np.searchsorted(at, np.arange(n_old), side="right")
    new_pos = np.empty(len(prev), dtype=np.int64)
    new_pos[~unknown] = old_pos[prev[~unknown]]
    new_pos[unknown] = at + np.arange(len(at))
    return tuple(ids.tolist()), old_pos, new_pos, prev


__all__ = [
    "InterestSpec",
    "InterestState",
    "topic_shares",
    "update",
    "user_interests",
    "user_vectors",
]

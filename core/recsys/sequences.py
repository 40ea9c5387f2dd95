"""Per-user, time-ordered steps of an EventLog and the splits and windows cut from them.

Protocol: each user's behaviour becomes a sequence of *steps* (consecutive events on the same item,
e.g. view → click → cart → purchase, collapse into one step unless ``collapse_repeats=False``), in time
order. Time-ordered leave-one-out: the last step of each user is the test target, the second-to-last
the validation target, the rest is training. Users with fewer than 3 steps only train.

Everything here is vectorised: no Python loop over users or rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.io.timeparse import as_utc
from core.recsys.seqmodel import SeqBatch, gap_bucket
from core.schema import EVENT, ITEM, TS, TZ_OFFSET, USER, WEIGHT

#: Event types that count as a purchase for the propensity head.
PURCHASE_EVENTS = ("purchase", "transaction", "order", "buy")


@dataclass(frozen=True)
class Steps:
    """One row per step, sorted by (user, time); arrays aligned. Items are 1-based (0 = padding)."""

    user: np.ndarray  # int64 user code
    item: np.ndarray  # int64, 1..n_items
    ts: np.ndarray  # float64 seconds since epoch
    gap: np.ndarray  # int64 gap bucket (1 = first step)
    hour: np.ndarray  # int64 hour of week 1..168
    event: np.ndarray  # int64 event-type code, 1-based
    weight: np.ndarray  # float64 strongest weight of the step
    purchase: np.ndarray  # bool: the step includes a purchase
    start: np.ndarray  # (n_users,) first row of each user
    length: np.ndarray  # (n_users,) steps of each user


@dataclass(frozen=True)
class Vocab:
    """Index of users, items and event types the model was trained on."""

    users: pd.Index
    items: pd.Index
    events: pd.Index

    @property
    def n_items(self) -> int:
        return len(self.items)


def build_vocab(events: pd.DataFrame) -> Vocab:
    """Users, items and event types of an EventLog, in category order.

    Parameters
    ----------
    events
        Canonical EventLog (only its user, item and event columns are read).

    Returns
    -------
    Vocab
        ``users``, ``items`` and ``events`` as string indexes: the categories of a categorical
        column, else its sorted distinct values.
    """

    def cats(col: str) -> pd.Index:
        s = events[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            return pd.Index(s.cat.categories.astype(str))
        return pd.Index(sorted(s.astype(str).unique()))

    return Vocab(users=cats(USER), items=cats(ITEM), events=cats(EVENT))


def ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, index) of the concatenated ranges ``starts[k] .. starts[k] + lengths[k]``.

    Parameters
    ----------
    starts, lengths
        Start and length of every range.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The range each position belongs to, and the position.

    Examples
    --------
    >>> owner, index = ranges(np.array([5, 0]), np.array([2, 3]))
    >>> owner.tolist(), index.tolist()
    ([0, 0, 1, 1, 1], [5, 6, 0, 1, 2])
    """
    lengths = np.maximum(np.asarray(lengths, dtype=np.int64), 0)
    starts = np.asarray(starts, dtype=np.int64)
    owner = np.repeat(np.arange(len(starts)), lengths)
    offset = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offset


def build_steps(
    events: pd.DataFrame,
    vocab: Vocab,
    collapse_repeats: bool = True,
    at_time: pd.Timestamp | str | None = None,
) -> Steps:
    """Turn an EventLog into per-user time-ordered steps over ``vocab`` (unknown items dropped).

    Parameters
    ----------
    events
        Canonical EventLog.
    vocab
        Users / items / event types to index with (usually ``build_vocab`` of the training log).
    collapse_repeats
        Merge consecutive events of one user on the same item into one step.
    at_time
        Keep only events at or before this time (a naive time is taken as UTC).

    Returns
    -------
    Steps

    Raises
    ------
    InvalidInputError
        If ``at_time`` is not a timestamp.
    """
    frame = events
    if at_time is not None:
        frame = frame[frame[TS] <= as_utc(at_time, "at_time")]
    user = vocab.users.get_indexer(frame[USER].astype(str))
    item = vocab.items.get_indexer(frame[ITEM].astype(str)) + 1
    ok = (user >= 0) & (item > 0)
    ts = frame[TS].to_numpy(dtype="datetime64[ns]").astype(np.int64)[ok] / 1e9
    user, item = user[ok].astype(np.int64), item[ok].astype(np.int64)
    ev_str = frame[EVENT].astype(str).to_numpy()[ok]
    event = vocab.events.get_indexer(ev_str) + 1
    event = np.where(event > 0, event, 0).astype(np.int64)
    weight = frame[WEIGHT].to_numpy(dtype=np.float64)[ok]
    weight = np.where(np.isfinite(weight), weight, 1.0)
    purchase = np.isin(np.char.lower(ev_str.astype(str)), PURCHASE_EVENTS)
    tz = frame[TZ_OFFSET].to_numpy(dtype=np.float64)[ok]
    order = np.lexsort((np.arange(len(ts)), ts, user))
    user, item, ts, event, weight, purchase, tz = (
        a[order] for a in (user, item, ts, event, weight, purchase, tz)
    )
    if collapse_repeats and len(user):
        new_run = np.ones(len(user), dtype=bool)
        new_run[1:] = (user[1:] != user[:-1]) | (item[1:] != item[:-1])
        run = np.cumsum(new_run) - 1
        n_runs = int(run[-1]) + 1
        last_of_run = np.flatnonzero(np.r_[new_run[1:], True])
        first_of_run = np.flatnonzero(new_run)
        run_purchase = np.bincount(run, weights=purchase, minlength=n_runs) > 0
        run_weight = np.full(n_runs, -np.inf)
        np.maximum.at(run_weight, run, weight)
        user, item, ts, tz = (a[first_of_run] for a in (user, item, ts, tz))
        event = event[last_of_run]  # the furthest stage reached on the item
        weight, purchase = run_weight, run_purchase
    n_users = len(vocab.users)
    length = np.bincount(user, minlength=n_users).astype(np.int64)
    start = (np.cumsum(length) - length).astype(np.int64)
    first = np.ones(len(user), dtype=bool)
    first[1:] = user[1:] != user[:-1]
    gap_sec = np.r_[np.nan, np.diff(ts)]
    gap_sec[first] = np.nan
    gap = gap_bucket(torch.from_numpy(gap_sec)).numpy().astype(np.int64)
    local = ts + np.where(np.isfinite(tz), tz, 0.0) * 60.0
    # 1970-01-01 was a Thursday: shift so hour 0 of the week is Monday 00:00.
    hour = (np.floor(local / 3600.0).astype(np.int64) + 72) % 168 + 1
    return Steps(user, item, ts, gap, hour, event, weight, purchase, start, length)


def right_aligned(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_len: int) -> np.ndarray:
    """Rows of ``values[max(lo, hi - max_len) : hi]`` right-aligned in ``(R, max_len)``, 0-padded.

    Parameters
    ----------
    values
        One value per step.
    lo, hi
        Range of every row.
    max_len
        Row width.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> right_aligned(np.array([1, 2, 3, 4]), np.array([0, 2]), np.array([2, 4]), 3).tolist()
    [[0, 1, 2], [0, 3, 4]]
    """
    idx = hi[:, None] - max_len + np.arange(max_len)[None, :]  # (R, T)
    valid = idx >= lo[:, None]
    taken = values[np.clip(idx, 0, max(len(values) - 1, 0))] if len(values) else np.zeros_like(idx)
    return np.where(valid, taken, 0)


def batch_from(steps: Steps, lo: np.ndarray, hi: np.ndarray, max_len: int) -> SeqBatch:
    """Right-aligned model inputs of the step ranges ``[lo, hi)``.

    Parameters
    ----------
    steps
        From :func:`build_steps`.
    lo, hi
        Step range of every row.
    max_len
        Window length; longer ranges keep their last ``max_len`` steps.

    Returns
    -------
    SeqBatch
        Items, time gaps, hours of week and event types, each ``(R, max_len)`` int64, 0-padded.
    """

    def mat(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(right_aligned(a, lo, hi, max_len).astype(np.int64))

    return SeqBatch(
        items=mat(steps.item), gaps=mat(steps.gap), hours=mat(steps.hour), events=mat(steps.event)
    )


@dataclass(frozen=True)
class Split:
    """Inputs and targets of one evaluation split; rows are users with >= 3 steps."""

    name: str
    users: np.ndarray  # user codes
    lo: np.ndarray  # first step of each user
    hi: np.ndarray  # exclusive end of the input (= index of the target step)

    def targets(self, steps: Steps) -> np.ndarray:
        return steps.item[self.hi] - 1  # 0-based item column

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, step index) of every input step (the full history before the target)."""
        return ranges(self.lo, self.hi - self.lo)

    def rows(self, keep: np.ndarray) -> Split:
        """The split restricted to the rows where ``keep`` is True."""
        return Split(self.name, self.users[keep], self.lo[keep], self.hi[keep])


def make_splits(steps: Steps) -> tuple[Split, Split]:
    """Validation and test splits (time-ordered leave-one-out).

    Parameters
    ----------
    steps
        From :func:`build_steps`.

    Returns
    -------
    tuple of (Split, Split)
        ``(validation, test)``: each user's second-to-last and last step as the target, the steps
        before it as the history (users with fewer than 3 steps only train).
    """
    users = np.flatnonzero(steps.length >= 3)
    lo = steps.start[users]
    end = lo + steps.length[users]
    return Split("validation", users, lo, end - 2), Split("test", users, lo, end - 1)


def training_windows(steps: Steps, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) input ranges covering every user's training steps in windows of ``max_len``.

    A user's training steps are all but the last two (all of them for users with < 3 steps); inputs
    are steps ``[lo, hi)`` and targets the steps one later.

    Parameters
    ----------
    steps
        From :func:`build_steps`.
    max_len
        Window length.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
    """
    n_train = np.where(steps.length >= 3, steps.length - 2, steps.length)
    n_inputs = np.maximum(n_train - 1, 0)
    n_windows = -(-n_inputs // max_len)
    owner, _ = ranges(np.zeros(len(n_windows), dtype=np.int64), n_windows)
    within = np.arange(len(owner)) - np.repeat(np.cumsum(n_windows) - n_windows, n_windows)
    lo = steps.start[owner]
    hi = lo + n_inputs[owner] - within * max_len
    return lo, hi


def align_item_vectors(
    vocab: Vocab, item_vectors: torch.Tensor | None, item_ids: Sequence[str] | None
) -> torch.Tensor | None:
    """Item vectors reordered to ``vocab.items`` (items without a vector get zeros).

    Parameters
    ----------
    vocab
        The model's vocabulary.
    item_vectors
        ``(n, d)`` vectors, or None.
    item_ids
        Item id of each row of ``item_vectors``; None means the rows already follow the vocab.

    Returns
    -------
    torch.Tensor or None
        ``(vocab.n_items, d)``; None when ``item_vectors`` is None.

    Raises
    ------
    InvalidInputError
        If ``item_ids`` is None and the row count is not the vocab's item count.
    """
    if item_vectors is None:
        return None
    vecs = torch.as_tensor(item_vectors).detach().float().cpu()
    if item_ids is None:
        if vecs.shape[0] != vocab.n_items:
            raise InvalidInputError(
                f"item_vectors: expected {vocab.n_items} rows (one per item category) when item_ids "
                f"is None, found {vecs.shape[0]}"
            )
        return vecs
    pos = pd.Index([str(i) for i in item_ids]).get_indexer(vocab.items)
    out = torch.zeros(vocab.n_items, vecs.shape[1])
    has = torch.from_numpy(pos >= 0)
    out[has] = vecs[torch.from_numpy(pos[pos >= 0])]
    return out


__all__ = [
    "PURCHASE_EVENTS",
    "Split",
    "Steps",
    "Vocab",
    "align_item_vectors",
    "batch_from",
    "build_steps",
    "build_vocab",
    "make_splits",
    "ranges",
    "right_aligned",
    "training_windows",
]

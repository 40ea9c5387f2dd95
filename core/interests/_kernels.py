"""Shared kernels of user interests and timelines: input checks, event arrays and segment sums.

Private to ``core.interests``: ``state`` and ``timeline`` both fold events into per-user sums the
same way, so the checks, the event-to-row maps and the sparse segment sum live here once.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.interests.embeddings import ItemVectors
from core.interests.topics import Topics
from core.schema import ITEM, TS, USER, WEIGHT, codes

NS_PER_DAY = 86_400e9
#: Prefix of the topic share columns (``share:<label>``): no topic label can collide with a fixed column.
SHARE_PREFIX = "share:"


def share_columns(labels) -> list[str]:
    """The share column name of each topic label, ``share:<label>``.

    Parameters
    ----------
    labels
        Topic labels, in topic order.

    Returns
    -------
    list of str
    """
    return [f"{SHARE_PREFIX}{label}" for label in labels]


def validate(
    events: pd.DataFrame,
    item_vectors: ItemVectors,
    topics: Topics,
    half_life_days: float,
    period: str,
) -> None:
    """Raise InvalidInputError unless the events, vectors, topics, half-life and period fit.

    Parameters
    ----------
    events
        A canonical EventLog frame (needs user, item, ts and weight columns).
    item_vectors
        The item embeddings the events are scored with.
    topics
        Topics found from ``item_vectors`` (one topic per item).
    half_life_days
        Decay half-life; must be positive.
    period
        A pandas period alias such as ``"D"``, ``"W"`` or ``"M"``.

    Raises
    ------
    InvalidInputError
        If a column is missing, the half-life is not positive, the topics cover a different
        number of items than the vectors, or the period is no period alias.
    """
    missing = [c for c in (USER, ITEM, TS, WEIGHT) if c not in events.columns]
    if missing:
        raise InvalidInputError(
            f"events lacks columns {missing}: expected a canonical EventLog, found {list(events.columns)}"
        )
    if not half_life_days > 0:
        raise InvalidInputError(f"half_life_days must be > 0: got {half_life_days}")
    if len(topics.item_topic) != len(item_vectors.item_ids):
        raise InvalidInputError(
            f"topics cover {len(topics.item_topic)} items but item_vectors has "
            f"{len(item_vectors.item_ids)}: expected topics found from these vectors"
        )
    try:
        pd.Period("2026-01-01", freq=period)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"period must be a pandas period alias such as 'D', 'W', 'M': got {period!r}"
        ) from exc


def item_rows(events: pd.DataFrame, item_vectors: ItemVectors) -> np.ndarray:
    """Row of each event's item in ``item_vectors``.

    Parameters
    ----------
    events
        Events with an ``item_id`` column (categorical or text).
    item_vectors
        The vectors whose ``item_ids`` the rows index.

    Returns
    -------
    numpy.ndarray
        int64, one row index per event.

    Raises
    ------
    InvalidInputError
        If an event's item has no vector.
    """
    ev_codes, cats = codes(events[ITEM])
    # only the categories present are looked up (a batch of new events names a few items)
    present = np.flatnonzero(np.bincount(ev_codes[ev_codes >= 0], minlength=len(cats)))
    pos = np.full(len(cats), -1, dtype=np.int64)
    pos[present] = _item_index(tuple(item_vectors.item_ids)).get_indexer(cats[present].astype(str))
    rows = pos[ev_codes] if len(ev_codes) else np.empty(0, np.int64)
    if (rows < 0).any():
        unknown = pd.unique(events[ITEM].astype(str).to_numpy()[rows < 0])
        raise InvalidInputError(
            f"events mention {len(unknown)} item(s) without a vector, e.g. {list(unknown[:5])}: "
            "expected item_vectors built from a log that contains them"
        )
    return rows.astype(np.int64)


@functools.lru_cache(maxsize=4)
def _item_index(item_ids: tuple[str, ...]) -> pd.Index:
    # one hash table per set of item vectors, not one per call
    return pd.Index(item_ids)


def weights(events: pd.DataFrame) -> np.ndarray:
    """Each event's interest weight: missing weights count as 1, negative ones as 0.

    Parameters
    ----------
    events
        Events with a ``weight`` column.

    Returns
    -------
    numpy.ndarray
        float64, one non-negative weight per event.
    """
    # Unknown strength counts as 1; negative signals are not interests (clipped to 0).
    return np.clip(events[WEIGHT].fillna(1.0).to_numpy(dtype=np.float64), 0.0, None)


def ts_ns(series: pd.Series) -> np.ndarray:
    """A tz-aware time column as UTC nanoseconds since the epoch.

    Parameters
    ----------
    series
        Timezone-aware timestamps.

    Returns
    -------
    numpy.ndarray
        int64 view of the UTC times.
    """
    return series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]").view("i8")


def segment_sum(
    rows: torch.Tensor, cols: torch.Tensor, vals: torch.Tensor, n_rows: int, table: torch.Tensor
) -> torch.Tensor:
    """out[r] = sum over i with rows[i] == r of vals[i] * table[cols[i]]  -> (n_rows, d).

    A sparse (n_rows x n_table) matrix times ``table``: it never materialises the (events x d)
    gathered rows, which is what keeps it near the memory-bound floor.

    Parameters
    ----------
    rows, cols
        int64 tensors (E,): the output row and the ``table`` row of each entry.
    vals
        Tensor (E,) of entry weights.
    n_rows
        Number of output rows.
    table
        Tensor (n_table, d) of the rows being summed.

    Returns
    -------
    torch.Tensor
        Dense (n_rows, d) in ``table``'s dtype and device; zeros for no entries.
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


def user_index(users: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ids of the users present and each event's position among them.

    Works on the categorical codes, so the string sort touches users, not events.

    Parameters
    ----------
    users
        The events' ``user_id`` column (categorical or text).

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The distinct user ids as str, sorted, and each event's int64 index into them.
    """
    ev_codes, cats = codes(users)
    present = np.flatnonzero(np.bincount(ev_codes, minlength=len(cats)))  # O(n), no sort
    names = np.asarray(cats[present].astype(str))  # only the users present (a batch: a few)
    order = np.argsort(names, kind="stable")
    lut = np.full(len(cats), -1, dtype=np.int64)
    lut[present[order]] = np.arange(len(present))
    return names[order].astype(str), lut[ev_codes]

"""Item vectors from behaviour alone: who did what after what.

Items that appear close together in users' time-ordered sequences get similar vectors. Steps:
windowed co-occurrence counts (within ``window`` positions of the same user's sequence, weighted
1/distance) -> positive pointwise mutual information (PPMI, context distribution smoothed with
exponent 0.75) -> truncated SVD. This works for ID-only logs, where no item has text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.schema import ITEM, TS, USER, codes


@dataclass(frozen=True)
class BehaviourVectors:
    """Behaviour item vectors in ``core.schema.codes`` order of ``item_id``.

    ``vectors`` is (n_items, d) float32, L2-normalised, on the CPU; ``no_signal`` counts items that
    never co-occurred with another item (they get a fixed pseudo-random unit vector).
    """

    item_ids: tuple[str, ...]
    vectors: torch.Tensor
    no_signal: int


def cooccurrence_pairs(
    events: pd.DataFrame, window: int = 5, max_gap_seconds: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Symmetric windowed co-occurrence of items in user sequences.

    Parameters
    ----------
    events
        A canonical EventLog.
    window
        How many following events of the same user count as co-occurring (>= 1).
    max_gap_seconds
        When given, two events co-occur only if they are at most this many seconds apart too
        (items the same user engages with close in time); ``None``: positions alone decide.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray, numpy.ndarray, int)
        ``(rows, cols, counts, n_items)``: item codes (in ``codes(events[ITEM])`` order) of each
        distinct pair ``rows[i] != cols[i]`` and its count, each co-occurrence at distance ``o``
        counting ``1 / o``.

    Raises
    ------
    InvalidInputError
        If ``window`` < 1 or ``max_gap_seconds`` < 0.
    """
    if window < 1:
        raise InvalidInputError(f"window must be >= 1: got {window}")
    if max_gap_seconds is not None and not max_gap_seconds >= 0:
        raise InvalidInputError(f"max_gap_seconds: expected >= 0, found {max_gap_seconds}")
    item_codes, items = codes(events[ITEM])
    user_codes, _ = codes(events[USER])
    ts = events[TS].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((ts, user_codes))
    u, it, t = user_codes[order], item_codes[order], ts[order]
    n = len(items)
    keys, vals = [], []
    for off in range(1, window + 1):  # window offsets (a handful), vectorised over all events
        same = u[off:] == u[:-off]
        if max_gap_seconds is not None:
            same &= (t[off:] - t[:-off]) <= max_gap_seconds * 1e9
        a, b = it[:-off][same], it[off:][same]
        diff = a != b
        a, b = a[diff], b[diff]
        keys.append(np.concatenate([a * n + b, b * n + a]))
        vals.append(np.full(2 * len(a), 1.0 / off))
    key = np.concatenate(keys) if keys else np.empty(0, np.int64)
    val = np.concatenate(vals) if vals else np.empty(0)
    uniq, inv = np.unique(key, return_inverse=True)
    counts = np.bincount(inv.reshape(-1), weights=val, minlength=len(uniq))
    return uniq // n, uniq % n, counts, n


def _ppmi(
    rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, n: int, smoothing: float = 0.75
) -> np.ndarray:
    row_sum = np.bincount(rows, weights=counts, minlength=n)
    col_sum = np.bincount(cols, weights=counts, minlength=n) ** smoothing
    # P(a, b) / (P(a) P_0.75(b)); the grand total cancels out.
    pmi = np.log(counts * col_sum.sum() / (row_sum[rows] * col_sum[cols]))
    return np.maximum(pmi, 0.0)


#: ``(rows, cols, counts, n_items)`` as :func:`cooccurrence_pairs` returns them.
Pairs = tuple[np.ndarray, np.ndarray, np.ndarray, int]


def behaviour_vectors(
    events: pd.DataFrame,
    dim: int = 64,
    window: int = 5,
    seed: int = 0,
    pairs: Pairs | None = None,
) -> BehaviourVectors:
    """Item vectors from co-occurrence in user sequences (PPMI + truncated SVD).

    Parameters
    ----------
    events
        A canonical EventLog.
    dim
        Vector dimension (capped at ``n_items - 1``).
    window
        How many following events of the same user count as context.
    seed
        Seed of the randomised SVD and of the vectors of items with no co-occurrence.
    pairs
        Co-occurrence counted elsewhere (e.g. by the Spark engine) in the shape of
        :func:`cooccurrence_pairs` for these events; default: counted here from ``events``.

    Returns
    -------
    BehaviourVectors
        Rows in ``codes(events[ITEM])`` order, L2-normalised.

    Raises
    ------
    InvalidInputError
        If ``dim`` < 1 or ``window`` < 1.

    Examples
    --------
    >>> from core.schema import conform
    >>> ev = conform(pd.DataFrame({"user_id": ["a", "a", "b", "b"], "item_id": ["x", "y", "x", "z"],
    ...                            "ts": pd.date_range("2026-01-01", periods=4, tz="UTC")}))
    >>> behaviour_vectors(ev, dim=2).vectors.shape
    torch.Size([3, 2])
    """
    if dim < 1:
        raise InvalidInputError(f"dim must be >= 1: got {dim}")
    rows, cols, counts, n = cooccurrence_pairs(events, window) if pairs is None else pairs
    item_ids = tuple(str(i) for i in codes(events[ITEM])[1])
    d = max(1, min(dim, n - 1)) if n > 1 else 1
    gen = torch.Generator().manual_seed(seed)
    vectors = torch.zeros((n, d), dtype=torch.float32)
    if len(counts):
        values = torch.from_numpy(_ppmi(rows, cols, counts, n))
        keep = values > 0
        idx = torch.from_numpy(np.stack([rows, cols]))[:, keep]
        mat = torch.sparse_coo_tensor(idx, values[keep], (n, n), check_invariants=False).coalesce()
        if n <= 4000:
            u, s, _ = torch.linalg.svd(mat.to_dense(), full_matrices=False)
        else:
            torch.manual_seed(seed)  # svd_lowrank draws its random projection from the global RNG
            u, s, _ = torch.svd_lowrank(mat, q=min(d + 10, n), niter=4)
        k = min(d, u.shape[1])
        # SVD signs are arbitrary: fix them (largest entry of each component positive) so that
        # counts summed in another order (e.g. by the Spark engine) give the same vectors.
        top = u[:, :k].abs().argmax(0)
        signs = torch.sign(u[top, torch.arange(k)])
        signs[signs == 0] = 1
        vectors[:, :k] = (u[:, :k] * signs * s[:k].sqrt()).float()
    norms = vectors.norm(dim=1)
    empty = norms < 1e-8
    if bool(empty.any()):
        vectors[empty] = torch.randn((int(empty.sum()), d), generator=gen)
    vectors = torch.nn.functional.normalize(vectors, dim=1)
    return BehaviourVectors(item_ids=item_ids, vectors=vectors, no_signal=int(empty.sum()))

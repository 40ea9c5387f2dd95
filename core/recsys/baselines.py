"""Simple recommenders the sequence model must beat, scored on the same split.

All functions take flat, vectorised history arrays: ``rows`` (which evaluated user each history step
belongs to, 0..R-1) and ``items`` (0-based item column), and return dense ``(R, n_items)`` scores.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse

from core.errors import InvalidInputError

#: Above this catalogue size the dense item-item matrix of item-kNN would not fit comfortably.
MAX_KNN_ITEMS = 20_000


def popularity(items: np.ndarray, n_items: int, device: torch.device | None = None) -> torch.Tensor:
    """Number of history steps of each item (the most-popular recommender).

    Parameters
    ----------
    items
        (0-based) item of every history step.
    n_items
        Number of items.
    device
        Where the result goes (default CPU).

    Returns
    -------
    torch.Tensor
        ``(n_items,)`` float32.

    Examples
    --------
    >>> popularity(np.array([0, 2, 2]), 3).tolist()
    [1.0, 0.0, 2.0]
    """
    counts = np.bincount(items, minlength=n_items).astype(np.float32)
    return torch.from_numpy(counts).to(device or torch.device("cpu"))


def history_matrix(
    rows: np.ndarray, items: np.ndarray, n_rows: int, n_items: int, device: torch.device
) -> torch.Tensor:
    """Binary user x item matrix of the given history steps.

    Parameters
    ----------
    rows, items
        Row and (0-based) item of every history step.
    n_rows, n_items
        The matrix's shape.
    device
        Where to build it.

    Returns
    -------
    torch.Tensor
        ``(n_rows, n_items)`` float32, 1 where the row's history holds the item.
    """
    out = torch.zeros(n_rows, n_items, device=device)
    r = torch.as_tensor(rows, device=device, dtype=torch.long)
    i = torch.as_tensor(items, device=device, dtype=torch.long)
    out[r, i] = 1.0
    return out


def itemknn_similarity(
    users: np.ndarray, items: np.ndarray, n_items: int, device: torch.device | None = None
) -> torch.Tensor:
    """Cosine similarity of items over the users who touched them, ``(n_items, n_items)``.

    Parameters
    ----------
    users, items
        One entry per history step (user code, 0-based item column); repeats count once.
    n_items
        Catalogue size.

    Returns
    -------
    torch.Tensor
        ``|U_a ∩ U_b| / sqrt(|U_a| |U_b|)`` with a zero diagonal.

    Raises
    ------
    InvalidInputError
        If the catalogue is larger than ``MAX_KNN_ITEMS``.
    """
    if n_items > MAX_KNN_ITEMS:
        raise InvalidInputError(
            f"n_items: expected at most {MAX_KNN_ITEMS} for the dense item-kNN baseline, found {n_items}"
        )
    device = device or torch.device("cpu")
    pairs = np.unique(np.stack([users, items]), axis=1)
    _, u = np.unique(pairs[0], return_inverse=True)
    x = sparse.csr_matrix(
        (np.ones(pairs.shape[1], dtype=np.float32), (u, pairs[1])),
        shape=(int(u.max()) + 1 if len(u) else 0, n_items),
    )
    co = torch.from_numpy((x.T @ x).toarray()).to(device)  # (I, I); sparse product, no (U, I) dense
    deg = torch.diagonal(co).clone()
    norm = torch.sqrt(deg.clamp(min=1.0))
    sim = co / norm[:, None] / norm[None, :]
    sim.fill_diagonal_(0.0)
    return sim


def itemknn_scores(
    sim: torch.Tensor, rows: np.ndarray, items: np.ndarray, n_rows: int
) -> torch.Tensor:
    """Sum of item-kNN similarities to each user's history items.

    Parameters
    ----------
    sim
        ``(n_items, n_items)`` item similarities.
    rows, items
        Row and (0-based) item of every history step.
    n_rows
        Number of users.

    Returns
    -------
    torch.Tensor
        ``(n_rows, n_items)``.
    """
    hist = history_matrix(rows, items, n_rows, sim.shape[0], sim.device)
    return hist @ sim


def interest_vectors(
    rows: np.ndarray,
    items: np.ndarray,
    ts_seconds: np.ndarray,
    weights: np.ndarray,
    n_rows: int,
    item_vectors: torch.Tensor,
    half_life_days: float = 14.0,
) -> torch.Tensor:
    """Time-decayed weighted mean of each user's history item vectors, L2-normed.

    Decay runs back from each user's own latest step; a per-user time shift scales a user's vector by
    one factor, so the cosine ranking equals that of ``core.interests.state`` at any later common time.

    Parameters
    ----------
    rows, items
        Row and (0-based) item of every history step.
    ts_seconds, weights
        Time (seconds) and weight of every history step.
    n_rows
        Number of users.
    item_vectors
        ``(n_items, d)``.
    half_life_days
        Decay half-life (> 0).

    Returns
    -------
    torch.Tensor
        ``(n_rows, d)``.

    Raises
    ------
    InvalidInputError
        If ``half_life_days`` is not positive.
    """
    if half_life_days <= 0:
        raise InvalidInputError(f"half_life_days: expected > 0, found {half_life_days}")
    device = item_vectors.device
    r = torch.as_tensor(rows, device=device, dtype=torch.long)
    t = torch.as_tensor(ts_seconds, device=device, dtype=torch.float64)
    latest = torch.full((n_rows,), -torch.inf, device=device, dtype=torch.float64)
    latest = latest.scatter_reduce(0, r, t, reduce="amax")
    age_days = (latest[r] - t) / 86400.0
    w = torch.as_tensor(weights, device=device, dtype=torch.float64) * torch.exp2(
        -age_days / half_life_days
    )
    vecs = item_vectors[torch.as_tensor(items, device=device, dtype=torch.long)]  # (N, d)
    out = torch.zeros(n_rows, item_vectors.shape[1], device=device, dtype=item_vectors.dtype)
    out.index_add_(0, r, vecs * w[:, None].to(item_vectors.dtype))
    return torch.nn.functional.normalize(out, dim=1)


def cosine_scores(user_vectors: torch.Tensor, item_vectors: torch.Tensor) -> torch.Tensor:
    """Cosine of each (L2-normed) user vector with each item vector.

    Parameters
    ----------
    user_vectors
        ``(n_users, d)``, already L2-normalised.
    item_vectors
        ``(n_items, d)``, normalised here.

    Returns
    -------
    torch.Tensor
        ``(n_users, n_items)``.
    """
    return user_vectors @ torch.nn.functional.normalize(item_vectors, dim=1).T


#: Weights of the popularity prior tried on the validation split by ``evaluate`` (0 = pure cosine).
PRIOR_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0)


def popularity_prior(counts: torch.Tensor) -> torch.Tensor:
    """``log1p(count) / log1p(max count)`` per item, in [0, 1] (zeros for an empty history).

    Parameters
    ----------
    counts
        Step count per item, e.g. from :func:`popularity`.

    Returns
    -------
    torch.Tensor
        ``(n_items,)``, same dtype as ``counts``.

    Examples
    --------
    >>> popularity_prior(torch.tensor([0.0, 1.0, 3.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    logc = torch.log1p(counts.float())
    return logc / logc.max().clamp(min=1e-12)


def lm_interest_scores(
    user_vectors: torch.Tensor,
    item_vectors: torch.Tensor,
    prior: torch.Tensor | None = None,
    prior_weight: float = 0.0,
) -> torch.Tensor:
    """The LM-interest recommender: cosine to the interest vector plus a popularity prior.

    ``score = cosine(user, item) + prior_weight * prior[item]``.

    Parameters
    ----------
    user_vectors
        ``(n_users, d)`` L2-normalised interest vectors (:func:`interest_vectors`).
    item_vectors
        ``(n_items, d)`` LM vectors.
    prior
        ``(n_items,)`` popularity prior (:func:`popularity_prior`), or None.
    prior_weight
        Its weight.

    Returns
    -------
    torch.Tensor
        ``(n_users, n_items)`` scores.
    """
    scores = cosine_scores(user_vectors, item_vectors)
    if prior is not None and prior_weight:
        scores = scores + prior_weight * prior.to(scores.device)[None, :]
    return scores

"""Top-k ranking metrics over a full ranking of the catalogue, and the protocol that names them.

Every number carries its protocol: how the log was split, what was ranked, whether seen items were
excluded. Ties are broken by the *expected* rank under a random order of tied items, so a model that
scores everything equally gets chance-level numbers, not perfect ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError

#: Columns of a metrics report, in display order.
REPORT_COLUMNS = (
    "model",
    "split",
    "segment",
    "HR@10",
    "NDCG@10",
    "MRR",
    "coverage@10",
    "n_users",
    "protocol",
)


@dataclass(frozen=True)
class RankMetrics:
    """HR@k, NDCG@k and MRR averaged over users, catalogue coverage of the top-k lists."""

    k: int
    hr: float
    ndcg: float
    mrr: float
    coverage: float
    n_users: int


def protocol(split: str, n_items: int, exclude_seen: bool, n_users: int) -> str:
    """The sentence printed next to every metric.

    Parameters
    ----------
    split
        ``"validation"`` or ``"test"``.
    n_items
        Items ranked.
    exclude_seen
        Whether items of the user's history were excluded from the ranking.
    n_users
        Users evaluated.

    Returns
    -------
    str

    Examples
    --------
    >>> protocol("test", 100, False, 5)
    'time-ordered leave-one-out (test = last step of each user), full ranking over all 100 items, seen items kept, 5 users'
    """
    which = "last" if split == "test" else "second-to-last"
    seen = (
        "seen items excluded (a target the user already saw counts as a miss)"
        if exclude_seen
        else "seen items kept"
    )
    return (
        f"time-ordered leave-one-out ({split} = {which} step of each user), full ranking over all "
        f"{n_items} items, {seen}, {n_users} users"
    )


def target_ranks(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """0-based expected rank of each target among all items, ``(U,)`` float.

    Parameters
    ----------
    scores
        ``(U, n_items)`` scores; ``-inf`` marks excluded items.
    targets
        ``(U,)`` int64 column index (0-based) of the true next item.

    Returns
    -------
    torch.Tensor
        ``#items scored higher + #other items tied / 2``; ``inf`` where the target itself is excluded.

    Raises
    ------
    InvalidInputError
        If the shapes do not fit together.
    """
    if scores.ndim != 2 or targets.ndim != 1 or scores.shape[0] != targets.shape[0]:
        raise InvalidInputError(
            f"scores, targets: expected (U, n_items) and (U,), found {tuple(scores.shape)} and "
            f"{tuple(targets.shape)}"
        )
    t = scores.gather(1, targets[:, None])  # (U, 1)
    greater = (scores > t).sum(1).to(torch.float64)
    ties = (scores == t).sum(1).to(torch.float64) - 1.0
    rank = greater + ties / 2.0
    return torch.where(torch.isneginf(t.squeeze(1)), torch.full_like(rank, float("inf")), rank)


def rank_metrics(scores: torch.Tensor, targets: torch.Tensor, k: int = 10) -> RankMetrics:
    """HR@k, NDCG@k (one relevant item), MRR and coverage of a full ranking.

    Parameters
    ----------
    scores
        ``(U, n_items)`` float scores; set excluded items to ``-inf`` beforehand.
    targets
        ``(U,)`` int64 column of the held-out item of each user.
    k
        Cut-off.

    Returns
    -------
    RankMetrics

    Raises
    ------
    InvalidInputError
        If ``k`` < 1 or the shapes do not match.

    Examples
    --------
    >>> s = torch.tensor([[0.9, 0.5, 0.1], [0.1, 0.2, 0.3]])
    >>> m = rank_metrics(s, torch.tensor([1, 2]), k=1)
    >>> (m.hr, round(m.mrr, 3))
    (0.5, 0.75)
    """
    return batched_rank_metrics([(scores, targets)], int(scores.shape[1]), k)


def batched_rank_metrics(
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]], n_items: int, k: int = 10
) -> RankMetrics:
    """``rank_metrics`` over users that arrive in batches of ``(scores, targets)``.

    The one implementation behind every reported ranking number: a batch of users is ranked, its
    ranks and top-k items kept, and the averages taken over all users at the end, so the figures equal
    those of ``rank_metrics`` on the concatenated matrix (the evaluation never holds a whole
    ``(users, items)`` matrix at once).

    Parameters
    ----------
    batches
        Iterable of ``(scores (B, n_items), targets (B,))``.
    n_items
        Catalogue size (the width of every ``scores``).
    k
        Cut-off.

    Returns
    -------
    RankMetrics
        NaN metrics and ``n_users == 0`` when there are no users.

    Raises
    ------
    InvalidInputError
        If ``k`` < 1 or a batch's shapes do not match.
    """
    if k < 1:
        raise InvalidInputError(f"k: expected a positive integer, found {k}")
    ranks: list[torch.Tensor] = []
    covered = torch.zeros(n_items, dtype=torch.bool)
    for scores, targets in batches:
        if scores.ndim != 2 or scores.shape[1] != n_items:
            raise InvalidInputError(f"scores: expected (U, {n_items}), found {tuple(scores.shape)}")
        ranks.append(target_ranks(scores, targets).cpu())
        top = torch.topk(scores, min(k, n_items), dim=1).indices  # (B, k)
        finite = torch.isfinite(scores.gather(1, top))
        covered[top[finite].cpu()] = True
    rank = torch.cat(ranks) if ranks else torch.zeros(0, dtype=torch.float64)
    if len(rank) == 0:
        return RankMetrics(k, float("nan"), float("nan"), float("nan"), 0.0, 0)
    hit = rank < k
    ndcg = torch.where(hit, 1.0 / torch.log2(rank + 2.0), torch.zeros_like(rank))
    mrr = 1.0 / (rank + 1.0)
    return RankMetrics(
        k=k,
        hr=float(hit.to(torch.float64).mean()),
        ndcg=float(ndcg.mean()),
        mrr=float(mrr.mean()),
        coverage=float(covered.to(torch.float64).mean()),
        n_users=len(rank),
    )


def report_columns(k: int = 10) -> tuple[str, ...]:
    """Columns of a metrics report at cut-off ``k``, in display order.

    Parameters
    ----------
    k
        The cut-off in the metric names.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> report_columns(5)[3:7]
    ('HR@5', 'NDCG@5', 'MRR', 'coverage@5')
    """
    return (
        "model",
        "split",
        "segment",
        f"HR@{k}",
        f"NDCG@{k}",
        "MRR",
        f"coverage@{k}",
        "n_users",
        "protocol",
    )


def report_row(model: str, split: str, m: RankMetrics, proto: str, segment: str = "all") -> dict:
    """One row of a report table (see ``report_columns``), its metric names at ``m.k``.

    Parameters
    ----------
    model
        The model's name in the report.
    split
        ``"validation"`` or ``"test"``.
    m
        The metrics (from :func:`batched_rank_metrics`).
    proto
        The protocol sentence (:func:`protocol`).
    segment
        ``"all"``, or the segment evaluated (e.g. new items).

    Returns
    -------
    dict
        Column -> value.
    """
    return {
        "model": model,
        "split": split,
        "segment": segment,
        f"HR@{m.k}": m.hr,
        f"NDCG@{m.k}": m.ndcg,
        "MRR": m.mrr,
        f"coverage@{m.k}": m.coverage,
        "n_users": m.n_users,
        "protocol": proto,
    }


def report_frame(rows: list[dict], k: int = 10) -> pd.DataFrame:
    """Assemble report rows at cut-off ``k`` into the one table the UI and the CLI print.

    Parameters
    ----------
    rows
        From :func:`report_row`.
    k
        The cut-off of the rows' metric names.

    Returns
    -------
    pandas.DataFrame
        Columns :func:`report_columns`.
    """
    return pd.DataFrame(rows, columns=list(report_columns(k)))


def binary_scores(prob: np.ndarray, label: np.ndarray, threshold: float) -> tuple[float, float]:
    """ROC AUC and F1 at ``threshold`` of probabilities against 0/1 labels.

    Parameters
    ----------
    prob
        Predicted probabilities.
    label
        0/1 truth, aligned with ``prob``.
    threshold
        Probabilities at or above it count as positive.

    Returns
    -------
    tuple of (float, float)
        ``(auc, f1)``; NaN for both when the labels hold one class only.
    """
    label = label.astype(bool)
    pos, neg = int(label.sum()), int((~label).sum())
    if pos == 0 or neg == 0:
        return float("nan"), float("nan")
    order = np.argsort(prob, kind="stable")
    ranks = np.empty(len(prob), dtype=np.float64)
    # Average ranks of ties (Mann–Whitney U form of the AUC).
    sorted_p = prob[order]
    _, first, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    auc = (ranks[label].sum() - pos * (pos + 1) / 2.0) / (pos * neg)
    pred = prob >= threshold
    tp = float((pred & label).sum())
    denom = float(pred.sum() + pos)
    f1 = 2.0 * tp / denom if denom > 0 else 0.0
    return float(auc), f1


def best_threshold(prob: np.ndarray, label: np.ndarray) -> float:
    """The probability cut that maximises F1 on ``(prob, label)``.

    Parameters
    ----------
    prob, label
        As for :func:`binary_scores`.

    Returns
    -------
    float
        One of the values of ``prob``; 0.5 when there is no positive label.
    """
    label = label.astype(bool)
    if label.sum() == 0 or len(prob) == 0:
        return 0.5
    order = np.argsort(-prob, kind="stable")
    tp = np.cumsum(label[order])
    predicted = np.arange(1, len(prob) + 1)
    f1 = 2 * tp / (predicted + label.sum())
    return float(prob[order][int(np.argmax(f1))])

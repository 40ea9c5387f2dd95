"""Scoring a split: full-catalogue scores of a sequence model, seen items masked, and the rank
metrics of any score function (every reported number comes from
:func:`core.recsys.metrics.batched_rank_metrics`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from core.recsys.metrics import RankMetrics, batched_rank_metrics
from core.recsys.seqmodel import SeqRec
from core.recsys.sequences import Split, Steps, batch_from, ranges

__all__ = [
    "ScoreFn",
    "evaluate_model",
    "evaluate_scores",
    "model_scores",
    "propensity_scores",
    "seen_mask",
]

#: A score function: rows of a split -> ``(rows, n_items)`` scores, excluded items ``-inf``.
ScoreFn = Callable[[slice], torch.Tensor]


def _eval_batch_rows(n_rows: int, n_items: int) -> int:
    return max(1, min(n_rows, 4_000_000 // max(n_items, 1)))


def seen_mask(
    steps: Steps, split: Split, rows: slice, n_items: int, device: torch.device
) -> torch.Tensor:
    """``(rows, n_items)`` True where the item is in the row's history before its target.

    Parameters
    ----------
    steps, split
        The steps and the split.
    rows
        The slice of the split's users.
    n_items
        Items ranked.
    device
        Where to build the mask.

    Returns
    -------
    torch.Tensor
        Boolean mask.
    """
    r, idx = ranges(split.lo[rows], split.hi[rows] - split.lo[rows])
    mask = torch.zeros(len(split.lo[rows]), n_items, dtype=torch.bool, device=device)
    mask[torch.as_tensor(r, device=device), torch.as_tensor(steps.item[idx] - 1, device=device)] = (
        True
    )
    return mask


def model_scores(
    model: SeqRec, steps: Steps, split: Split, rows: slice, exclude_seen: bool
) -> torch.Tensor:
    """Full-catalogue scores of the model for ``split`` rows, seen items ``-inf`` if excluded.

    Parameters
    ----------
    model
        A trained sequence model.
    steps, split
        The steps and the split.
    rows
        The slice of the split's users to score.
    exclude_seen
        Set items of each user's history to ``-inf``.

    Returns
    -------
    torch.Tensor
        ``(len(rows), n_items)`` scores.
    """
    device = model.device
    batch = batch_from(steps, split.lo[rows], split.hi[rows], model.config.max_len).to(device)
    scores = model.full_sort_predict(batch)
    if exclude_seen:
        scores = scores.masked_fill(
            seen_mask(steps, split, rows, model.config.n_items, device), float("-inf")
        )
    return scores


def evaluate_scores(
    score_fn: ScoreFn, steps: Steps, split: Split, n_items: int, k: int = 10
) -> RankMetrics:
    """Rank metrics of ``score_fn`` on ``split``, scored in batches of users.

    Parameters
    ----------
    score_fn
        ``score_fn(rows)`` -> ``(len(rows), n_items)`` scores for a slice of the split's users.
    steps, split
        The steps and the split to evaluate.
    n_items
        Items ranked.
    k
        The cut-off.

    Returns
    -------
    RankMetrics
        From :func:`core.recsys.metrics.batched_rank_metrics`, the one implementation.
    """
    n = len(split.users)
    size = _eval_batch_rows(n, n_items)
    targets = torch.from_numpy(split.targets(steps))

    def batches():
        for s in range(0, n, size):
            rows = slice(s, min(n, s + size))
            scores = score_fn(rows)
            yield scores, targets[rows].to(scores.device)

    return batched_rank_metrics(batches(), n_items, k)


def evaluate_model(model: SeqRec, steps: Steps, split: Split, exclude_seen: bool) -> RankMetrics:
    """HR@10, NDCG@10, MRR, coverage of ``model`` on ``split`` (full ranking).

    Parameters
    ----------
    model
        A trained sequence model.
    steps, split
        The steps and the split to evaluate (:func:`core.recsys.sequences.make_splits`).
    exclude_seen
        Rank only items outside the user's history.

    Returns
    -------
    RankMetrics
    """
    model.eval()
    return evaluate_scores(
        lambda rows: model_scores(model, steps, split, rows, exclude_seen),
        steps,
        split,
        model.config.n_items,
    )


def propensity_scores(model: SeqRec, steps: Steps, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """P(next step is a purchase) for each split user, and whether it was (0/1).

    Parameters
    ----------
    model
        A model with a propensity head.
    steps, split
        The steps and the split.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        ``(prob, label)`` per user of the split.
    """
    n = len(split.users)
    probs = []
    for s in range(0, n, 4096):  # batches of users, not a loop over rows
        rows = slice(s, min(n, s + 4096))
        batch = batch_from(steps, split.lo[rows], split.hi[rows], model.config.max_len)
        probs.append(model.predict_propensity(batch.to(model.device)).float().cpu().numpy())
    prob = np.concatenate(probs) if probs else np.zeros(0, dtype=np.float32)
    return prob, steps.purchase[split.hi].astype(np.int64)

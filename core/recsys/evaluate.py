"""The evaluation protocol: the sequence model beside the baselines, on the same split.

Metrics rank the whole catalogue (no sampled negatives) and come from one implementation,
``core.recsys.metrics.batched_rank_metrics``, fed batch by batch by the score functions of :mod:`core.recsys.scoring` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.recsys import baselines
from core.recsys.metrics import (
    binary_scores,
    protocol,
    report_frame,
    report_row,
)
from core.recsys.scoring import (
    ScoreFn,
    evaluate_model,
    evaluate_scores,
    model_scores,
    propensity_scores,
    seen_mask,
)
from core.recsys.sequences import Split, Steps, build_steps, make_splits, ranges

if TYPE_CHECKING:
    from core.recsys.train import TrainResult

#: Row names of the report.
SEQUENCE_MODEL = "sequence model (SASRec)"
ID_ONLY_MODEL = "sequence model (ID-only)"
MOST_POPULAR = "most popular"
ITEM_KNN = "item-kNN (co-occurrence)"
LM_INTEREST = "LM interest (cosine)"
BASELINES = (MOST_POPULAR, "item-kNN", LM_INTEREST)


def _baseline_scorers(
    steps: Steps,
    sp: Split,
    n_items: int,
    device: torch.device,
    exclude: bool,
    names: Sequence[str],
    item_vectors: torch.Tensor | None,
    half_life_days: float,
    collapse_repeats: bool = True,
    prior_weight: float = 0.0,
) -> dict[str, ScoreFn]:
    """Score functions of the baselines on ``sp``, each fitted on the history before its targets.

    Where repeats collapse into one step the next step is never the latest step's item, so no
    baseline recommends it (the sequence model learns this from the data).
    """
    h_row, h_idx = sp.history()
    h_item = steps.item[h_idx] - 1
    last = torch.from_numpy(np.where(sp.hi > sp.lo, steps.item[np.maximum(sp.hi - 1, 0)] - 1, -1))

    def masked(scores: torch.Tensor, rows: slice) -> torch.Tensor:
        if exclude:
            scores = scores.masked_fill(
                seen_mask(steps, sp, rows, n_items, scores.device), float("-inf")
            )
        if collapse_repeats:
            lr = last[rows].to(scores.device)
            has = torch.nonzero(lr >= 0).squeeze(1)
            scores[has, lr[has]] = float("-inf")
        return scores

    # History steps of every user before this split's target (training part of the log).
    before = 2 if sp.name == "validation" else 1
    all_hi = steps.start + np.where(steps.length >= 3, steps.length - before, steps.length)
    _, a_idx = ranges(steps.start, all_hi - steps.start)
    out: dict[str, ScoreFn] = {}
    if MOST_POPULAR in names:
        pop = baselines.popularity(steps.item[a_idx] - 1, n_items, device)
        out[MOST_POPULAR] = lambda rows: masked(
            pop.expand(rows.stop - rows.start, -1).clone(), rows
        )
    if "item-kNN" in names and n_items <= baselines.MAX_KNN_ITEMS:
        sim = baselines.itemknn_similarity(
            steps.user[a_idx], steps.item[a_idx] - 1, n_items, device
        )

        def knn(rows: slice) -> torch.Tensor:
            sel = (h_row >= rows.start) & (h_row < rows.stop)
            scores = baselines.itemknn_scores(
                sim, h_row[sel] - rows.start, h_item[sel], rows.stop - rows.start
            )
            return masked(scores, rows)

        out[ITEM_KNN] = knn
    if LM_INTEREST in names and item_vectors is not None:
        vecs = item_vectors.to(device)
        uvec = baselines.interest_vectors(
            h_row, h_item, steps.ts[h_idx], steps.weight[h_idx], len(sp.users), vecs, half_life_days
        )
        prior = baselines.popularity_prior(baselines.popularity(steps.item[a_idx] - 1, n_items))

        def lm(rows: slice) -> torch.Tensor:
            scores = baselines.lm_interest_scores(uvec[rows], vecs, prior, prior_weight)
            return masked(scores, rows)

        out[LM_INTEREST] = lm
    return out


def _tune_prior(
    steps: Steps,
    val: Split,
    n_items: int,
    device: torch.device,
    exclude: bool,
    vectors: torch.Tensor | None,
    half_life_days: float,
    collapse: bool,
) -> float:
    """The popularity-prior weight of the LM-interest baseline with the best validation NDCG@10."""
    if vectors is None or len(val.users) == 0:
        return 0.0
    ndcg = {
        w: evaluate_scores(
            _baseline_scorers(
                steps,
                val,
                n_items,
                device,
                exclude,
                (LM_INTEREST,),
                vectors,
                half_life_days,
                collapse,
                w,
            )[LM_INTEREST],
            steps,
            val,
            n_items,
        ).ndcg
        for w in baselines.PRIOR_WEIGHTS  # a handful of weights, each one vectorised pass
    }
    return max(ndcg, key=lambda w: (ndcg[w], -w))


def compare(
    result: TrainResult,
    events: pd.DataFrame,
    split: str = "test",
    exclude_seen: bool | None = None,
    baseline_models: Sequence[str] = BASELINES,
    half_life_days: float = 14.0,
    others: Mapping[str, TrainResult] | None = None,
    segments: Mapping[str, Sequence[str]] | None = None,
    k: int = 10,
) -> pd.DataFrame:
    """One table: the sequence model and the baselines on the same split and protocol.

    Parameters
    ----------
    result
        Output of ``core.recsys.train.fit`` on the same ``events``; reported as ``SEQUENCE_MODEL``.
    events
        The EventLog the model was trained on.
    split
        ``"test"`` (last step of each user) or ``"validation"``.
    exclude_seen
        Exclude items the user already saw from the ranking; default ``result.spec.exclude_seen``.
    baseline_models
        Which baselines to add. The LM baseline needs item vectors (skipped without them).
    half_life_days
        Decay of the LM interest vectors.
    others
        More sequence models trained on the same ``events`` (row name -> result), e.g.
        ``{ID_ONLY_MODEL: fit(events)}``.
    segments
        Extra row groups: segment name -> item ids; a segment's rows score only the users whose
        target is one of those items (still ranked over the whole catalogue). Every model is always
        reported on segment ``"all"`` too.
    k
        Cut-off of HR, NDCG and coverage.

    Returns
    -------
    pd.DataFrame
        Columns ``metrics.report_columns(k)``, the protocol string in every row. Where the log has
        purchase events, one more row reports the propensity head (P(next step is a purchase)) with
        its ``AUC`` and ``F1`` columns; ranking columns are empty there.

    Raises
    ------
    InvalidInputError
        If ``split`` is neither ``"test"`` nor ``"validation"``.
    """
    if split not in ("test", "validation"):
        raise InvalidInputError(f"split: expected 'test' or 'validation', found {split!r}")
    exclude = result.spec.exclude_seen if exclude_seen is None else exclude_seen
    steps = build_steps(events, result.vocab, result.spec.collapse_repeats)
    val, test = make_splits(steps)
    full = test if split == "test" else val
    n_items = result.vocab.n_items
    device = result.model.device
    models = {SEQUENCE_MODEL: result, **dict(others or {})}
    groups = {"all": full}
    for name, items in (segments or {}).items():
        on = np.zeros(n_items, dtype=bool)
        code = result.vocab.items.get_indexer([str(i) for i in items])
        on[code[code >= 0]] = True
        groups[name] = full.rows(on[full.targets(steps)])
    vectors = result.item_vectors if LM_INTEREST in baseline_models else None
    collapse = result.spec.collapse_repeats
    weight = _tune_prior(steps, val, n_items, device, exclude, vectors, half_life_days, collapse)
    rows_out = []
    for segment, sp in groups.items():
        proto = protocol(split, n_items, exclude, len(sp.users))
        if collapse:
            proto += "; baselines skip the latest step's item (repeats are one step)"
        if vectors is not None:
            proto += f"; LM interest: popularity prior weight {weight:g} chosen on validation NDCG"
        if segment != "all":
            proto += f"; segment {segment!r}: only users whose target is one of those items"
        scorers: dict[str, ScoreFn] = {
            name: (lambda rows, m=res.model, sp=sp: model_scores(m, steps, sp, rows, exclude))
            for name, res in models.items()
        }
        scorers.update(
            _baseline_scorers(
                steps,
                sp,
                n_items,
                device,
                exclude,
                baseline_models,
                result.item_vectors,
                half_life_days,
                collapse,
                weight,
            )
        )
        for name, fn in scorers.items():
            metrics = evaluate_scores(fn, steps, sp, n_items, k)
            rows_out.append(report_row(name, split, metrics, proto, segment))
    for res in models.values():
        res.model.eval()
    report = report_frame(rows_out, k)
    if result.config.propensity_head:
        report = pd.concat([report, _propensity_row(result, steps, full, split)], ignore_index=True)
    return report


def _propensity_row(result: TrainResult, steps: Steps, sp: Split, split: str) -> pd.DataFrame:
    prob, label = propensity_scores(result.model, steps, sp)
    auc, f1 = binary_scores(prob, label, result.propensity_threshold)
    extra = {
        "model": "purchase propensity (same encoder)",
        "split": split,
        "segment": "all",
        "n_users": len(prob),
        "AUC": auc,
        "F1": f1,
        "protocol": (
            f"P(next step is a purchase), {split} step of each user, threshold "
            f"{result.propensity_threshold:.3f} chosen on validation F1, "
            f"{int(label.sum())} of {len(label)} positive"
        ),
    }
    return pd.DataFrame([extra])


__all__ = [
    "BASELINES",
    "ID_ONLY_MODEL",
    "ITEM_KNN",
    "LM_INTEREST",
    "MOST_POPULAR",
    "SEQUENCE_MODEL",
    "compare",
    "evaluate_model",
    "evaluate_scores",
    "model_scores",
    "propensity_scores",
    "seen_mask",
]

"""The LM-interest recommender with the frozen and the adapted encoder, on the same protocol.

``core.interests.finetune`` adapts the sentence encoder to the log; this module measures what that
buys where it matters to recommendations: the LM-interest recommender's test metrics with each set
of item vectors, the popularity prior of each tuned on validation NDCG@10 as in
``core.recsys.evaluate.compare``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import torch

from core.interests.finetune import Adaptation
from core.recsys.evaluate import LM_INTEREST, _baseline_scorers, _tune_prior, evaluate_scores
from core.recsys.metrics import protocol, report_frame, report_row
from core.recsys.sequences import align_item_vectors, build_steps, build_vocab, make_splits

#: Row name of the LM-interest recommender over the adapted encoder's vectors.
LM_ADAPTED = "LM interest (adapted encoder)"


def lm_interest_report(
    events: pd.DataFrame,
    variants: Mapping[str, torch.Tensor],
    item_ids: Sequence[str],
    collapse_repeats: bool = True,
    exclude_seen: bool = False,
    half_life_days: float = 14.0,
    k: int = 10,
) -> pd.DataFrame:
    """Test metrics of the LM-interest recommender for each set of item vectors.

    Parameters
    ----------
    events
        Canonical EventLog (time-ordered leave-one-out, as ``core.recsys.sequences``).
    variants
        Row name -> ``(n, d)`` item vectors (e.g. ``{LM_INTEREST: frozen, LM_ADAPTED: adapted}``).
    item_ids
        The item id of each vector row (shared by every variant).
    collapse_repeats, exclude_seen, half_life_days, k
        As in ``core.recsys.evaluate.compare``.

    Returns
    -------
    pd.DataFrame
        One row per variant, columns ``metrics.report_columns(k)``.
    """
    vocab = build_vocab(events)
    steps = build_steps(events, vocab, collapse_repeats)
    val, test = make_splits(steps)
    n, device = vocab.n_items, torch.device("cpu")
    rows = []
    for name, vectors in variants.items():  # two or three sets of vectors
        vecs = align_item_vectors(vocab, vectors, item_ids)
        w = _tune_prior(steps, val, n, device, exclude_seen, vecs, half_life_days, collapse_repeats)
        fn = _baseline_scorers(
            steps,
            test,
            n,
            device,
            exclude_seen,
            (LM_INTEREST,),
            vecs,
            half_life_days,
            collapse_repeats,
            w,
        )[LM_INTEREST]
        proto = protocol("test", n, exclude_seen, len(test.users))
        proto += f"; LM interest: popularity prior weight {w:g} chosen on validation NDCG"
        rows.append(report_row(name, "test", evaluate_scores(fn, steps, test, n, k), proto))
    return report_frame(rows, k)


def encoder_report(
    events: pd.DataFrame,
    frozen: torch.Tensor,
    adaptation: Adaptation,
    item_ids: Sequence[str],
) -> pd.DataFrame:
    """The frozen and the adapted encoder side by side: held-out pair recall@10 and the
    LM-interest recommender's test metrics.

    Parameters
    ----------
    events
        The EventLog the adapter learnt from (its training part: ``finetune.training_mask``).
    frozen
        The frozen encoder's item vectors, rows in ``item_ids`` order.
    adaptation
        The adapter (``core.interests.embeddings.adapt_encoder``).
    item_ids
        Item id of each row.

    Returns
    -------
    pd.DataFrame
        Rows ``frozen encoder`` and ``adapted encoder``: ``encoder``, ``pair recall@10`` (the
        held-out co-engaged partner), ``seconds`` (fine-tuning time), then the LM-interest row's
        ``metrics.report_columns()`` (``model`` names it).
    """
    variants = {LM_INTEREST: frozen, LM_ADAPTED: adaptation.apply(frozen)}
    lm = lm_interest_report(events, variants, item_ids)
    head = pd.DataFrame(
        {
            "encoder": ["frozen encoder", "adapted encoder"],
            "pair recall@10": [adaptation.recall_frozen, adaptation.recall_adapted],
            "seconds": [0.0, adaptation.seconds],
        }
    )
    out = pd.concat([head, lm], axis=1)
    out["protocol"] = out["protocol"] + (
        f"; pair recall@10: the co-engaged partner among the 10 nearest items, over "
        f"{adaptation.n_heldout_pairs:,} held-out pairs (co-engagements of each user's last two "
        f"steps); adapter trained on {adaptation.n_train_pairs:,} pairs ({adaptation.stopped})"
    )
    return out


__all__ = ["LM_ADAPTED", "encoder_report", "lm_interest_report"]

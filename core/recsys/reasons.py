"""Why an item is recommended: the past steps most similar to it, weighted by recency.

Similarity is the mean of the cosines of the model's item embeddings and of the language-model
vectors (the model embeddings alone where the model has no text vectors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from core.recsys.persist import ModelBundle
from core.recsys.sequences import Steps

#: How many past steps a reason names.
REASON_STEPS = 2


def _reason_table(bundle: ModelBundle) -> torch.Tensor:
    """Unit vectors whose dot product is the mean of the model-embedding and LM cosines."""
    with torch.inference_mode():
        learned = torch.nn.functional.normalize(bundle.model.item_table()[1:].float(), dim=1)
    vecs = bundle.item_vectors
    if vecs is None or not bool((vecs.abs().sum(1) > 0).any()):
        return learned
    text = torch.nn.functional.normalize(vecs.float(), dim=1)
    return torch.cat([learned, text.to(learned.device)], dim=1) / 2**0.5


def reasons(
    bundle: ModelBundle, steps: Steps, users: np.ndarray, top: torch.Tensor, half_life_days: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (user, recommended item): the REASON_STEPS most contributing past steps.

    Contribution = similarity(item, past item) * 2^(-age / half-life), similarity being the mean of
    the cosines of the model's item embeddings and of the LM vectors, over the last max_len steps.

    Parameters
    ----------
    bundle
        The model bundle (its ``max_len``, embeddings and LM vectors).
    steps
        Every user's steps, sorted by (user, time).
    users
        User codes (B,).
    top
        Recommended items (B, k), 0-based item rows, on the scoring device.
    half_life_days
        Age at which a past step counts half; age is measured from the user's last step.

    Returns
    -------
    tuple of numpy.ndarray
        Chosen step indices ``(B, k, REASON_STEPS)`` (-1 = none), their contributions (same shape)
        and the history step indices ``(B, max_len)`` (-1 = padding).
    """
    device = top.device
    T = bundle.model.config.max_len
    lo, hi = steps.start[users], steps.start[users] + steps.length[users]
    idx = np.arange(len(steps.item))
    hist_idx = torch.as_tensor(
        np.where(
            (hi[:, None] - T + np.arange(T)[None, :]) >= lo[:, None],
            idx[np.clip(hi[:, None] - T + np.arange(T)[None, :], 0, max(len(idx) - 1, 0))]
            if len(idx)
            else 0,
            -1,
        ),
        device=device,
    )  # (B, T) step index or -1
    valid = hist_idx >= 0
    # One dummy step at the end keeps the gathers valid when no user has any history.
    items = torch.as_tensor(np.r_[steps.item, 1], device=device)
    ts = torch.as_tensor(np.r_[steps.ts, 0.0], device=device, dtype=torch.float64)
    safe = hist_idx.clamp(min=0)
    hist_item = torch.where(valid, items[safe] - 1, torch.zeros_like(safe))  # (B, T)
    table = _reason_table(bundle).to(device)
    sim = torch.einsum("bkd,btd->bkt", table[top], table[hist_item])  # (B, k, T)
    latest = torch.where(valid, ts[safe], torch.full_like(ts[safe], -torch.inf)).amax(
        1, keepdim=True
    )
    decay = torch.exp2(-(latest - ts[safe]) / 86400.0 / half_life_days).float()  # (B, T)
    contrib = sim * decay[:, None, :]
    contrib = contrib.masked_fill(~valid[:, None, :], float("-inf"))
    n = min(REASON_STEPS, T)
    best = torch.topk(contrib, n, dim=2)
    chosen = torch.gather(hist_idx[:, None, :].expand(-1, top.shape[1], -1), 2, best.indices)
    chosen = torch.where(torch.isfinite(best.values), chosen, torch.full_like(chosen, -1))
    return chosen.cpu().numpy(), best.values.cpu().numpy(), hist_idx.cpu().numpy()


def reason_text(
    bundle: ModelBundle,
    steps: Steps,
    chosen: np.ndarray,
    texts: pd.Series,
    topic: pd.Series,
) -> tuple[pd.Series, pd.Series]:
    """Vectorised reason strings from the chosen step indices ``(N, REASON_STEPS)``.

    Parameters
    ----------
    bundle
        The model bundle (maps item rows to ids).
    steps
        The steps :func:`reasons` chose from.
    chosen
        Step indices per output row (-1 = none).
    texts
        Item text indexed by item id (ids without one are shown as themselves).
    topic
        Topic label of each output row ("" = none), appended as `` · topic: <label>``.

    Returns
    -------
    tuple of numpy.ndarray
        Object arrays: ``"after 'text' (time) and …"`` (or "popular overall (no history yet)") and
        the ``"item @ time; …"`` steps behind it.
    """
    n = len(chosen)
    reason = pd.Series([""] * n, dtype=object)
    items_col = pd.Series([""] * n, dtype=object)
    step_item, step_ts = np.r_[steps.item, 1], np.r_[steps.ts, 0.0]  # dummy step: see reasons
    for j in range(chosen.shape[1] if n else 0):  # REASON_STEPS columns, not rows
        step = chosen[:, j]
        has = step >= 0
        safe = np.where(has, step, 0)
        iid = pd.Series(bundle.vocab.items.to_numpy()[step_item[safe] - 1], dtype=object)
        when = pd.Series(
            pd.to_datetime(step_ts[safe], unit="s", utc=True).strftime("%Y-%m-%d %H:%M")
        )
        name = texts.reindex(iid).reset_index(drop=True).fillna(iid).astype(str).str.slice(0, 60)
        piece = "'" + name + "' (" + when + ")"
        sep = np.where(reason.str.len() > 0, " and ", "")
        reason = reason.where(~has, reason + sep + piece)
        isep = np.where(items_col.str.len() > 0, "; ", "")
        items_col = items_col.where(~has, items_col + isep + iid + " @ " + when)
    prefix = np.where(reason.str.len() > 0, "after ", "popular overall (no history yet)")
    reason = pd.Series(prefix, dtype=object) + reason
    topic = topic.reset_index(drop=True).astype(str)
    reason = reason.where(topic.str.len() == 0, reason + " · topic: " + topic)
    return reason.to_numpy(dtype=object), items_col.to_numpy(dtype=object)


__all__ = ["REASON_STEPS", "reason_text", "reasons"]

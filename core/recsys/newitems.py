"""New-item evaluation: how well each recommender ranks items it never saw in training.

A seeded share of the catalogue becomes *new*: every training interaction with those items is removed
from the log (the validation and test steps stay), the models are trained on what is left, and the
test targets that fall on new items are ranked over the whole catalogue. This is where item text
matters: an ID-only model has learnt nothing about a new item, a text-initialised one places it by
its language-model vector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.recsys.evaluate import ID_ONLY_MODEL, SEQUENCE_MODEL, compare
from core.recsys.sequences import build_steps, build_vocab
from core.recsys.train import ProgressCallback, TrainSpec, fit
from core.schema import ITEM, TS, USER

#: Segment name of the rows about new items.
NEW_ITEMS = "new items"
#: Row of the text-initialised model whose item vectors come from the encoder adapted to the log.
ADAPTED_MODEL = "sequence model (SASRec, adapted encoder)"


@dataclass(frozen=True)
class NewItemSplit:
    """The new items and the log without their training interactions."""

    items: tuple[str, ...]  # ids of the new items
    events: pd.DataFrame  # the EventLog with every training event on a new item removed
    n_removed: int  # events removed


def pick_new_items(items: Sequence[str], share: float = 0.1, seed: int = 0) -> tuple[str, ...]:
    """A seeded ``share`` of ``items`` (at least one), in catalogue order.

    Parameters
    ----------
    items
        Item ids in catalogue order.
    share
        Fraction to pick, strictly between 0 and 1 (rounded; at least one item).
    seed
        Seed of the draw.

    Returns
    -------
    tuple of str
        The picked ids; empty when ``items`` is.

    Raises
    ------
    InvalidInputError
        If ``share`` is not in (0, 1).

    Examples
    --------
    >>> len(pick_new_items([f"i{j}" for j in range(50)], 0.1))
    5
    """
    if not 0 < share < 1:
        raise InvalidInputError(f"share: expected a fraction in (0, 1), found {share}")
    ids = np.asarray([str(i) for i in items], dtype=object)
    if len(ids) == 0:
        return ()
    n = max(1, round(share * len(ids)))
    chosen = np.sort(np.random.default_rng(seed).choice(len(ids), n, replace=False))
    return tuple(ids[chosen])


def training_events(events: pd.DataFrame, collapse_repeats: bool = True) -> np.ndarray:
    """True for each event before its user's validation step (the second-to-last step, see
    ``core.recsys.sequences``); every event of a user with fewer than 3 steps.

    Parameters
    ----------
    events
        Canonical EventLog.
    collapse_repeats
        As in ``TrainSpec`` (decides what a step is).

    Returns
    -------
    numpy.ndarray
        Boolean, aligned with the rows of ``events``.
    """
    vocab = build_vocab(events)
    steps = build_steps(events, vocab, collapse_repeats)
    # time of each user's validation step; users with < 3 steps: +inf (all of their events train)
    val_ts = np.full(len(vocab.users), np.inf)
    has = steps.length >= 3
    val_ts[has] = steps.ts[steps.start[has] + steps.length[has] - 2]
    code = vocab.users.get_indexer(events[USER].astype(str))
    ts = events[TS].to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    return ts < np.where(code >= 0, val_ts[np.clip(code, 0, None)], np.inf)


def without_training_interactions(
    events: pd.DataFrame, new_items: Sequence[str], collapse_repeats: bool = True
) -> NewItemSplit:
    """``events`` minus every *training* event on ``new_items``.

    Training events are those before each user's validation step (the second-to-last step, see
    ``core.recsys.sequences``); a user with fewer than 3 steps only trains, so all of their events on
    new items go, as do those of a user whom the removal leaves with fewer than 3 steps. Validation
    and test steps are otherwise kept, so the leave-one-out targets stay the same.

    Parameters
    ----------
    events
        Canonical EventLog.
    new_items
        Item ids whose training interactions to remove.
    collapse_repeats
        As in ``TrainSpec`` (decides what a step is).

    Returns
    -------
    NewItemSplit
    """
    vocab = build_vocab(events)
    training = training_events(events, collapse_repeats)
    is_new = events[ITEM].astype(str).isin(set(map(str, new_items))).to_numpy()
    drop = training & is_new
    # A user left with fewer than 3 steps only trains: their remaining events on new items would
    # train, so they go too (the user has no test step either way).
    kept = events[~drop]
    left = build_steps(kept, vocab, collapse_repeats)
    short = left.length < 3
    code = vocab.users.get_indexer(kept[USER].astype(str))
    also = np.zeros(len(events), dtype=bool)
    also[np.flatnonzero(~drop)] = short[np.clip(code, 0, None)] & (code >= 0) & is_new[~drop]
    drop |= also
    return NewItemSplit(tuple(map(str, new_items)), events[~drop], int(drop.sum()))


def new_item_report(
    events: pd.DataFrame,
    item_vectors: torch.Tensor | None,
    item_ids: Sequence[str] | None,
    spec: TrainSpec | None = None,
    share: float = 0.1,
    seed: int = 0,
    callback: ProgressCallback | None = None,
    adapted: Callable[[pd.DataFrame], torch.Tensor | None] | None = None,
) -> pd.DataFrame:
    """Train text-initialised and ID-only models on the log without new items' training events.

    Parameters
    ----------
    events
        Canonical EventLog.
    item_vectors, item_ids
        Language-model item vectors and their ids (text only: vectors learnt from behaviour on the
        whole log would leak the removed interactions). ``None`` skips the text model and the
        LM-interest baseline.
    spec
        Training spec of both models (default ``TrainSpec()``).
    share, seed
        Which items become new.
    callback
        Passed to ``fit`` of each model; returning ``False`` cancels the whole evaluation.
    adapted
        Optional: item vectors (rows as ``item_ids``) of the encoder adapted to the log it is
        given, the log *without* the new items' training events (adapting on the whole log would
        learn from the removed events); ``None`` from it cancels. Adds ``ADAPTED_MODEL`` and the
        LM-interest recommender on those vectors (``LM interest (adapted encoder)``).

    Returns
    -------
    pd.DataFrame
        ``evaluate.compare`` ranking rows on the reduced log: segment ``"all"`` and ``"new items"``
        (the test users whose target is a new item), for ``SEQUENCE_MODEL`` (text-initialised),
        ``ID_ONLY_MODEL`` and the baselines (and the adapted rows with ``adapted``); the protocol
        names the new-item split. Empty when ``callback`` or ``adapted`` cancelled.
    """
    spec = TrainSpec() if spec is None else spec
    split = without_training_interactions(
        events, pick_new_items(build_vocab(events).items, share, seed), spec.collapse_repeats
    )
    id_only = fit(split.events, None, None, spec, callback)
    if id_only.stopped == "cancelled":
        return pd.DataFrame()
    if item_vectors is None:
        main, others = id_only, {}
    else:
        main = fit(split.events, item_vectors, item_ids, spec, callback)
        if main.stopped == "cancelled":
            return pd.DataFrame()
        others = {ID_ONLY_MODEL: id_only}
    segments = {NEW_ITEMS: split.items}
    report = compare(main, split.events, "test", others=others, segments=segments)
    if item_vectors is not None and adapted is not None:
        rows = _adapted_rows(split.events, adapted, item_ids, spec, callback, segments)
        if rows is None:
            return pd.DataFrame()
        report = pd.concat([report, rows], ignore_index=True)
    if item_vectors is None:
        report["model"] = report["model"].replace({"sequence model (SASRec)": ID_ONLY_MODEL})
    note = (
        f"; new-item split: {len(split.items)} of {main.vocab.n_items} items (seed {seed}) lost all "
        f"{split.n_removed} training events"
    )
    if item_vectors is not None:
        note += f"; text models: item-ID dropout {main.id_dropout:g}"
    report = report[report["segment"].notna() & report["HR@10"].notna()]  # ranking rows only
    report["protocol"] = report["protocol"] + note
    return report.reset_index(drop=True)


def _adapted_rows(events, adapted, item_ids, spec, callback, segments) -> pd.DataFrame | None:
    """The adapted encoder's sequence-model and LM-interest rows on the reduced log (None: cancelled)."""
    from core.recsys.encoders import LM_ADAPTED
    from core.recsys.evaluate import LM_INTEREST

    vectors = adapted(events)
    if vectors is None:
        return None
    result = fit(events, vectors, item_ids, spec, callback)
    if result.stopped == "cancelled":
        return None
    rows = compare(result, events, "test", baseline_models=(LM_INTEREST,), segments=segments)
    rows = rows[rows["model"].isin([SEQUENCE_MODEL, LM_INTEREST])].copy()
    rows["model"] = rows["model"].replace({SEQUENCE_MODEL: ADAPTED_MODEL, LM_INTEREST: LM_ADAPTED})
    return rows


def new_item_summary(report: pd.DataFrame) -> str:
    """One sentence on the new-item segment of ``new_item_report``: text-initialised against
    ID-only (HR@10, NDCG@10, MRR), or what is missing.

    Parameters
    ----------
    report
        Rows of :func:`new_item_report` (or a frame with its ``segment``, ``model``, ``n_users``,
        ``HR@10``, ``NDCG@10`` and ``MRR`` columns).

    Returns
    -------
    str
        The sentence (plain text: escape it before it reaches markdown or HTML).

    Examples
    --------
    >>> rows = pd.DataFrame({"segment": ["new items"] * 2, "n_users": [40, 40],
    ...     "model": ["sequence model (SASRec)", "sequence model (ID-only)"],
    ...     "HR@10": [0.1, 0.0], "NDCG@10": [0.04, 0.0], "MRR": [0.04, 0.004]})
    >>> new_item_summary(rows)
    'For the 40 test users whose next item is new, text initialisation puts it in the top 10 for 10.0 % of them (ID-only 0.0 %): NDCG@10 0.040 vs 0.000, MRR 0.040 vs 0.004 (10.0x).'
    """
    new = report[report["segment"] == NEW_ITEMS].set_index("model") if len(report) else report
    if SEQUENCE_MODEL not in new.index or ID_ONLY_MODEL not in new.index:
        return "No text-initialised model to compare: this log has no item text."
    text, ids = new.loc[SEQUENCE_MODEL], new.loc[ID_ONLY_MODEL]
    ratio = f" ({text['MRR'] / ids['MRR']:.1f}x)" if ids["MRR"] > 0 else ""
    return (
        f"For the {int(text['n_users']):,} test users whose next item is new, text initialisation "
        f"puts it in the top 10 for {100 * text['HR@10']:.1f} % of them "
        f"(ID-only {100 * ids['HR@10']:.1f} %): NDCG@10 {text['NDCG@10']:.3f} vs "
        f"{ids['NDCG@10']:.3f}, MRR {text['MRR']:.3f} vs {ids['MRR']:.3f}{ratio}."
    )


__all__ = [
    "ADAPTED_MODEL",
    "NEW_ITEMS",
    "NewItemSplit",
    "new_item_report",
    "new_item_summary",
    "pick_new_items",
    "training_events",
    "without_training_interactions",
]

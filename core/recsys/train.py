"""Train the sequence model on an EventLog (the loop), and the spec and key that decide a model.

The steps, splits and training windows come from ``core.recsys.sequences``; the comparison with the
baselines on the same protocol lives in ``core.recsys.evaluate``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.errors import InvalidInputError, TooLittleDataError
from core.recsys.evaluate import compare, evaluate_model, propensity_scores
from core.recsys.metrics import best_threshold
from core.recsys.modelkey import model_key
from core.recsys.seqmodel import SeqConfig, SeqRec
from core.recsys.sequences import (
    Vocab,
    align_item_vectors,
    batch_from,
    build_steps,
    build_vocab,
    make_splits,
    right_aligned,
    training_windows,
)

#: callback(epoch, mean training loss, validation NDCG@10, seconds left) -> False to stop.
ProgressCallback = Callable[[int, float, float, float], "bool | None"]

#: Below this many events ``TrainSpec.for_log`` picks a narrower model.
SMALL_LOG_EVENTS = 5_000
#: ``TrainSpec.id_dropout=None`` (auto) drops this share of the candidates' learned parts in each
#: batch where at least ``UNTRAINED_SHARE`` of the catalogue has no training event, else none.
AUTO_ID_DROPOUT = 0.2
UNTRAINED_SHARE = 0.05


@dataclass(frozen=True)
class TrainSpec:
    """Everything that decides a training run (frozen: usable as a cache key)."""

    max_len: int = 50
    d_model: int = 64
    n_heads: int = 2
    n_layers: int = 2
    dropout: float = 0.2
    epochs: int = 40
    batch_size: int = 64
    lr: float = 5e-3
    weight_decay: float = 0.0
    warmup_steps: int = 200  # linear learning-rate warmup over this many optimiser steps
    loss: str = "full"  # "full" cross-entropy, or "sampled" softmax
    n_negatives: int = 512
    patience: int = 4
    seed: int = 0
    use_time_gap: bool = True
    use_hour_of_week: bool = False
    use_event_type: bool = True
    seen_bias: bool = True  # one learned score for items already in the window
    id_dropout: float | None = None  # share of candidates scored by text alone; None: auto
    collapse_repeats: bool = True
    exclude_seen: bool = False
    propensity: bool = True  # trained only where the log has purchase events
    device: str | None = None
    max_seconds: float | None = None

    @classmethod
    def fast(cls, **overrides: object) -> TrainSpec:
        """A small, quick preset for interactive use (the dashboard): one layer, width 32,
        windows of 20 steps, at most 8 epochs. Roughly 10-30 s on the bundled sample on 2 CPU cores."""
        base = {
            "d_model": 32,
            "n_heads": 2,
            "n_layers": 1,
            "max_len": 20,
            "lr": 3e-3,
            "warmup_steps": 0,
            "epochs": 8,
            "patience": 3,
        }
        return cls(**{**base, **overrides})  # type: ignore[arg-type]

    @classmethod
    def for_log(cls, n_events: int, **overrides: object) -> TrainSpec:
        """Defaults sized for a log of ``n_events``: below ``SMALL_LOG_EVENTS`` events width 32
        (a tiny log over-fits a wide model), lr 2e-3 and no warm-up (a tiny log makes too few
        optimiser steps to warm up over 200); the full defaults above (lr 5e-3 after 200 warm-up
        steps: on MovieLens-100K, 0.095 NDCG@10 over 3 seeds in 78-106 s, against 0.067-0.096 in
        up to 25 epochs at lr 2e-3 without warm-up).

        Examples
        --------
        >>> TrainSpec.for_log(1_000).d_model, TrainSpec.for_log(50_000).d_model
        (32, 64)
        """
        if n_events < 0:
            raise InvalidInputError(f"n_events: expected >= 0, found {n_events}")
        base: dict[str, object] = (
            {"d_model": 32, "lr": 2e-3, "warmup_steps": 0} if n_events < SMALL_LOG_EVENTS else {}
        )
        return cls(**{**base, **overrides})  # type: ignore[arg-type]

    def validate(self) -> None:
        """Raise ``InvalidInputError`` naming the first setting out of range."""
        if self.loss not in ("full", "sampled"):
            raise InvalidInputError(f"loss: expected 'full' or 'sampled', found {self.loss!r}")
        for name in ("max_len", "d_model", "n_heads", "n_layers", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise InvalidInputError(f"{name}: expected >= 1, found {getattr(self, name)}")
        if self.id_dropout is not None and not 0.0 <= self.id_dropout < 1.0:
            raise InvalidInputError(
                f"id_dropout: expected a share in [0, 1), found {self.id_dropout}"
            )
        if self.warmup_steps < 0:
            raise InvalidInputError(f"warmup_steps: expected >= 0, found {self.warmup_steps}")
        if self.d_model % self.n_heads:
            raise InvalidInputError(
                f"d_model: expected a multiple of n_heads={self.n_heads}, found {self.d_model}"
            )


@dataclass(frozen=True)
class TrainResult:
    """A trained model with its vocabulary, history and report."""

    model: SeqRec
    config: SeqConfig
    spec: TrainSpec
    vocab: Vocab
    item_vectors: torch.Tensor | None  # (n_items, d) LM vectors in vocab order, or None
    history: tuple[tuple[int, float, float], ...]  # (epoch, loss, val NDCG@10)
    best_epoch: int
    val_ndcg: float
    seconds: float
    seconds_per_epoch: float
    stopped: str  # "early stopping", "max epochs", "cancelled", "time limit"
    has_purchases: bool
    propensity_threshold: float = 0.5
    report: pd.DataFrame = field(default_factory=pd.DataFrame)
    id_dropout: float = 0.0  # the item-ID dropout the run used (``TrainSpec.id_dropout`` resolved)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


# TrainSpec settings that SeqConfig takes unchanged, under the same name
_CONFIG_FIELDS = (
    "max_len",
    "d_model",
    "n_heads",
    "n_layers",
    "dropout",
    "use_time_gap",
    "use_hour_of_week",
    "seen_bias",
)


def _config(spec: TrainSpec, vocab: Vocab, text_dim: int, has_purchases: bool) -> SeqConfig:
    return SeqConfig(
        n_items=vocab.n_items,
        text_dim=text_dim,
        n_event_types=len(vocab.events) if spec.use_event_type else 0,
        propensity_head=spec.propensity and has_purchases,
        **{name: getattr(spec, name) for name in _CONFIG_FIELDS},
    )


def fit(
    events: pd.DataFrame,
    item_vectors: torch.Tensor | None = None,
    item_ids: Sequence[str] | None = None,
    spec: TrainSpec = TrainSpec(),
    callback: ProgressCallback | None = None,
) -> TrainResult:
    """Train the sequence model with early stopping on validation NDCG@10.

    Parameters
    ----------
    events
        Canonical EventLog.
    item_vectors
        Optional ``(n, d)`` language-model item vectors (``core.interests.embeddings.ItemVectors.vectors``).
    item_ids
        Item id of each row of ``item_vectors``; ``None`` means the rows follow the categories of
        ``events[ITEM]``.
    spec
        Hyper-parameters, seed, device.
    callback
        ``callback(epoch, loss, val_ndcg10, eta_seconds)`` after each epoch; returning ``False``
        cancels training (the best model so far is kept).

    Returns
    -------
    TrainResult
        The best model (by validation NDCG@10), already in eval mode; ``report`` is empty (see
        ``core.recsys.evaluate.compare``).

    Raises
    ------
    TooLittleDataError
        If no user has at least 3 steps (nothing to validate on) or no training pair exists.
    """
    spec.validate()
    t0 = time.perf_counter()
    device = pick_device(spec.device)
    vocab = build_vocab(events)
    steps = build_steps(events, vocab, spec.collapse_repeats)
    val, _test = make_splits(steps)
    if len(val.users) == 0:
        raise TooLittleDataError(
            f"events: expected at least one user with 3 or more steps, found none among {len(vocab.users)} users"
        )
    lo, hi = training_windows(steps, spec.max_len)
    keep = hi > lo
    lo, hi = lo[keep], hi[keep]
    if len(lo) == 0:
        raise TooLittleDataError(
            "events: no user has two training steps to learn a transition from"
        )
    vecs = align_item_vectors(vocab, item_vectors, item_ids)
    has_purchases = bool(steps.purchase.any())
    config = _config(spec, vocab, 0 if vecs is None else vecs.shape[1], has_purchases)
    text = None if vecs is None else torch.cat([torch.zeros(1, vecs.shape[1]), vecs])
    torch.manual_seed(spec.seed)
    model = SeqRec(config, text).to(device)

    inputs = batch_from(steps, lo, hi, spec.max_len)
    targets = torch.from_numpy(
        right_aligned(steps.item, lo + 1, hi + 1, spec.max_len).astype(np.int64)
    )
    purchase_next = None
    if config.propensity_head:
        p = right_aligned(steps.purchase.astype(np.float32), lo + 1, hi + 1, spec.max_len)
        purchase_next = torch.from_numpy(p.astype(np.float32))
    if device.type != "cpu":
        inputs = inputs.to(device)
        targets = targets.to(device)
        purchase_next = None if purchase_next is None else purchase_next.to(device)

    # Items of the training windows (inputs or targets); the others are no softmax negatives.
    in_training = torch.zeros(vocab.n_items + 1, dtype=torch.bool)
    in_training[inputs.items.flatten().cpu()] = True
    in_training[targets.flatten().cpu()] = True
    in_training[0] = False
    in_training = in_training.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min(1.0, (step + 1) / (spec.warmup_steps + 1))
    )
    gen = torch.Generator().manual_seed(spec.seed)
    neg_gen = torch.Generator(device=device).manual_seed(spec.seed + 1)
    n_neg = spec.n_negatives if spec.loss == "sampled" else None
    id_dropout = _id_dropout(spec, vecs is not None, in_training)
    history: list[tuple[int, float, float]] = []
    best, best_epoch, best_state, bad = -1.0, 0, None, 0
    stopped = "max epochs"
    epoch_times: list[float] = []
    for epoch in range(1, spec.epochs + 1):
        te = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for idx, width in _length_batches(hi - lo, spec.batch_size, gen):
            idx = idx.to(device)
            dropped = None
            if id_dropout > 0:
                dropped = torch.rand(vocab.n_items + 1, generator=gen) < id_dropout
                dropped[0] = False
                dropped = dropped.to(device)
            loss = model.calculate_loss(
                inputs.rows((idx, slice(spec.max_len - width, None))),
                targets[idx, spec.max_len - width :],
                n_negatives=n_neg,
                purchase_next=None
                if purchase_next is None
                else purchase_next[idx, spec.max_len - width :],
                generator=neg_gen,
                item_mask=in_training,
                id_dropped=dropped,
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        metric = evaluate_model(model, steps, val, spec.exclude_seen).ndcg
        epoch_times.append(time.perf_counter() - te)
        mean_loss = total / max(count, 1)
        history.append((epoch, mean_loss, metric))
        if metric > best:
            best, best_epoch, bad = metric, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad += 1
        eta = float(np.mean(epoch_times)) * (spec.epochs - epoch)
        if callback is not None and callback(epoch, mean_loss, metric, eta) is False:
            stopped = "cancelled"
            break
        if bad >= spec.patience:
            stopped = "early stopping"
            break
        if spec.max_seconds is not None and time.perf_counter() - t0 > spec.max_seconds:
            stopped = "time limit"
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    with torch.no_grad():  # untrained rows hold init noise: such an item is its text part alone
        model.item_emb.weight[~in_training] = 0.0
    model.eval()
    threshold = 0.5
    if config.propensity_head:
        prob, label = propensity_scores(model, steps, val)
        threshold = best_threshold(prob, label)
    return TrainResult(
        model=model,
        config=config,
        spec=spec,
        vocab=vocab,
        item_vectors=vecs,
        history=tuple(history),
        best_epoch=best_epoch,
        val_ndcg=best,
        seconds=time.perf_counter() - t0,
        seconds_per_epoch=float(np.mean(epoch_times)) if epoch_times else float("nan"),
        stopped=stopped,
        has_purchases=has_purchases,
        propensity_threshold=threshold,
        id_dropout=id_dropout,
    )


def _id_dropout(spec: TrainSpec, has_text: bool, in_training: torch.Tensor) -> float:
    """The item-ID dropout of this run: none without text; the spec's; or, when the spec says
    auto, ``AUTO_ID_DROPOUT`` where at least ``UNTRAINED_SHARE`` of the catalogue has no training
    event (new items, ranked by their text alone, need a text part that can rank), else none.

    It makes training about 30 % slower (a second ranking loss per batch), so a catalogue without
    new items does not pay for it (README, "Item-ID dropout").
    """
    if not has_text:
        return 0.0
    if spec.id_dropout is not None:
        return spec.id_dropout
    untrained = 1.0 - float(in_training[1:].float().mean()) if len(in_training) > 1 else 0.0
    return AUTO_ID_DROPOUT if untrained >= UNTRAINED_SHARE else 0.0


def _length_batches(
    lengths: np.ndarray, batch_size: int, gen: torch.Generator
) -> list[tuple[torch.Tensor, int]]:
    """Shuffled batches of windows of similar length, each with its longest length.

    Sorting by length (with random tie order) and cutting each batch to its longest window keeps
    padding small; shuffling the batch order keeps the updates unbiased.
    """
    jitter = torch.rand(len(lengths), generator=gen).numpy()
    order = np.lexsort((jitter, lengths))
    chunks = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    shuffled = torch.randperm(len(chunks), generator=gen).tolist()
    return [(torch.from_numpy(chunks[c]), int(lengths[chunks[c]].max())) for c in shuffled]


def train_and_compare(events: pd.DataFrame, **fit_args: Any) -> TrainResult:
    """``fit`` then ``evaluate.compare`` on the test split; the report is stored in the result.

    Parameters
    ----------
    events
        Canonical EventLog, trained on and evaluated on (its test split).
    **fit_args
        The other arguments of :func:`fit` by name (``item_vectors``, ``item_ids``, ``spec``,
        ``callback``), so that the two signatures cannot drift apart.

    Returns
    -------
    TrainResult
        The result of :func:`fit` with ``report`` filled by ``core.recsys.evaluate.compare``.

    Raises
    ------
    TooLittleDataError
        As :func:`fit`.
    """
    result = fit(events, **fit_args)
    return replace(result, report=compare(result, events, "test"))


__all__ = [
    "AUTO_ID_DROPOUT",
    "SMALL_LOG_EVENTS",
    "UNTRAINED_SHARE",
    "ProgressCallback",
    "TrainResult",
    "TrainSpec",
    "fit",
    "model_key",
    "train_and_compare",
]

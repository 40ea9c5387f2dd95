"""A SASRec-style causal transformer over each user's item history, and its config.

Items are indexed from 1; index 0 is padding. Sequences are *right-aligned*: the most recent step of
every user sits in the last column, padding fills the left. Every tensor is created on the device of
the model's parameters or of the inputs, so the same code runs on CPU, CUDA and MPS.

Each item's embedding is ``learned[i] + text_proj(lm_vector[i])``: the language-model vector gives
items that were rarely (or never) seen in training a sensible position, and the learned part adapts
the frequent ones. The output layer is tied to the same table (scores are dot products).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.errors import InvalidInputError, ModelUnavailableError

#: Number of log2-second buckets for the time gap between consecutive steps (plus pad and "first").
N_GAP_BUCKETS = 24
#: Hours in a week; hour-of-week index is 1..168 (0 = padding).
HOURS_PER_WEEK = 168
#: Weight of the item-ID dropout loss beside the main loss (``SeqRec.calculate_loss``): on the
#: MovieLens-100K new-item split, 0.5 kept the whole-log NDCG@10 (0.0867 against 0.0829 without
#: dropout) where the dropout loss alone cost it 0.012.
ID_DROPOUT_WEIGHT = 0.5


@dataclass(frozen=True)
class SeqConfig:
    """Shape of a :class:`SeqRec` model.

    ``n_items`` counts real items; the embedding table has ``n_items + 1`` rows (row 0 = padding).
    ``text_dim`` is the width of the language-model item vectors (0 = no text input).
    ``n_event_types`` > 0 adds an event-type embedding (view / cart / purchase ...) to each step.
    ``seen_bias`` adds one learned score to every item already in the input window (a log where
    people never come back to an item learns it negative, one with habits positive).
    """

    n_items: int
    max_len: int = 50
    d_model: int = 64
    n_heads: int = 2
    n_layers: int = 2
    dropout: float = 0.2
    text_dim: int = 0
    use_time_gap: bool = True
    use_hour_of_week: bool = False
    n_event_types: int = 0
    propensity_head: bool = False
    seen_bias: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SeqConfig:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True)
class SeqBatch:
    """Right-aligned inputs of a batch, all ``(B, T)`` int64 on one device; 0 = padding."""

    items: torch.Tensor
    gaps: torch.Tensor | None = None
    hours: torch.Tensor | None = None
    events: torch.Tensor | None = None

    def to(self, device: torch.device) -> SeqBatch:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device, non_blocking=True)

        return SeqBatch(move(self.items), move(self.gaps), move(self.hours), move(self.events))

    def rows(self, index: torch.Tensor | slice) -> SeqBatch:
        def take(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t[index]

        return SeqBatch(take(self.items), take(self.gaps), take(self.hours), take(self.events))


class CausalSelfAttention(nn.Module):
    def __init__(self, config: SeqConfig) -> None:
        super().__init__()
        if config.n_heads < 1 or config.d_model % config.n_heads:
            raise InvalidInputError(
                f"d_model: expected a multiple of n_heads={config.n_heads}, found {config.d_model}"
            )
        self.n_heads = config.n_heads
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)
        v = v.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=allowed, dropout_p=self.dropout if self.training else 0.0
        )  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.proj(y))


class Block(nn.Module):
    def __init__(self, config: SeqConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.d_model)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, 4 * config.d_model),
            nn.GELU(),
            nn.Linear(4 * config.d_model, config.d_model),
            nn.Dropout(config.dropout),
        )

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), allowed)
        return x + self.mlp(self.ln_2(x))


class SeqRec(nn.Module):
    """Causal self-attention next-item model (SASRec) with text-initialised item embeddings."""

    def __init__(self, config: SeqConfig, item_text: torch.Tensor | None = None) -> None:
        super().__init__()
        self.config = config
        V, D = config.n_items + 1, config.d_model
        self.item_emb = nn.Embedding(V, D, padding_idx=0)
        self.pos_emb = nn.Embedding(config.max_len, D)
        self.gap_emb = (
            nn.Embedding(N_GAP_BUCKETS + 2, D, padding_idx=0) if config.use_time_gap else None
        )
        self.hour_emb = (
            nn.Embedding(HOURS_PER_WEEK + 1, D, padding_idx=0) if config.use_hour_of_week else None
        )
        self.event_emb = (
            nn.Embedding(config.n_event_types + 1, D, padding_idx=0)
            if config.n_event_types > 0
            else None
        )
        if config.text_dim > 0:
            text = torch.zeros(V, config.text_dim)
            if item_text is not None:
                if tuple(item_text.shape) != (V, config.text_dim):
                    raise InvalidInputError(
                        f"item_text: expected shape {(V, config.text_dim)} (row 0 = padding), "
                        f"found {tuple(item_text.shape)}"
                    )
                text = item_text.detach().float().cpu()
            self.register_buffer("item_text", text)  # (V, text_dim)
            self.text_proj = nn.Linear(config.text_dim, D, bias=False)
        else:
            self.register_buffer("item_text", torch.zeros(V, 0))
            self.text_proj = None
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layers)])
        self.ln_f = nn.LayerNorm(D)
        self.propensity = nn.Linear(D, 1) if config.propensity_head else None
        self.seen_logit = nn.Parameter(torch.zeros(())) if config.seen_bias else None
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()

    @property
    def device(self) -> torch.device:
        return self.item_emb.weight.device

    def item_table(self, id_dropped: torch.Tensor | None = None) -> torch.Tensor:
        """Embedding of every item, ``(n_items + 1, d_model)``; row 0 (padding) is zero.

        ``id_dropped`` (n_items + 1,) bool marks items whose learned part is left out (training
        with item-ID dropout: those items are their text part alone, as a new item is).
        """
        table = self.item_emb.weight
        if id_dropped is not None:
            table = table.masked_fill(id_dropped[:, None], 0.0)
        if self.text_proj is not None:
            table = table + self.text_proj(self.item_text)
        return table

    def forward(self, batch: SeqBatch) -> torch.Tensor:
        """Hidden state after each step, ``(B, T, d_model)``."""
        items = batch.items
        _, T = items.shape
        if self.config.max_len < T:
            raise InvalidInputError(
                f"batch.items: expected at most max_len={self.config.max_len} columns, found {T}"
            )
        real = items > 0  # (B, T)
        table = self.item_table()
        pos = torch.arange(self.config.max_len - T, self.config.max_len, device=items.device)
        x = table[items] + self.pos_emb(pos)[None, :, :]  # (B, T, C)
        if self.gap_emb is not None and batch.gaps is not None:
            x = x + self.gap_emb(batch.gaps)
        if self.hour_emb is not None and batch.hours is not None:
            x = x + self.hour_emb(batch.hours)
        if self.event_emb is not None and batch.events is not None:
            x = x + self.event_emb(batch.events)
        x = self.drop(x * real[..., None])
        causal = torch.ones(T, T, dtype=torch.bool, device=items.device).tril()
        eye = torch.eye(T, dtype=torch.bool, device=items.device)
        # A step attends to earlier real steps and itself (so padded rows never see an all-masked row).
        allowed = (causal[None] & real[:, None, :]) | eye[None]  # (B, T, T)
        allowed = allowed[:, None]  # (B, 1, T, T)
        for block in self.blocks:
            x = block(x, allowed)
        return self.ln_f(x)

    def calculate_loss(
        self,
        batch: SeqBatch,
        targets: torch.Tensor,
        n_negatives: int | None = None,
        purchase_next: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        item_mask: torch.Tensor | None = None,
        id_dropped: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Next-item loss at every real position.

        ``targets`` (B, T) holds the item after each step (0 = no target). With ``n_negatives`` the
        loss is a sampled softmax over the positive and ``n_negatives`` uniformly drawn items shared by
        the batch; otherwise a full cross-entropy over the catalogue. ``purchase_next`` (B, T) float
        (NaN = unknown) adds the propensity head's binary cross-entropy. ``item_mask`` (n_items + 1,)
        bool limits the softmax to the items it marks (items absent from the training data are not
        pushed down as negatives they never were: a new item keeps the place its text gives it).
        ``id_dropped`` (n_items + 1,) bool adds ``ID_DROPOUT_WEIGHT`` times the same loss with those
        items scored through their text alone (as candidates; as inputs they keep their learned
        part), so that the text part learns to rank an item whose learned part is empty, as a new
        item's is, while the main loss stays whole (see ``item_table``).
        """
        h = self(batch)  # (B, T, C)
        mask = targets > 0
        hv = h[mask]  # (N, C)
        tv = targets[mask]  # (N,)
        seen = None
        if self.seen_logit is not None:  # (N, n_items + 1): item in the window up to the step
            B, T = batch.items.shape
            first = torch.full((B, self.config.n_items + 1), T, device=targets.device)
            pos = torch.arange(T, device=targets.device).expand(B, T)
            first.scatter_reduce_(1, batch.items, pos, reduce="amin")
            row, col = torch.nonzero(mask, as_tuple=True)
            seen = first[row] <= col[:, None]
            seen[:, 0] = False
        negs = None
        if n_negatives is not None and n_negatives < self.config.n_items:
            negs = torch.randint(
                1,
                self.config.n_items + 1,
                (n_negatives,),
                device=targets.device,
                generator=generator,
            )
        loss = self._ranking_loss(self.item_table(), hv, tv, seen, negs, item_mask)
        if id_dropped is not None:
            text_only = self.item_table(id_dropped)
            loss = loss + ID_DROPOUT_WEIGHT * self._ranking_loss(
                text_only, hv, tv, seen, negs, item_mask
            )
        if self.propensity is not None and purchase_next is not None:
            label = purchase_next[mask]
            known = ~torch.isnan(label)
            if bool(known.any()):
                logit = self.propensity(hv[known]).squeeze(-1)
                loss = loss + F.binary_cross_entropy_with_logits(logit, label[known])
        return loss

    def _ranking_loss(
        self,
        table: torch.Tensor,
        hv: torch.Tensor,
        tv: torch.Tensor,
        seen: torch.Tensor | None,
        negs: torch.Tensor | None,
        item_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        """Cross-entropy of the targets ``tv`` given hidden states ``hv`` over the candidates of
        ``table``: the whole catalogue, or the positive and the shared negatives ``negs``."""
        if negs is None:
            logits = hv @ table[1:].T  # (N, n_items)
            if seen is not None:
                logits = logits + self.seen_logit * seen[:, 1:]
            if item_mask is not None:
                logits = logits.masked_fill(~item_mask[None, 1:], float("-inf"))
            return F.cross_entropy(logits, tv - 1)
        pos_logit = (hv * table[tv]).sum(-1, keepdim=True)  # (N, 1)
        neg_logit = hv @ table[negs].T  # (N, n_neg)
        if seen is not None:
            pos_logit = pos_logit + self.seen_logit * seen.gather(1, tv[:, None])
            neg_logit = neg_logit + self.seen_logit * seen[:, negs]
        drop = negs[None, :] == tv[:, None]  # (N, n_neg)
        if item_mask is not None:
            drop = drop | ~item_mask[negs][None, :]
        neg_logit = neg_logit.masked_fill(drop, float("-inf"))
        logits = torch.cat([pos_logit, neg_logit], dim=1)
        return F.cross_entropy(logits, torch.zeros_like(tv))

    @torch.inference_mode()
    def last_hidden(self, batch: SeqBatch) -> torch.Tensor:
        """Hidden state after each user's most recent step, ``(B, d_model)``."""
        return self(batch)[:, -1, :]

    @torch.inference_mode()
    def full_sort_predict(self, batch: SeqBatch) -> torch.Tensor:
        """Score of every real item as the next step, ``(B, n_items)``; column j is item index j+1."""
        h = self.last_hidden(batch)  # (B, C)
        return self._add_seen(batch, h @ self.item_table()[1:].T, None)

    @torch.inference_mode()
    def predict(self, batch: SeqBatch, candidates: torch.Tensor) -> torch.Tensor:
        """Scores of the given item indices ``(B, K)`` (1-based) as the next step, ``(B, K)``."""
        h = self.last_hidden(batch)  # (B, C)
        cand = self.item_table()[candidates]  # (B, K, C)
        return self._add_seen(batch, (cand * h[:, None, :]).sum(-1), candidates)

    def _add_seen(
        self, batch: SeqBatch, scores: torch.Tensor, candidates: torch.Tensor | None
    ) -> torch.Tensor:
        """``scores`` plus the learned seen-item score where the item is in ``batch.items``."""
        if self.seen_logit is None:
            return scores
        items = batch.items
        seen = torch.zeros(items.shape[0], self.config.n_items + 1, device=items.device)
        seen.scatter_(1, items, 1.0)
        seen[:, 0] = 0.0
        seen = seen[:, 1:] if candidates is None else seen.gather(1, candidates)
        return scores + self.seen_logit * seen

    @torch.inference_mode()
    def predict_propensity(self, batch: SeqBatch) -> torch.Tensor:
        """P(the next step is a purchase) for each row, ``(B,)``."""
        if self.propensity is None:
            raise ModelUnavailableError(
                "propensity head: expected a model trained with one (a log with purchase events), "
                "found a model without it"
            )
        return torch.sigmoid(self.propensity(self.last_hidden(batch)).squeeze(-1))


def gap_bucket(seconds: torch.Tensor) -> torch.Tensor:
    """Bucket index 2..N_GAP_BUCKETS+1 of a time gap in seconds (log2 scale); NaN/negative -> 1.

    Parameters
    ----------
    seconds
        Gaps between consecutive steps, any shape.

    Returns
    -------
    torch.Tensor
        int64, same shape.
    """
    finite = torch.isfinite(seconds) & (seconds >= 0)
    b = torch.floor(torch.log2(seconds.clamp(min=0) + 1.0)).clamp(max=N_GAP_BUCKETS - 1) + 2
    return torch.where(finite, b, torch.ones_like(b)).long()


__all__ = ["ID_DROPOUT_WEIGHT", "N_GAP_BUCKETS", "SeqBatch", "SeqConfig", "SeqRec", "gap_bucket"]

"""The spec and the result of item vectors: ``EmbeddingSpec`` (how to make them), ``ItemVectors``.

Kept apart from ``core.interests.embeddings`` (which computes them and re-exports both) so that the
modules that only read item vectors do not need the language-model code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import torch

from core.interests.finetune import FinetuneSpec
from core.interests.text_encoder import EncoderSpec
from core.schema import ITEM, ITEM_TEXT

SOURCES = ("auto", "text", "behaviour", "blend")


@dataclass(frozen=True)
class EmbeddingSpec:
    """How to make item vectors.

    ``source``: "auto" | "text" | "behaviour" | "blend". ``blend_alpha`` is the weight of the text
    part in a blend: cosine(blend) = alpha * cosine(text) + (1 - alpha) * cosine(behaviour) for items
    with text. ``behaviour_dim`` is the dimension of behaviour vectors. ``auto_language``: with the
    default English model, read text that is not mostly English with the multilingual model.
    ``finetune``: adapt the encoder's vectors to the log's co-engagement
    (``core.interests.finetune``); ``None`` keeps the frozen encoder.
    """

    encoder: EncoderSpec = field(default_factory=EncoderSpec)
    source: str = "auto"
    blend_alpha: float = 0.5
    behaviour_dim: int = 64
    window: int = 5
    seed: int = 0
    auto_language: bool = True
    finetune: FinetuneSpec | None = None


@dataclass(frozen=True)
class ItemVectors:
    """Item vectors in ``core.schema.codes(events[ITEM])`` order.

    ``vectors``: (n_items, d) float32, L2-normalised, CPU. ``source``: what was actually used
    ("text", "behaviour" or "blend"). ``model``: the language model, or None when none was used.
    ``message``: what happened, in words, for the report and the UI. ``encoder_choice``: which
    encoder the text called for and why (script detection), "" when no text was read.
    """

    item_ids: tuple[str, ...]
    vectors: torch.Tensor
    source: str
    model: str | None
    message: str
    item_text: tuple[str | None, ...] = ()
    encoder_choice: str = ""

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def frame(self) -> pd.DataFrame:
        """A table with ``item_id``, ``item_text`` and one column ``v0..v{d-1}`` per dimension."""
        vec = pd.DataFrame(
            self.vectors.numpy(), columns=[f"v{i}" for i in range(self.dim)], dtype="float32"
        )
        head = pd.DataFrame(
            {ITEM: list(self.item_ids), ITEM_TEXT: list(self.item_text) or None},
        )
        return pd.concat([head, vec], axis=1)


__all__ = ["SOURCES", "EmbeddingSpec", "ItemVectors"]

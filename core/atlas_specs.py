"""The specs of the analysis facade: ``AnalysisSpec`` (how vectors, topics and interests are made),
``MapSpec`` (what a map shows) and ``TopicInfo`` (what pages need of a topic model).

``core.atlas`` re-exports all three; import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.interests.embedding_types import SOURCES, EmbeddingSpec
from core.interests.finetune import FinetuneSpec
from core.interests.text_encoder import DEFAULT_MODEL, EncoderSpec


@dataclass(frozen=True)
class AnalysisSpec:
    """How item vectors, topics and interests are made; part of every downstream key.

    Parameters
    ----------
    source
        Item vector source: ``auto`` | ``text`` | ``behaviour`` | ``blend``.
    k
        Number of topics; ``None`` chooses it automatically.
    half_life_days
        Interest half-life: an event's weight halves every this many days.
    model
        Sentence encoder name or local folder.
    device
        Torch device for every step ("auto": cuda > mps > cpu).
    blend_alpha
        Weight of the text part when text and behaviour vectors are blended.
    cache_dir
        Vector cache folder (``None``: ``$ATLAS_CACHE_DIR`` or ``~/.cache/interest-atlas``).
    finetune
        Adapt the encoder to the log's co-engagement (``core.interests.finetune``) and use the
        adapted vectors everywhere; ``None``: the frozen encoder.
    """

    source: str = "auto"
    k: int | None = None
    half_life_days: float = 14.0
    model: str = DEFAULT_MODEL
    device: str = "auto"
    blend_alpha: float = 0.5
    cache_dir: str | None = None
    finetune: FinetuneSpec | None = None

    def __post_init__(self) -> None:
        if isinstance(self.finetune, dict):  # read back from JSON (a state folder's manifest)
            object.__setattr__(self, "finetune", FinetuneSpec(**self.finetune))
        if self.source not in SOURCES:
            raise InvalidInputError(f"source: expected one of {SOURCES}, found {self.source!r}")
        if self.half_life_days <= 0:
            raise InvalidInputError(
                f"half_life_days: expected a positive number, found {self.half_life_days!r}"
            )

    @property
    def embedding(self) -> EmbeddingSpec:
        """The item-vector spec this analysis uses."""
        encoder = EncoderSpec(model=self.model, device=self.device, cache_dir=self.cache_dir)
        return EmbeddingSpec(
            encoder=encoder,
            source=self.source,
            blend_alpha=self.blend_alpha,
            finetune=self.finetune,
        )


@dataclass(frozen=True)
class TopicInfo:
    """What pages need of a topic model: the assignment, its labels and a summary table."""

    item_topic: np.ndarray  # topic per item, in ``events[ITEM].cat.categories`` order
    labels: tuple[str, ...]
    table: pd.DataFrame
    vector_source: str
    vector_message: str
    model: str | None = None
    silhouette: float | None = None


@dataclass(frozen=True)
class MapSpec:
    """What a map shows: H3 resolution, time step, window and filters (one spec for cells,
    hotspots and regions, so the three views of one map agree)."""

    res: int = 7
    period: str | None = "W"  # None: the whole window as one bin
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    topics: tuple[str, ...] = ()
    events: tuple[str, ...] = ()

    def heatmap(self, *, whole: bool = False):
        """The ``HeatmapSpec`` of this map (``whole``: one bin for the whole window)."""
        from core.spacetime.heatmaps import HeatmapSpec

        period = None if whole else self.period
        return HeatmapSpec(res=self.res, period=period, **self._filters())

    def hotspots(self):
        """The ``HotspotSpec`` of this map's window and filters."""
        from core.spacetime.hotspots import HotspotSpec

        return HotspotSpec(**self._filters())

    def regions(self):
        """The ``RegionSpec`` of this map's window and filters (one bin)."""
        from core.spacetime.regions import RegionSpec

        return RegionSpec(**self._filters())

    def _filters(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "topics": self.topics, "events": self.events}


__all__ = ["AnalysisSpec", "MapSpec", "TopicInfo"]

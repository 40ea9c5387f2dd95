"""The facade's model results: training, the preview model and recommendations.

:class:`ModelViews` is a mixin of :class:`core.atlas.Atlas`; it uses what the facade provides
(``events``, ``item_vectors``, ``item_topic_labels``) and calls ``core.recsys``.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from core.interests.embeddings import ItemVectors

__all__ = ["ModelViews"]


class ModelViews:
    """Sequence-model training, the preview model and its report, recommendations."""

    events: pd.DataFrame
    item_vectors: ItemVectors
    item_topic_labels: dict[str, str]

    def train(self, tspec, *, use_text: bool = True, progress=None, compare: bool = True):
        """Train the sequence model (item embeddings initialised from the item vectors when
        ``use_text``); with ``compare`` the result carries the baselines' report too."""
        from core.recsys import train

        vectors = self.item_vectors if use_text else None
        kwargs = {
            "item_vectors": vectors.vectors if vectors is not None else None,
            "item_ids": vectors.item_ids if vectors is not None else None,
            "spec": tspec,
            "callback": progress,
        }
        if not compare:
            return train.fit(self.events, **kwargs)
        result = train.train_and_compare(self.events, **kwargs)
        if use_text and getattr(self.spec, "finetune", None) is not None:
            result = self._with_frozen_row(result)  # core.atlas_adapt: frozen beside adapted
        return result

    def new_item_report(
        self, tspec, progress=None, *, adapted: bool = False, adapt_progress=None
    ) -> pd.DataFrame:
        """The new-item evaluation at ``tspec`` (``core.recsys.newitems.new_item_report``): a
        seeded 10 % of items lose their training events, and text-initialised and ID-only models
        are trained without them. The text model reads the frozen encoder's text vectors (never
        behaviour vectors, which would know the removed events); a log without item text gets the
        ID-only model alone. With ``adapted`` the encoder is also adapted to the reduced log (the
        spec's ``finetune`` or the default; ``adapt_progress(epoch, loss, eta)``) and a third
        model reads its vectors. Memoised per (spec, adapted); empty, and not kept, when a
        progress callback cancels."""
        from core.recsys.newitems import new_item_report

        def compute() -> pd.DataFrame:
            text, ids, adapt = None, None, None
            if self.item_vectors.model is not None:  # the item text was read
                text, ids = self.frozen_text, [str(i) for i in self.item_vectors.item_ids]
                if adapted:
                    adapt = self._adapted_on(adapt_progress)
            return new_item_report(self.events, text, ids, tspec, callback=progress, adapted=adapt)

        return self._kept_unless("new_items", (tspec, adapted), compute, lambda r: r.empty)

    def _adapted_on(self, progress):
        """A function of a reduced log: the frozen text vectors through the encoder adapted to
        that log (cached on disk like every adaptation), or None when ``progress`` cancels."""
        from dataclasses import replace

        from core.interests.embeddings import adapt_encoder
        from core.interests.finetune import FinetuneSpec

        emb = replace(self.spec.embedding, finetune=self.spec.finetune or FinetuneSpec())
        frozen = self.frozen_text

        def adapted(events: pd.DataFrame):
            found = adapt_encoder(events, emb, self._encoder, progress, frozen)
            return None if found.stopped == "cancelled" else found.apply(frozen)

        return adapted

    def bundle(self, result):
        """A trained result as a ``ModelBundle`` whose reasons name each item's topic."""
        from core.recsys import persist

        return persist.bundle_from(result, self.item_topic_labels)

    @cached_property
    def quick_result(self):
        """A small model trained once for previews (one short epoch: a preview, not the model
        to evaluate)."""
        from core.recsys import train

        quick = train.TrainSpec.fast(
            epochs=1, loss="sampled", n_negatives=128, propensity=False, max_seconds=20.0
        )
        return self.train(quick, compare=False)

    @cached_property
    def quick_model(self):
        """The preview model as a ``ModelBundle``."""
        return self.bundle(self.quick_result)

    @cached_property
    def quick_report(self) -> pd.DataFrame:
        """Test metrics of the preview model against the baselines."""
        from core.recsys import evaluate

        return evaluate.compare(self.quick_result, self.events, "test")

    def recommend(self, bundle, user: str, k: int = 10, near=None) -> pd.DataFrame:
        """Top-k unseen items for ``user`` with score parts and a reason."""
        from core.recsys import recommend

        return recommend.top_k(bundle, self.events, user, k=k, near=near)

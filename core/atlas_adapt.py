"""The facade's encoder adapted to the log: the adapter, frozen vs adapted reports (a mixin of
``core.atlas.Atlas``; it reads ``events``, ``spec``, ``item_vectors``, ``_encoder`` and the memo)."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import pandas as pd

from core.interests.finetune import Adaptation, FinetuneSpec


class AdaptedEncoderViews:
    """``Atlas.adaptation``, ``frozen_text``, ``encoder_report`` and the frozen row of a report."""

    def adaptation(self, progress=None) -> Adaptation:
        """The encoder adapted to this log (``core.interests.finetune``; cached on disk): the
        spec's ``finetune`` or the default. ``progress(epoch, loss, eta)`` returning False cancels;
        a cancelled adaptation (``stopped == "cancelled"``) is neither kept nor cached."""
        from core.interests.embeddings import adapt_encoder

        emb = replace(self.spec.embedding, finetune=self.spec.finetune or FinetuneSpec())
        return self._kept_unless(
            "adaptation",
            emb.finetune,
            lambda: adapt_encoder(self.events, emb, self._encoder, progress, self.frozen_text),
            lambda found: found.stopped == "cancelled",
        )

    @cached_property
    def frozen_text(self):
        """The frozen encoder's text vectors, ``(n_items, d)``, zero rows without text."""
        from core.interests.embeddings import text_vectors

        return text_vectors(self.events, self.spec.embedding, self._encoder)

    def encoder_report(self, progress=None) -> pd.DataFrame:
        """Frozen vs adapted encoder: held-out pair recall@10 and LM-interest test metrics
        (``core.recsys.encoders.encoder_report``); empty when the fine-tuning was cancelled."""
        from core.recsys.encoders import encoder_report

        found = self.adaptation(progress)
        if found.stopped == "cancelled":
            return pd.DataFrame()
        ids = list(self.item_vectors.item_ids)
        return self._once(
            "encoder_report",
            found.key,
            lambda: encoder_report(self.events, self.frozen_text, found, ids),
        )

    def _with_frozen_row(self, result):
        """With an adapted encoder the LM-interest row reads the adapted vectors: name it so and
        put the frozen encoder's row beside it."""
        from core.recsys.encoders import LM_ADAPTED, lm_interest_report
        from core.recsys.evaluate import LM_INTEREST

        report = result.report.copy()
        report["model"] = report["model"].replace({LM_INTEREST: LM_ADAPTED})
        ids = list(self.item_vectors.item_ids)
        frozen = lm_interest_report(self.events, {LM_INTEREST: self.frozen_text}, ids)
        return replace(result, report=pd.concat([report, frozen], ignore_index=True))

"""The analysis every page starts from: item texts read by the language model, then topics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.atlas import AnalysisSpec, TopicInfo
from core.interests.embeddings import encode_item_texts
from dashboard import cached


def topic_info(fp: str, spec: AnalysisSpec, events: pd.DataFrame) -> TopicInfo:
    """Topics of the dataset ``fp``. The first time in a session, a progress bar follows the
    language model through the item texts; Streamlit's Stop ends it, and the chunks it finished
    stay in the on-disk vector cache, so nothing is encoded twice."""
    ready = f"_texts_encoded:{fp}:{spec}"
    encoder = cached.shared_encoder(spec)
    done = st.session_state.get(ready) or cached.atlas(fp, spec, events).vectors_ready
    if not done and encoder is not None:
        bar = st.empty()

        def report(done: int, total: int) -> None:
            bar.progress(
                done / max(total, 1),
                text=f"Reading item texts with the language model: {done:,} of {total:,} "
                "(once per text: vectors are cached on disk)",
            )

        encode_item_texts(events, spec.embedding, encoder=encoder, progress=report)
        bar.empty()
        st.session_state[ready] = True
    with st.spinner("Finding interest topics…"):
        return cached.topics(fp, spec, events)

"""The sequence model of this session: trained here or loaded from files, kept in session state."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.components.dataset import Dataset

STATE_KEY = "atlas_model"


@dataclass(frozen=True)
class ModelHandle:
    """A trained model and where it came from; ``key`` identifies it in cache keys."""

    key: str
    fingerprint: str  # dataset it was trained on
    bundle: object  # core.recsys.persist.ModelBundle
    source: str  # "trained here" | "loaded from <file>" | "quick model"


def session_model(data: Dataset) -> ModelHandle | None:
    """The session's model if it belongs to ``data``."""
    handle = st.session_state.get(STATE_KEY)
    if handle is not None and handle.fingerprint == data.fingerprint:
        return handle
    return None


def keep(data: Dataset, bundle: object, source: str, key: str) -> ModelHandle:
    """Make ``bundle`` the session's model for ``data``."""
    handle = ModelHandle(key=key, fingerprint=data.fingerprint, bundle=bundle, source=source)
    st.session_state[STATE_KEY] = handle
    return handle


def recommender(data: Dataset, spec: object) -> tuple[ModelHandle | None, str]:
    """The model to recommend with, and a sentence saying which one it is."""
    handle = session_model(data)
    if handle is not None:
        return handle, f"Model: {handle.source}."
    from dashboard import cached

    with st.spinner("Training a quick model for the preview (once per dataset)…"):
        bundle = cached.quick_model(data.fingerprint, spec, data.events)
    handle = ModelHandle(
        key=f"quick:{data.fingerprint}", fingerprint=data.fingerprint, bundle=bundle, source="quick"
    )
    return handle, (
        "Model: a quick preview model trained on this dataset. Train a full one on the Model page "
        "for better recommendations."
    )

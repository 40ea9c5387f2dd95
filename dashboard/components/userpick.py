"""Pick one user: search by id, or choose among the most active or the most drifting."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import schema

MODES: dict[str, str] = {
    "active": "Most active",
    "drift": "Most drifting",
    "search": "Search by id",
}


def user_picker(
    most_active: pd.DataFrame,
    most_drifting: Callable[[], pd.DataFrame],
    search: Callable[[str], tuple[str, ...]],
    *,
    key: str,
) -> str | None:
    """Sidebar widgets; returns the chosen user id (None when a search finds nothing)."""
    with st.sidebar:
        st.markdown("### User")
        mode = st.radio("Find a user", list(MODES), format_func=MODES.get, key=f"{key}_mode")
        if mode == "search":
            text = st.text_input("User id contains", key=f"{key}_text", placeholder="e.g. u0012")
            options = list(search(text.strip())) if text.strip() else []
            labels = dict.fromkeys(options, "")
            if text.strip() and not options:
                st.caption("No user id contains that text.")
        elif mode == "drift":
            frame = most_drifting()
            options = frame[schema.USER].astype(str).tolist()
            labels = {
                u: f" · {f} → {t}"
                for u, f, t in zip(options, frame["from_topic"], frame["to_topic"], strict=True)
            }
        else:
            options = most_active[schema.USER].astype(str).tolist()
            labels = {
                u: f" · {n:,} events" for u, n in zip(options, most_active["events"], strict=True)
            }
        if not options:
            return None
        return st.selectbox(
            "User",
            options,
            format_func=lambda u: f"{u}{labels.get(u, '')}",
            key=f"{key}_{mode}_pick",
        )

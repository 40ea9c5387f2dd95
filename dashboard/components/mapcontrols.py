"""Map widgets: what colours the cells, resolution, area, time window and the time stepper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core import schema
from dashboard.components.filters import PERIODS, Window, window

ALL = "All time"
COLOUR_BY: dict[str, str] = {"events": "Events", "users": "Distinct users", "share": "Topic share"}


@dataclass(frozen=True)
class MapControls:
    """The map's settings as chosen in the sidebar."""

    key: str
    colour_by: str
    topic: str | None
    res: int
    period: str
    window: Window
    topics: tuple[str, ...]
    events: tuple[str, ...]
    area: int
    show_hotspots: bool
    show_regions: bool

    def value_column(self, cells: pd.DataFrame) -> tuple[str, str, bool]:
        """(column to colour by, legend title, whether it is a share)."""
        if self.colour_by == "share" and self.topic and f"share:{self.topic}" in cells.columns:
            return f"share:{self.topic}", f"share of {self.topic}", True
        if self.colour_by == "users":
            return "users", "distinct users", False
        return "events", "events", False

    def step_label(self, step: pd.Timestamp | None) -> str:
        if step is None:
            return ALL
        return f"{PERIODS.get(self.period, self.period)} of {step:%Y-%m-%d}"

    def pick_step(self, steps: Sequence[pd.Timestamp]) -> pd.Timestamp | None:
        """A slider over the time steps with ◀ ▶ buttons; returns the step (None = all)."""
        options = [ALL, *[f"{pd.Timestamp(s):%Y-%m-%d}" for s in steps]]
        state_key = f"{self.key}_step"
        if st.session_state.get(state_key) not in options:
            st.session_state[state_key] = ALL

        def move(delta: int) -> None:
            i = options.index(st.session_state.get(state_key, ALL))
            st.session_state[state_key] = options[min(max(i + delta, 0), len(options) - 1)]

        left, mid, right = st.columns([1, 14, 1], vertical_alignment="bottom")
        left.button("◀", key=f"{self.key}_prev", on_click=move, args=(-1,), help="previous period")
        mid.select_slider(
            f"Time step ({PERIODS.get(self.period, self.period)} starting)",
            options=options,
            key=state_key,
        )
        right.button("▶", key=f"{self.key}_next", on_click=move, args=(1,), help="next period")
        chosen = st.session_state[state_key]
        if chosen == ALL:
            return None
        return pd.Timestamp(steps[options.index(chosen) - 1])

    def as_dict(self, step: pd.Timestamp | None) -> dict[str, object]:
        return {
            "by": self.topic if self.colour_by == "share" else self.colour_by,
            "res": self.res,
            "step": "all" if step is None else f"{step:%Y-%m-%d}",
            "window": self.window.label(),
            "topics": self.topics,
            "events": self.events,
        }


def map_controls(
    events: pd.DataFrame, labels: Sequence[str], areas: pd.DataFrame, *, key: str
) -> MapControls:
    """Sidebar widgets of the map page."""
    with st.sidebar:
        st.markdown("### Map")
        area_names = [
            f"{a} ({n:,} events)" for a, n in zip(areas["area"], areas["events"], strict=True)
        ]
        area = st.selectbox(
            "Area", range(len(area_names)), format_func=lambda i: area_names[i], key=f"{key}_area"
        )
        colour_by = st.radio(
            "Colour cells by", list(COLOUR_BY), format_func=COLOUR_BY.get, key=f"{key}_by"
        )
        topic = None
        if colour_by == "share":
            topic = st.selectbox("Topic", list(labels), key=f"{key}_topic")
        res = st.select_slider(
            "Cell size (H3 resolution)",
            options=[5, 6, 7, 8, 9],
            value=7,
            key=f"{key}_res",
            help="5 ≈ 250 km², 7 ≈ 5 km², 9 ≈ 0.1 km² per cell",
        )
        period = st.segmented_control(
            "Step through time by",
            list(PERIODS),
            format_func=PERIODS.get,
            default="W",
            key=f"{key}_period",
        )
        win = window(events, key=key)
        topics = st.multiselect(
            "Topics", list(labels), placeholder="All topics", key=f"{key}_topics"
        )
        kinds = tuple(str(c) for c in events[schema.EVENT].cat.categories)
        chosen = st.multiselect(
            "Event types", kinds, placeholder="All event types", key=f"{key}_events"
        )
        show_hotspots = st.toggle("Hotspots", value=True, key=f"{key}_hotspots")
        show_regions = st.toggle("Region outlines", value=False, key=f"{key}_regions")
    return MapControls(
        key=key,
        colour_by=colour_by or "events",
        topic=topic,
        res=int(res),
        period=period or "W",
        window=win,
        topics=tuple(topics),
        events=tuple(chosen),
        area=int(area or 0),
        show_hotspots=show_hotspots,
        show_regions=show_regions,
    )

"""Map widgets: what colours the cells, resolution, area, time window and the time stepper."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.components.filters import PERIODS, Window, time_and_scope

ALL = "All time"
COLOUR_BY: dict[str, str] = {"events": "Events", "users": "Distinct users", "share": "Topic share"}
VIEWS: dict[str, str] = {"cells": "H3 cells", "regions": "Regions", "hotspots": "Hotspots"}
LAYERS: dict[str, str] = {
    "countries": "Countries",
    "nyc_boroughs": "New York City boroughs",
    "upload": "Your own boundaries (upload)",
}
#: Playback speeds offered (frames per second).
SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
#: Prefix of an uploaded boundary layer's name: "upload:<sha1 of the file>".
UPLOADED = "upload:"


def region_upload(layer: str) -> bytes | None:
    """The bytes of an uploaded boundary layer, kept in this browser session only."""
    return st.session_state.get(f"_regions_{layer}") if layer.startswith(UPLOADED) else None


@dataclass(frozen=True)
class MapControls:
    """The map's settings as chosen in the sidebar."""

    key: str
    view: str
    layer: str
    colour_by: str
    topic: str | None
    res: int
    period: str
    window: Window
    topics: tuple[str, ...]
    events: tuple[str, ...]
    area: int

    def value(self) -> str:
        """What colours the map: "events", "users" or a topic label (its share)."""
        if self.colour_by == "share" and self.topic:
            return self.topic
        return "users" if self.colour_by == "users" else "events"

    def step_label(self, step: pd.Timestamp | None) -> str:
        if step is None:
            return ALL
        return f"{PERIODS.get(self.period, self.period)} of {step:%Y-%m-%d}"

    def pick_step(
        self, steps: Sequence[pd.Timestamp], advance: bool = False
    ) -> pd.Timestamp | None:
        """A slider over the time steps with ◀ ▶ buttons; returns the step (None = all).
        ``advance``: move one period on first (playback), from the last back to the first."""
        options = [ALL, *[f"{pd.Timestamp(s):%Y-%m-%d}" for s in steps]]
        state_key = f"{self.key}_step"
        if st.session_state.get(state_key) not in options:
            st.session_state[state_key] = ALL
        if advance and len(options) > 1:
            i = options.index(st.session_state[state_key]) + 1
            st.session_state[state_key] = options[i if i < len(options) else 1]

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

    def playback_spec(self):
        """The playback (fixed colour scale over every period) of these settings."""
        from core.spacetime.playback import PlaybackSpec

        return PlaybackSpec(
            start=self.window.start,
            end=self.window.end,
            topics=self.topics,
            events=self.events,
            res=self.res,
            period=self.period,
            value=self.value(),
        )

    def as_dict(self, step: pd.Timestamp | None) -> dict[str, object]:
        return {
            "view": self.view,
            "by": self.value(),
            "res": self.res,
            "step": "all" if step is None else f"{step:%Y-%m-%d}",
            "window": self.window.label(),
            "topics": self.topics,
            "events": self.events,
        }


@dataclass(frozen=True)
class Playing:
    """Whether the map plays through the periods, and how fast (seconds per frame)."""

    on: bool
    seconds: float


def play_controls(key: str) -> Playing:
    """Play / pause and the speed of the map playback. A click reruns the whole page, so the
    timer that steps the map starts or stops with it."""
    state = f"{key}_playing"
    playing = bool(st.session_state.get(state, False))

    def toggle() -> None:
        st.session_state[state] = not playing

    left, right = st.columns([1, 3], vertical_alignment="bottom")
    left.button(
        "Pause" if playing else "Play",
        key=f"{key}_play",
        on_click=toggle,
        icon=":material/pause:" if playing else ":material/play_arrow:",
        help="step through the periods on one fixed colour scale",
    )
    speed = right.select_slider(
        "Speed (frames per second)",
        options=SPEEDS,
        value=1.0,
        format_func=lambda s: f"{s:g} per s",
        key=f"{key}_speed",
    )
    return Playing(playing, 1.0 / float(speed))


def _boundaries_upload(key: str) -> str:
    """A file uploader for region polygons; returns the layer name ("upload:<sha1>") or "upload"
    while no file is chosen. The bytes stay in this session's state, never in a shared cache."""
    file = st.file_uploader(
        "Boundaries file (GeoJSON, or a zipped shapefile)",
        type=["geojson", "json", "zip"],
        key=f"{key}_regions_file",
        help="Polygons with a name attribute (name, NAME, admin, region…); any CRS is reprojected.",
    )
    if file is None:
        return "upload"
    data = file.getvalue()
    layer = UPLOADED + hashlib.sha1(data).hexdigest()
    st.session_state[f"_regions_{layer}"] = data
    return layer


def map_controls(
    events: pd.DataFrame,
    labels: Sequence[str],
    areas: pd.DataFrame,
    *,
    key: str,
    default_res: int = 7,
) -> MapControls:
    """Sidebar widgets of the map page; the cell size starts at ``default_res``."""
    with st.sidebar:
        st.markdown("### Map")
        area_names = [
            f"{a} ({n:,} events)" for a, n in zip(areas["area"], areas["events"], strict=True)
        ]
        area = st.selectbox(
            "Area", range(len(area_names)), format_func=lambda i: area_names[i], key=f"{key}_area"
        )
        view = (
            st.segmented_control(
                "View", list(VIEWS), format_func=VIEWS.get, default="cells", key=f"{key}_view"
            )
            or "cells"
        )
        layer = "countries"
        if view == "regions":
            layer = st.selectbox(
                "Boundaries", list(LAYERS), format_func=LAYERS.get, key=f"{key}_layer"
            )
            if layer == "upload":
                layer = _boundaries_upload(key)
        # widgets a view does not use are disabled, not hidden, so they keep their values
        colour_by = st.radio(
            "Colour by",
            list(COLOUR_BY),
            format_func=COLOUR_BY.get,
            key=f"{key}_by",
            disabled=view == "hotspots",
        )
        topic = None
        if colour_by == "share":
            topic = st.selectbox(
                "Topic", list(labels), key=f"{key}_topic", disabled=view == "hotspots"
            )
        res = st.select_slider(
            "Cell size (H3 resolution)",
            options=[5, 6, 7, 8, 9],
            value=default_res,
            key=f"{key}_res",
            help="5 ≈ 250 km², 7 ≈ 5 km², 9 ≈ 0.1 km² per cell",
            disabled=view != "cells",
        )
        period, win, topics, chosen = time_and_scope(
            events,
            labels,
            key=key,
            period_label="Step through time by",
            period_disabled=view != "cells",
        )
    return MapControls(
        key=key,
        view=view,
        layer=layer,
        colour_by=colour_by or "events",
        topic=topic,
        res=int(res),
        period=period,
        window=win,
        topics=topics,
        events=chosen,
        area=int(area or 0),
    )

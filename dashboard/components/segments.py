"""The two segments of the Compare page: two areas, two time windows or two user groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from core.atlas_views import SegmentSpec
from core.spacetime.filters import EventFilter
from dashboard.components.filters import data_span

KINDS: dict[str, str] = {
    "areas": "Two areas",
    "windows": "Two time windows",
    "users": "Two user groups",
}
AREA_SOURCES: dict[str, str] = {
    "busiest": "Busiest areas",
    "regions": "Bundled regions",
    "box": "Bounding boxes",
}
LAYERS: dict[str, str] = {"countries": "Countries", "nyc_boroughs": "New York City boroughs"}


@dataclass(frozen=True)
class SegmentPair:
    """The chosen segments and what names them in file names."""

    kind: str
    a: SegmentSpec
    b: SegmentSpec

    def as_dict(self) -> dict[str, object]:
        return {"by": self.kind, "a": self.a.name, "b": self.b.name}


def _day(value: dt.date) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def _windows(events: pd.DataFrame, key: str) -> tuple[SegmentSpec, SegmentSpec]:
    first, last = data_span(events)
    if first == last:
        last = first + dt.timedelta(days=1)
    middle = first + (last - first) / 2
    chosen = []
    for side, default in (("a", (first, middle)), ("b", (middle, last))):
        start, end = st.slider(
            f"Window {side.upper()}",
            min_value=first,
            max_value=last,
            value=default,
            format="YYYY-MM-DD",
            key=f"{key}_win_{side}",
        )
        flt = EventFilter(start=_day(start), end=_day(end) + pd.Timedelta(days=1))
        chosen.append(SegmentSpec(f"{start:%Y-%m-%d} to {end:%Y-%m-%d}", flt))
    return chosen[0], chosen[1]


def _box(area: pd.Series) -> tuple[float, float, float, float]:
    return (float(area.south), float(area.west), float(area.north), float(area.east))


def _areas(
    areas: pd.DataFrame, region_names: Callable[[str], Sequence[str]], key: str
) -> tuple[SegmentSpec, SegmentSpec]:
    source = (
        st.segmented_control(
            "Areas from",
            list(AREA_SOURCES),
            format_func=AREA_SOURCES.get,
            default="busiest",
            key=f"{key}_source",
        )
        or "busiest"
    )
    if source == "regions":
        layer = st.selectbox("Boundaries", list(LAYERS), format_func=LAYERS.get, key=f"{key}_layer")
        options = list(region_names(layer))
        a = st.selectbox("Region A", options, index=0, key=f"{key}_region_a")
        b = st.selectbox("Region B", options, index=min(1, len(options) - 1), key=f"{key}_region_b")
        return SegmentSpec(str(a), area=(layer, str(a))), SegmentSpec(str(b), area=(layer, str(b)))
    labels = [f"{a} ({n:,} events)" for a, n in zip(areas["area"], areas["events"], strict=True)]
    if source == "busiest":
        i = st.selectbox(
            "Area A", range(len(labels)), format_func=labels.__getitem__, key=f"{key}_area_a"
        )
        j = st.selectbox(
            "Area B",
            range(len(labels)),
            index=min(1, len(labels) - 1),
            format_func=labels.__getitem__,
            key=f"{key}_area_b",
        )
        pair = []
        for k in (i, j):
            area = areas.iloc[int(k)]
            pair.append(SegmentSpec(str(area.area), EventFilter(region=_box(area))))
        return pair[0], pair[1]
    pair = []
    for side, k in (("a", 0), ("b", min(1, len(areas) - 1))):
        default = _box(areas.iloc[k])
        st.markdown(f"**Box {side.upper()}** (degrees)")
        c1, c2, c3, c4 = st.columns(4)
        box = tuple(
            float(
                col.number_input(
                    name, -180.0, 180.0, value, format="%.3f", key=f"{key}_{side}_{name}"
                )
            )
            for col, name, value in zip(
                (c1, c2, c3, c4), ("south", "west", "north", "east"), default, strict=True
            )
        )
        pair.append(
            SegmentSpec(f"box {side.upper()} {box[0]:.2f},{box[1]:.2f}", EventFilter(region=box))
        )
    return pair[0], pair[1]


def _users(labels: Sequence[str], key: str) -> tuple[SegmentSpec, SegmentSpec]:
    topic = st.selectbox("Users whose main interest is", list(labels), key=f"{key}_topic")
    return (
        SegmentSpec(f"main interest {topic}", main_topic=str(topic)),
        SegmentSpec("the rest", main_topic=str(topic), rest=True),
    )


def segment_pair(
    events: pd.DataFrame,
    labels: Sequence[str],
    areas: pd.DataFrame,
    region_names: Callable[[str], Sequence[str]],
    *,
    key: str,
) -> SegmentPair:
    """Sidebar widgets choosing the two segments (areas only when the log is located)."""
    kinds = [k for k in KINDS if k != "areas" or not areas.empty]
    with st.sidebar:
        st.markdown("### Compare")
        kind = (
            st.segmented_control(
                "Compare", kinds, format_func=KINDS.get, default=kinds[0], key=f"{key}_kind"
            )
            or kinds[0]
        )
        if kind == "areas":
            a, b = _areas(areas, region_names, key)
        elif kind == "windows":
            a, b = _windows(events, key)
        else:
            a, b = _users(labels, key)
    if a.name == b.name:  # the same area or window twice: keep the two sides apart by name
        a, b = replace(a, name=f"{a.name} (A)"), replace(b, name=f"{b.name} (B)")
    return SegmentPair(kind, a, b)

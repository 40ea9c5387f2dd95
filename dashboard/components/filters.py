"""Filter widgets that belong together; each function owns its keys and returns typed values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core import schema
from dashboard.components.feedback import md_escape

PERIODS: dict[str, str] = {"D": "day", "W": "week", "M": "month"}


@dataclass(frozen=True)
class Window:
    """A UTC time window [start, end) of whole days."""

    start: pd.Timestamp
    end: pd.Timestamp

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d}_{(self.end - pd.Timedelta(days=1)):%Y-%m-%d}"


@dataclass(frozen=True)
class TrendFilters:
    """What the Interests page is filtered by."""

    period: str
    window: Window
    topics: tuple[str, ...]
    events: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """For export file names."""
        return {
            "period": self.period,
            "window": self.window.label(),
            "topics": self.topics,
            "events": self.events,
        }


def data_span(events: pd.DataFrame) -> tuple[dt.date, dt.date]:
    """First and last day (UTC) of the log; today if it is empty."""
    if events.empty:
        today = dt.datetime.now(dt.UTC).date()
        return today, today
    ts = events[schema.TS]
    return ts.min().date(), ts.max().date()


def window(events: pd.DataFrame, *, key: str, label: str = "Time window") -> Window:
    """A date-range slider over the bulk of the log (``core.spacetime.span.bulk_span``): a few
    events far outside it are counted in a caption, and a checkbox widens the slider to the whole
    span."""
    from core.spacetime.span import bulk_span

    first, last = data_span(events)
    suffix = "window"
    if len(events):
        span = bulk_span(events[schema.TS])
        if span.n_outside:
            st.caption(md_escape(span.describe()))
            whole = st.checkbox(
                f"Include them (whole span {span.first:%Y-%m-%d} → {span.last:%Y-%m-%d})",
                value=False,
                key=f"{key}_whole",
            )
            if whole:
                suffix = "window_all"  # other bounds, other slider state
            else:
                first, last = span.start.date(), span.end.date()
    if first == last:
        last = first + dt.timedelta(days=1)
    start, end = st.slider(
        label,
        min_value=first,
        max_value=last,
        value=(first, last),
        format="YYYY-MM-DD",
        key=f"{key}_{suffix}",
    )
    return Window(pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))


def time_and_scope(
    events: pd.DataFrame,
    labels: Sequence[str],
    *,
    key: str,
    period_label: str = "Period",
    period_disabled: bool = False,
) -> tuple[str, Window, tuple[str, ...], tuple[str, ...]]:
    """Period (week by default), time window, topics and event types: the widgets the Interests
    and Map sidebars share, with the keys ``{key}_period``, ``{key}_window``, ``{key}_topics``
    and ``{key}_events``."""
    period = st.segmented_control(
        period_label,
        list(PERIODS),
        format_func=PERIODS.get,
        default="W",
        key=f"{key}_period",
        disabled=period_disabled,
    )
    win = window(events, key=key)
    topics = st.multiselect(
        "Topics", list(labels), default=[], placeholder="All topics", key=f"{key}_topics"
    )
    kinds = tuple(str(c) for c in events[schema.EVENT].cat.categories) if len(events) else ()
    chosen = st.multiselect(
        "Event types", kinds, default=[], placeholder="All event types", key=f"{key}_events"
    )
    return period or "W", win, tuple(topics), tuple(chosen)


def trend_filters(events: pd.DataFrame, labels: tuple[str, ...], *, key: str) -> TrendFilters:
    """Period, time window, topics and event types (in the sidebar)."""
    with st.sidebar:
        st.markdown("### Filters")
        return TrendFilters(*time_and_scope(events, labels, key=key))

"""Interests & trends: topics, shares over time, hour of week, emerging interests, forecast."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.spacetime.trends import EventFilter, TrendSpec
from dashboard import cached, charts
from dashboard.components import dataset as ds
from dashboard.components import exports
from dashboard.components.analysis import topic_info
from dashboard.components.feedback import guard, md_escape, windows_caption
from dashboard.components.filters import PERIODS, trend_filters
from dashboard.components.tables import readable

data = ds.open_page("Interests & trends", "interests")
spec = cached.AnalysisSpec()
fp, events = data.fingerprint, data.events

info = topic_info(fp, spec, events)
flt = trend_filters(events, info.labels, key="flt_trends")
names = flt.as_dict()
fspec = EventFilter(
    start=flt.window.start, end=flt.window.end, topics=flt.topics, events=flt.events
)
tspec = TrendSpec(
    start=flt.window.start,
    end=flt.window.end,
    topics=flt.topics,
    events=flt.events,
    period=flt.period,
)
st.caption(
    f"Item vectors: {md_escape(info.vector_source)}"
    + (f" ({md_escape(info.model)})" if info.model else "")
    + f" · {len(info.labels)} topics · {md_escape(info.vector_message)}"
)

TABS = ("Topics", "Shares over time", "Hour of week", "Emerging & fading", "Forecast")
# Only the open tab is computed and drawn (tabs rerun the page when switched).
tab_topics, tab_time, tab_week, tab_emerging, tab_forecast = st.tabs(
    TABS, key="flt_tab", on_change="rerun"
)

if tab_topics.open:
    with tab_topics:
        table = info.table.copy()
        for col in ("top_titles", "top_items"):  # lists -> one readable text cell (k rows)
            if col in table.columns:
                table[col] = table[col].map(
                    lambda v: " · ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
                )
        if "top_titles" in table.columns:
            table = table[[c for c in table.columns if c != "top_items"]]
        left, right = st.columns([3, 2])
        with left:
            st.dataframe(table, hide_index=True, width="stretch")
            exports.table(table, "topics", {"data": data.name}, key="dl_topics_table")
        with right:
            fig = charts.topic_sizes(info.table)
            st.plotly_chart(fig, width="stretch", key="ch_topic_sizes")
            exports.figure(fig, "topic_sizes", {"data": data.name}, key="dl_topic_sizes")

if tab_time.open:
    with tab_time, guard("Topic shares over time"):
        counts = cached.period_counts(fp, spec, tspec, events)
        if counts.empty or counts["events"].sum() == 0:
            st.info(
                "No events match these filters. Widen the time window or clear topic/event filters."
            )
        else:
            shown = [t for t in info.labels if not flt.topics or t in flt.topics]
            fig = charts.topic_shares_area(
                counts,
                shown,
                f"Topic shares per {PERIODS.get(flt.period, flt.period)}",
                palette_labels=info.labels,
            )
            st.plotly_chart(fig, width="stretch", key="ch_shares")
            exports.figure(fig, "topic_shares", names, key="dl_shares")
            fig2 = charts.activity_line(counts, "Events and users per period")
            st.plotly_chart(fig2, width="stretch", key="ch_activity")
            exports.figure(fig2, "activity", names, key="dl_activity")
            with st.expander("Table"):
                st.dataframe(readable(counts), hide_index=True, width="stretch")
                exports.table(counts, "period_counts", names, key="dl_counts")

if tab_week.open:
    with tab_week, guard("Hour of week"):
        rhythm = st.selectbox(
            "Rhythm of", ["all selected topics", *info.labels], key="flt_how_topic"
        )
        how_spec = (
            fspec
            if rhythm == "all selected topics"
            else EventFilter(
                start=fspec.start, end=fspec.end, topics=(rhythm,), events=fspec.events
            )
        )
        grid, basis = cached.hour_of_week(fp, spec, how_spec, events)
        if grid.to_numpy().sum() == 0:
            st.info("No events match these filters.")
        else:
            title = "Hour of week" + ("" if rhythm == "all selected topics" else f": {rhythm}")
            fig = charts.hour_of_week_heatmap(grid, basis, title)
            st.plotly_chart(fig, width="stretch", key="ch_how")
            how_names = {**names, "rhythm": None if rhythm == "all selected topics" else rhythm}
            exports.figure(fig, "hour_of_week", how_names, key="dl_how")
            exports.table(grid.reset_index(), "hour_of_week", how_names, key="dl_how_table")

if tab_emerging.open:
    with tab_emerging, guard("Emerging interests"):
        recent = st.select_slider(
            "Recent window", ["7D", "14D", "28D", "56D", "84D"], value="28D", key="flt_recent"
        )
        ranked = cached.emerging(fp, spec, recent, fspec, events)
        if windows_caption(ranked, "No events match these filters."):
            fig = charts.emerging_bars(ranked)
            st.plotly_chart(fig, width="stretch", key="ch_emerging")
            exports.figure(fig, "emerging", {**names, "recent": recent}, key="dl_emerging")
            st.dataframe(ranked, hide_index=True, width="stretch")
            exports.table(ranked, "emerging", {**names, "recent": recent}, key="dl_emerging_table")

if tab_forecast.open:
    with tab_forecast, guard("Forecast", "Choose a longer window or a coarser period."):
        c1, c2 = st.columns(2)
        target = c1.selectbox(
            "Series", ["events", "users", *[f"n:{t}" for t in info.labels]], key="flt_fc_target"
        )
        horizon = c2.slider("Periods ahead", 2, 26, 8, key="flt_fc_horizon")
        result = cached.forecast(fp, spec, tspec, target, horizon, events)
        counts = cached.complete_periods(fp, spec, tspec, events)
        history = pd.DataFrame({"period": counts["period"], "value": counts[target]})
        fig = charts.forecast_chart(
            history, result.forecast, f"Forecast of {target}", y_title=target
        )
        st.plotly_chart(fig, width="stretch", key="ch_forecast")
        exports.figure(fig, "forecast", {**names, "series": target, "h": horizon}, key="dl_fc")
        st.caption(
            f"Method: {md_escape(result.method)} (season length {result.season_length}), "
            f"{result.level:.0%} prediction interval. Backtest on the last {result.holdout} periods: "
            f"MAE {result.mae_model:,.1f} vs seasonal-naive {result.mae_naive:,.1f}. "
            "Periods the data only partly covers (at the edges) are left out. "
            f"{md_escape(result.note)}"
        )
        with st.expander("Forecast and backtest tables"):
            st.dataframe(readable(result.forecast), hide_index=True, width="stretch")
            exports.table(result.forecast, "forecast", {**names, "series": target}, key="dl_fc_t")
            st.dataframe(readable(result.backtest), hide_index=True, width="stretch")
            exports.table(result.backtest, "backtest", {**names, "series": target}, key="dl_bt_t")

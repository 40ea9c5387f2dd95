"""Overview: what people are into, where, and what is changing, for the current dataset at a glance.

Each block links to the page that shows it in full; the findings are templates over real numbers
(``core.spacetime.insights``) and export as Markdown and CSV.
"""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from core.spacetime.insights import findings_markdown
from core.spacetime.trends import EventFilter
from dashboard import cached, charts, maps
from dashboard.components import dataset as ds
from dashboard.components import exports
from dashboard.components.analysis import topic_info
from dashboard.components.feedback import guard, md_escape, windows_caption

#: Page files the blocks and findings link to (finding ``link`` -> page).
PAGES = {
    "Data": ("views/data.py", "Data", ":material/upload_file:"),
    "Interests": ("views/interests.py", "Interests & trends", ":material/insights:"),
    "Map": ("views/atlas_map.py", "Map", ":material/map:"),
    "Users": ("views/users.py", "Users", ":material/person_search:"),
    "Model": ("views/model.py", "Model", ":material/model_training:"),
    "Compare": ("views/compare.py", "Compare", ":material/compare_arrows:"),
}
#: Logs up to this many events train the preview model on open; bigger ones on request.
AUTO_PREVIEW_EVENTS = 300_000
RECENT = "28D"


def link(page: str, label: str | None = None) -> None:
    path, title, icon = PAGES.get(page, PAGES["Interests"])
    st.page_link(path, label=label or f"{title} →", icon=icon)


def pct(value: float) -> str:
    return f"{100 * value:.1f} %"


data = ds.open_page("Overview", "overview")
spec = cached.AnalysisSpec()
fp, events = data.fingerprint, data.events
names = {"data": data.name}
if data.is_sample:
    st.info(
        "This is the **bundled sample** (synthetic, with planted trends): load your own CSV, TSV "
        "or Parquet file of events on the **Data** page.",
        icon=":material/info:",
    )
    link("Data", "Load your own file on the Data page →")
if events.empty:
    st.info("This dataset has no events. Load a file on the Data page.")
    st.stop()

summary = cached.summary(fp, events)
tiles = st.columns(5)
tiles[0].metric("Events", f"{summary.events:,}")
tiles[1].metric("Users", f"{summary.users:,}")
tiles[2].metric("Items", f"{summary.items:,}")
tiles[3].metric(
    "Time span",
    f"{summary.days:,.0f} days",
    help=f"{summary.start:%Y-%m-%d} → {summary.end:%Y-%m-%d} (UTC)",
)
tiles[4].metric("Located", f"{100 * summary.located_share:.0f} %", help="events with a location")

# The busiest areas and every user's change points need no widget: they compute on background
# threads while the blocks above them draw (the page's own calls wait for them). The drift ranking
# starts only once the topics are there, so that the item texts are read here, with the progress
# bar and Stop, never by the background thread.
facade = cached.atlas(fp, spec, events)
facade.warm(lambda a: a.areas(8))
info = topic_info(fp, spec, events)
facade.warm(lambda a: a.drift_ranking("W", 8))

# The findings rest on the heavier results below (hotspots, every user's timeline): their place is
# kept at the top, and they are written last, so the quicker blocks show while those compute.
findings_slot = st.container()
pending = findings_slot.empty()
pending.caption("Findings: computing (they follow the blocks below)…")
left, right = st.columns([3, 2], gap="large")
with left, guard("Top interests"):
    st.subheader("Top interests")
    top = cached.top_interests(fp, spec, 8, "W", events)
    if top.empty or top["events"].sum() == 0:
        st.info("No topic has events yet.")
    else:
        fig = charts.top_interests_bars(top, "Share of engagement")
        st.plotly_chart(fig, width="stretch", key="ch_ov_top")
        exports.figure(fig, "top_interests", names, key="dl_ov_top")
        st.dataframe(
            top.assign(share=top["share"] * 100, trend=top["trend"].map(list)),
            hide_index=True,
            width="stretch",
            column_config={
                "topic": st.column_config.TextColumn("interest"),
                "share": st.column_config.ProgressColumn(
                    "share of events", format="%.1f%%", min_value=0, max_value=100
                ),
                "trend": st.column_config.LineChartColumn("weekly share"),
            },
            key="ov_top_table",
        )
        exports.table(
            top.assign(trend=top["trend"].map(str)), "top_interests", names, key="dl_ov_top_t"
        )
        link("Interests", "Topics and shares over time →")

with right, guard("Emerging interests"):
    st.subheader("Emerging and fading")
    ranked = cached.emerging(fp, spec, RECENT, EventFilter(), events)
    if windows_caption(ranked, "Too few events to compare a recent window with the time before."):
        for direction, title in (("emerging", "Emerging"), ("fading", "Fading")):
            moved = ranked[ranked["direction"] == direction].head(3)
            st.markdown(f"**{title}**")
            if moved.empty:
                st.caption(f"No topic is clearly {direction}.")
                continue
            st.markdown(
                "\n".join(
                    f"- {md_escape(r.topic)}: {pct(r.baseline_share)} → {pct(r.recent_share)} "
                    f"(z = {r.z:.1f})"
                    for r in moved.itertuples()
                )
            )
        exports.table(ranked, "emerging", {**names, "recent": RECENT}, key="dl_ov_emerging")
        link("Interests", "Emerging & fading in full →")

left, right = st.columns(2, gap="large")
with left, guard("Map"):
    st.subheader("Where engagement happens")
    areas = cached.map_areas(fp, 8, events)
    if areas.empty:
        st.info(
            "This dataset has no locations (lat/lon or a place column), so there is no map. "
            "Map a latitude/longitude or place column on the Data page."
        )
    else:
        mspec = cached.MapSpec()
        spots = cached.hotspots(fp, spec, mspec, events)
        area = areas.iloc[0]
        bounds = [[area.south, area.west], [area.north, area.east]]
        if spots.empty:
            cells = cached.map_cells(fp, spec, mspec, None, events)
            fmap, what = maps.cells_map(cells, "events", bounds), f"{len(cells):,} H3 cells"
        else:
            fmap, what = maps.hotspots_map(spots, bounds), f"{len(spots)} hotspots"
        st_folium(
            maps.offline(fmap),
            height=380,
            use_container_width=True,
            returned_objects=[],
            key="ov_map",
        )
        exports.html_page(
            lambda: maps.standalone_html(fmap), "overview_map", names, key="dl_ov_map"
        )
        st.caption(
            f"{what}; the view opens on the busiest area, {md_escape(area.area)} "
            f"({int(area.events):,} events). Base tiles need internet; the shapes draw without it."
        )
        link("Map", "Cells, regions, hotspots and playback →")

with right, guard("Interest changes"):
    st.subheader("Interests that changed most")
    drift = cached.drift_ranking(fp, spec, "W", 8, events)
    if drift.empty:
        st.info("Too few events per user to see interests change.")
    else:
        shown = drift[["user_id", "from_topic", "to_topic", "change_period", "drift"]]
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "user_id": st.column_config.TextColumn("user"),
                "change_period": st.column_config.DateColumn("week of change"),
                "drift": st.column_config.ProgressColumn(
                    "drift", min_value=0, max_value=1, format="%.2f"
                ),
            },
            key="ov_drift",
        )
        exports.table(shown, "interest_changes", names, key="dl_ov_drift")
        link("Users", "Each user's timeline →")

pending.empty()
with findings_slot, guard("Findings"):
    st.subheader("Findings")
    found = cached.findings(fp, spec, events)
    if found.empty:
        st.info(
            "No finding passes its stated threshold on this data (too few events, or nothing "
            "changed clearly). The pages below show the figures themselves."
        )
    else:
        for i, rec in enumerate(found.to_dict("records")):  # a handful of findings
            with st.container(border=True, key=f"ov_finding_{i}"):
                st.markdown(f"**{md_escape(rec['text'])}**")
                left, right = st.columns([4, 1], vertical_alignment="center")
                left.caption(f"Shown because {md_escape(rec['threshold'])}.")
                with right:
                    link(rec["link"])
    span = f"{summary.start:%Y-%m-%d} to {summary.end:%Y-%m-%d}"
    row = st.container(horizontal=True, gap="small")
    with row:
        # uploaded labels are escaped first, so the file shows them as text in any Markdown viewer
        escaped = found.assign(
            **{c: found[c].map(md_escape) for c in ("text", "threshold", "link")}
        )
        title = f"Findings: {md_escape(data.name)} ({summary.events:,} events, {span})"
        exports.markdown(
            lambda: findings_markdown(escaped, title).encode("utf-8"),
            "findings",
            names,
            key="dl_findings",
        )
        exports.table(found, "findings", names, key="dl_findings_table")


st.subheader("Next-item preview")
with guard("Preview model", "Train a model on the Model page."):
    auto = len(events) <= AUTO_PREVIEW_EVENTS
    if auto or cached.preview_ready(fp, spec, events) or st.session_state.get("ov_preview"):
        with st.spinner("Training the preview model (one short epoch)…"):
            report = cached.quick_report(fp, spec, events)
        model = report.iloc[0]
        popular = report[report["model"] == "most popular"]
        cols = st.columns(3)
        cols[0].metric("Preview model NDCG@10", f"{model['NDCG@10']:.3f}")
        if len(popular):
            base = popular.iloc[0]
            cols[1].metric(
                "Most popular NDCG@10",
                f"{base['NDCG@10']:.3f}",
            )
            cols[2].metric(
                "Preview HR@10 vs most popular",
                f"{model['HR@10']:.3f}",
                delta=f"{model['HR@10'] - base['HR@10']:+.3f}",
            )
        st.caption(
            "Quick preview numbers: a small model trained for one short epoch, on the test split, "
            "not the model to judge. Train the full model on the Model page."
        )
        exports.table(report, "preview_metrics", names, key="dl_ov_preview")
    else:
        st.caption(
            f"{len(events):,} events: the preview model trains on request (up to about 20 s)."
        )
        st.button("Train the preview model", key="ov_preview", icon=":material/play_arrow:")
    link("Model", "Train and compare models →")

"""Compare: two segments side by side (two areas, two time windows or two user groups): topic shares
with the difference and a two-proportion test per topic, the hour-of-week rhythm and top items."""

from __future__ import annotations

import streamlit as st

from dashboard import cached, charts
from dashboard.components import dataset as ds
from dashboard.components import exports
from dashboard.components.analysis import topic_info
from dashboard.components.feedback import guard, md_escape
from dashboard.components.segments import segment_pair

data = ds.open_page("Compare", "compare")
spec = cached.AnalysisSpec()
fp, events = data.fingerprint, data.events

info = topic_info(fp, spec, events)
areas = cached.map_areas(fp, 8, events)
pair = segment_pair(
    events,
    info.labels,
    areas,
    lambda layer: tuple(cached.region_shapes(layer)["region"].astype(str)),
    key="cmp",
)
names = pair.as_dict()
a_name, b_name = pair.a.name, pair.b.name

with guard("Comparison", "Pick two other segments."):
    result = cached.compare(fp, spec, pair.a, pair.b, 10, events)
    c1, c2 = st.columns(2)
    c1.metric(f"A: {a_name}", f"{result.n_a:,} events")
    c2.metric(f"B: {b_name}", f"{result.n_b:,} events")
    if result.n_a == 0 or result.n_b == 0:
        st.info(
            "One of the segments has no events: choose another area, window or group "
            "(the comparison needs events on both sides)."
        )
        st.stop()

    st.subheader("Topic shares")
    k = len(result.topics)
    st.caption(
        "Per topic: the share of each segment's events, the difference (A − B, in points) and a "
        "two-proportion z-test (pooled); **significant** means p < 0.05 / "
        f"{k} topics (Bonferroni, since every topic is tested)."
    )
    fig = charts.compare_shares(result.topics, result.names, "Topic shares: A vs B")
    st.plotly_chart(fig, width="stretch", key="ch_cmp_shares")
    exports.figure(fig, "compare_shares", names, key="dl_cmp_shares")
    table = result.topics
    st.dataframe(
        table.assign(
            share_a=table["share_a"] * 100,
            share_b=table["share_b"] * 100,
            difference=table["difference"] * 100,
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "share_a": st.column_config.NumberColumn("share A (%)", format="%.1f"),
            "share_b": st.column_config.NumberColumn("share B (%)", format="%.1f"),
            "difference": st.column_config.NumberColumn("A − B (points)", format="%+.1f"),
            "z": st.column_config.NumberColumn("z", format="%.2f"),
            "p_value": st.column_config.NumberColumn("p", format="%.2g"),
        },
        key="cmp_topics",
    )
    exports.table(table, "compare_topics", names, key="dl_cmp_topics")
    significant = table[table["significant"]]
    if len(significant):
        top = significant.iloc[0]
        more = "more" if top["difference"] > 0 else "less"
        st.markdown(
            f"Largest clear difference: **{md_escape(top['topic'])}** takes "
            f"{100 * abs(top['difference']):.1f} points {more} of A's events than of B's "
            f"(z = {top['z']:.1f}, p = {top['p_value']:.2g}); "
            f"{len(significant)} of {k} topics differ significantly."
        )
    else:
        st.markdown("No topic's share differs significantly between A and B.")

    st.subheader("Hour-of-week rhythm")
    left, right = st.columns(2)
    for col, grid, name, side in (
        (left, result.rhythm_a, a_name, "a"),
        (right, result.rhythm_b, b_name, "b"),
    ):
        with col:
            fig = charts.hour_of_week_heatmap(grid, result.basis, f"{side.upper()}: {name}")
            st.plotly_chart(fig, width="stretch", key=f"ch_cmp_how_{side}")
            exports.figure(fig, f"compare_rhythm_{side}", names, key=f"dl_cmp_how_{side}")
            exports.table(
                grid.reset_index(), f"compare_rhythm_{side}", names, key=f"dl_cmp_how_t_{side}"
            )

    st.subheader("Top items")
    left, right = st.columns(2)
    for col, name, side in ((left, a_name, "a"), (right, b_name, "b")):
        items = result.items[result.items["segment"] == name]
        with col:
            st.markdown(f"**{side.upper()}: {md_escape(name)}**")
            shown = items[["rank", "item", "events", "share"]]
            st.dataframe(
                shown.assign(share=shown["share"] * 100),
                hide_index=True,
                width="stretch",
                column_config={"share": st.column_config.NumberColumn("share (%)", format="%.1f")},
                key=f"cmp_items_{side}",
            )
            exports.table(items, f"compare_items_{side}", names, key=f"dl_cmp_items_{side}")

"""Users: one user's interests through time, drift moments, history, places, recommendations."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from core import schema
from core.interests import drift_ranking, interest_profiles
from core.recsys.recommend import BlendWeights
from dashboard import cached, charts, maps
from dashboard.components import dataset as ds
from dashboard.components import exports
from dashboard.components.analysis import topic_info
from dashboard.components.feedback import guard, md_escape
from dashboard.components.filters import PERIODS
from dashboard.components.modelstate import recommender
from dashboard.components.tables import distinct_labels, readable
from dashboard.components.userpick import user_picker

data = ds.open_page("Users", "users")
spec = cached.AnalysisSpec()
fp, events = data.fingerprint, data.events

info = topic_info(fp, spec, events)
with st.sidebar:
    period = (
        st.segmented_control(
            "Timeline period", list(PERIODS), format_func=PERIODS.get, default="W", key="usr_period"
        )
        or "W"
    )
user = user_picker(
    cached.most_active(fp, 50, events),
    lambda: cached.drift_ranking(fp, spec, period, 50, events),
    lambda text: cached.user_search(fp, text, 50, events),
    key="usr",
)
if user is None:
    st.info("No user selected: pick one in the sidebar (most active, most drifting, or search).")
    st.stop()

mine = cached.user_events(fp, user, events)
st.subheader(f"User {md_escape(user)}")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Events", f"{len(mine):,}")
c2.metric("Items", f"{mine[schema.ITEM].nunique():,}")
c3.metric("First", f"{mine[schema.TS].min():%Y-%m-%d}" if len(mine) else "–")
c4.metric("Last", f"{mine[schema.TS].max():%Y-%m-%d}" if len(mine) else "–")
names = {"user": user, "period": period}

left, right = st.columns([3, 2], gap="large")
with left, guard("Interest timeline"):
    line = cached.timeline(fp, spec, period, (user,), events)
    if line.empty:
        st.info("This user has no events to build a timeline from.")
    else:
        profile = interest_profiles(line.tail(1), drift_ranking(line, n=1)).iloc[0]
        st.markdown(f"**In a line:** {md_escape(profile)}")
        fig = charts.user_timeline(line, info.labels, "Interest timeline (topic shares per period)")
        st.plotly_chart(fig, width="stretch", key="ch_user_timeline")
        exports.figure(fig, "user_timeline", names, key="dl_user_timeline")
        # a drift moment is a change of topic: the same topic before and after is no moment
        changed = line["before_topic"].notna() & (line["before_topic"] != line["after_topic"])
        moments = line[changed & (line["shift_score"].fillna(0) > 0)].nlargest(3, "shift_score")
        st.markdown("**Drift moments** (largest changes of interest)")
        if moments.empty:
            st.caption("No marked change: this user's interests stayed put.")
        else:
            cols = ["change_period", "before_topic", "after_topic", "shift", "shift_score"]
            cols += ["n_before", "n_after"]
            table = moments[[c for c in cols if c in moments.columns]]
            st.dataframe(readable(table), hide_index=True, width="stretch")
            exports.table(table, "drift_moments", names, key="dl_drift")

with right, guard("Places"):
    places = cached.user_places(fp, user, events)
    st.markdown("**Places**")
    if places.empty:
        st.info("No located events for this user.")
    else:
        south, north = places["lat"].min(), places["lat"].max()
        west, east = places["lon"].min(), places["lon"].max()
        pad = 0.01
        fmap = maps.base_map([[south - pad, west - pad], [north + pad, east + pad]])
        maps.points_layer(fmap, places, "label")
        maps.offline(fmap)
        st_folium(fmap, height=340, use_container_width=True, returned_objects=[], key="usr_map")
        exports.html_page(
            lambda: maps.standalone_html(
                maps.points_layer(
                    maps.base_map([[south - pad, west - pad], [north + pad, east + pad]]),
                    places,
                    "label",
                )
            ),
            "user_places",
            names,
            key="dl_user_map",
        )

st.subheader("Recommendations")
with guard("Recommendations", "Train or load a model on the Model page."):
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    k = c1.slider("How many", 5, 30, 10, key="usr_k")
    located = mine.dropna(subset=[schema.LAT, schema.LON])
    use_place = c2.toggle(
        "Favour items popular near the user's latest place",
        value=False,
        key="usr_near",
        disabled=located.empty,
    )
    near = None
    if use_place and len(located):
        near = (float(located[schema.LAT].iloc[0]), float(located[schema.LON].iloc[0]))
    bundle, note = recommender(data, spec)
    if bundle is None:
        st.info(note)
    elif user not in bundle.bundle.vocab.users:
        st.info(
            f"The model does not know user {md_escape(user)} (too few events when it was trained)."
        )
    else:
        st.caption(md_escape(note))
        recs = cached.recommendations(fp, bundle.key, user, k, near, events, bundle.bundle)
        st.caption(md_escape(BlendWeights().describe(near is not None)))
        if recs.empty:
            st.info("Nothing to recommend: this user has seen every item.")
        else:
            shown = recs.assign(
                label=distinct_labels(recs[schema.ITEM_TEXT], recs[schema.ITEM]),
                sequence=recs["seq_share"],
                interest=recs["interest_share"],
                place=recs["geo_share"],
            )
            parts = ["sequence", "interest"] + (["place"] if near is not None else [])
            fig = charts.score_parts(shown, parts, f"Top {k} for {user}: weighted score parts")
            st.plotly_chart(fig, width="stretch", key="ch_recs")
            exports.figure(fig, "recommendations", {**names, "k": k}, key="dl_recs_fig")
            first = [schema.ITEM_TEXT, "reason", "score", "topic"]
            table = shown[
                first + [c for c in recs.columns if c not in first and c != "reason_items"]
            ].assign(**{schema.ITEM_TEXT: shown["label"]})
            st.dataframe(
                readable(table),
                hide_index=True,
                width="stretch",
                column_config={
                    schema.ITEM_TEXT: st.column_config.TextColumn("item", width="medium"),
                    "reason": st.column_config.TextColumn("reason", width="large"),
                    "score": st.column_config.ProgressColumn(
                        "score", min_value=0, max_value=1, format="%.2f"
                    ),
                },
            )
            exports.table(recs, "recommendations", {**names, "k": k}, key="dl_recs")

st.subheader("Event history")
st.dataframe(readable(mine.head(1000)), hide_index=True, width="stretch")
exports.table(mine, "user_events", names, key="dl_user_events")

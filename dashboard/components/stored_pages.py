"""Pages rendered from an atlas folder (``core.engines.stored.StoredAtlas``): no raw events loaded.

Each page calls :func:`render` right after its header; when the session's dataset is an atlas
folder it draws that page from the precomputed tables and stops the page script. What needs raw
events says so with ``st.info`` and names the nearest precomputed view.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core.atlas import MapSpec
from core.engines.folder import MANIFEST
from core.engines.stored import StoredAtlas
from core.spacetime.trends import TrendSpec
from dashboard import charts, maps
from dashboard.cached import region_shapes
from dashboard.components.feedback import md_escape

RAW_ONLY = (
    "This atlas folder holds precomputed tables, not the raw events {what} needs (it is built "
    "by `python -m core atlas` at period {period!r}, H3 resolution {res})."
)


def is_atlas_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder with an atlas manifest."""
    root = Path(path)
    return root.is_dir() and (root / MANIFEST).is_file()


def raw_only(stored: StoredAtlas, what: str, nearest: str) -> None:
    """The note shown instead of a view that needs raw events, naming the nearest stored one."""
    note = RAW_ONLY.format(what=what, period=stored.period, res=stored.res)
    st.info(f"{note} Nearest precomputed view: {nearest}.", icon=":material/info:")


def header(stored: StoredAtlas, name: str) -> None:
    """The dataset caption line, from the manifest and report."""
    s = stored.summary
    span = f"{s.start:%Y-%m-%d} → {s.end:%Y-%m-%d}" if s.start is not None else "no events"
    st.caption(
        f"Atlas folder: **{md_escape(name)}** ({md_escape(stored.folder.manifest.engine)} engine) · "
        f"{s.events:,} events · {s.users:,} users · {s.items:,} items · {span}"
    )


def overview(stored: StoredAtlas) -> None:
    s = stored.summary
    cols = st.columns(5)
    cols[0].metric("Events", f"{s.events:,}")
    cols[1].metric("Users", f"{s.users:,}")
    cols[2].metric("Items", f"{s.items:,}")
    cols[3].metric("Days", f"{s.days:.0f}")
    cols[4].metric("Located", f"{100 * s.located_share:.1f} %")
    st.subheader("Top interests")
    top = stored.top_interests(8, stored.period)
    st.plotly_chart(charts.top_interests_bars(top), key="atlas_top")
    counts = stored.period_counts(TrendSpec(period=stored.period))
    st.plotly_chart(charts.activity_line(counts), key="atlas_activity")
    st.subheader("Interests that moved most")
    st.dataframe(stored.drift_ranking(stored.period, 8), hide_index=True)
    raw_only(
        stored,
        "hotspots, emerging interests, findings and the preview model",
        "the Map page's cells",
    )


def interests(stored: StoredAtlas) -> None:
    info = stored.topic_info
    st.subheader("Topics")
    st.dataframe(info.table, hide_index=True)
    st.subheader("Shares over time")
    counts = stored.period_counts(TrendSpec(period=stored.period))
    st.plotly_chart(charts.topic_shares_area(counts, info.labels), key="atlas_shares")
    st.subheader("Hour of week")
    grid, basis = stored.hour_of_week()
    st.plotly_chart(charts.hour_of_week_heatmap(grid, basis), key="atlas_how")
    raw_only(
        stored,
        "filters, other periods, emerging interests and forecasts",
        f"the shares per {stored.period!r} period above",
    )


def atlas_map(stored: StoredAtlas) -> None:
    steps = stored.bins
    if not steps:
        st.info("This atlas has no located events.")
        return
    step = st.select_slider(
        "Time step",
        options=list(steps),
        value=steps[-1],
        format_func=lambda t: f"{t:%Y-%m-%d}",
        key="atlas_step",
    )
    view = st.segmented_control(
        "View", ["cells", "countries"], default="cells", key="atlas_map_view"
    )
    from streamlit_folium import st_folium

    if view == "countries":
        figures = stored.map_regions(step)
        st.markdown(
            f"**{len(figures):,} countries** · {int(figures['events'].sum()):,} events in them"
        )
        fmap = maps.regions_map(region_shapes("countries"), figures, "events")
        st_folium(maps.offline(fmap), height=480, returned_objects=[], key="atlas_regions_map")
        st.dataframe(figures, hide_index=True)
    else:
        cells = stored.map_cells(MapSpec(res=stored.res, period=stored.period), step)
        st.markdown(f"**{len(cells):,} cells** · {int(cells['events'].sum()):,} events")
        fmap = maps.offline(maps.cells_map(cells, "events"))  # Leaflet inlined: draws offline
        st_folium(fmap, height=480, returned_objects=[], key="atlas_map")
    raw_only(
        stored,
        "hotspots, other boundaries, other resolutions and filters",
        "the cells and countries of each stored step",
    )


def users(stored: StoredAtlas) -> None:
    active = stored.most_active(50)
    if active.empty:
        st.info("This atlas has no users.")
        return
    user = st.selectbox("User", list(active["user_id"]), key="atlas_user")
    line = stored.timeline(stored.period, (user,))
    st.plotly_chart(
        charts.user_timeline(line, stored.topic_info.labels, f"Interests of {user}"),
        key="atlas_user_line",
    )
    if st.toggle("Show this user's events", key="atlas_user_events"):
        st.dataframe(stored.user_events(user), hide_index=True)
    raw_only(stored, "places and recommendations", "the timeline above")


def compare(stored: StoredAtlas) -> None:
    raw_only(stored, "a segment comparison", "the topic shares on the Interests page")


def model(stored: StoredAtlas) -> None:
    raw_only(stored, "training a model", "the user interests on the Users page")


def data(stored: StoredAtlas) -> None:
    from dashboard.components import dataset as ds

    st.subheader("Ingest report")
    st.json(stored.folder.report, expanded=False)
    st.subheader("Rejected rows")
    st.dataframe(stored.folder.table("rejected"), hide_index=True)
    open_control()
    if st.button("Back to the bundled sample", key="atlas_reset"):
        ds.reset_to_sample()
        st.rerun()


PAGES: dict[str, Callable[[StoredAtlas], None]] = {
    "overview": overview,
    "interests": interests,
    "atlas_map": atlas_map,
    "users": users,
    "compare": compare,
    "model": model,
    "data": data,
}


def render(dataset, page: str) -> None:
    """Draw ``page`` from the atlas folder and stop, when ``dataset`` is one; else do nothing."""
    stored = getattr(dataset, "stored", None)
    if stored is None:
        return
    PAGES[page](stored)
    st.stop()


def open_control() -> None:
    """A text input + button that opens an atlas folder on this machine as the session's data."""
    from dashboard.components import dataset as ds

    with st.form("atlas_open"):
        path = st.text_input("Open atlas folder", placeholder="/path/to/atlas", key="atlas_path")
        if st.form_submit_button("Open atlas", key="atlas_open_btn"):
            if not is_atlas_folder(path):
                st.error(f"No atlas here: expected a folder with {MANIFEST}, found {path!r}.")
            else:
                ds.replace(ds.from_atlas(path))
                st.rerun()

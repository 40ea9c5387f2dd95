"""Map: H3 cells by events, users or a topic's share, stepping through time; regions; hotspots."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cached, maps
from dashboard.components import dataset as ds
from dashboard.components import exports
from dashboard.components.analysis import topic_info
from dashboard.components.feedback import guard
from dashboard.components.mapcontrols import map_controls, play_controls, region_upload

data = ds.open_page("Map", "atlas_map")
spec = cached.AnalysisSpec()
fp, events = data.fingerprint, data.events

info = topic_info(fp, spec, events)
areas = cached.map_areas(fp, 8, events)
if areas.empty:
    st.info(
        "This dataset has no locations (lat/lon or a place column), so there is nothing to map. "
        "Map a latitude/longitude or place column on the Data page."
    )
    st.stop()


def show(fmap: object, names: dict, table: pd.DataFrame, base: str, key: str) -> None:
    """Draw a folium map offline in the page, with its HTML export and its table."""
    st_folium(
        maps.offline(fmap),
        height=560,
        use_container_width=True,
        returned_objects=[],
        key=key,
    )
    # after offline() Leaflet is already inlined as data: URIs, so the page is self-contained
    exports.html_page(lambda: maps.standalone_html(fmap), base, names, key=f"dl_{base}_map")
    with st.expander("Table"):
        st.dataframe(table, hide_index=True, width="stretch")
        exports.table(table, base, names, key=f"dl_{base}_table")


with guard("Map"):
    fitted, n_fitted = cached.map_res(fp, events)
    ctl = map_controls(events, info.labels, areas, key="map", default_res=fitted)
    if fitted < cached.DEFAULT_MAP_RES:
        st.caption(
            f"The events are spread widely, so the map starts at H3 resolution {fitted} "
            f"({n_fitted:,} cells) instead of {cached.DEFAULT_MAP_RES}; finer cells draw more "
            "polygons and take longer."
        )
    mspec = cached.MapSpec(
        res=ctl.res,
        period=ctl.period,
        start=ctl.window.start,
        end=ctl.window.end,
        topics=ctl.topics,
        events=ctl.events,
    )
    area = areas.iloc[ctl.area]
    bounds = [[area.south, area.west], [area.north, area.east]]
    if ctl.view == "cells":
        play = play_controls("map")
        pspec = ctl.playback_spec()
        exports.html_page(
            lambda: cached.playback_html(fp, spec, pspec, "Map playback", events),
            "map_playback",
            ctl.as_dict(None) | {"period": ctl.period},
            key="dl_playback",
            label="Playback HTML (plays offline)",
        )

        @st.fragment(run_every=play.seconds if play.on else None)
        def cells_view() -> None:
            """The time stepper and the map; while playing, re-run on a timer one period on."""
            playing = bool(st.session_state.get("map_playing", False))
            steps = cached.heatmap(fp, spec, mspec, events).bins
            step = ctl.pick_step(steps, advance=playing)
            cells = cached.map_cells(fp, spec, mspec, step, events)
            names = ctl.as_dict(step)
            with st.container(key="map_period_label"):
                st.markdown(f"**{ctl.step_label(step)}**")  # dates and period names only
            if cells.empty:
                st.info(
                    "No located events in this time step and filters. "
                    "Step to another period or widen the filters."
                )
                return
            if step is None:
                fmap = maps.cells_map(cells, ctl.value(), bounds)
                scale = "colours span this map's own range"
            else:  # one colour scale over every period, so frames compare
                frames = cached.playback(fp, spec, pspec, events)
                frame = frames.cells[frames.cells["bin"] == step]
                fmap = maps.playback_frame_map(frame, ctl.value(), frames.lo, frames.hi, bounds)
                scale = "colour scale fixed across all periods"
            show(fmap, names, cells, "map_cells", "map_cells_view")
            st.caption(
                f"{len(cells):,} cells at H3 resolution {ctl.res} · "
                f"{int(cells['events'].sum()):,} located events in "
                f"{ctl.step_label(step) if step is not None else 'the window'} · {scale} · "
                "base tiles need internet; the cells draw without it."
            )

        cells_view()
    elif ctl.view == "regions" and ctl.layer == "upload":
        st.info(
            "Upload a GeoJSON file or a zipped shapefile of your regions in the sidebar: events "
            "are counted in each polygon, with its users and top interests."
        )
    elif ctl.view == "regions":
        upload = region_upload(ctl.layer)
        names = ctl.as_dict(None) | {"layer": "upload" if upload is not None else ctl.layer}
        figures = cached.regions(fp, spec, mspec, ctl.layer, events, upload)
        if figures.empty:
            st.info("No located events fall inside these boundaries for the chosen filters.")
        else:
            shapes = cached.region_shapes(ctl.layer, upload)
            show(
                maps.regions_map(shapes, figures, ctl.value()),
                names,
                figures,
                "map_regions",
                "map_regions_view",
            )
    else:
        names = ctl.as_dict(None)
        spots = cached.hotspots(fp, spec, mspec, events)
        if spots.empty:
            st.info("No dense cluster of events found with these filters.")
        else:
            show(
                maps.hotspots_map(spots, bounds), names, spots, "map_hotspots", "map_hotspots_view"
            )
            st.caption(
                f"{len(spots)} hotspots (DBSCAN density clusters); circle = the hotspot's extent, colour = its events."
            )

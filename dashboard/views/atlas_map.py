"""Map: H3 cells by events, users or a topic's share, stepping through time; regions; hotspots."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import cached, maps
from dashboard.components import dataset as ds
from dashboard.components import exports
from dashboard.components.feedback import guard
from dashboard.components.mapcontrols import map_controls

st.title("Map")
data = ds.current()
ds.header(data)
spec = cached.AnalysisSpec()
fp, events = data.fingerprint, data.events

with st.spinner("Finding interest topics…"):
    info = cached.topics(fp, spec, events)
areas = cached.map_areas(fp, 8, events)
if areas.empty:
    st.info(
        "This dataset has no locations (lat/lon or a place column), so there is nothing to map. "
        "Map a latitude/longitude or place column on the Data page."
    )
    st.stop()

with guard("Map"):
    ctl = map_controls(events, info.labels, areas, key="map")
    mspec = cached.MapSpec(
        res=ctl.res,
        period=ctl.period,
        start=ctl.window.start,
        end=ctl.window.end,
        topics=ctl.topics,
        events=ctl.events,
    )
    steps = cached.heatmap(fp, spec, mspec, events).bins
    step = ctl.pick_step(steps)
    cells = cached.map_cells(fp, spec, mspec, step, events)
    names = ctl.as_dict(step)
    if cells.empty:
        st.info(
            "No located events in this time step and filters. Step to another period or widen the filters."
        )
    else:
        value_col, legend, share = ctl.value_column(cells)
        area = areas.iloc[ctl.area]
        fmap = maps.base_map([[area.south, area.west], [area.north, area.east]])
        maps.cells_layer(fmap, cells, value_col, legend, share=share)
        if ctl.show_hotspots:
            with guard("Hotspots"):
                spots = cached.hotspots(fp, spec, mspec, events)
                if len(spots):
                    maps.points_layer(fmap, spots, "label")
        if ctl.show_regions:
            with guard("Regions"):
                regions = cached.regions(fp, spec, mspec, events)
                if len(regions):
                    maps.regions_layer(fmap, regions)
        maps.offline(fmap)
        st_folium(
            fmap,
            height=560,
            use_container_width=True,
            returned_objects=[],
            key=f"map_view_{ctl.area}",
        )
        total = int(cells["events"].sum())
        st.caption(
            f"{len(cells):,} cells at H3 resolution {ctl.res} · {total:,} located events "
            f"{'in ' + ctl.step_label(step) if step is not None else 'in the window'} · "
            "base tiles need internet; cells draw without it."
        )
        row = st.container(horizontal=True)
        with row:
            exports.html_page(
                lambda: maps.standalone_html(
                    maps.cells_layer(
                        maps.base_map([[area.south, area.west], [area.north, area.east]]),
                        cells,
                        value_col,
                        legend,
                        share=share,
                    )
                ),
                "map",
                names,
                key="dl_map",
            )
        table = pd.DataFrame(cells.drop(columns="geometry"))
        with st.expander("Cells table"):
            st.dataframe(table, hide_index=True, width="stretch")
            exports.table(table, "map_cells", names, key="dl_map_cells")

"""Folium map builders and the offline wrapper for maps shown in Streamlit.

Leaflet's JS/CSS come from an installed package (``django-js-lib-leaflet``) as ``data:`` URIs, so
a map draws with no internet, both inside the app (streamlit-folium loads the map's ``default_js``
/ ``default_css`` links in its iframe) and in exported HTML. Other CDN assets folium lists (jQuery,
Bootstrap, awesome-markers) are dropped: the maps here do not use them. Base tiles load when the
network allows; when it does not, Leaflet leaves failed tiles hidden and the cells still draw.
Every string from an upload is HTML-escaped before it reaches a tooltip, popup or legend.
"""

from __future__ import annotations

from collections.abc import Sequence

import branca.element
import folium
import numpy as np
import pandas as pd

from core.render import maps as maprender
from core.render.assets import leaflet_data_uris

TILES = maprender.TILES
safe_text = maprender.safe_text


def leaflet_assets() -> tuple[str, str]:
    """``data:`` URIs of the installed Leaflet JS and CSS (``core.render.assets``)."""
    return leaflet_data_uris()


def offline(fmap: folium.Map) -> folium.Map:
    """Point every element of ``fmap`` at the local Leaflet and drop other CDN assets (in place)."""
    js, css = leaflet_assets()
    stack: list[branca.element.Element] = [fmap]
    while stack:
        element = stack.pop()
        if hasattr(element, "default_js"):
            element.default_js = [(n, u) for n, u in element.default_js if u.startswith("data:")]
        if hasattr(element, "default_css"):
            element.default_css = [(n, u) for n, u in element.default_css if u.startswith("data:")]
        stack.extend(getattr(element, "_children", {}).values())
    fmap.default_js = [("leaflet", js)]
    fmap.default_css = [("leaflet_css", css)]
    return fmap


def standalone_html(fmap: folium.Map) -> str:
    """A self-contained HTML page of ``fmap`` with Leaflet inlined (``core.render.maps``)."""
    return maprender.standalone_html(fmap)


def base_map(
    bounds: Sequence[Sequence[float]] | None = None, tiles: str | None = TILES
) -> folium.Map:
    """An empty map fitted to ``bounds`` ([[south, west], [north, east]])."""
    fmap = folium.Map(
        tiles=tiles, control_scale=True, prefer_canvas=False, zoom_start=2, location=(20, 0)
    )
    if bounds is not None:
        fmap.fit_bounds(bounds)
    return fmap


def _refit(fmap: folium.Map, bounds: Sequence[Sequence[float]] | None) -> folium.Map:
    """Fit ``fmap`` to ``bounds`` instead of the builder's own fit (all shapes, maybe continents)."""
    if bounds is not None:
        for name, child in list(fmap._children.items()):
            if isinstance(child, folium.map.FitBounds):
                del fmap._children[name]
        fmap.fit_bounds(bounds)
    return fmap


def cells_map(
    cells: pd.DataFrame, value: str, bounds: Sequence[Sequence[float]] | None = None
) -> folium.Map:
    """H3 choropleth (``core.render.maps.h3_map``: escaped tooltips/popups, legend)."""
    return _refit(maprender.h3_map(cells, value), bounds)


def regions_map(regions: pd.DataFrame, figures: pd.DataFrame, value: str) -> folium.Map:
    """Region choropleth (``core.render.maps.regions_map``)."""
    return maprender.regions_map(regions, figures, value)


def hotspots_map(
    spots: pd.DataFrame, bounds: Sequence[Sequence[float]] | None = None
) -> folium.Map:
    """Hotspot circles (``core.render.maps.hotspots_map``: true radius, colour by events, escaped
    GeoJSON tooltips and a legend)."""
    return _refit(maprender.hotspots_map(spots), bounds)


def points_layer(fmap: folium.Map, points: pd.DataFrame, label_column: str) -> folium.Map:
    """Circle markers (e.g. hotspots or one user's places) sized by ``events``, escaped tooltips."""
    size = points["events"].to_numpy(dtype=float)
    radius = 3 + 9 * np.sqrt(size / max(size.max(), 1.0)) if len(points) else size
    for lat, lon, r, text in zip(
        points["lat"], points["lon"], radius, points[label_column].astype(str), strict=True
    ):  # one marker per aggregated place (tens), never per event
        folium.CircleMarker(
            (float(lat), float(lon)),
            radius=float(r),
            color="#e4572e",
            fill=True,
            fill_opacity=0.6,
            weight=1,
            tooltip=safe_text(text),
        ).add_to(fmap)
    return fmap


def playback_frame_map(
    cells: pd.DataFrame,
    value_title: str,
    lo: float,
    hi: float,
    bounds: Sequence[Sequence[float]] | None = None,
) -> folium.Map:
    """One frame of a map playback: H3 cells coloured by their ``scale`` position (0..1) on the
    scale fixed across all frames (``core.spacetime.playback``), with that fixed range in the
    legend, so frames compare. Tooltips are escaped."""
    import geopandas as gpd

    from core.spacetime import geo

    palette = maprender.PALETTE
    level = np.clip(
        np.round(cells["scale"].to_numpy(dtype=np.float64) * (len(palette) - 1)),
        0,
        len(palette) - 1,
    ).astype(np.int64)
    shapes = geo.cell_polygons(cells[geo.CELL].to_numpy(dtype=np.uint64))
    order = pd.Series(np.arange(len(cells)), index=cells[geo.CELL].to_numpy(dtype=np.uint64))
    rows = order.reindex(shapes[geo.CELL].to_numpy(dtype=np.uint64)).to_numpy()
    tips = (
        cells["h3_hex"].astype(str).map(safe_text)
        + "<br>"
        + safe_text(value_title)
        + ": "
        + cells["value"].map(maprender._fmt)
        + "<br>events: "
        + cells["events"].map("{:,}".format)
        + "<br>top interest: "
        + cells["dominant_topic"].astype(str).map(safe_text)
    ).to_numpy(dtype=object)
    layer = gpd.GeoDataFrame(
        {"fill": np.asarray(palette, dtype=object)[level[rows]], "tip": tips[rows]},
        geometry=shapes.geometry,
        crs=4326,
    )
    return maprender.fill_layer(
        base_map(bounds), layer, value_title, f"{value_title} (fixed scale)", lo, hi
    )

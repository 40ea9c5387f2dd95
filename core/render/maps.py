"""Folium map builders for H3 cells, regions and hotspots, and an offline standalone HTML export.

Pure core (no streamlit): the dashboard and the CLI share these builders. Every string that may come
from an upload (topic labels, item text, region names) goes through :func:`html.escape` before it
reaches a tooltip, popup or legend; numbers are formatted here. Colours are computed in numpy and
stored per feature, so no colormap JavaScript (branca's d3) is needed.
"""

from __future__ import annotations

import html
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from core.errors import InvalidInputError
from core.render.assets import leaflet_text
from core.spacetime import geo

#: Sequential palette (light -> dark), colour-blind safe (viridis-like, 9 steps).
PALETTE = (
    "#fde725",
    "#b5de2b",
    "#6ece58",
    "#35b779",
    "#1f9e89",
    "#26828e",
    "#31688e",
    "#3e4989",
    "#482878",
)
TILES = "OpenStreetMap"
_SCRIPT_SRC = re.compile(r'<script[^>]*\bsrc="(?P<url>https?://[^"]+)"[^>]*>\s*</script>\s*')
_CSS_LINK = re.compile(r'<link[^>]*\bhref="(?P<url>https?://[^"]+\.css)"[^>]*/?>\s*')


def safe_text(value: object) -> str:
    """Escape a string for any folium text.

    HTML-escaped, and ``$`` / backtick / backslash turned into entities too, because folium puts
    Tooltip / Popup text inside JavaScript template literals where an uploaded ``${...}`` would
    otherwise run.

    Parameters
    ----------
    value
        Any value; it is shown as ``str(value)``.

    Returns
    -------
    str
        Text safe inside HTML and JavaScript template literals.
    """
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _fmt(value: float) -> str:
    if isinstance(value, float | np.floating) and not float(value).is_integer():
        return f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"
    return f"{int(value):,}"


def colours(values: np.ndarray, log: bool = False) -> tuple[np.ndarray, float, float]:
    """Palette colour of each value (linear or log scale between min and max), and that range.

    Parameters
    ----------
    values
        Numbers to colour.
    log
        Place values on a log scale (for counts spanning orders of magnitude).

    Returns
    -------
    tuple of (numpy.ndarray, float, float)
        A ``PALETTE`` colour per value, and the minimum and maximum of the scale.
    """
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return np.zeros(0, dtype=object), 0.0, 0.0
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    scaled = np.log1p(v - lo) / np.log1p(hi - lo) if log and hi > lo else None
    if scaled is None:
        scaled = (v - lo) / (hi - lo) if hi > lo else np.ones_like(v)
    index = np.clip((scaled * (len(PALETTE) - 1)).round().astype(np.int64), 0, len(PALETTE) - 1)
    return np.asarray(PALETTE, dtype=object)[index], lo, hi


def _value_column(frame: pd.DataFrame, value: str) -> str:
    if value in frame.columns:
        return value
    if f"share:{value}" in frame.columns:
        return f"share:{value}"
    options = ["events", "users"] + [
        c.removeprefix("share:") for c in frame if c.startswith("share:")
    ]
    raise InvalidInputError(f"value: expected one of {options}, found {value!r}")


def _top_topics(frame: pd.DataFrame, k: int = 3) -> np.ndarray:
    """Escaped "topic 40%, topic 25%" of each row from its share:<label> columns."""
    share_cols = [c for c in frame.columns if c.startswith("share:")]
    out = np.full(len(frame), "", dtype=object)
    if not share_cols or len(frame) == 0:
        return out
    shares = frame[share_cols].to_numpy(dtype=np.float64)
    names = np.array([safe_text(c.removeprefix("share:")) for c in share_cols], dtype=object)
    top = np.argsort(-shares, axis=1, kind="stable")[:, :k]
    for j in range(top.shape[1]):  # k columns, not rows
        s = shares[np.arange(len(frame)), top[:, j]]
        part = names[top[:, j]] + " " + np.char.mod("%d%%", np.round(s * 100).astype(int))
        part = np.where(s > 0, part, "")
        out = np.where((out != "") & (part != ""), out + ", " + part, out + part)
    return out


def _tips(title: np.ndarray, frame: pd.DataFrame, value_col: str) -> np.ndarray:
    """Escaped HTML of each feature's tooltip: its name, figures and top interests."""
    events = frame["events"].to_numpy() if "events" in frame else np.zeros(len(frame))
    users = frame["users"].to_numpy() if "users" in frame else np.zeros(len(frame))
    tip = (
        "<b>"
        + title.astype(object)
        + "</b><br>events: "
        + np.char.mod("%d", events.astype(np.int64)).astype(object)
        + "<br>users: "
        + np.char.mod("%d", users.astype(np.int64)).astype(object)
    )
    if value_col.startswith("share:"):
        share = frame[value_col].to_numpy(dtype=np.float64)
        tip = (
            tip
            + "<br>"
            + safe_text(value_col.removeprefix("share:"))
            + ": "
            + np.char.mod("%.0f%%", share * 100).astype(object)
        )
    top = _top_topics(frame)
    return np.where(top != "", tip + "<br>top interests: " + top, tip)


class _Legend(folium.MacroElement):
    """A fixed-position legend box in plain HTML/CSS (no d3, unlike branca's colormap)."""

    def __init__(self, title: str, lo: float, hi: float) -> None:
        super().__init__()
        swatches = "".join(
            f'<span style="display:inline-block;width:18px;height:12px;background:{c}"></span>'
            for c in PALETTE
        )
        self._body = (
            '<div style="position:fixed;bottom:24px;left:24px;z-index:9999;background:white;'
            'padding:6px 8px;border:1px solid #888;border-radius:4px;font:12px sans-serif">'
            f"<b>{safe_text(title)}</b><br>{swatches}<br>"
            f'<span>{_fmt(lo)}</span><span style="float:right">{_fmt(hi)}</span></div>'
        )
        self._template = folium.template.Template(
            "{% macro html(this, kwargs) %}" + self._body + "{% endmacro %}"
        )


def _base_map(bounds: tuple[float, float, float, float] | None, tiles: str | None) -> folium.Map:
    m = folium.Map(tiles=tiles, control_scale=True, prefer_canvas=False)
    if bounds is not None:
        west, south, east, north = bounds
        m.fit_bounds([[south, west], [north, east]])
    else:
        m.location, m.options["zoom"] = [20.0, 0.0], 2
    return m


def _choropleth(
    m: folium.Map, shapes: gpd.GeoDataFrame, value_col: str, title: str, log: bool
) -> folium.Map:
    fill, lo, hi = colours(shapes[value_col].to_numpy(dtype=np.float64), log=log)
    layer = gpd.GeoDataFrame(
        {"fill": fill, "tip": shapes["tip"].to_numpy()}, geometry=shapes.geometry
    )
    return fill_layer(m, layer, title, title, lo, hi)


def fill_layer(
    m: folium.Map, layer: gpd.GeoDataFrame, name: str, legend: str, lo: float, hi: float
) -> folium.Map:
    """Draw ``layer``'s polygons filled with its ``fill`` colours, its (already escaped) ``tip``
    as tooltip and popup, and a legend from ``lo`` to ``hi``: the one polygon layer of every map.

    Parameters
    ----------
    m, layer
        The map and the polygons (``fill`` and ``tip`` columns).
    name, legend
        Layer name in the layer control and legend caption.
    lo, hi
        Value range the legend spans.

    Returns
    -------
    folium.Map
        ``m``, drawn on in place.
    """
    folium.GeoJson(
        layer.to_json(),
        name=safe_text(name),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": f["properties"]["fill"],
            "weight": 0.5,
            "fillOpacity": 0.6,
        },
        highlight_function=lambda f: {"weight": 2, "color": "#222"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["tip"], labels=False),
    ).add_to(m)
    m.add_child(_Legend(legend, lo, hi))
    return m


def h3_map(
    cells: pd.DataFrame, value: str = "events", *, log: bool = True, tiles: str | None = TILES
) -> folium.Map:
    """Choropleth of H3 cells (one row per cell, e.g. ``HeatmapResult.cells`` for one bin).

    Parameters
    ----------
    cells
        Frame with ``h3`` (uint64), ``events``, ``users`` and ``share:<label>`` columns.
    value
        "events", "users", a topic label (its share) or any numeric column.
    log
        Colour on a log scale (counts are skewed); shares always use a linear scale.
    tiles
        Folium base tiles (they need internet; the cells draw without them); None for none.

    Returns
    -------
    folium.Map

    Raises
    ------
    InvalidInputError
        If a cell appears twice (pick one time bin first) or ``value`` is unknown.
    """
    column = _value_column(cells, value)
    if cells[geo.CELL].duplicated().any():
        raise InvalidInputError(
            "cells: expected one row per cell, found repeated cells (filter one time bin, or "
            "aggregate with period=None)"
        )
    shapes = geo.cell_polygons(cells[geo.CELL].to_numpy(dtype=np.uint64))
    merged = shapes.merge(cells.drop(columns=["h3_hex"], errors="ignore"), on=geo.CELL)
    merged["tip"] = _tips(merged["h3_hex"].to_numpy(dtype=object), merged, column)
    bounds = tuple(merged.total_bounds) if len(merged) else None
    m = _base_map(bounds, tiles)
    return _choropleth(m, merged, column, _title(column), log and not column.startswith("share:"))


def _title(column: str) -> str:
    return f"share of {column.removeprefix('share:')}" if column.startswith("share:") else column


def regions_map(
    regions: gpd.GeoDataFrame,
    figures: pd.DataFrame,
    value: str = "events",
    *,
    log: bool = False,
    tiles: str | None = TILES,
) -> folium.Map:
    """Choropleth of regions that have figures (regions without events are not drawn).

    Parameters
    ----------
    regions
        Polygons from ``core.spacetime.regions.load_regions``.
    figures
        One row per region (``RegionResult.regions`` for one time bin).
    value
        The column of ``figures`` that colours the regions.
    log
        Colour on a log scale.
    tiles
        Base tiles (None: no base map).

    Returns
    -------
    folium.Map
        Regions coloured by ``value``, each with a tooltip of its figures.

    Raises
    ------
    InvalidInputError
        If ``figures`` holds several rows for one region (filter one time bin first).
    """
    column = _value_column(figures, value)
    if figures["region"].duplicated().any():
        raise InvalidInputError(
            "figures: expected one row per region, found repeats (filter one time bin)"
        )
    shapes = regions.loc[regions["region"].isin(figures["region"]), ["region", "geometry"]]
    if shapes["region"].duplicated().any():  # multi-part uploads: one feature per name
        shapes = shapes.dissolve(by="region", as_index=False)
    merged = shapes.merge(figures, on="region")
    merged["tip"] = _tips(
        np.array([safe_text(r) for r in merged["region"].astype(str)], dtype=object), merged, column
    )
    bounds = tuple(merged.total_bounds) if len(merged) else None
    m = _base_map(bounds, tiles)
    return _choropleth(m, merged, column, _title(column), log and not column.startswith("share:"))


def circles(lat: np.ndarray, lon: np.ndarray, radius_m: np.ndarray, n: int = 48) -> np.ndarray:
    """Circle polygons (shapely) of the given radii in metres, vertices computed in numpy.

    Parameters
    ----------
    lat, lon, radius_m
        Centres (degrees) and radii, one per circle (H,).
    n
        Vertices per circle.

    Returns
    -------
    numpy.ndarray of shapely.Polygon, (H,), vertices in lon/lat order
    """
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)  # (n,)
    dlat = np.degrees(radius_m[:, None] / geo.EARTH_RADIUS_M) * np.cos(theta)  # (H, n)
    dlon = (
        np.degrees(radius_m[:, None] / geo.EARTH_RADIUS_M)
        * np.sin(theta)
        / np.maximum(np.cos(np.radians(lat))[:, None], 1e-6)
    )
    ring = np.stack([lon[:, None] + dlon, lat[:, None] + dlat], axis=-1)  # (H, n, 2)
    return shapely.polygons(ring)


def hotspots_map(hotspots: pd.DataFrame, *, tiles: str | None = TILES) -> folium.Map:
    """Circles for hotspots, coloured by events.

    Parameters
    ----------
    hotspots
        ``HotspotResult.hotspots``: radius in metres, figures, top interests and top items (all
        escaped in the tooltip and popup).
    tiles
        Base tiles (None: no base map).

    Returns
    -------
    folium.Map
    """
    if len(hotspots) == 0:
        return _base_map(None, tiles)
    lat = hotspots["lat"].to_numpy(dtype=np.float64)
    lon = hotspots["lon"].to_numpy(dtype=np.float64)
    radius = np.maximum(hotspots["radius_m"].to_numpy(dtype=np.float64), 50.0)
    shapes = gpd.GeoDataFrame(
        {"events": hotspots["events"].to_numpy(dtype=np.float64)},
        geometry=circles(lat, lon, radius),
        crs=4326,
    )
    title = "hotspot " + hotspots["hotspot"].astype(int).astype(str).to_numpy(dtype=object)
    tip = _tips(title, hotspots.reset_index(drop=True), "events")
    items = np.array([safe_text(t) for t in hotspots["top_items"].astype(str)], dtype=object)
    shapes["tip"] = np.where(items != "", tip + "<br>top items: " + items, tip)
    m = _base_map(tuple(shapes.total_bounds), tiles)
    return _choropleth(m, shapes, "events", "hotspot events", log=True)


def standalone_html(m: folium.Map) -> str:
    """The map as one self-contained HTML page that draws with no internet.

    Leaflet's JS and CSS are inlined from the installed ``django-js-lib-leaflet`` package; every
    other CDN script or stylesheet folium adds (jQuery, Bootstrap, awesome-markers, Font Awesome)
    is dropped, since these builders do not use them. Base tiles still point at their server and
    simply stay blank offline.

    Parameters
    ----------
    m
        A map from one of this module's builders.

    Returns
    -------
    str
        The HTML page.
    """
    page = m.get_root().render()
    js, css = leaflet_text()
    inline_js = f"<script>/* Leaflet (BSD-2-Clause), inlined */\n{js}\n</script>\n"
    inline_css = f"<style>/* Leaflet CSS, inlined */\n{css}\n</style>\n"
    page = _SCRIPT_SRC.sub(lambda mt: inline_js if "leaflet.js" in mt.group("url") else "", page)
    page = _CSS_LINK.sub(lambda mt: inline_css if "leaflet.css" in mt.group("url") else "", page)
    return page

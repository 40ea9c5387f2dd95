"""Folium map builders and the offline wrapper for maps shown in Streamlit.

Leaflet's JS/CSS come from an installed package (``django-js-lib-leaflet``) as ``data:`` URIs, so
a map draws with no internet, both inside the app (streamlit-folium loads the map's ``default_js``
/ ``default_css`` links in its iframe) and in exported HTML. Other CDN assets folium lists (jQuery,
Bootstrap, awesome-markers) are dropped: the maps here do not use them. Base tiles load when the
network allows; when it does not, Leaflet leaves failed tiles hidden and the cells still draw.
Every string from an upload is HTML-escaped before it reaches a tooltip, popup or legend.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
from collections.abc import Sequence
from functools import cache
from importlib import resources

import branca.element
import folium
import numpy as np
import pandas as pd
from jinja2 import Template

TILES = "OpenStreetMap"
RAMP: tuple[str, ...] = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
TOPIC_RAMP: tuple[str, ...] = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


def safe_text(value: object) -> str:
    """Escape a string for folium: HTML-escaped, and ``$`` / backtick / backslash neutralised,
    because folium puts tooltip and popup text inside JavaScript template literals."""
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


@cache
def _leaflet_file(name: str) -> bytes:
    root = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return (root / name).read_bytes()


@cache
def leaflet_assets() -> tuple[str, str]:
    """``data:`` URIs of the installed Leaflet JS and CSS (no network needed)."""
    js = base64.b64encode(_leaflet_file("leaflet.js")).decode()
    css = base64.b64encode(_leaflet_file("leaflet.css")).decode()
    return f"data:text/javascript;base64,{js}", f"data:text/css;base64,{css}"


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
    """A self-contained HTML page of ``fmap`` with Leaflet inlined (draws with no internet)."""
    offline(fmap)
    return fmap.get_root().render()


def _bins(values: np.ndarray, n: int) -> np.ndarray:
    """Class edges (quantiles, unique) for a choropleth of ``values``."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0, 1.0])
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, n + 1)))
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1])
    return edges


def _colour(values: np.ndarray, edges: np.ndarray, ramp: Sequence[str]) -> list[str]:
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    scaled = np.floor(idx * (len(ramp) - 1) / max(len(edges) - 2, 1)).astype(int)
    return [ramp[i] for i in scaled]


class Legend(branca.element.MacroElement):
    """A Leaflet control listing colour classes; title and labels are escaped text."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "atlas-legend");
                div.style.cssText = "background:rgba(255,255,255,.92);padding:6px 9px;" +
                    "border-radius:6px;font:12px/1.4 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)";
                var title = document.createElement("div");
                title.style.fontWeight = "bold";
                title.textContent = {{ this.title_json }};
                div.appendChild(title);
                var rows = {{ this.rows_json }};
                for (var i = 0; i < rows.length; i++) {
                    var row = document.createElement("div");
                    var sw = document.createElement("span");
                    sw.style.cssText = "display:inline-block;width:14px;height:10px;margin-right:6px;" +
                        "border:1px solid #999;background:" + rows[i][0];
                    row.appendChild(sw);
                    row.appendChild(document.createTextNode(rows[i][1]));
                    div.appendChild(row);
                }
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "Legend"
        # json.dumps + textContent: the browser never parses these strings as HTML
        self.title_json = json.dumps(str(title)).replace("</", "<\\/")
        self.rows_json = json.dumps([[c, str(t)] for c, t in rows]).replace("</", "<\\/")


def _fmt(value: float, share: bool) -> str:
    return f"{value:.0%}" if share else f"{value:,.0f}"


def base_map(
    bounds: Sequence[Sequence[float]] | None = None, tiles: str | None = TILES
) -> folium.Map:
    """An empty map fitted to ``bounds`` ([[south, west], [north, east]])."""
    fmap = folium.Map(
        tiles=tiles, control_scale=True, prefer_canvas=True, zoom_start=2, location=(20, 0)
    )
    if bounds is not None:
        fmap.fit_bounds(bounds)
    return fmap


def cells_layer(
    fmap: folium.Map,
    polygons: pd.DataFrame,
    value_column: str,
    legend_title: str,
    share: bool = False,
    name: str = "cells",
) -> folium.Map:
    """Add H3 cells coloured by ``value_column`` with escaped tooltips and popups, and a legend.

    ``polygons``: a GeoDataFrame with ``geometry``, ``h3_hex``, ``events``, ``users``,
    ``top_interests`` (plain text; escaped here) and ``value_column``.
    """
    values = polygons[value_column].to_numpy(dtype=float)
    edges = _bins(values, 5)
    ramp = TOPIC_RAMP if share else RAMP
    colours = _colour(values, edges, ramp)
    props = pd.DataFrame(
        {
            "cell": polygons["h3_hex"].astype(str).map(safe_text),
            "events": polygons["events"].map("{:,}".format),
            "users": polygons["users"].map("{:,}".format),
            "value": [_fmt(v, share) for v in values],
            "top": polygons["top_interests"].astype(str).map(safe_text),
            "colour": colours,
        }
    )
    features = [
        {"type": "Feature", "geometry": geom.__geo_interface__, "properties": prop}
        for geom, prop in zip(polygons.geometry, props.to_dict("records"), strict=True)
    ]
    aliases = ["cell", "events", "users", safe_text(legend_title), "top interests"]
    fields = ["cell", "events", "users", "value", "top"]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#555",
            "weight": 0.5,
            "fillOpacity": 0.72,
        },
        highlight_function=lambda f: {"weight": 2, "color": "#111"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    ).add_to(fmap)
    labels = [f"{_fmt(lo, share)} – {_fmt(hi, share)}" for lo, hi in itertools.pairwise(edges)]
    swatches = _colour((edges[:-1] + edges[1:]) / 2, edges, ramp)
    Legend(legend_title, list(zip(swatches, labels, strict=True))).add_to(fmap)
    return fmap


def regions_layer(fmap: folium.Map, regions: pd.DataFrame, name_column: str = "name") -> folium.Map:
    """Outline region polygons with an escaped tooltip of the region name and its events."""
    frame = regions.copy()
    frame["label"] = frame[name_column].astype(str).map(safe_text)
    frame["n"] = frame.get("events", pd.Series(0, index=frame.index)).map("{:,}".format)
    folium.GeoJson(
        frame[["label", "n", "geometry"]].to_json(),
        name="regions",
        style_function=lambda f: {"fill": False, "color": "#e4572e", "weight": 2},
        tooltip=folium.GeoJsonTooltip(fields=["label", "n"], aliases=["region", "events"]),
    ).add_to(fmap)
    return fmap


def points_layer(fmap: folium.Map, points: pd.DataFrame, label_column: str) -> folium.Map:
    """Circle markers (e.g. hotspots or one user's places) sized by ``events``, escaped tooltips."""
    size = points["events"].to_numpy(dtype=float)
    radius = 4 + 14 * np.sqrt(size / max(size.max(), 1.0)) if len(points) else size
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

"""A self-contained, offline HTML animation of a map playback (:class:`core.spacetime.playback.Playback`).

Leaflet's JS and CSS are inlined (:mod:`core.render.assets`), the cell polygons and the frames are
JSON data in the page, and a few lines of plain JavaScript step through the frames: play / pause,
speed, a slider and the period label. No base tiles unless asked for, so it plays with no network.
Every string that may come from an upload (topic labels, the title) is escaped with
:func:`core.render.maps.safe_text`, and the JSON is made safe to sit inside ``<script>``.
"""

from __future__ import annotations

import json

import numpy as np

from core.render.assets import leaflet_text
from core.render.maps import PALETTE, _fmt, safe_text
from core.spacetime import geo
from core.spacetime.playback import Playback

#: Playback speeds offered (frames per second).
SPEEDS = (0.5, 1.0, 2.0, 4.0)


def _script_json(value: object) -> str:
    """JSON that cannot close a ``<script>`` element or open a comment inside it."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _frames(playback: Playback, cell_index: np.ndarray) -> list[list[list]]:
    """Per period: [cell index, palette index, tooltip] of each cell with events."""
    cells = playback.cells
    level = np.clip(
        np.round(cells["scale"].to_numpy(dtype=np.float64) * (len(PALETTE) - 1)),
        0,
        len(PALETTE) - 1,
    ).astype(np.int64)
    counted = playback.value in ("events", "users")
    title = playback.value if counted else "share of " + safe_text(playback.value)
    values = cells["value"].to_numpy(dtype=np.float64)
    shown = (
        np.char.mod("%d", values.astype(np.int64))
        if counted
        else np.char.mod("%.0f%%", values * 100)
    )
    topics = np.array([safe_text(t) for t in cells["dominant_topic"].astype(str)], dtype=object)
    tips = (
        "<b>"
        + cells["h3_hex"].astype(str).to_numpy(dtype=object)
        + "</b><br>"
        + title
        + ": "
        + shown.astype(object)
        + "<br>events: "
        + np.char.mod("%d", cells["events"].to_numpy(dtype=np.int64)).astype(object)
        + "<br>users: "
        + np.char.mod("%d", cells["users"].to_numpy(dtype=np.int64)).astype(object)
        + "<br>top interest: "
        + topics
    )
    period_of = {p: i for i, p in enumerate(playback.periods)}
    which = cells["bin"].map(period_of).to_numpy(dtype=np.int64)
    rows = np.stack([cell_index, level], axis=1).tolist()
    frames: list[list[list]] = [[] for _ in playback.periods]
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(playback.periods) + 1))
    for p in range(len(playback.periods)):  # one pass per period (tens), not per row
        idx = order[bounds[p] : bounds[p + 1]]
        frames[p] = [[*rows[i], tips[i]] for i in idx.tolist()]
    return frames


def playback_html(
    playback: Playback,
    *,
    title: str = "Map playback",
    interval_ms: int = 1000,
    tiles_url: str | None = None,
) -> str:
    """The playback as one HTML page that plays offline.

    The cell shapes are written once and each frame lists only its cells (index, colour level and
    tooltip), so the page stays small for many periods; Leaflet is inlined from the bundled assets.

    Parameters
    ----------
    playback
        From :func:`core.spacetime.playback.playback_frames`.
    title
        Page and legend title (escaped).
    interval_ms
        Milliseconds per frame at speed 1x.
    tiles_url
        Optional tile URL template (``https://.../{z}/{x}/{y}.png``); the default draws the cells
        on a blank background and needs no network.

    Returns
    -------
    str
        The HTML page. ``window.atlasPlayback`` exposes ``show(i)``, ``frame()``, ``play()``,
        ``pause()`` for tests and embedding.
    """
    shapes = geo.cell_polygons(playback.cells[geo.CELL].to_numpy(dtype=np.uint64))
    position = {int(c): i for i, c in enumerate(shapes[geo.CELL].to_numpy(dtype=np.uint64))}
    cell_index = np.array(
        [position[int(c)] for c in playback.cells[geo.CELL].to_numpy(dtype=np.uint64)],
        dtype=np.int64,
    )  # distinct cells (hundreds), mapped once
    geometry = json.loads(shapes[["geometry"]].to_json(drop_id=True))
    data = {
        "cells": geometry,
        "frames": _frames(playback, cell_index),
        "periods": [safe_text(f"{p:%Y-%m-%d}") for p in playback.periods],
        "palette": list(PALETTE),
        "interval": int(interval_ms),
        "tiles": tiles_url,
    }
    js, css = leaflet_text()
    label = safe_text(title)
    scale = "log" if playback.log else "linear"
    swatches = "".join(
        f'<span style="display:inline-block;width:18px;height:12px;background:{c}"></span>'
        for c in PALETTE
    )
    speeds = "".join(
        f'<option value="{s:g}"{" selected" if s == 1.0 else ""}>{s:g}x</option>' for s in SPEEDS
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{label}</title>
<style>/* Leaflet CSS (BSD-2-Clause), inlined */
{css}
</style>
<style>
html, body {{ margin: 0; height: 100%; font: 13px sans-serif; }}
#map {{ position: absolute; top: 44px; bottom: 0; left: 0; right: 0; background: #f4f4f4; }}
#bar {{ height: 44px; display: flex; gap: 10px; align-items: center; padding: 0 10px; }}
#legend {{ position: absolute; bottom: 20px; left: 20px; z-index: 999; background: white;
  padding: 6px 8px; border: 1px solid #888; border-radius: 4px; }}
</style></head>
<body>
<div id="bar"><button id="play" type="button">Play</button>
<label>speed <select id="speed">{speeds}</select></label>
<input id="frame" type="range" min="0" max="{max(len(playback.periods) - 1, 0)}" value="0">
<b id="period"></b><span id="count"></span></div>
<div id="map"></div>
<div id="legend"><b>{label}: {safe_text(playback.value)}</b> ({scale} scale, fixed)<br>{swatches}<br>
<span>{_fmt(playback.lo)}</span><span style="float:right">{_fmt(playback.hi)}</span></div>
<script>/* Leaflet (BSD-2-Clause), inlined */
{js}
</script>
<script id="playback-data" type="application/json">{_script_json(data)}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById("playback-data").textContent);
  var map = L.map("map", {{ preferCanvas: false }});
  if (data.tiles) {{ L.tileLayer(data.tiles, {{ maxZoom: 19 }}).addTo(map); }}
  var layers = [];
  var hidden = {{ fillOpacity: 0, opacity: 0, weight: 0.5 }};
  var geo = L.geoJSON(data.cells, {{
    style: function () {{ return hidden; }},
    onEachFeature: function (feature, layer) {{ layers.push(layer); }}
  }}).addTo(map);
  if (layers.length) {{ map.fitBounds(geo.getBounds()); }} else {{ map.setView([20, 0], 2); }}
  var current = 0, timer = null;
  var slider = document.getElementById("frame"), label = document.getElementById("period");
  var count = document.getElementById("count"), button = document.getElementById("play");
  function show(i) {{
    current = ((i % data.periods.length) + data.periods.length) % data.periods.length;
    layers.forEach(function (layer) {{ layer.setStyle(hidden); layer.unbindTooltip(); }});
    var rows = data.frames[current] || [];
    rows.forEach(function (row) {{
      var colour = data.palette[row[1]];
      layers[row[0]].setStyle({{ fillColor: colour, color: colour, fillOpacity: 0.65, opacity: 1 }});
      layers[row[0]].bindTooltip(row[2]);
    }});
    label.innerHTML = data.periods[current];
    count.textContent = " " + rows.length + " cells";
    slider.value = current;
  }}
  function speed() {{ return parseFloat(document.getElementById("speed").value) || 1; }}
  function play() {{
    pause();
    timer = setInterval(function () {{ show(current + 1); }}, data.interval / speed());
    button.textContent = "Pause";
  }}
  function pause() {{
    if (timer) {{ clearInterval(timer); timer = null; }}
    button.textContent = "Play";
  }}
  button.addEventListener("click", function () {{ if (timer) {{ pause(); }} else {{ play(); }} }});
  document.getElementById("speed").addEventListener("change", function () {{ if (timer) {{ play(); }} }});
  slider.addEventListener("input", function () {{ pause(); show(parseInt(slider.value, 10)); }});
  if (data.periods.length) {{ show(0); }}
  window.atlasPlayback = {{ show: show, play: play, pause: pause,
    frame: function () {{ return current; }}, periods: data.periods }};
}})();
</script>
</body></html>
"""

"""Pure builders: uploaded strings are escaped; maps carry Leaflet locally and no CDN links."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from apptest_helpers import XSS_TITLE

from dashboard import charts, maps


def test_safe_text_neutralises_markup_and_template_literals() -> None:
    text = maps.safe_text(XSS_TITLE + " `x` \\")
    assert "<" not in text and "${" not in text and "`" not in text and "\\" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_offline_map_uses_only_inlined_leaflet() -> None:
    fmap = maps.base_map([[40.6, -74.1], [40.9, -73.8]])
    maps.offline(fmap)
    js = [url for _, url in fmap.default_js]
    css = [url for _, url in fmap.default_css]
    assert len(js) == 1 and js[0].startswith("data:text/javascript;base64,")
    assert len(css) == 1 and css[0].startswith("data:text/css;base64,")
    page = maps.standalone_html(fmap)
    assert not re.search(r'<script[^>]+src="https?://', page)
    assert not re.search(r'<link[^>]+href="https?://[^"]+\.css"', page)


def test_hotspot_tooltips_escape_uploaded_titles() -> None:
    spots = pd.DataFrame(
        {
            "hotspot": [1],
            "events": [120],
            "users": [30],
            "lat": [40.7],
            "lon": [-74.0],
            "radius_m": [400.0],
            "top_topics": ["coffee 60%"],
            "top_items": [XSS_TITLE],
        }
    )
    page = maps.standalone_html(maps.hotspots_map(spots))
    assert "<img src=x" not in page and "${alert(1)}" not in page
    # The tooltip text travels in the GeoJSON properties, where json.dumps writes "&" as \u0026.
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt; \\u0026#36;{alert(1)}" in page


def test_cells_map_is_fitted_to_the_chosen_area() -> None:
    from core.spacetime.geo import h3_cells

    cells = np.unique(h3_cells(np.array([40.70, 40.75, 51.5]), np.array([-74.0, -73.99, -0.1]), 7))
    frame = pd.DataFrame({"h3": cells, "h3_hex": [f"{c:x}" for c in cells]})
    frame["events"] = 5
    frame["users"] = 2
    fmap = maps.cells_map(frame, "events", [[40.6, -74.1], [40.9, -73.8]])
    fits = [c for c in fmap._children.values() if type(c).__name__ == "FitBounds"]
    assert len(fits) == 1 and fits[0].bounds == [[40.6, -74.1], [40.9, -73.8]]


def test_chart_labels_and_hovers_are_escaped() -> None:
    table = pd.DataFrame({"label": [XSS_TITLE], "size": [3], "top_titles": [[XSS_TITLE, "plain"]]})
    fig = charts.topic_sizes(table)
    data = fig.to_json()
    assert "<img src=x" not in data
    assert "&lt;img src=x onerror=alert(1)&gt;" in fig.data[0].y[0]
    recs = pd.DataFrame({"label": [XSS_TITLE], "item_id": ["i1"], "sequence": [0.4]})
    assert "<img" not in charts.score_parts(recs, ["sequence"], "t").to_json()

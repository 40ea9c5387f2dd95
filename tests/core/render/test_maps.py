"""Map builders: uploaded strings reach the HTML escaped; the standalone page needs no CDN."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.render import maps as maprender
from core.schema import ITEM, conform
from core.spacetime.heatmaps import HeatmapSpec, aggregate
from core.spacetime.hotspots import HotspotSpec, hotspots
from core.spacetime.regions import aggregate as region_aggregate
from core.spacetime.regions import load_regions

XSS = '<img src=x onerror=alert(1)>${alert(2)}"</script>'


def _raw_absent(page: str) -> bool:
    return "<img src=x" not in page and "onerror=alert(1)>" not in page


def _escaped_present(page: str) -> bool:
    # html.escape'd, then possibly JSON-escaped (\u0026lt;) inside the GeoJSON data.
    return "&lt;img src=x" in page or "\\u0026lt;img src=x" in page


@pytest.fixture
def log() -> tuple[pd.DataFrame, np.ndarray, tuple[str, ...]]:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 30, n).astype(str),
            "item_id": rng.choice(["i1", "i2"], n),
            "ts": "2026-03-02T10:00:00Z",
            "lat": 40.758 + rng.normal(0, 3e-4, n),
            "lon": -73.9855 + rng.normal(0, 3e-4, n),
            "item_text": XSS,
        }
    )
    events = conform(frame)
    labels = (XSS, "plain")
    item_topic = np.array([0 if i == "i1" else 1 for i in events[ITEM].cat.categories])
    return events, item_topic, labels


def test_h3_map_escapes_topic_labels_in_tooltips_and_legend(log):
    events, item_topic, labels = log
    cells = aggregate(events, item_topic, labels, HeatmapSpec(res=9)).cells
    for value in ("events", "users", XSS):
        page = maprender.standalone_html(maprender.h3_map(cells, value))
        assert _raw_absent(page) and _escaped_present(page), value


def test_hotspot_and_region_maps_escape_item_text_and_region_names(log):
    events, item_topic, labels = log
    spots = hotspots(events, item_topic, labels, HotspotSpec(eps_m=100, min_events=20))
    assert len(spots.hotspots) == 1
    page = maprender.standalone_html(maprender.hotspots_map(spots.hotspots))
    assert _raw_absent(page) and _escaped_present(page)
    regions = load_regions(layer="nyc_boroughs")
    regions.loc[regions["region"] == "Manhattan", "region"] = XSS
    figures = region_aggregate(events, item_topic, labels, regions=regions).regions
    page = maprender.standalone_html(maprender.regions_map(regions, figures))
    assert _raw_absent(page) and _escaped_present(page)


def test_standalone_html_inlines_leaflet_and_drops_cdn_assets(log):
    events, item_topic, labels = log
    cells = aggregate(events, item_topic, labels, HeatmapSpec(res=9)).cells
    page = maprender.standalone_html(maprender.h3_map(cells))
    assert not re.search(r'<script[^>]+src="https?://', page)
    assert not re.search(r'<link[^>]+href="https?://[^"]+\.css"', page)
    assert "Leaflet 1.9" in page and ".leaflet-container" in page  # JS and CSS inlined
    assert "L.map(" in page and "L.geoJson(" in page
    assert "$(" not in page.split("</style>")[-1].split("Leaflet (BSD-2-Clause)")[0]


def test_one_row_per_cell_and_known_values_are_required(log):
    events, item_topic, labels = log
    binned = aggregate(events, item_topic, labels, HeatmapSpec(res=9, period="how")).cells
    doubled = pd.concat([binned, binned])
    with pytest.raises(InvalidInputError, match="one row per cell"):
        maprender.h3_map(doubled)
    with pytest.raises(InvalidInputError, match="value: expected one of"):
        maprender.h3_map(binned.iloc[:1], "nope")


def test_colours_span_the_palette():
    fill, lo, hi = maprender.colours(np.array([1.0, 10.0, 100.0]), log=False)
    assert (lo, hi) == (1.0, 100.0)
    assert fill[0] == maprender.PALETTE[0] and fill[-1] == maprender.PALETTE[-1]


def test_safe_text_neutralises_markup_and_template_literal_syntax():
    from core.render.maps import safe_text

    out = safe_text("<b>x</b> `${alert(1)}` \\")
    assert out == "&lt;b&gt;x&lt;/b&gt; &#96;&#36;{alert(1)}&#96; &#92;"

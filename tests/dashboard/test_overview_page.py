"""Overview page: the default page shows tiles, top interests, emerging list, a map and findings;
the sample's planted truths are among the findings."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import ROOT, assert_clean, new_app

TRUTH = json.loads((ROOT / "assets" / "sample_truth.json").read_text())


@pytest.fixture(scope="module")
def overview():
    at = new_app()  # no page: the app opens on its default page
    return at


MARKERS = (" rose from ", " fell from ", " interests changed", " happen within ", " peaks at ")


def _findings(at) -> list[str]:
    """The findings' sentences (bold lines of the Findings block), markdown and HTML escapes
    undone (category labels such as "books > science fiction" are shown escaped)."""
    texts = [html.unescape(re.sub(r"\\(.)", r"\1", m.value.strip("*"))) for m in at.markdown]
    return [t for t in texts if any(k in t for k in MARKERS)]


def _components(node) -> list:
    found = [
        c
        for c in getattr(node, "children", {}).values()
        if type(c).__name__ == "UnknownElement"
        and c.proto.DESCRIPTOR.name == "ComponentInstance"
        and "folium" in c.proto.component_name
    ]
    for child in getattr(node, "children", {}).values():
        found += _components(child)
    return found


def test_opens_on_the_overview_with_tiles_chart_emerging_list_map_and_findings(overview) -> None:
    at = overview
    assert_clean(at)
    assert at.title[0].value == "Overview"
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Events"] == "158,557"  # the sample's known accepted count (test_data_page)
    assert tiles["Users"] == "3,000" and tiles["Items"] == "1,000"
    assert tiles["Time span"].endswith("days") and tiles["Located"].endswith("%")
    assert any("bundled sample" in i.value and "Data" in i.value for i in at.info)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any(s["layout"]["title"]["text"] == "Share of engagement" for s in specs)
    assert any(m.value == "**Emerging**" for m in at.markdown)
    assert any("pickleball" in m.value and "→" in m.value for m in at.markdown)  # the list
    assert len(_components(at.main)) == 1  # the folium map (streamlit-folium component)
    assert len(_findings(at)) >= 3
    links = {p.proto.page for p in at.get("page_link")}
    assert {"data", "interests", "atlas_map", "users", "model"} <= links


def test_the_planted_truths_are_among_the_findings(overview) -> None:
    from dashboard import cached
    from dashboard.components.dataset import STATE_KEY

    at = overview
    texts = _findings(at)
    start = pd.Timestamp(TRUTH["emerging_start"])
    emerging = [t for t in texts if " rose from " in t]
    assert emerging and TRUTH["emerging_topic"] in emerging[0].split(" rose from ")[0]
    assert f"after {start:%Y-%m-%d}" in emerging[0]

    # Name each found topic by the planted topic most of its items have (same cached facade).
    data = at.session_state[STATE_KEY]
    info = cached.topics(data.fingerprint, cached.AnalysisSpec(), data.events)
    items = data.events["item_id"].cat.categories
    planted = pd.Series([TRUTH["item_topic"][i] for i in items])
    named = planted.groupby(np.asarray(info.item_topic)).agg(lambda s: s.value_counts().index[0])
    rename = {info.labels[k]: v for k, v in named.items() if k >= 0}
    drift = next(t for t in texts if "interests changed" in t)
    pair = next(
        (rename[a], rename[b])
        for a in info.labels
        for b in info.labels
        if f"from {a} to {b}" in drift
    )
    sizes = pd.DataFrame(TRUTH["drifters"]).groupby(["from_topic", "to_topic"]).size()
    assert pair in set(sizes[sizes == sizes.max()].index)


def test_findings_export_as_markdown_and_csv(overview) -> None:
    keys = {b.proto.id for b in overview.get("download_button")}
    labels = [b.proto.label for b in overview.get("download_button")]
    assert "Markdown" in labels and "CSV" in labels, (keys, labels)


def test_a_log_without_locations_says_there_is_no_map(small_dataset) -> None:
    from dashboard.components.dataset import from_events

    events = small_dataset.events.assign(lat=np.nan, lon=np.nan)
    at = new_app(from_events("no places.csv", events))
    assert_clean(at)
    assert any("no locations" in i.value for i in at.info)
    assert not any("bundled sample" in i.value for i in at.info)

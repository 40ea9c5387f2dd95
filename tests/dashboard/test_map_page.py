"""Map page: cells, regions and hotspots views render; widgets change what is drawn."""

from __future__ import annotations

from apptest_helpers import assert_clean, new_app


def _cells_table(at) -> object:
    return at.dataframe[0].value


def test_cells_view_renders_on_the_sample_and_resolution_changes_the_cells() -> None:
    at = new_app(page="atlas_map")
    assert_clean(at)
    assert any("cells at H3 resolution 7" in c.value for c in at.caption)
    n7 = len(_cells_table(at))
    at.select_slider(key="map_res").set_value(5)
    at.run()
    assert_clean(at)
    assert any("cells at H3 resolution 5" in c.value for c in at.caption)
    assert len(_cells_table(at)) < n7


def test_time_stepper_moves_through_periods() -> None:
    at = new_app(page="atlas_map")
    total = _cells_table(at)["events"].sum()
    at.button(key="map_next").click()
    at.run()
    assert_clean(at)
    assert at.select_slider(key="map_step").value != "All time"
    assert _cells_table(at)["events"].sum() < total


def test_regions_and_hotspots_views_render() -> None:
    at = new_app(page="atlas_map")
    at.segmented_control(key="map_view").set_value("regions")
    at.run()
    assert_clean(at)
    assert "region" in _cells_table(at).columns
    at.segmented_control(key="map_view").set_value("hotspots")
    at.run()
    assert_clean(at)
    assert "hotspot" in _cells_table(at).columns


def test_renders_on_an_upload(small_dataset) -> None:
    import h3

    at = new_app(small_dataset, page="atlas_map")
    assert_clean(at)
    table = _cells_table(at)
    located = small_dataset.events.dropna(subset=["lat", "lon"])
    # the whole window at resolution 7: every located event once, in the cells h3-py names
    expected = {
        h3.latlng_to_cell(a, b, 7) for a, b in zip(located["lat"], located["lon"], strict=True)
    }
    assert int(table["events"].sum()) == len(located)
    assert len(table) == len(expected)


def _box(name: str, west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_uploaded_boundaries_count_the_events_inside_each_polygon() -> None:
    import json

    at = new_app(page="atlas_map")
    at.segmented_control(key="map_view").set_value("regions")
    at.run()
    at.selectbox(key="map_layer").set_value("upload")
    at.run()
    assert_clean(at)
    assert any("Upload a GeoJSON" in i.value for i in at.info)  # asks for the file first

    # Edges at a sixth decimal: the sample's coordinates have five, so no point lies on an edge.
    boxes = {
        "Midtown <b>&</b> downtown": (-74.030003, 40.700003, -73.930003, 40.800003),
        "Brooklyn": (-74.000003, 40.600003, -73.850003, 40.699997),
    }
    geojson = {
        "type": "FeatureCollection",
        "features": [_box(name, *box) for name, box in boxes.items()],
    }
    payload = json.dumps(geojson).encode()
    at.file_uploader(key="map_regions_file").set_value(
        ("mine.geojson", payload, "application/json")
    )
    at.run()
    assert_clean(at)
    table = _cells_table(at).set_index("region")
    events = at.session_state["atlas_dataset"].events
    for name, (west, south, east, north) in boxes.items():
        inside = events["lon"].between(west, east) & events["lat"].between(south, north)
        assert table.loc[name, "events"] == int(inside.sum()), name


def _period_label(at) -> str:
    starts = ("**All time", "**day of", "**week of", "**month of")
    return next(m.value for m in at.markdown if m.value.startswith(starts))


def test_play_steps_through_periods_on_one_colour_scale_and_pause_stops() -> None:
    at = new_app(page="atlas_map")
    assert _period_label(at) == "**All time**"
    at.button(key="map_play").click()
    at.run()
    assert_clean(at)
    seen = [at.select_slider(key="map_step").value]
    for _ in range(3):  # each run of the playing fragment moves one period on
        at.run()
        seen.append(at.select_slider(key="map_step").value)
    assert seen == sorted(seen) and len(set(seen)) == 4 and "All time" not in seen
    assert _period_label(at) == f"**week of {seen[-1]}**"
    assert any("colour scale fixed across all periods" in c.value for c in at.caption)
    assert at.button(key="map_play").proto.label == "Pause"
    at.button(key="map_play").click()
    at.run()
    stopped = at.select_slider(key="map_step").value
    at.run()
    assert at.select_slider(key="map_step").value == stopped
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Playback HTML (plays offline)" in labels


def test_a_widely_spread_log_starts_the_map_at_a_coarser_resolution(
    small_dataset, monkeypatch
) -> None:
    import h3

    from core.spacetime import geo
    from dashboard import cached

    located = small_dataset.events.dropna(subset=["lat", "lon"])
    per_res = {
        r: len({h3.latlng_to_cell(a, b, r) for a, b in zip(located.lat, located.lon, strict=True)})
        for r in (5, 6, 7)
    }
    assert per_res[6] < per_res[7]
    # as if the browser could draw only the res-6 cells: the map must start at res 6
    monkeypatch.setattr(geo, "MAP_CELLS", per_res[6])
    cached.map_res.clear()
    try:
        at = new_app(small_dataset, page="atlas_map")
        assert_clean(at)
        assert at.select_slider(key="map_res").value == 6
        assert any(
            f"starts at H3 resolution 6 ({per_res[6]:,} cells) instead of 7" in c.value
            for c in at.caption
        )
        assert len(_cells_table(at)) == per_res[6]
    finally:
        cached.map_res.clear()

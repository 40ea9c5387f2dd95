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
    at = new_app(small_dataset, page="atlas_map")
    assert_clean(at)
    assert len(_cells_table(at)) > 0

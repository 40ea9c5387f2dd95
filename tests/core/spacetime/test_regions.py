"""Region aggregates: uploaded GeoJSON / zipped shapefile, bundled boundaries, counts by hand."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from core.errors import InvalidInputError
from core.schema import ITEM, conform
from core.spacetime.regions import RegionSpec, aggregate, assign_regions, load_regions


def _squares_geojson() -> bytes:
    frame = gpd.GeoDataFrame(
        {"name": ["West", "East"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326
    )
    return frame.to_json().encode()


def _log() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u3", "u3"],
            "item_id": ["a", "c", "a", "a", "a"],
            "ts": ["2026-03-02T10:00:00Z"] * 5,
            "lat": [0.5, 0.5, 0.2, 0.5, 5.0],
            "lon": [0.5, 0.6, 1.5, 1.7, 5.0],
        }
    )
    return conform(frame)


def test_geojson_upload_counts_by_hand():
    regions = load_regions(_squares_geojson())
    assert regions["region"].tolist() == ["West", "East"]
    events = _log()
    item_topic = np.array([{"a": 0, "c": 1}[i] for i in events[ITEM].cat.categories])
    result = aggregate(events, item_topic, ("x", "y"), regions=regions)
    table = result.regions.set_index("region")
    assert table.loc["West", "events"] == 2 and table.loc["West", "users"] == 1
    assert table.loc["East", "events"] == 2 and table.loc["East", "users"] == 2
    assert table.loc["West", "share:y"] == pytest.approx(0.5)
    assert result.n_located == 5 and result.n_outside == 1


def test_zipped_shapefile_upload(tmp_path):
    frame = gpd.read_file(io.BytesIO(_squares_geojson()))
    frame.to_file(tmp_path / "squares.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in tmp_path.glob("squares.*"):
            archive.write(part, part.name)
    regions = load_regions(buffer.getvalue())
    assert sorted(regions["region"]) == ["East", "West"]
    assert assign_regions(np.array([0.5, 0.5]), np.array([1.5, 9.0]), regions).tolist() == [1, -1]


def test_bad_uploads_say_what_was_expected():
    with pytest.raises(InvalidInputError, match="expected GeoJSON or a zipped shapefile"):
        load_regions(b"not a geojson at all")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(InvalidInputError, match=r"expected a zipped shapefile \(a .shp inside\)"):
        load_regions(buffer.getvalue())
    points = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            }
        ],
    }
    with pytest.raises(InvalidInputError, match="expected Polygon/MultiPolygon"):
        load_regions(json.dumps(points).encode())


def test_bundled_layers_cover_new_york_and_the_sample_cities():
    countries = load_regions()
    lat = np.array([40.758, 51.507, 35.690, 39.904])
    lon = np.array([-73.986, -0.128, 139.692, 116.407])
    names = countries["region"].to_numpy()[assign_regions(lat, lon, countries)]
    assert names.tolist() == [
        "United States of America",
        "United Kingdom",
        "Japan",
        "People's Republic of China",
    ]
    boroughs = load_regions(layer="nyc_boroughs")
    lat = np.array([40.758, 40.650, 40.728, 40.845, 40.580])
    lon = np.array([-73.986, -73.950, -73.795, -73.865, -74.150])
    got = boroughs["region"].to_numpy()[assign_regions(lat, lon, boroughs)]
    assert got.tolist() == ["Manhattan", "Brooklyn", "Queens", "The Bronx", "Staten Island"]


def test_period_bins_and_unknown_layer():
    events = _log()
    result = aggregate(
        events, None, (), RegionSpec(period="D"), regions=load_regions(_squares_geojson())
    )
    assert result.regions["bin"].nunique() == 1 and result.regions["events"].sum() == 4
    with pytest.raises(InvalidInputError, match="layer: expected one of"):
        load_regions(layer="mars")


def test_polygons_passed_where_the_spec_goes_are_refused():
    with pytest.raises(
        InvalidInputError, match=r"spec: expected a RegionSpec \(polygons go in regions=\)"
    ):
        aggregate(_log(), None, (), load_regions(_squares_geojson()))


def test_invalid_rings_are_repaired_to_polygons_only():
    from shapely.geometry import Polygon

    # a square with a one-segment spike: make_valid's default gives Polygon + LineString
    spike = Polygon([(0, 0), (2, 0), (2, 2), (1, 2), (1, 3), (1, 2), (0, 2)])
    data = gpd.GeoDataFrame({"name": ["Spiky"]}, geometry=[spike], crs=4326).to_json().encode()
    regions = load_regions(data)
    assert regions.geometry.geom_type.tolist() == ["Polygon"]
    assert regions.geometry.area.tolist() == [4.0]
    every = load_regions()  # the bundled countries: every shape polygonal (tooltips draw)
    assert set(every.geometry.geom_type) <= {"Polygon", "MultiPolygon"}

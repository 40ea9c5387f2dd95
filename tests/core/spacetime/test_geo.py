"""H3 assignment: the vectorised path equals the h3-py reference; polygons hold their points."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from core.errors import InvalidInputError
from core.spacetime import geo


def test_vectorised_cells_equal_the_h3py_loop():
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(-80, 80, 5000), rng.uniform(-180, 180, 5000)
    for res in (0, 5, 8, 12):
        assert np.array_equal(geo.h3_cells(lat, lon, res), geo.h3_cells_loop(lat, lon, res))


def test_repeated_coordinates_take_the_distinct_path_and_agree():
    rng = np.random.default_rng(2)
    venues = rng.uniform([40.5, -74.2], [40.9, -73.7], size=(300, 2))
    pick = rng.integers(0, 300, 120_000)  # many check-ins at few venues
    lat, lon = venues[pick, 0], venues[pick, 1]
    assert np.array_equal(geo.h3_cells(lat, lon, 9), geo.h3_cells_loop(lat, lon, 9))


def test_known_cell_and_missing_locations_are_zero():
    cells = geo.h3_cells(np.array([40.7, np.nan, 91.0, 40.7]), np.array([-74.0, 1.0, 0.0, 999]), 8)
    assert cells[0] == h3.str_to_int(h3.latlng_to_cell(40.7, -74.0, 8))
    assert cells[1:].tolist() == [0, 0, 0]
    assert geo.cell_strings(cells).tolist() == [h3.latlng_to_cell(40.7, -74.0, 8), "", "", ""]


def test_bad_resolution_and_shapes_are_rejected():
    with pytest.raises(
        InvalidInputError, match=r"res: expected an H3 resolution 0\.\.15, found 16"
    ):
        geo.h3_cells(np.zeros(1), np.zeros(1), 16)
    with pytest.raises(InvalidInputError, match="lat/lon: expected two 1-d arrays"):
        geo.h3_cells(np.zeros(2), np.zeros(3), 8)


def test_cell_polygons_contain_their_points_and_drop_duplicates():
    lat = np.array([40.7, 40.7001, 51.5, np.nan])
    lon = np.array([-74.0, -74.0001, -0.12, 0.0])
    cells = geo.h3_cells(lat, lon, 8)
    shapes = geo.cell_polygons(cells)
    assert len(shapes) == len(set(cells[cells != 0].tolist()))
    assert shapes.crs.to_epsg() == 4326
    by_cell = dict(zip(shapes["h3"].tolist(), shapes.geometry, strict=True))
    for a, b, c in zip(lat[:3], lon[:3], cells[:3], strict=True):
        assert by_cell[int(c)].contains(shapely.Point(b, a))
    assert len(geo.cell_polygons(np.zeros(3, dtype=np.uint64))) == 0

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


def test_parent_cells_equal_h3_cell_to_parent():
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(-80, 80, 2000), rng.uniform(-180, 180, 2000)
    cells = geo.h3_cells(lat, lon, 10)
    for res in (0, 4, 7, 9, 10):
        expected = [h3.api.basic_int.cell_to_parent(int(c), res) for c in cells]
        assert geo.parent_cells(cells, res).tolist() == expected
    assert geo.parent_cells(np.array([0], dtype=np.uint64), 3).tolist() == [0]
    with pytest.raises(
        InvalidInputError, match="res: expected at most the cells' own resolution 10"
    ):
        geo.parent_cells(cells, 11)


def test_fit_res_keeps_a_compact_log_and_coarsens_a_spread_one():
    rng = np.random.default_rng(6)
    # 5,000 points within ~300 m of one spot: a handful of res-8 cells (~0.7 km^2 each).
    lat, lon = 40.7 + rng.normal(0, 0.002, 5000), -74.0 + rng.normal(0, 0.002, 5000)
    res, n = geo.fit_res(lat, lon, 8, max_cells=50)
    assert res == 8 and n == len(np.unique(geo.h3_cells(lat, lon, 8)))
    # 20,000 points over a continent: 20,000 distinct res-8 cells; 1,000 allowed.
    lat, lon = rng.uniform(30, 50, 20_000), rng.uniform(-120, -80, 20_000)
    per_res = {r: len(np.unique(geo.h3_cells(lat, lon, r))) for r in range(2, 9)}
    res, n = geo.fit_res(lat, lon, 8, max_cells=1000, coarsest=2)
    assert res == 3  # about 600 res-3 cells cover the box; res 4 needs about 4,000
    assert n == per_res[res] <= 1000 < per_res[res + 1]
    # Never coarser than asked: too spread even at the coarsest gets the coarsest.
    assert geo.fit_res(lat, lon, 8, max_cells=10, coarsest=5) == (5, per_res[5])
    with pytest.raises(InvalidInputError, match="coarsest: expected a resolution at most"):
        geo.fit_res(lat, lon, 5, coarsest=6)

"""Geometry primitives: H3 cells for located events (vectorised), cell polygons as a GeoDataFrame,
the one great-circle distance and the Earth radius it uses.

The vectorised path is h3ronpy (Rust, Apache-2.0), which assigns millions of points per second;
when it is not installed the plain h3-py scalar API is used in a comprehension (about 100x slower),
so results are identical either way.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from core.errors import InvalidInputError

try:  # the fast path; h3-py alone is exact but scalar
    import h3ronpy
    import h3ronpy.vector as _h3v
except ImportError:  # pragma: no cover - exercised only without h3ronpy
    h3ronpy = None
    _h3v = None

#: Cell index used for events without a valid location.
NO_CELL = np.uint64(0)
#: Points per thread below which one call is cheaper than splitting the work.
_CHUNK = 250_000
#: Column of cell ids in every frame this package returns.
CELL = "h3"
#: Mean Earth radius (IUGG), metres: the one radius every distance in the project uses.
EARTH_RADIUS_M = 6_371_008.8
#: Most cells a map draws at its default resolution: a browser stays responsive with this many
#: polygons; a log spread wider gets a coarser default (see :func:`fit_res`).
MAP_CELLS = 20_000
#: The coarsest resolution :func:`fit_res` falls back to (about 12,000 km^2 per cell).
COARSEST_DEFAULT_RES = 3

_RES_BITS = np.uint64(0xF) << np.uint64(52)


def check_res(res: int) -> int:
    """``res`` as an int when it is an H3 resolution 0..15.

    Parameters
    ----------
    res
        The resolution to check.

    Returns
    -------
    int

    Raises
    ------
    InvalidInputError
        If ``res`` is not an integer in 0..15.
    """
    if not isinstance(res, int | np.integer) or not 0 <= int(res) <= 15:
        raise InvalidInputError(f"res: expected an H3 resolution 0..15, found {res!r}")
    return int(res)


def valid_location(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """True where (lat, lon) is a finite WGS84 coordinate.

    Parameters
    ----------
    lat, lon
        Coordinates in degrees.

    Returns
    -------
    numpy.ndarray
        Boolean mask (latitude within ±90, longitude within ±180, both finite).
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    return np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)


def haversine_m(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (vectorised, broadcasts).

    Parameters
    ----------
    lat1, lon1
        First points.
    lat2, lon2
        Second points (broadcast against the first).

    Returns
    -------
    numpy.ndarray
        Distances in metres on a sphere of radius ``EARTH_RADIUS_M``.

    Examples
    --------
    >>> round(float(haversine_m(0.0, 0.0, 0.0, 1.0)))  # one degree of the equator
    111195
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def h3_cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """H3 cell (uint64) of every point; 0 where the point is missing or invalid.

    Parameters
    ----------
    lat, lon
        Degrees, same length.
    res
        H3 resolution 0..15 (8 is about 0.7 km^2 per cell).

    Returns
    -------
    numpy.ndarray of uint64.

    Raises
    ------
    InvalidInputError
        If the arrays differ in length or ``res`` is out of range.

    Examples
    --------
    >>> hex(int(h3_cells(np.array([40.7]), np.array([-74.0]), 8)[0]))
    '0x882a1072d7fffff'
    """
    res = check_res(res)
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    if lat.shape != lon.shape or lat.ndim != 1:
        raise InvalidInputError(
            f"lat/lon: expected two 1-d arrays of one length, found shapes {lat.shape}/{lon.shape}"
        )
    out = np.zeros(len(lat), dtype=np.uint64)
    ok = valid_location(lat, lon)
    if not ok.any():
        return out
    every = ok.all()
    la, lo = (lat, lon) if every else (lat[ok], lon[ok])
    cells = _assign_distinct(la, lo, res)
    if every:
        return cells
    out[ok] = cells
    return out


def _assign_distinct(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """Cells of valid points, computing each distinct coordinate once when the log repeats them
    (check-ins at venues repeat heavily; a hash pass is ~10x cheaper than an H3 assignment)."""
    n = len(lat)
    if n >= 100_000:
        probe = slice(0, n, max(1, n // 20_000))
        pairs = lat[probe] + 1j * lon[probe]
        if len(np.unique(pairs)) < 0.5 * len(pairs):
            code, distinct = pd.factorize(lat + 1j * lon)
            return _assign(
                np.ascontiguousarray(distinct.real), np.ascontiguousarray(distinct.imag), res
            )[code]
    return _assign(lat, lon, res)


def _assign(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    if _h3v is None:  # pragma: no cover
        return h3_cells_loop(lat, lon, res)
    n = len(lat)
    parts = min(os.cpu_count() or 1, max(1, n // _CHUNK))
    if parts == 1:
        return np.asarray(_h3v.coordinates_to_cells(lat, lon, res), dtype=np.uint64)
    # h3ronpy releases the GIL while it assigns, so threads use every core.
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    out = np.empty(n, dtype=np.uint64)

    def run(i: int) -> None:
        a, b = bounds[i], bounds[i + 1]
        out[a:b] = np.asarray(_h3v.coordinates_to_cells(lat[a:b], lon[a:b], res), dtype=np.uint64)

    list(_pool().map(run, range(parts)))
    return out


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="h3")


def h3_cells_loop(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """The plain h3-py loop (one Python call per point): the reference and the benchmark peer.

    Parameters
    ----------
    lat, lon, res
        As for :func:`h3_cells` (valid points only).

    Returns
    -------
    numpy.ndarray of uint64
    """
    to_cell = h3.api.basic_int.latlng_to_cell
    return np.fromiter(
        (to_cell(a, b, res) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)),
        dtype=np.uint64,
        count=len(lat),
    )


def parent_cells(cells: np.ndarray, res: int) -> np.ndarray:
    """The ancestor at resolution ``res`` of every cell (bit arithmetic on the H3 index, no Python
    loop): the resolution field is set to ``res`` and the digits finer than ``res`` to 7, as H3's
    ``cell_to_parent`` does. Cell 0 (no location) stays 0.

    Parameters
    ----------
    cells
        uint64 H3 cells, each at a resolution >= ``res``.
    res
        Target resolution 0..15.

    Returns
    -------
    numpy.ndarray of uint64
        The parent of each cell at ``res``.

    Raises
    ------
    InvalidInputError
        If ``res`` is out of range or finer than a cell's own resolution.

    Examples
    --------
    >>> hex(int(parent_cells(np.array([0x882A1072D7FFFFF], dtype=np.uint64), 5)[0]))
    '0x852a1073fffffff'
    """
    res = check_res(res)
    cells = np.asarray(cells, dtype=np.uint64)
    ok = cells != NO_CELL
    own = ((cells[ok] & _RES_BITS) >> np.uint64(52)).astype(np.int64)
    if own.size and own.min() < res:
        raise InvalidInputError(
            f"res: expected at most the cells' own resolution {int(own.min())}, found {res}"
        )
    finer = np.uint64((1 << (3 * (15 - res))) - 1)
    out = np.zeros_like(cells)
    out[ok] = (cells[ok] & ~_RES_BITS) | (np.uint64(res) << np.uint64(52)) | finer
    return out


def fit_res(
    lat: np.ndarray,
    lon: np.ndarray,
    preferred: int,
    max_cells: int = MAP_CELLS,
    coarsest: int = COARSEST_DEFAULT_RES,
) -> tuple[int, int]:
    """The finest resolution, at most ``preferred``, whose occupied cells number at most
    ``max_cells``: the default grid for a log, so that a widely spread log gets a coarser map instead
    of millions of polygons. Never coarser than ``coarsest`` (a log too spread even there gets it).

    Parameters
    ----------
    lat, lon
        Degrees of the events (invalid points are ignored).
    preferred
        The resolution wanted when the log is compact enough.
    max_cells
        The most occupied cells the chosen resolution may have.
    coarsest
        The coarsest resolution chosen.

    Returns
    -------
    ``(res, n_cells)``: the chosen resolution and its number of occupied cells.

    Raises
    ------
    InvalidInputError
        If ``preferred`` or ``coarsest`` is not a resolution, or ``coarsest > preferred``.

    Examples
    --------
    >>> lat, lon = np.array([40.700, 40.701]), np.array([-74.000, -74.001])  # ~140 m apart
    >>> fit_res(lat, lon, 9, max_cells=2), fit_res(lat, lon, 9, max_cells=1)
    ((9, 2), (6, 1))
    """
    preferred, coarsest = check_res(preferred), check_res(coarsest)
    if coarsest > preferred:
        raise InvalidInputError(
            f"coarsest: expected a resolution at most preferred {preferred}, found {coarsest}"
        )
    ok = valid_location(lat, lon)
    lat, lon = np.asarray(lat, dtype=np.float64)[ok], np.asarray(lon, dtype=np.float64)[ok]
    res = preferred
    n_cells = len(np.unique(h3_cells(lat, lon, res)))
    # H3's hierarchy only nests approximately (a point's coarse cell is not always its fine cell's
    # parent), so each level is counted from the points themselves, not from parents.
    while n_cells > max_cells and res > coarsest:
        res -= 1
        n_cells = len(np.unique(h3_cells(lat, lon, res)))
    return res, n_cells


def cell_strings(cells: np.ndarray) -> np.ndarray:
    """Hex strings ("882a1072d7fffff") of uint64 cells.

    Parameters
    ----------
    cells
        H3 cells as uint64.

    Returns
    -------
    numpy.ndarray
        Object array of strings; "" for cell 0.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if len(cells) == 0:
        return np.zeros(0, dtype=object)
    out = np.full(len(cells), "", dtype=object)
    ok = cells != NO_CELL
    if not ok.any():
        return out
    if h3ronpy is not None:
        arrow = h3ronpy.cells_to_string(pa.array(cells[ok]))
        out[ok] = pa.array(arrow).to_numpy(zero_copy_only=False)
    else:  # pragma: no cover
        out[ok] = pd.Series(cells[ok]).map("{:x}".format).to_numpy(dtype=object)
    return out


def cell_polygons(cells: np.ndarray) -> gpd.GeoDataFrame:
    """One polygon (EPSG:4326) per distinct non-zero cell: columns ``h3`` (uint64), ``h3_hex``,
    ``lat``, ``lon`` (cell centre), ``geometry``.

    Parameters
    ----------
    cells
        uint64 cell ids (duplicates and zeros are dropped).

    Returns
    -------
    geopandas.GeoDataFrame sorted by ``h3``.
    """
    cells = np.unique(np.asarray(cells, dtype=np.uint64))
    cells = cells[cells != NO_CELL]
    if len(cells) == 0:
        return gpd.GeoDataFrame(
            {CELL: np.zeros(0, np.uint64), "h3_hex": [], "lat": [], "lon": []},
            geometry=gpd.GeoSeries([], crs=4326),
            crs=4326,
        )
    if _h3v is not None:
        wkb = pa.array(_h3v.cells_to_wkb_polygons(pa.array(cells))).to_numpy(zero_copy_only=False)
        geometry = shapely.from_wkb(wkb)
    else:  # pragma: no cover
        rings = [h3.api.basic_int.cell_to_boundary(int(c)) for c in cells]
        geometry = shapely.polygons([[(lo, la) for la, lo in ring] for ring in rings])
    centre = shapely.centroid(geometry)
    return gpd.GeoDataFrame(
        {
            CELL: cells,
            "h3_hex": cell_strings(cells),
            "lat": shapely.get_y(centre),
            "lon": shapely.get_x(centre),
        },
        geometry=geometry,
        crs=4326,
    )

"""What both engines group an atlas's events by: calendar units, local hour of week and place
(H3 cell, country), each computed per event with the local code's rules.

``core.engines.tables`` re-exports every public name here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.spacetime import geo
from core.spacetime.filters import BASIS_LONGITUDE, BASIS_OFFSET, BASIS_UTC, PERIODS
from core.spacetime.regions import REGION, assign_regions, load_regions


def check_period(period: str) -> str:
    """The atlas period, checked.

    Parameters
    ----------
    period
        ``D``, ``W`` or ``M`` (hourly bins are not an atlas period).

    Returns
    -------
    str
        ``period`` unchanged.

    Raises
    ------
    InvalidInputError
        If it is any other value.
    """
    if period not in PERIODS or period == "H":
        raise InvalidInputError(f"period: expected one of D, W, M, found {period!r}")
    return period


def _units(ts_ns: np.ndarray, period: str) -> np.ndarray:
    """The calendar unit number of each time as core.spacetime.trends.time_bins counts them:
    hours, days, Monday-days (W) or months since the epoch."""
    stamps = np.asarray(ts_ns, dtype=np.int64).view("datetime64[ns]")
    if period == "W":
        days = stamps.astype("datetime64[D]").astype(np.int64)
        return days - (days + 3) % 7
    unit = {"H": "h", "D": "D", "M": "M"}[period]
    return stamps.astype(f"datetime64[{unit}]").astype(np.int64)


def bin_units(ts_ns: np.ndarray, period: str) -> np.ndarray:
    """Per-event bin key (int64) for grouping elsewhere; :func:`unit_labels` names it.

    Parameters
    ----------
    ts_ns
        Event times, UTC nanoseconds.
    period
        ``H``, ``D``, ``W`` or ``M``.

    Returns
    -------
    numpy.ndarray
        Hours, days, Monday-days or months since the epoch.
    """
    return _units(ts_ns, check_period(period) if period != "H" else period)


def unit_labels(units: np.ndarray, period: str) -> pd.DatetimeIndex:
    """The period start of each bin key of :func:`bin_units`.

    Parameters
    ----------
    units, period
        Bin keys and the period they count in.

    Returns
    -------
    pandas.DatetimeIndex
        UTC, named ``period``.
    """
    unit = {"H": "h", "D": "D", "W": "D", "M": "M"}[period]
    stamps = (
        np.asarray(units, dtype=np.int64).astype(f"datetime64[{unit}]").astype("datetime64[ns]")
    )
    return pd.DatetimeIndex(stamps, tz="UTC", name="period")


def local_how(ts_ns: np.ndarray, offset: np.ndarray, lon: np.ndarray, basis: str) -> np.ndarray:
    """Hour of week (Monday 00:00 = 0) in local time on a basis decided for the whole log, with
    core.spacetime.trends.local_times' rule (offset column, else longitude, else UTC).

    Parameters
    ----------
    ts_ns
        Event times, UTC nanoseconds.
    offset, lon
        Zone offset (minutes) and longitude per event, NaN where unknown.
    basis
        One of the BASIS_* names (:func:`time_basis`).

    Returns
    -------
    numpy.ndarray
        int64 in 0..167.
    """
    ts = np.asarray(ts_ns, dtype=np.int64).view("datetime64[ns]")
    if basis != "UTC":
        from_lon = np.round(np.asarray(lon, dtype=np.float64) / 15.0) * 60.0
        minutes = (
            np.where(np.isfinite(offset), offset, from_lon)
            if basis.endswith("(offset column)")
            else from_lon
        )
        minutes = np.where(np.isfinite(minutes), minutes, 0.0).astype(np.int64)
        ts = ts + minutes.astype("timedelta64[m]")
    hours = ts.astype("datetime64[h]").astype(np.int64)
    return (hours + 72) % 168


@functools.cache
def region_layer() -> tuple[gpd.GeoDataFrame, np.ndarray, tuple[str, ...]]:
    """The bundled countries layer the atlas counts regions in.

    Features that share a name are one region, as :func:`core.spacetime.regions.aggregate`
    factorises them.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, numpy.ndarray, tuple of str)
        The layer, each feature's region code and the region names.
    """
    layer = load_regions()
    code, names = pd.factorize(layer[REGION].astype(str))
    return layer, code.astype(np.int64), tuple(str(n) for n in names)


def place_keys(
    lat: np.ndarray, lon: np.ndarray, res: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each event of a batch counts: ``(located, h3, region)`` — valid-location mask, H3
    cell at ``res`` (0 where unlocated) and country code of :func:`region_layer` (-1 outside
    every country); what both engines group the count tables by.

    Parameters
    ----------
    lat, lon
        Degrees of the batch's events (NaN where unlocated).
    res
        H3 resolution of the atlas.

    Returns
    -------
    tuple of numpy arrays: bool, uint64 and int64, one entry per event.
    """
    ok = geo.valid_location(lat, lon)
    cells = np.zeros(len(lat), np.uint64)
    cells[ok] = geo.h3_cells(lat[ok], lon[ok], res)
    layer, code, _ = region_layer()
    hit = assign_regions(lat, lon, layer)
    return ok, cells, np.where(hit >= 0, code[hit], -1)


def time_basis(stats: Mapping[str, object]) -> str:
    """The time basis of the hour-of-week table from a log's stats: zone offsets where any event
    has one, else longitude where any is located, else UTC (the local code's order).

    Parameters
    ----------
    stats
        ``with_offset`` / ``with_lon`` counts of the accepted events.

    Returns
    -------
    str
        One of the ``core.spacetime.filters`` BASIS_* names.
    """
    if stats["with_offset"]:
        return BASIS_OFFSET
    return BASIS_LONGITUDE if stats["with_lon"] else BASIS_UTC


__all__ = [
    "bin_units",
    "check_period",
    "local_how",
    "place_keys",
    "region_layer",
    "time_basis",
    "unit_labels",
]

"""Aggregates by polygons: analyst-uploaded (GeoJSON or zipped shapefile) or bundled boundaries.

Bundled layers live in ``assets/regions/`` (see its README for sources and licences):
``"countries"`` (Natural Earth admin-0, public domain) and ``"nyc_boroughs"`` (US Census county
boundaries of the five boroughs, public domain). Points are matched to polygons with one geopandas
spatial join over the *distinct* coordinates, then counted with the same torch grouping as
:mod:`core.spacetime.grouping`.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from core.device import pick_device
from core.errors import InvalidInputError
from core.schema import USER, codes
from core.spacetime import geo
from core.spacetime.filters import EventFilter, located, topic_codes
from core.spacetime.grouping import bin_events, group_frames

REGIONS_DIR = Path(__file__).resolve().parents[2] / "assets" / "regions"
BUNDLED = {"countries": "countries.geojson", "nyc_boroughs": "nyc_boroughs.geojson"}
#: Column naming each region in every frame this module returns.
REGION = "region"
#: Attribute names tried, in order, for the region name of an upload.
NAME_CANDIDATES = (
    "region",
    "name",
    "name_en",
    "boro_name",
    "borough",
    "admin",
    "district",
    "county",
    "city",
    "state",
    "province",
    "zone",
    "neighborhood",
    "ntaname",
    "label",
    "id",
)


@dataclass(frozen=True)
class RegionSpec(EventFilter):
    """Filters plus the time ``period`` (as in :class:`core.spacetime.heatmaps.HeatmapSpec`) and device."""

    period: str | None = None
    device: str | None = None


@dataclass(frozen=True)
class RegionResult:
    """``regions``: per (region, bin) ``region``, ``bin``, ``events``, ``users``, ``dominant_topic``,
    ``dominant_share``, ``share:<label>``; ``by_topic``: per (region, bin, topic). ``n_outside``:
    located events in no polygon."""

    regions: pd.DataFrame
    by_topic: pd.DataFrame
    labels: tuple[str, ...]
    period: str | None
    basis: str
    n_events: int
    n_located: int
    n_outside: int


def _name_column(frame: gpd.GeoDataFrame, name: str | None) -> pd.Series:
    if name is not None:
        if name not in frame.columns:
            raise InvalidInputError(
                f"name: expected one of the upload's attributes {list(frame.columns)}, "
                f"found {name!r}"
            )
        return frame[name].astype(str)
    lowered = {str(c).lower(): c for c in frame.columns if c != frame.geometry.name}
    for candidate in NAME_CANDIDATES:
        if candidate in lowered:
            return frame[lowered[candidate]].astype(str)
    text = [c for c in lowered.values() if frame[c].dtype == object]
    if text:
        return frame[text[0]].astype(str)
    return pd.Series([f"region {i}" for i in range(len(frame))], index=frame.index)


def _read_upload(data: bytes) -> gpd.GeoDataFrame:
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise InvalidInputError(f"regions: expected a readable zip, found {exc}") from exc
        if not any(n.lower().endswith(".shp") for n in names):
            raise InvalidInputError(
                f"regions: expected a zipped shapefile (a .shp inside), found {names[:10]}"
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload.zip"
            path.write_bytes(data)
            return gpd.read_file(f"zip://{path}")
    try:
        return gpd.read_file(io.BytesIO(data))
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise InvalidInputError(
            f"regions: expected GeoJSON or a zipped shapefile, found unreadable bytes ({exc})"
        ) from exc


def load_regions(
    data: bytes | None = None, *, layer: str = "countries", name: str | None = None
) -> gpd.GeoDataFrame:
    """Polygons to aggregate by: an upload, or a bundled layer.

    Parameters
    ----------
    data
        Bytes of a GeoJSON file or a zipped shapefile; ``None`` = bundled ``layer``.
    layer
        Bundled layer when ``data`` is None: "countries" or "nyc_boroughs".
    name
        Attribute holding region names; default: the first of ``NAME_CANDIDATES`` present, else the
        first text attribute, else "region <i>".

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region`` (str) and ``geometry`` (EPSG:4326 polygons), plus the upload's attributes.

    Raises
    ------
    InvalidInputError
        Unreadable bytes, no polygons, unknown layer or name attribute.
    """
    if data is None:
        if layer not in BUNDLED:
            raise InvalidInputError(f"layer: expected one of {list(BUNDLED)}, found {layer!r}")
        frame = gpd.read_file(REGIONS_DIR / BUNDLED[layer])
    else:
        frame = _read_upload(bytes(data))
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    polygonal = frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not polygonal.any():
        raise InvalidInputError(
            f"regions: expected Polygon/MultiPolygon features, found "
            f"{sorted(set(frame.geometry.geom_type))}"
        )
    frame = frame[polygonal]
    frame = frame.set_crs(4326) if frame.crs is None else frame.to_crs(4326)
    invalid = ~frame.geometry.is_valid
    if invalid.any():  # rounded or hand-drawn rings self-touch; sjoin and dissolve need valid ones
        # "structure" keeps the polygonal result only: the default method can return a
        # GeometryCollection (polygon + a collapsed spike), whose tooltips folium cannot draw.
        fixed = shapely.make_valid(
            frame.geometry[invalid].to_numpy(), method="structure", keep_collapsed=False
        )
        frame.loc[invalid, frame.geometry.name] = fixed
    names = _name_column(frame, name)
    out = frame.drop(
        columns=[c for c in frame.columns if str(c).lower() == REGION], errors="ignore"
    )
    out.insert(0, REGION, names.to_numpy())
    return out.reset_index(drop=True)


def assign_regions(lat: np.ndarray, lon: np.ndarray, regions: gpd.GeoDataFrame) -> np.ndarray:
    """Index (row of ``regions``) of the polygon holding each point; -1 outside all or unlocated.

    Distinct coordinates are joined once (``geopandas.sjoin``, predicate "within"); where polygons
    overlap the first one wins.

    Parameters
    ----------
    lat, lon
        Coordinates in degrees (NaN where unlocated).
    regions
        Polygons in WGS84.

    Returns
    -------
    numpy.ndarray
        int64 region row per point.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    out = np.full(len(lat), -1, dtype=np.int64)
    ok = geo.valid_location(lat, lon)
    if not ok.any() or len(regions) == 0:
        return out
    pairs = np.stack([lon[ok], lat[ok]], axis=1)
    distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(distinct[:, 0], distinct[:, 1]), crs=4326)
    joined = gpd.sjoin(
        points, regions[["geometry"]].reset_index(drop=True), how="inner", predicate="within"
    )
    first = joined.groupby(level=0)["index_right"].min()
    hit = np.full(len(distinct), -1, dtype=np.int64)
    hit[first.index.to_numpy()] = first.to_numpy()
    out[ok] = hit[inverse.ravel()]
    return out


def aggregate(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    spec: RegionSpec | None = None,
    *,
    regions: gpd.GeoDataFrame | None = None,
) -> RegionResult:
    """Events, distinct users, dominant topic and topic mix per (region x time bin x topic).

    Parameters
    ----------
    events, item_topic, labels
        As in :func:`core.spacetime.heatmaps.aggregate`.
    spec
        Filters, period and device.
    regions
        From :func:`load_regions`; default the bundled "countries" layer.

    Returns
    -------
    RegionResult

    Raises
    ------
    InvalidInputError
        If ``spec`` is not a RegionSpec (polygons go in ``regions=``).
    """
    spec = RegionSpec() if spec is None else spec
    if not isinstance(spec, RegionSpec):
        raise InvalidInputError(
            f"spec: expected a RegionSpec (polygons go in regions=), found {type(spec).__name__}"
        )
    regions = load_regions() if regions is None else regions
    topic, labels = topic_codes(events, item_topic, labels)
    keep, n_events, lat, lon = located(events, spec, topic, labels)
    n_located = int(keep.sum())
    region_of = np.full(len(events), -1, dtype=np.int64)
    region_of[keep] = assign_regions(lat[keep], lon[keep], regions)
    keep &= region_of >= 0
    bin_code, bin_labels, basis = bin_events(events[keep], spec.period)
    # Features sharing a name (multi-part uploads) count as one region.
    name_code, names = pd.factorize(regions[REGION].astype(str))
    frame, by_topic = group_frames(
        name_code[region_of[keep]],
        np.asarray(names, dtype=object),
        bin_code,
        bin_labels,
        topic[keep],
        labels,
        codes(events[USER])[0][keep],
        pick_device(spec.device),
        REGION,
    )
    return RegionResult(
        regions=frame,
        by_topic=by_topic,
        labels=tuple(labels),
        period=spec.period,
        basis=basis,
        n_events=n_events,
        n_located=n_located,
        n_outside=n_located - int(keep.sum()),
    )

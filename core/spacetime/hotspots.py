"""Hotspots: density-based clusters of event locations (DBSCAN, haversine), with their interests.

Events are first snapped to a grid of ``grid_m`` metres and each occupied grid point is weighted by
its event count, so DBSCAN sees thousands of weighted points instead of millions of events; a
cluster's core needs ``min_events`` events within ``eps_m`` metres. Only the grid points near a
voxel dense enough to hold a core point are clustered (``density_clusters``), so the cost grows
with the dense part of the map, not with the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN

from core.errors import InvalidInputError
from core.schema import ITEM, ITEM_TEXT, USER, codes
from core.spacetime.filters import EventFilter, located, topic_codes
from core.spacetime.geo import EARTH_RADIUS_M, haversine_m
from core.spacetime.grouping import distinct_count

#: How many topics and items each hotspot lists.
TOP = 3


@dataclass(frozen=True)
class HotspotSpec(EventFilter):
    """Filters plus DBSCAN's radius ``eps_m`` (metres), density ``min_events`` (events within
    ``eps_m`` that make a core point; default: 0.2% of the located events, at least 10) and the
    snapping grid ``grid_m`` (metres, <= eps_m / 2; default eps_m / 4); clusters with fewer than ``min_users``
    distinct users are dropped."""

    eps_m: float = 300.0
    min_events: int | None = None
    grid_m: float | None = None
    min_users: int = 3


@dataclass(frozen=True)
class HotspotResult:
    """``hotspots``: one row per cluster, largest first: ``hotspot`` (1..n), ``events``, ``users``,
    ``lat``, ``lon`` (event-weighted centre), ``radius_m`` (farthest grid point from the centre),
    ``dominant_topic``, ``dominant_share``, ``top_topics`` and ``top_items`` (text, "name (share)"),
    ``share:<label>``. ``event_hotspot``: hotspot id of every input event (0 = none / filtered out /
    unlocated)."""

    hotspots: pd.DataFrame
    event_hotspot: np.ndarray
    labels: tuple[str, ...]
    n_events: int
    n_located: int


def _snap(lat: np.ndarray, lon: np.ndarray, grid_m: float) -> np.ndarray:
    """Grid point index of every location (dense codes, numbered in order of first appearance)."""
    step = grid_m / (EARTH_RADIUS_M * np.pi / 180)  # degrees of latitude per grid step
    row = np.floor(lat / step)
    lon_step = step / np.maximum(np.cos(np.radians(row * step)), 1e-6)
    col = np.floor(lon / lon_step)
    # (row, col) as one integer: factorizing it numbers the points as the pair would, ~10x quicker
    row_code = pd.factorize(row)[0].astype(np.int64)
    col_code, cols = pd.factorize(col)
    return pd.factorize(row_code * len(cols) + col_code)[0]


#: Bits per axis of a voxel key (three axes in one int64).
_BITS = 21
#: The finest voxel side (unit-sphere chord) the keys can hold; finer radii use this side.
_MIN_SIDE = 2.0 ** (2 - _BITS)


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(n, 3) points on the unit sphere."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)


def density_clusters(
    lat: np.ndarray, lon: np.ndarray, weight: np.ndarray, eps_m: float, min_weight: int
) -> np.ndarray:
    """DBSCAN (haversine ``eps_m``, ``min_weight`` summed weight for a core point) of weighted points.

    The same labels as ``sklearn.cluster.DBSCAN(eps=eps_m / R, min_samples=min_weight,
    metric="haversine")`` with ``sample_weight=weight``, at a cost that grows with the dense part
    of the data only: points become 3-d unit vectors (the chord is monotone in the great-circle
    distance, so the neighbourhoods are the same) binned in voxels of one chord radius; a point's
    neighbours lie in its own and the 26 adjacent voxels, so a voxel whose 27 voxels weigh less
    than ``min_weight`` holds no core point. DBSCAN then runs (a k-d tree in 3-d) on the points
    next to a voxel that may hold one, in their original order, so clusters are numbered and
    border points are assigned as on the whole set.

    Parameters
    ----------
    lat, lon
        Degrees, (n,).
    weight
        Positive weight of each point, (n,).
    eps_m
        Neighbourhood radius in metres (> 0).
    min_weight
        Summed weight within ``eps_m`` (the point included) that makes a core point.

    Returns
    -------
    numpy.ndarray
        (n,) int64 cluster of each point (0, 1, ... in DBSCAN's order; -1 for noise).
    """
    labels = np.full(len(lat), -1, dtype=np.int64)
    if len(lat) == 0:
        return labels
    xyz = _unit_xyz(lat, lon)
    chord = 2.0 * np.sin(min(eps_m / EARTH_RADIUS_M, np.pi) / 2.0)
    side = max(chord, _MIN_SIDE)
    half = 1 << (_BITS - 1)
    vox = np.floor(xyz / side).astype(np.int64) + half
    key = (vox[:, 0] << (2 * _BITS)) | (vox[:, 1] << _BITS) | vox[:, 2]
    voxels, point_voxel = np.unique(key, return_inverse=True)
    point_voxel = point_voxel.reshape(-1)
    voxel_weight = np.bincount(point_voxel, weights=weight, minlength=len(voxels))
    steps = np.array([-1, 0, 1], dtype=np.int64)
    offsets = (
        (steps[:, None, None] << (2 * _BITS)) + (steps[None, :, None] << _BITS) + steps
    ).ravel()
    # The 27 neighbour voxels of every voxel (index into ``voxels``, -1 where empty).
    wanted = voxels[:, None] + offsets[None, :]
    at = np.minimum(np.searchsorted(voxels, wanted), len(voxels) - 1)
    neighbour = np.where(voxels[at] == wanted, at, -1)
    bound = np.where(neighbour >= 0, voxel_weight[np.maximum(neighbour, 0)], 0.0).sum(axis=1)
    may_hold_core = bound >= min_weight
    if not may_hold_core.any():
        return labels
    near = np.zeros(len(voxels), dtype=bool)
    reached = neighbour[may_hold_core]
    near[reached[reached >= 0]] = True
    subset = np.flatnonzero(near[point_voxel])  # ascending: the original order
    model = DBSCAN(eps=chord, min_samples=min_weight, algorithm="kd_tree")
    labels[subset] = model.fit_predict(xyz[subset], sample_weight=weight[subset])
    return labels


def _top_text(group: np.ndarray, value: np.ndarray, names: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, "a (40%), b (25%), c (10%)": the TOP most frequent values with their shares."""
    out = np.full(n_groups, "", dtype=object)
    if len(group) == 0:
        return out
    frame = pd.DataFrame({"g": group, "v": value}).value_counts().reset_index(name="n")
    frame["share"] = frame["n"] / frame.groupby("g")["n"].transform("sum")
    frame = frame.sort_values(["g", "n"], ascending=[True, False], kind="stable")
    frame = frame.groupby("g").head(TOP)
    frame["text"] = (
        pd.Series(names[frame["v"].to_numpy()], index=frame.index).astype(str)
        + " ("
        + (frame["share"] * 100).round().astype(int).astype(str)
        + "%)"
    )
    joined = frame.groupby("g")["text"].agg(", ".join)
    out[joined.index.to_numpy()] = joined.to_numpy()
    return out


def hotspots(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    spec: HotspotSpec | None = None,
) -> HotspotResult:
    """Density clusters of located events, each with its dominant interests.

    Parameters
    ----------
    events, item_topic, labels
        As in :func:`core.spacetime.heatmaps.aggregate`.
    spec
        Filters and DBSCAN settings.

    Returns
    -------
    HotspotResult

    Raises
    ------
    InvalidInputError
        Non-positive ``eps_m`` / ``grid_m`` / ``min_events``, or ``grid_m > eps_m / 2``.
    """
    spec = HotspotSpec() if spec is None else spec
    min_events = spec.min_events
    grid_m = spec.eps_m / 4 if spec.grid_m is None else spec.grid_m
    if (
        spec.eps_m <= 0
        or grid_m <= 0
        or grid_m > spec.eps_m / 2
        or (min_events is not None and min_events < 1)
    ):
        raise InvalidInputError(
            f"spec: expected eps_m > 0, 0 < grid_m <= eps_m / 2, min_events >= 1, found "
            f"eps_m={spec.eps_m}, grid_m={grid_m}, min_events={spec.min_events}"
        )
    topic, labels = topic_codes(events, item_topic, labels)
    keep, n_events, lat_all, lon_all = located(events, spec, topic, labels)
    event_hotspot = np.zeros(len(events), dtype=np.int64)
    lat, lon = lat_all[keep], lon_all[keep]
    empty = _frame(labels)
    if len(lat) == 0:
        return HotspotResult(empty, event_hotspot, tuple(labels), n_events, 0)

    if min_events is None:
        min_events = max(10, round(0.002 * len(lat)))

    # Weighted grid points: count and mean position of the events in each.
    point = _snap(lat, lon, grid_m)
    n_points = int(point.max()) + 1
    weight = np.bincount(point, minlength=n_points).astype(np.float64)
    p_lat = np.bincount(point, lat, n_points) / weight
    p_lon = np.bincount(point, lon, n_points) / weight
    point_label = density_clusters(p_lat, p_lon, weight, spec.eps_m, min_events)
    n_clusters = int(point_label.max()) + 1
    if n_clusters == 0:
        return HotspotResult(empty, event_hotspot, tuple(labels), n_events, int(keep.sum()))

    # Number clusters 1..n by size (largest first).
    size = np.bincount(point_label[point_label >= 0], weight[point_label >= 0], n_clusters)
    order = np.argsort(-size, kind="stable")
    rank = np.empty(n_clusters, dtype=np.int64)
    rank[order] = np.arange(n_clusters)
    e_cluster = np.where(point_label[point] >= 0, rank[np.maximum(point_label[point], 0)], -1)
    event_hotspot[np.flatnonzero(keep)] = e_cluster + 1
    inside = e_cluster >= 0
    c = e_cluster[inside]
    n_topics = len(labels)
    counts = np.bincount(c, minlength=n_clusters)
    c_lat = np.bincount(c, lat[inside], n_clusters) / counts
    c_lon = np.bincount(c, lon[inside], n_clusters) / counts
    p_in = point_label >= 0
    p_cluster = rank[point_label[p_in]]
    dist = haversine_m(p_lat[p_in], p_lon[p_in], c_lat[p_cluster], c_lon[p_cluster])
    radius = np.zeros(n_clusters)
    np.maximum.at(radius, p_cluster, dist)
    users = distinct_count(c, codes(events[USER])[0][keep][inside], n_clusters)
    t = topic[keep][inside]
    mix = np.bincount(c * n_topics + t, minlength=n_clusters * n_topics).reshape(n_clusters, -1)
    shares = mix / counts[:, None]
    dominant = mix.argmax(axis=1)
    item_code, items = codes(events[ITEM])
    text = events[ITEM_TEXT].astype("object").to_numpy()
    # Name items by their text where the log has it (first text seen per item), else by id.
    first_text = pd.Series(text).groupby(item_code).first()
    item_names = np.array(items, dtype=object)  # a copy: asarray would alias the categories
    has_text = first_text.notna()
    item_names[first_text.index[has_text].to_numpy()] = first_text[has_text].to_numpy()
    frame = pd.DataFrame(
        {
            "hotspot": np.arange(1, n_clusters + 1),
            "events": counts,
            "users": users,
            "lat": c_lat,
            "lon": c_lon,
            "radius_m": radius,
            "dominant_topic": np.asarray(labels, dtype=object)[dominant],
            "dominant_share": shares[np.arange(n_clusters), dominant],
            "top_topics": _top_text(c, t, np.asarray(labels, dtype=object), n_clusters),
            "top_items": _top_text(c, item_code[keep][inside], item_names, n_clusters),
        }
    )
    share_frame = pd.DataFrame(shares, columns=[f"share:{label}" for label in labels])
    frame = pd.concat([frame, share_frame], axis=1)
    # A cluster made by one or two people (a home, a workplace) is not a shared hotspot.
    kept = users >= spec.min_users
    renumber = np.zeros(n_clusters + 1, dtype=np.int64)
    renumber[1:][kept] = np.arange(1, int(kept.sum()) + 1)
    frame = frame[kept].reset_index(drop=True)
    frame["hotspot"] = np.arange(1, len(frame) + 1)
    return HotspotResult(
        frame,
        renumber[event_hotspot],
        tuple(labels),
        n_events,
        int(keep.sum()),
    )


def _frame(labels: Sequence[str]) -> pd.DataFrame:
    columns = [
        "hotspot",
        "events",
        "users",
        "lat",
        "lon",
        "radius_m",
        "dominant_topic",
        "dominant_share",
        "top_topics",
        "top_items",
    ] + [f"share:{label}" for label in labels]
    return pd.DataFrame({c: [] for c in columns})

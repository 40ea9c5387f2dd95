"""Every spatio-temporal aggregate equals a brute-force pandas computation on random logs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from core.schema import ITEM, LAT, LON, TS, TZ_OFFSET, USER, conform
from core.spacetime import geo, heatmaps, regions, trends

LABELS = ("a", "b", "c")
PLACES = [(40.758, -73.9855), (40.7581, -73.9856), (51.5, -0.12), (35.68, 139.69), (0.5, 0.5)]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def logs(draw) -> tuple[pd.DataFrame, np.ndarray]:
    n = draw(st.integers(0, 40))
    users = draw(st.lists(st.sampled_from(["u1", "u2", "u3", "u4"]), min_size=n, max_size=n))
    items = draw(st.lists(st.sampled_from(["i1", "i2", "i3", "i4", "i5"]), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 21 * 24 * 60), min_size=n, max_size=n))
    place = draw(st.lists(st.integers(-1, len(PLACES) - 1), min_size=n, max_size=n))
    offsets = draw(st.lists(st.sampled_from([-300.0, 0.0, 540.0, np.nan]), min_size=n, max_size=n))
    lat = np.array([PLACES[p][0] if p >= 0 else np.nan for p in place])
    lon = np.array([PLACES[p][1] if p >= 0 else np.nan for p in place])
    frame = pd.DataFrame(
        {
            USER: users,
            ITEM: items,
            TS: pd.Timestamp("2026-03-01T00:00:00Z") + pd.to_timedelta(minutes, unit="m"),
            LAT: lat,
            LON: lon,
            TZ_OFFSET: offsets,
        }
    )
    events = conform(frame)
    n_items = len(events[ITEM].cat.categories)
    topic = draw(st.lists(st.integers(-1, 2), min_size=n_items, max_size=n_items))
    return events, np.array(topic, dtype=np.int64)


def _labelled(events: pd.DataFrame, item_topic: np.ndarray) -> pd.DataFrame:
    """Brute force: topic label per event by dict lookup, located rows only, cells by h3-py."""
    names = (*LABELS, "unassigned")
    lookup = dict(zip(events[ITEM].cat.categories, item_topic.tolist(), strict=True))
    out = events.assign(topic=[names[lookup[i]] for i in events[ITEM].astype(str)])
    return out


def _local(frame: pd.DataFrame) -> pd.Series:
    if frame[TZ_OFFSET].notna().any():
        est = (frame[LON] / 15).round() * 60
        minutes = frame[TZ_OFFSET].fillna(est).fillna(0)
    elif frame[LON].notna().any():
        minutes = ((frame[LON] / 15).round() * 60).fillna(0)
    else:
        minutes = pd.Series(0.0, index=frame.index)
    return frame[TS].dt.tz_localize(None) + pd.to_timedelta(minutes.astype(int), unit="m")


@SETTINGS
@given(logs(), st.sampled_from([None, "how", "D", "W"]))
def test_heatmap_equals_brute_force(log, period):
    events, item_topic = log
    result = heatmaps.aggregate(
        events, item_topic, LABELS, heatmaps.HeatmapSpec(res=9, period=period)
    )
    frame = _labelled(events, item_topic)
    frame = frame[frame[LAT].notna()].copy()
    frame["h3"] = geo.h3_cells_loop(frame[LAT].to_numpy(), frame[LON].to_numpy(), 9)
    if period is None:
        frame["bin"] = "all"
    elif period == "how":
        local = _local(frame)
        frame["bin"] = local.dt.dayofweek * 24 + local.dt.hour
    elif period == "D":
        frame["bin"] = frame[TS].dt.floor("D")
    else:
        day = frame[TS].dt.floor("D")
        frame["bin"] = day - pd.to_timedelta(day.dt.dayofweek, unit="D")
    assert result.n_located == len(frame) == result.cells["events"].sum()
    assert result.by_topic["events"].sum() == len(frame)

    expected = (
        frame.groupby(["h3", "bin", "topic"], observed=True)
        .agg(events=(USER, "size"), users=(USER, "nunique"))
        .reset_index()
        .sort_values(["h3", "bin", "topic"], ignore_index=True)
    )
    got = result.by_topic.assign(topic=result.by_topic["topic"].astype(str))
    got = got.sort_values(["h3", "bin", "topic"], ignore_index=True)
    assert got["h3"].astype("uint64").tolist() == expected["h3"].astype("uint64").tolist()
    assert got["bin"].tolist() == expected["bin"].tolist()
    assert got["topic"].tolist() == expected["topic"].tolist()
    assert got["events"].tolist() == expected["events"].tolist()
    assert got["users"].tolist() == expected["users"].tolist()

    per_cell = frame.groupby(["h3", "bin"]).agg(events=(USER, "size"), users=(USER, "nunique"))
    cells = result.cells.set_index(["h3", "bin"]).sort_index()
    per_cell = per_cell.sort_index()
    assert cells["events"].tolist() == per_cell["events"].tolist()
    assert cells["users"].tolist() == per_cell["users"].tolist()
    mix = pd.crosstab([frame["h3"], frame["bin"]], frame["topic"]) if len(frame) else None
    if mix is not None:
        for label in mix.columns:
            share = (mix[label] / mix.sum(axis=1)).sort_index()
            assert np.allclose(cells[f"share:{label}"].to_numpy(), share.to_numpy())
        top = mix.max(axis=1).sort_index()
        dominant = cells["dominant_topic"].to_numpy()
        assert (
            mix.sort_index().to_numpy()[
                np.arange(len(mix)), [list(mix.columns).index(d) for d in dominant]
            ]
            == top.to_numpy()
        ).all()


@SETTINGS
@given(logs(), st.sampled_from(["D", "W"]))
def test_period_counts_equal_brute_force(log, period):
    events, item_topic = log
    out = trends.period_counts(events, item_topic, LABELS, trends.TrendSpec(period=period))
    frame = _labelled(events, item_topic)
    assert out["events"].sum() == len(frame)
    if frame.empty:
        return
    day = frame[TS].dt.floor("D")
    frame["period"] = day if period == "D" else day - pd.to_timedelta(day.dt.dayofweek, unit="D")
    grouped = frame.groupby("period").agg(events=(USER, "size"), users=(USER, "nunique"))
    nonempty = out[out["events"] > 0].set_index("period")
    assert nonempty.index.tolist() == grouped.index.tolist()
    assert nonempty["events"].tolist() == grouped["events"].tolist()
    assert nonempty["users"].tolist() == grouped["users"].tolist()
    for label, count in frame.groupby(["period", "topic"]).size().items():
        assert nonempty.loc[label[0], f"n:{label[1]}"] == count


@SETTINGS
@given(logs())
def test_hour_of_week_equals_brute_force(log):
    events, _ = log
    grid, basis = trends.hour_of_week(events)
    local = _local(events)
    expected = pd.crosstab(local.dt.dayofweek, local.dt.hour) if len(events) else None
    assert grid.to_numpy().sum() == len(events)
    if expected is not None:
        for (dow, hour), count in expected.stack().items():
            assert grid.iloc[dow, hour] == count
    if events[TZ_OFFSET].notna().any():
        assert basis == trends.BASIS_OFFSET


@SETTINGS
@given(logs())
def test_regions_equal_point_in_polygon_brute_force(log):
    events, item_topic = log
    polygons = gpd.GeoDataFrame(
        {"region": ["nyc box", "tokyo box", "null island"]},
        geometry=[box(-74.1, 40.6, -73.9, 40.9), box(139.5, 35.5, 140.0, 36.0), box(0, 0, 1, 1)],
        crs=4326,
    )
    result = regions.aggregate(events, item_topic, LABELS, regions=polygons)
    frame = _labelled(events, item_topic)
    frame = frame[frame[LAT].notna()]
    name = np.full(len(frame), "", dtype=object)
    points = [Point(x, y) for x, y in zip(frame[LON], frame[LAT], strict=True)]
    for geom, region in zip(polygons.geometry, polygons["region"], strict=True):  # 3 polygons
        inside = np.array([geom.contains(p) for p in points], dtype=bool)
        name[inside & (name == "")] = region
    frame = frame.assign(region=np.where(name == "", None, name))
    assert result.n_outside == int((name == "").sum())
    expected = (
        frame.dropna(subset=["region"])
        .groupby("region")
        .agg(events=(USER, "size"), users=(USER, "nunique"))
    )
    got = result.regions.set_index("region").sort_index()
    assert got["events"].tolist() == expected["events"].tolist()
    assert got["users"].tolist() == expected["users"].tolist()

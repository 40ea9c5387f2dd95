"""Heatmap aggregates on a hand-computable log, CPU == GPU, text topics, and the heatmap CLI."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest
import torch

from core.cli import heatmap as heatmap_cli
from core.schema import ITEM, conform
from core.spacetime import geo
from core.spacetime.heatmaps import HeatmapSpec, aggregate, topics_from_text

TIMES_SQUARE = (40.7580, -73.9855)
SOHO = (51.5136, -0.1365)


@pytest.fixture
def log() -> pd.DataFrame:
    rows = [
        # user, item, ts (UTC), lat, lon
        ("u1", "a", "2026-03-02T14:00:00Z", *TIMES_SQUARE),
        ("u1", "a", "2026-03-02T14:30:00Z", *TIMES_SQUARE),
        ("u2", "c", "2026-03-02T14:10:00Z", *TIMES_SQUARE),
        ("u3", "a", "2026-03-03T09:00:00Z", *SOHO),
        ("u3", "b", "2026-03-03T09:00:00Z", np.nan, np.nan),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts", "lat", "lon"])
    frame["tz_offset_min"] = [-300, -300, -300, 0, 0]
    return conform(frame)


def _topics(events: pd.DataFrame) -> np.ndarray:
    mapping = {"a": 0, "b": 0, "c": 1}
    return np.array([mapping[i] for i in events[ITEM].cat.categories])


def test_cells_by_hand(log):
    result = aggregate(log, _topics(log), ("x", "y"), HeatmapSpec(res=8))
    ts_cell = int(geo.h3_cells(np.array([TIMES_SQUARE[0]]), np.array([TIMES_SQUARE[1]]), 8)[0])
    row = result.cells.set_index("h3").loc[ts_cell]
    assert (row["events"], row["users"]) == (3, 2)
    assert row["dominant_topic"] == "x" and row["dominant_share"] == pytest.approx(2 / 3)
    assert row["share:y"] == pytest.approx(1 / 3)
    assert result.n_events == 5 and result.n_located == 4
    assert result.cells["events"].sum() == result.n_located
    topic_rows = result.by_topic[result.by_topic["h3"] == ts_cell].set_index("topic")
    assert topic_rows.loc["x", "events"] == 2 and topic_rows.loc["x", "users"] == 1
    assert topic_rows.loc["y", "events"] == 1 and topic_rows.loc["y", "users"] == 1


def test_hour_of_week_bins_use_local_time(log):
    result = aggregate(log, None, (), HeatmapSpec(res=6, period="how"))
    assert result.basis == "local (offset column)"
    # New York: Monday 14:xx UTC -> 09:xx local = bin 9; London Tuesday 09:00 -> 24 + 9 = 33.
    counts = result.cells.groupby("bin")["events"].sum().to_dict()
    assert counts == {9: 3, 33: 1}
    assert result.labels == ("all",)


def test_filters_and_window_totals(log):
    spec = HeatmapSpec(res=8, start="2026-03-02T14:05:00Z", end="2026-03-03")
    result = aggregate(log, _topics(log), ("x", "y"), spec)
    assert result.n_events == 2 and result.cells["events"].sum() == 2
    only_y = aggregate(log, _topics(log), ("x", "y"), HeatmapSpec(topics=("y",)))
    assert only_y.by_topic["topic"].astype(str).unique().tolist() == ["y"]


def test_empty_selection_is_a_normal_result(log):
    result = aggregate(log, None, (), HeatmapSpec(users=("nobody",)))
    assert result.n_events == 0 and result.cells.empty and result.by_topic.empty


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_gives_the_same_numbers_as_cpu():
    from core.sample import bundled_event_log

    events = bundled_event_log()
    item_topic = np.arange(len(events[ITEM].cat.categories)) % 7
    labels = tuple(f"t{i}" for i in range(7))
    cpu = aggregate(events, item_topic, labels, HeatmapSpec(res=8, period="how", device="cpu"))
    gpu = aggregate(events, item_topic, labels, HeatmapSpec(res=8, period="how", device="cuda"))
    pd.testing.assert_frame_equal(cpu.cells, gpu.cells)
    pd.testing.assert_frame_equal(cpu.by_topic, gpu.by_topic)


def test_topics_from_text_keeps_the_most_frequent_texts():
    # Office and Gym tie at one item each: the documented rule keeps the first seen (Office).
    frame = pd.DataFrame(
        {
            "user_id": ["u"] * 6,
            "item_id": ["v1", "v2", "v3", "v4", "v5", "v6"],
            "ts": ["2026-01-01"] * 6,
            "item_text": ["Bar", "Bar", "Office", "Bar", "Gym", None],
        }
    )
    events = conform(frame)
    item_topic, labels = topics_from_text(events, max_topics=3)
    assert labels == ("Bar", "Office", "other")
    by_item = dict(zip(events[ITEM].cat.categories, item_topic.tolist(), strict=True))
    assert by_item == {"v1": 0, "v2": 0, "v3": 1, "v4": 0, "v5": 2, "v6": 2}


def test_topics_from_text_breaks_ties_by_first_appearance():
    frame = pd.DataFrame(
        {
            "user_id": ["u"] * 5,
            "item_id": ["v1", "v2", "v3", "v4", "v5"],
            "ts": ["2026-01-01"] * 5,
            "item_text": ["Gym", "Bar", "Office", "Bar", "Bar"],
        }
    )
    _, labels = topics_from_text(conform(frame), max_topics=3)
    # Bar (3) first; Gym and Office tie at 1 and Gym appears first in the log.
    assert labels == ("Bar", "Gym", "other")


def test_cli_writes_aggregates_and_a_standalone_map(tmp_path, log):
    src = tmp_path / "events.csv"
    frame = log.assign(ts=log["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    frame.to_csv(src, index=False)
    parser = argparse.ArgumentParser()
    heatmap_cli.add_arguments(parser)
    args = parser.parse_args([str(src), "--res", "8", "--out", str(tmp_path / "out")])
    assert heatmap_cli.main(args) == 0
    out = tmp_path / "out"
    cells = pd.read_parquet(out / "cells.parquet")
    assert cells["events"].sum() == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["events_located"] == 4 and summary["time_basis"] == "local (offset column)"
    page = (out / "map.html").read_text()
    assert "L.map(" in page and 'src="http' not in page
    for name in ("cells_by_topic", "hour_of_week", "regions", "hotspots"):
        assert (out / f"{name}.parquet").exists()


def _spread_log(tmp_path):
    rng = np.random.default_rng(3)
    n = 40  # points over the continental US: 40 distinct cells at any resolution down to 3
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i % 7}" for i in range(n)],
            "item_id": [f"i{i % 5}" for i in range(n)],
            "ts": pd.date_range("2026-03-01", periods=n, freq="h", tz="UTC").strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "lat": rng.uniform(30, 48, n),
            "lon": rng.uniform(-120, -75, n),
        }
    )
    src = tmp_path / "spread.csv"
    frame.to_csv(src, index=False)
    per_res = {r: len(np.unique(geo.h3_cells(frame.lat, frame.lon, r))) for r in range(0, 9)}
    return src, per_res


def _run_cli(tmp_path, src, *extra):
    parser = argparse.ArgumentParser()
    heatmap_cli.add_arguments(parser)
    args = parser.parse_args([str(src), *extra, "--out", str(tmp_path / "out")])
    assert heatmap_cli.main(args) == 0
    return json.loads((tmp_path / "out" / "summary.json").read_text())


def test_cli_gives_a_spread_log_a_coarser_default_grid_and_says_so(tmp_path, monkeypatch, capsys):
    src, per_res = _spread_log(tmp_path)
    monkeypatch.setattr(geo, "MAP_CELLS", 10)
    floor = geo.COARSEST_DEFAULT_RES
    fits = [r for r in range(floor, 9) if per_res[r] <= 10]
    expected = max(fits) if fits else floor
    summary = _run_cli(tmp_path, src)
    assert summary["res"] == summary["map_res"] == expected < 8
    assert summary["cells"] == summary["map_cells"] == per_res[expected]
    assert "spread widely" in summary["note"] and "pass --res 8" in capsys.readouterr().out
    cells = pd.read_parquet(tmp_path / "out" / "cells.parquet")
    assert cells["events"].sum() == 40
    assert set(cells["h3"].map(lambda c: (int(c) >> 52) & 0xF)) == {expected}


def test_cli_keeps_an_explicit_res_for_tables_and_draws_the_map_coarser(tmp_path, monkeypatch):
    src, per_res = _spread_log(tmp_path)
    monkeypatch.setattr(geo, "MAP_CELLS", 10)
    summary = _run_cli(tmp_path, src, "--res", "8")
    assert summary["res"] == 8 and summary["cells"] == per_res[8] == 40
    assert summary["map_res"] < 8 and summary["map_cells"] == per_res[summary["map_res"]]
    assert "the Parquet tables keep res 8" in summary["note"]


def test_cli_keeps_res_8_for_a_compact_log(tmp_path, log):
    src = tmp_path / "events.csv"
    log.assign(ts=log["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(src, index=False)
    summary = _run_cli(tmp_path, src)
    assert summary["res"] == summary["map_res"] == 8 and summary["note"] is None
    parser = argparse.ArgumentParser()
    heatmap_cli.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args([str(src), "--res", "16", "--out", "x"])

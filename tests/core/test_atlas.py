"""The analysis facade: each result equals the core function's, is computed once, and leaves the
log untouched."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from core import schema
from core.atlas import AnalysisSpec, Atlas, MapSpec
from core.errors import InvalidInputError
from core.spacetime import trends
from core.spacetime.heatmaps import HeatmapSpec, aggregate

#: The spec of every facade here: behaviour vectors (no language model needed), three topics.
SPEC = AnalysisSpec(source="behaviour", k=3)


def _log() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 600
    items = np.array([f"i{k}" for k in range(12)])
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 30, n).astype(str),
            "item_id": rng.choice(items, n),
            "ts": pd.Timestamp("2026-03-02", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 60 * 24 * 3600, n), unit="s"),
            "lat": 40.7 + rng.normal(0, 0.01, n),
            "lon": -74.0 + rng.normal(0, 0.01, n),
        }
    )
    frame.loc[0, "ts"] = pd.Timestamp("2026-03-02", tz="UTC")  # the log starts on a Monday
    return schema.conform(frame)


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    """One facade for the module: 600 random events of 30 users on 12 items."""
    return Atlas(_log(), SPEC)


def test_results_equal_the_core_functions_called_directly(atlas: Atlas) -> None:
    info = atlas.topic_info
    tspec = trends.TrendSpec(period="W")
    direct = trends.period_counts(atlas.events, info.item_topic, info.labels, tspec)
    pd.testing.assert_frame_equal(atlas.period_counts(tspec), direct)
    hspec = HeatmapSpec(res=7)
    cells = aggregate(atlas.events, info.item_topic, info.labels, hspec).cells
    pd.testing.assert_frame_equal(atlas.heatmap(hspec).cells, cells)


def test_each_result_is_computed_once_per_spec(atlas: Atlas) -> None:
    tspec = trends.TrendSpec(period="D")
    assert atlas.period_counts(tspec) is atlas.period_counts(tspec)
    assert atlas.timeline("W") is atlas.timeline("W")
    assert atlas.topics is atlas.topics
    assert atlas.period_counts(trends.TrendSpec(period="M")) is not atlas.period_counts(tspec)


def test_a_result_asked_for_while_it_computes_is_computed_once() -> None:
    fresh = Atlas(_log(), SPEC)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "done"

    first = threading.Thread(target=lambda: fresh._once("k", 1, slow))
    first.start()
    started.wait(10)
    got: list[str] = []
    second = threading.Thread(target=lambda: got.append(fresh._once("k", 1, slow)))
    second.start()
    time.sleep(0.2)
    assert got == []  # the second caller waits for the first, it does not compute
    release.set()
    first.join(10), second.join(10)
    assert got == ["done"] and len(calls) == 1


def test_a_failed_computation_is_made_again_by_the_next_caller() -> None:
    fresh = Atlas(_log(), SPEC)

    def boom() -> str:
        raise RuntimeError("first try fails")

    with pytest.raises(RuntimeError, match="first try"):
        fresh._once("k", 1, boom)
    assert fresh._once("k", 1, lambda: "second") == "second"


def test_warm_memoises_what_the_page_asks_for_later() -> None:
    fresh = Atlas(_log(), SPEC)
    assert not fresh.vectors_ready
    fresh.warm(lambda a: 1 / 0, lambda a: a.drift_ranking("W", 5)).join(60)  # an error is skipped
    assert fresh.vectors_ready
    warmed = fresh._memo["drift"][("W", 5)]
    assert fresh.drift_ranking("W", 5) is warmed


def test_the_whole_window_map_has_every_located_event_once(atlas: Atlas) -> None:
    cells = atlas.map_cells(MapSpec(res=7, period="W"), None)
    assert int(cells["events"].sum()) == len(atlas.events)
    weekly = atlas.heatmap(MapSpec(res=7, period="W").heatmap()).cells
    step = weekly["bin"].iloc[0]
    one = atlas.map_cells(MapSpec(res=7, period="W"), step)
    assert int(one["events"].sum()) == int(weekly.loc[weekly["bin"] == step, "events"].sum())


def test_complete_periods_drop_the_partial_edges(atlas: Atlas) -> None:
    tspec = trends.TrendSpec(period="W")
    counts = atlas.period_counts(tspec)
    kept = atlas.complete_periods(tspec)
    # the first week starts with the log; the last (60 days on, a Friday) ends after it
    assert kept["period"].iloc[0] == counts["period"].iloc[0]
    assert len(kept) == len(counts) - 1


def test_item_topic_labels_name_every_item(atlas: Atlas) -> None:
    labels = atlas.item_topic_labels
    assert set(labels) == set(atlas.events[schema.ITEM].cat.categories.astype(str))
    assert set(labels.values()) <= set(atlas.topic_info.labels)


def test_the_log_is_left_untouched() -> None:
    events = _log()
    before = schema.fingerprint(events)
    atlas = Atlas(events, SPEC)
    atlas.hotspots(MapSpec().hotspots())
    atlas.timeline("W")
    atlas.areas(3)
    assert schema.fingerprint(events) == before


def test_bad_input_says_what_was_expected() -> None:
    with pytest.raises(InvalidInputError, match="source: expected one of"):
        AnalysisSpec(source="magic")
    with pytest.raises(InvalidInputError, match="half_life_days: expected a positive number"):
        AnalysisSpec(half_life_days=0)
    with pytest.raises(InvalidInputError, match="events: expected the canonical columns"):
        Atlas(pd.DataFrame({"who": ["a"]}))


def test_the_new_item_report_is_memoised_and_a_cancelled_one_is_not_kept() -> None:
    from core.recsys.evaluate import ID_ONLY_MODEL
    from core.recsys.newitems import NEW_ITEMS
    from core.recsys.train import TrainSpec

    facade = Atlas(_log(), SPEC)  # behaviour vectors: no text read, so the ID-only model alone
    tspec = TrainSpec(d_model=16, n_heads=1, n_layers=1, epochs=3, max_len=8, warmup_steps=0)
    calls: list[int] = []

    def cancel(epoch: int, *_: float) -> bool:
        calls.append(epoch)
        return False

    assert facade.new_item_report(tspec, cancel).empty
    assert calls == [1]  # cancelled after the first epoch of the first model
    report = facade.new_item_report(tspec)
    assert set(report["segment"]) == {"all", NEW_ITEMS}
    assert ID_ONLY_MODEL in set(report["model"])
    assert "sequence model (SASRec)" not in set(report["model"])  # no text: no text model
    assert facade.new_item_report(tspec) is report

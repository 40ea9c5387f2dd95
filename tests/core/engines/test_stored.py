"""StoredAtlas answers from an atlas folder's tables what Atlas computes from the raw events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import schema
from core.atlas import AnalysisSpec, Atlas, MapSpec
from core.engines import AtlasSpec
from core.engines import local as local_engine
from core.engines.stored import NotInAtlasError, StoredAtlas
from core.engines.synth import messy_log
from core.errors import AtlasError
from core.io.ingest import IngestSpec
from core.spacetime.trends import EventFilter, TrendSpec


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("stored")
    a, b, items = messy_log(root / "in")
    spec = AtlasSpec(k=4, top=10, source="behaviour")
    local_engine.build([a, b], root / "atlas", items=str(items), spec=spec)
    files = local_engine.expand_inputs([a, b])
    events = local_engine.ingest_files(files, str(items), IngestSpec()).events
    return StoredAtlas.open(root / "atlas"), Atlas(events, AnalysisSpec(source="behaviour", k=4))


def test_topics_equal(pair):
    stored, atlas = pair
    assert stored.topic_info.labels == atlas.topic_info.labels
    np.testing.assert_array_equal(stored.topic_info.item_topic, atlas.topic_info.item_topic)
    assert stored.item_topic_labels == atlas.item_topic_labels


def test_period_counts_and_trends_equal(pair):
    stored, atlas = pair
    tspec = TrendSpec(period="W")
    pd.testing.assert_frame_equal(stored.period_counts(tspec), atlas.period_counts(tspec))
    pd.testing.assert_frame_equal(stored.complete_periods(tspec), atlas.complete_periods(tspec))
    pd.testing.assert_frame_equal(stored.top_interests(8, "W"), atlas.top_interests(8, "W"))


def test_hour_of_week_equal(pair):
    stored, atlas = pair
    got, basis = stored.hour_of_week(EventFilter())
    want, want_basis = atlas.hour_of_week(EventFilter())
    assert basis == want_basis
    pd.testing.assert_frame_equal(got, want, check_names=False, check_index_type=False)
    assert int(got.to_numpy().sum()) == stored.summary.events == 600


def test_map_cells_of_each_step_equal(pair):
    stored, atlas = pair
    mspec = MapSpec(res=8, period="W")
    assert len(stored.bins) == 13
    for step in stored.bins[:3]:
        got = stored.map_cells(mspec, step)
        want = atlas.map_cells(mspec, step)
        got, want = (f.sort_values("h3").reset_index(drop=True) for f in (got, want))
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_users_equal(pair):
    stored, atlas = pair
    tl = stored.timeline("W", ("u3",))
    want = atlas.timeline("W", ("u3",))
    pd.testing.assert_frame_equal(tl, want[list(tl.columns)], check_dtype=False)
    pd.testing.assert_frame_equal(
        stored.drift_ranking("W", 10), atlas.drift_ranking("W", 10), check_dtype=False
    )
    active = stored.most_active(5)
    want_active = atlas.most_active(5)
    assert list(active[schema.USER]) == list(want_active[schema.USER])
    assert list(active["events"]) == list(want_active["events"])
    mine = stored.user_events("u3")
    theirs = atlas.user_events("u3")
    assert len(mine) == len(theirs) > 0
    assert list(mine[schema.ITEM].astype(str)) == list(theirs[schema.ITEM].astype(str))
    assert stored.user_search("U1", 3) == ("u1", "u10", "u11")


def test_summary_equals_the_raw_events(pair):
    stored, atlas = pair
    got, want = stored.summary, atlas.summary
    assert (
        (got.events, got.users, got.items)
        == (want.events, want.users, want.items)
        == (
            600,
            40,
            24,
        )
    )
    assert got.start == want.start and got.end == want.end
    assert got.located_share == pytest.approx(want.located_share)


def test_what_is_not_stored_says_what_is(pair):
    stored, _ = pair
    with pytest.raises(NotInAtlasError, match=r"period: expected .*period 'W'.*found 'D'"):
        stored.period_counts(TrendSpec(period="D"))
    with pytest.raises(NotInAtlasError, match="found 'M'"):
        stored.timeline("M")
    with pytest.raises(NotInAtlasError, match="filter"):
        stored.hour_of_week(EventFilter(topics=("i1 / i21",)))
    with pytest.raises(NotInAtlasError, match=r"H3 resolution 8.*found 7"):
        stored.map_cells(MapSpec(res=7), stored.bins[0])
    with pytest.raises(NotInAtlasError, match="the whole window"):
        stored.map_cells(MapSpec(res=8), None)
    assert issubclass(NotInAtlasError, AtlasError) and issubclass(NotInAtlasError, ValueError)

"""Pages on real-looking data: outlying times stay out of the default window (counted, and the
analyst can widen it), drift moments are changes of topic, tables show readable times."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from apptest_helpers import assert_clean, new_app

from core import schema
from dashboard.components.dataset import from_events


@pytest.fixture(scope="module")
def clock_outliers(small_dataset):
    events = small_dataset.events.copy()
    # three events from a camera clock set years back
    events.loc[events.index[:3], schema.TS] = pd.Timestamp("2019-05-01 08:00", tz="UTC")
    return from_events("clock.csv", schema.conform(events), None, small_dataset.report)


def test_outlying_times_are_counted_and_left_out_of_the_default_window(clock_outliers) -> None:
    at = new_app(clock_outliers, page="interests")
    assert_clean(at)
    said = " ".join(c.value for c in at.caption)
    assert "3 events lie far outside the bulk of the data" in said
    assert "\\(from 2019\\-05\\-01\\)" in said
    slider = next(s for s in at.slider if s.key == "flt_trends_window")
    bulk_start = clock_outliers.events[schema.TS].iloc[3].date()
    assert slider.value[0] == bulk_start
    at.checkbox(key="flt_trends_whole").check()
    at.run()
    assert_clean(at)
    widened = next(s for s in at.slider if s.key == "flt_trends_window_all")
    assert widened.value[0] == dt.date(2019, 5, 1)


def test_drift_moments_name_only_changes_of_topic(small_dataset) -> None:
    at = new_app(small_dataset, page="users")
    assert_clean(at)
    tables = [d.value for d in at.dataframe if "before_topic" in d.value.columns]
    for table in tables:
        assert (table["before_topic"] != table["after_topic"]).all()
        assert table["change_period"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()  # a readable date
    history = at.dataframe[-1].value
    assert history[schema.TS].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()


def test_a_log_without_outliers_has_no_caption_or_checkbox(small_dataset) -> None:
    at = new_app(dataclasses.replace(small_dataset), page="interests")
    assert_clean(at)
    assert not any(c.key == "flt_trends_whole" for c in at.checkbox)

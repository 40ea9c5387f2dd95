"""The bulk time span: outliers years away are counted and left out; an even log keeps its span."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInputError
from core.spacetime.span import bulk_span


def _days(start: str, n: int) -> pd.Series:
    return pd.Series(pd.date_range(start, periods=n, freq="D", tz="UTC"))


def test_camera_clock_outliers_are_left_out_and_counted() -> None:
    bulk = _days("2026-03-01", 1000 // 10).repeat(10).reset_index(drop=True)  # 100 days
    odd = pd.Series(pd.to_datetime(["2019-01-01", "2019-01-02", "2099-12-31"], utc=True))
    span = bulk_span(pd.concat([odd, bulk], ignore_index=True))
    # 0.5 % of 1003 events is 5: the quantiles fall inside the bulk, the margin is 5 % of
    # ~99 days (~5 days): nothing from 2019 or 2099 is within it
    assert span.start == pd.Timestamp("2026-03-01", tz="UTC")
    assert span.end == pd.Timestamp("2026-06-08", tz="UTC")  # day 100
    assert (span.n_before, span.n_after, span.n_outside) == (2, 1, 3)
    assert span.first == pd.Timestamp("2019-01-01", tz="UTC")
    assert span.last == pd.Timestamp("2099-12-31", tz="UTC")
    assert "2 before 2026-03-01 (from 2019-01-01)" in span.describe()
    assert "1 after 2026-06-08 (up to 2099-12-31)" in span.describe()


def test_an_evenly_spread_log_keeps_its_whole_span() -> None:
    ts = _days("2026-01-01", 365)
    span = bulk_span(ts)
    assert (span.start, span.end) == (ts.iloc[0], ts.iloc[-1])
    assert span.n_outside == 0 and span.describe() == ""


def test_a_sparse_start_next_to_the_bulk_is_kept() -> None:
    # a few check-ins a day or two before the rest, as in a real log's first days
    lead = pd.Series(pd.to_datetime(["2012-04-17 22:54", "2012-04-18 10:00"], utc=True))
    bulk = _days("2012-04-19", 300).repeat(5).reset_index(drop=True)
    span = bulk_span(pd.concat([lead, bulk], ignore_index=True))
    assert span.start == lead.iloc[0] and span.n_outside == 0


def test_an_outlier_past_the_first_wide_gap_is_cut_with_everything_beyond() -> None:
    # 600 events over 100 days (the 2 outliers are under 0.5 %); 2099 and 2100 lie beyond a gap
    # far wider than 5 % of 100 days
    late = pd.Series(pd.to_datetime(["2099-01-01", "2100-01-01"], utc=True))
    span = bulk_span(pd.concat([_days("2026-01-01", 100).repeat(6), late], ignore_index=True))
    assert (span.end, span.n_after, span.n_before) == (pd.Timestamp("2026-04-10", tz="UTC"), 2, 0)


def test_bad_arguments_say_what_was_expected() -> None:
    with pytest.raises(InvalidInputError, match="ts: expected at least one event time"):
        bulk_span(pd.Series([], dtype="datetime64[ns, UTC]"))
    with pytest.raises(InvalidInputError, match="lower, upper: expected 0 <= lower < upper <= 1"):
        bulk_span(_days("2026-01-01", 3), lower=0.9, upper=0.1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=200))
def test_the_bulk_and_the_outliers_add_up(minutes: list[int]) -> None:
    ts = pd.Series(pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(minutes, unit="min"))
    span = bulk_span(ts)
    inside = ((ts >= span.start) & (ts <= span.end)).sum()
    assert inside + span.n_outside == len(ts)
    assert span.first <= span.start <= span.end <= span.last
    assert span.start in set(ts) and span.end in set(ts)

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from core.errors import InvalidInputError
from core.io.timeparse import as_utc, parse_times

T = pd.Timestamp("2012-04-03 18:00:09", tz="UTC")


def test_iso_with_and_without_offsets_all_become_utc():
    values = pd.Series(
        [
            "2012-04-03T18:00:09Z",
            "2012-04-03 20:00:09+02:00",
            "2012-04-03T13:00:09-0500",
            "2012-04-03 18:00:09",
        ]
    )
    parsed = parse_times(values)
    assert parsed.ts.tolist() == [T] * 4
    assert parsed.offset_min.tolist()[1:3] == [120.0, -300.0]
    assert np.isnan(parsed.offset_min.iloc[0]) and np.isnan(parsed.offset_min.iloc[3])


def test_log_format_with_weekday_and_zone():
    parsed = parse_times(
        pd.Series(["Tue Apr 03 18:00:09 +0000 2012", "Tue Apr 03 20:00:09 +0200 2012"])
    )
    assert parsed.ts.tolist() == [T, T]
    assert "Tue Apr 03" in parsed.describe()


def test_epoch_unit_follows_magnitude():
    assert parse_times(pd.Series(["1333476009"])).ts.tolist() == [T]
    assert parse_times(pd.Series(["1333476009000"])).ts.tolist() == [T]
    assert parse_times(pd.Series([1333476009000000])).ts.tolist() == [T]
    exact = parse_times(pd.Series(["1333476009001", "1333476009000"])).ts
    assert exact.iloc[0] - exact.iloc[1] == pd.Timedelta(milliseconds=1)


def test_a_few_bad_clocks_do_not_change_the_epoch_unit():
    parsed = parse_times(pd.Series(["1333476009", "0", "1333476010", "1333476011"]))
    assert parsed.ts.iloc[0] == T
    assert parsed.ts.iloc[1] == pd.Timestamp("1970-01-01", tz="UTC")
    assert parsed.describe().startswith("epoch seconds")


def test_missing_and_garbage_are_told_apart():
    parsed = parse_times(pd.Series(["", None, "  ", "garbage", "2012-13-45"]))
    assert parsed.missing.tolist() == [True, True, True, False, False]
    assert parsed.ts.isna().all()


def test_day_first_or_month_first_chosen_by_what_reads_more_values():
    day_first = parse_times(pd.Series(["03/04/2012 18:00", "25/04/2012 18:00"]))
    assert day_first.ts.dt.month.tolist() == [4, 4]
    month_first = parse_times(pd.Series(["04/03/2012 18:00", "04/25/2012 18:00"]))
    assert month_first.ts.dt.day.tolist() == [3, 25]


def test_mixed_formats_in_one_column():
    values = pd.Series(
        ["2012-04-03T18:00:09Z", "Tue Apr 03 18:00:09 +0000 2012", "1333476009", "x"]
    )
    parsed = parse_times(values)
    assert parsed.ts.iloc[:3].tolist() == [T] * 3
    assert pd.isna(parsed.ts.iloc[3])


def test_typed_timestamps_and_compact_dates():
    naive = pa.array([pd.Timestamp("2012-04-03 18:00:09")], pa.timestamp("us"))
    assert parse_times(naive).ts.tolist() == [T]
    compact = parse_times(pd.Series(["20120403", "20120404"]))
    assert compact.ts.dt.day.tolist() == [3, 4]


def test_values_without_a_zone_are_counted_as_naive():
    parsed = parse_times(
        pd.Series(["2012-04-03 18:00:09", "2012-04-03T18:00:09Z", "03/04/2012", "1333476009"])
    )
    assert parsed.naive == 2


def test_as_utc_reads_naive_as_utc_and_converts_zoned():
    assert as_utc("2026-02-01", "at") == pd.Timestamp("2026-02-01T00:00:00Z")
    assert str(as_utc("2026-02-01", "at").tz) == "UTC"
    assert as_utc("2026-02-01T09:00:00+09:00", "at") == pd.Timestamp("2026-02-01T00:00:00Z")


def test_as_utc_rejects_garbage_with_the_argument_name():
    with pytest.raises(InvalidInputError, match=r"^start: expected a timestamp .*found 'garbage'"):
        as_utc("garbage", "start")
    with pytest.raises(InvalidInputError, match="end: expected a timestamp"):
        as_utc(None, "end")

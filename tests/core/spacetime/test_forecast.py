"""Forecasts: intervals around the mean, a backtest next to seasonal-naive, refusal when too short."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError, TooLittleDataError
from core.spacetime.forecast import forecast


def _daily(n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    weekly = np.array([5, 5, 5, 5, 8, 20, 18])[t % 7]  # busy weekends
    values = 50 + 0.3 * t + weekly + rng.normal(0, 1.0, n)
    return pd.Series(values, index=pd.date_range("2026-01-05", periods=n, freq="D", tz="UTC"))


def test_seasonal_daily_series_gets_a_weekly_season_and_beats_naive():
    result = forecast(_daily(84), horizon=14)
    assert result.season_length == 7
    assert len(result.forecast) == 14
    assert result.forecast["period"].iloc[0] == pd.Timestamp("2026-03-30", tz="UTC")
    f = result.forecast
    assert (f["lower"] <= f["mean"]).all() and (f["mean"] <= f["upper"]).all()
    assert len(result.backtest) == result.holdout == 14
    assert result.method in ("ets", "arima")
    # Trend + season + small noise: the model must beat repeating last week.
    assert result.mae_model < result.mae_naive
    assert "seasonal-naive" in result.note


def test_seasonal_naive_baseline_repeats_the_last_season():
    series = _daily(40)
    result = forecast(series, horizon=7, holdout=7)
    train = series.to_numpy()[:-7]
    assert result.backtest["seasonal_naive"].to_numpy() == pytest.approx(train[-7:])
    assert result.mae_naive == pytest.approx(np.mean(np.abs(train[-7:] - series.to_numpy()[-7:])))


def test_short_series_is_refused_with_the_reason():
    with pytest.raises(TooLittleDataError, match=r"series has 5 points: need at least 9"):
        forecast(_daily(5), horizon=3)
    with pytest.raises(TooLittleDataError, match="leaves 6, fewer than the 8"):
        forecast(_daily(12), horizon=3, holdout=6)


def test_season_is_skipped_when_the_series_is_shorter_than_two_seasons():
    weekly = pd.Series(
        np.linspace(10, 30, 20), index=pd.date_range("2026-01-05", periods=20, freq="W-MON")
    )
    result = forecast(weekly, horizon=4)
    assert result.season_length == 1
    assert "52-point season" in result.note


def test_bad_arguments_name_what_was_expected():
    with pytest.raises(InvalidInputError, match="horizon: expected an integer >= 1"):
        forecast(_daily(30), horizon=0)
    with pytest.raises(InvalidInputError, match=r"series\.index: expected a DatetimeIndex"):
        forecast(pd.Series(np.arange(30.0)), horizon=3)
    irregular = _daily(30).iloc[[*range(10), *range(12, 30)]]
    with pytest.raises(InvalidInputError, match="regularly spaced"):
        forecast(irregular, horizon=3)

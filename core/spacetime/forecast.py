"""Forecasts of a topic's series with statsmodels, with intervals and an honest backtest.

Two model families are tried on the same holdout (the last ``holdout`` points): exponential
smoothing (ETS, additive damped trend, additive season when the series is long enough) and a
(seasonal) ARIMA. ``method="auto"`` keeps the one with the lower backtest MAE, then refits it on the
whole series. The backtest error is always reported next to the seasonal-naive forecast (repeat the
last season; last value when there is no season) on the same holdout, so the analyst sees whether
the model beats the simplest baseline.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InvalidInputError, TooLittleDataError

#: Season length per pandas frequency prefix (hourly data repeats daily, daily weekly, ...).
SEASONS = {"h": 24, "H": 24, "D": 7, "W": 52, "M": 12, "MS": 12, "ME": 12}
#: Points needed to fit a model, on top of the holdout.
MIN_FIT = 8
METHODS = ("auto", "ets", "arima")


@dataclass(frozen=True)
class ForecastResult:
    """A forecast with intervals and its backtest.

    ``forecast``: columns ``period``, ``mean``, ``lower``, ``upper`` (``level`` interval, clipped at
    0 for counts). ``backtest``: ``period``, ``actual``, ``model``, ``seasonal_naive`` on the holdout.
    ``mae_model`` / ``mae_naive``: mean absolute errors on that holdout. ``season_length``: 1 = no
    season used. ``note``: how the choice was made, in words.
    """

    method: str
    season_length: int
    level: float
    forecast: pd.DataFrame
    backtest: pd.DataFrame
    mae_model: float
    mae_naive: float
    holdout: int
    note: str


def _season_of(index: pd.DatetimeIndex) -> tuple[str, int]:
    freq = index.freqstr if index.freq is not None else pd.infer_freq(index)
    if freq is None:
        raise InvalidInputError(
            f"series.index: expected regularly spaced timestamps, found e.g. {list(index[:3])}"
        )
    prefix = freq.split("-")[0]
    return freq, SEASONS.get(prefix, SEASONS.get(prefix.rstrip("S"), 1))


def _seasonal_naive(train: np.ndarray, steps: int, m: int) -> np.ndarray:
    last = train[-m:] if m > 1 else train[-1:]
    return np.resize(last, steps).astype(np.float64)


def _fit_predict(
    kind: str, y: np.ndarray, steps: int, m: int, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, lower, upper for ``steps`` ahead of ``y`` with model ``kind``."""
    alpha = 1 - level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        if kind == "ets":
            from statsmodels.tsa.exponential_smoothing.ets import ETSModel

            model = ETSModel(
                pd.Series(y.astype(np.float64)),  # statsmodels' ETS prediction needs an index
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add" if m > 1 else None,
                seasonal_periods=m if m > 1 else None,
            )
            fit = model.fit(disp=False)
            frame = fit.get_prediction(start=len(y), end=len(y) + steps - 1).summary_frame(
                alpha=alpha
            )
            return (
                frame["mean"].to_numpy(),
                frame["pi_lower"].to_numpy(),
                frame["pi_upper"].to_numpy(),
            )
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        model = SARIMAX(
            y.astype(np.float64),
            order=(1, 1, 1),
            seasonal_order=(0, 1, 1, m) if m > 1 else (0, 0, 0, 0),
            enforce_stationarity=False,
            enforce_invertibility=False,
        )
        fit = model.fit(disp=False)
        frame = fit.get_forecast(steps).summary_frame(alpha=alpha)
        return (
            frame["mean"].to_numpy(),
            frame["mean_ci_lower"].to_numpy(),
            frame["mean_ci_upper"].to_numpy(),
        )


def forecast(
    series: pd.Series,
    horizon: int,
    *,
    method: str = "auto",
    season_length: int | None = None,
    level: float = 0.9,
    holdout: int | None = None,
) -> ForecastResult:
    """Forecast ``horizon`` steps of a regularly spaced series, with intervals and a backtest.

    The candidate models are scored on the same holdout as the seasonal-naive forecast; the best
    one is refitted on the whole series for the forecast itself.

    Parameters
    ----------
    series
        Values indexed by a regular DatetimeIndex (e.g. a topic's weekly counts from
        ``trends.period_counts``). Missing values count as 0.
    horizon
        Steps to forecast (>= 1).
    method
        "auto" (best backtest of ETS and ARIMA), "ets" or "arima".
    season_length
        Points per season; default from the frequency (hourly 24, daily 7, weekly 52, monthly 12).
        The season is used only when the training part holds at least two full seasons.
    level
        Prediction interval coverage, e.g. 0.9.
    holdout
        Points held out for the backtest; default ``horizon`` capped at a quarter of the series.

    Returns
    -------
    ForecastResult

    Raises
    ------
    TooLittleDataError
        If the series is too short to fit a model and still hold out a backtest; the message says
        how many points it has and how many are needed.
    InvalidInputError
        Bad horizon, method, level or an irregular index.
    """
    if not isinstance(series.index, pd.DatetimeIndex):
        raise InvalidInputError(
            f"series.index: expected a DatetimeIndex, found {type(series.index).__name__}"
        )
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InvalidInputError(f"horizon: expected an integer >= 1, found {horizon!r}")
    if method not in METHODS:
        raise InvalidInputError(f"method: expected one of {METHODS}, found {method!r}")
    if not 0 < level < 1:
        raise InvalidInputError(f"level: expected a coverage in (0, 1), found {level!r}")
    n = len(series)
    if n < MIN_FIT + 1:
        raise TooLittleDataError(
            f"series has {n} points: need at least {MIN_FIT + 1} ({MIN_FIT} to fit a model and 1 "
            "to check it on)"
        )
    freq, default_m = _season_of(series.index)
    m = int(season_length) if season_length is not None else default_m
    hold = int(holdout) if holdout is not None else int(min(horizon, max(1, n // 4)))
    if hold < 1 or n - hold < MIN_FIT:
        raise TooLittleDataError(
            f"series has {n} points: holding out {hold} for the backtest leaves {n - hold}, "
            f"fewer than the {MIN_FIT} needed to fit"
        )
    y = series.fillna(0).to_numpy(dtype=np.float64)
    train, test = y[:-hold], y[-hold:]
    m_used = m if m > 1 and len(train) >= 2 * m + 2 else 1
    naive = _seasonal_naive(train, hold, m_used)
    candidates = ("ets", "arima") if method == "auto" else (method,)
    scores: dict[str, tuple[float, np.ndarray]] = {}
    for kind in candidates:  # at most two model families, not a loop over data
        try:
            pred = _fit_predict(kind, train, hold, m_used, level)[0]
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.all(np.isfinite(pred)):
            scores[kind] = (float(np.mean(np.abs(pred - test))), pred)
    if not scores:
        raise TooLittleDataError(
            f"no model could be fitted to the {len(train)} training points ({candidates})"
        )
    best = min(scores, key=lambda k: scores[k][0])
    mae_model, pred = scores[best]
    m_full = m if m > 1 and n >= 2 * m + 2 else 1
    mean, lower, upper = _fit_predict(best, y, int(horizon), m_full, level)
    future = pd.date_range(series.index[-1], periods=int(horizon) + 1, freq=freq)[1:]
    nonneg = bool((y >= 0).all())
    clip = (lambda a: np.clip(a, 0, None)) if nonneg else (lambda a: a)
    out = pd.DataFrame(
        {"period": future, "mean": clip(mean), "lower": clip(lower), "upper": clip(upper)}
    )
    backtest = pd.DataFrame(
        {"period": series.index[-hold:], "actual": test, "model": pred, "seasonal_naive": naive}
    )
    mae_naive = float(np.mean(np.abs(naive - test)))
    tried = ", ".join(f"{k} MAE {v[0]:.3g}" for k, v in scores.items())
    note = (
        f"{best.upper()} chosen on a {hold}-point holdout ({tried}; seasonal-naive MAE "
        f"{mae_naive:.3g}); season length {m_full if m_full > 1 else 'none'}"
        + (
            ""
            if m_full == m
            else f" (the {m}-point season needs {2 * m + 2} points, series has {n})"
        )
    )
    return ForecastResult(
        method=best,
        season_length=m_full,
        level=level,
        forecast=out,
        backtest=backtest,
        mae_model=mae_model,
        mae_naive=mae_naive,
        holdout=hold,
        note=note,
    )

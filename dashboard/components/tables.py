"""Tables and labels for people: times formatted, items that share a title told apart."""

from __future__ import annotations

import pandas as pd

from core.display import distinct_labels, short_id

__all__ = ["distinct_labels", "readable", "short_id"]


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every timestamp column as text for people: ``2026-04-27`` when all of its
    times are midnights, ``2026-04-27 13:05`` otherwise (UTC); missing times stay empty."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            continue
        values = series.dt.tz_convert("UTC") if series.dt.tz is not None else series
        fmt = (
            "%Y-%m-%d"
            if (values.dropna() == values.dropna().dt.normalize()).all()
            else "%Y-%m-%d %H:%M"
        )
        out[col] = values.dt.strftime(fmt).fillna("")
    return out

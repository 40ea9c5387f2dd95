"""Map playback: H3 cells per calendar period on ONE colour scale, so frames compare.

:func:`playback_frames` returns every period's cells with a ``scale`` position (0..1) computed from
the range over all frames; :func:`core.render.playback.playback_html` turns it into an offline
HTML animation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.spacetime import geo
from core.spacetime.filters import PERIODS, EventFilter
from core.spacetime.heatmaps import HeatmapSpec, aggregate


@dataclass(frozen=True)
class PlaybackSpec(EventFilter):
    """Filters plus the grid: H3 ``res``, calendar ``period`` ("H", "D", "W", "M"), the ``value``
    coloured ("events", "users" or a topic label: its share), ``log`` (log colour scale for counts;
    shares are always linear) and ``device``."""

    res: int = 7
    period: str = "W"
    value: str = "events"
    log: bool = True
    device: str | None = None


@dataclass(frozen=True)
class Playback:
    """Frames of a map playback.

    ``cells``: one row per (period, cell) with events: ``bin`` (period start), ``h3``, ``h3_hex``,
    ``value``, ``scale`` (position of ``value`` on the fixed scale, 0..1), ``events``, ``users``,
    ``dominant_topic``. ``periods``: every period in order, empty ones included (a frame with no
    cells). ``lo`` / ``hi``: the scale's range over all frames; ``log``: whether it is a log scale.
    """

    cells: pd.DataFrame
    periods: tuple[pd.Timestamp, ...]
    value: str
    lo: float
    hi: float
    log: bool
    labels: tuple[str, ...]


def fixed_scale(values: np.ndarray, log: bool) -> tuple[np.ndarray, float, float]:
    """Position (0..1) of every value on one scale between the minimum and maximum of all of them.

    Parameters
    ----------
    values
        The values of every frame together.
    log
        Use log1p of the distance from the minimum.

    Returns
    -------
    tuple of (numpy.ndarray, float, float)
        The positions (all 1 when the range is empty), the minimum and the maximum.
    """
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return np.zeros(0), 0.0, 0.0
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    if hi <= lo:
        return np.ones_like(v), lo, hi
    if log:
        return np.log1p(v - lo) / np.log1p(hi - lo), lo, hi
    return (v - lo) / (hi - lo), lo, hi


def playback_frames(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    spec: PlaybackSpec | None = None,
) -> Playback:
    """Per-period H3 cells with one colour scale across all periods.

    Parameters
    ----------
    events, item_topic, labels
        As in :func:`core.spacetime.heatmaps.aggregate`.
    spec
        Filters, resolution, calendar period and the value to colour; default ``PlaybackSpec()``.

    Returns
    -------
    Playback

    Raises
    ------
    InvalidInputError
        If ``spec.period`` is not a calendar period or ``spec.value`` is not "events", "users"
        or a topic label.
    """
    spec = PlaybackSpec() if spec is None else spec
    if spec.period not in PERIODS:
        raise InvalidInputError(f"spec.period: expected one of {PERIODS}, found {spec.period!r}")
    base = {f.name: getattr(spec, f.name) for f in fields(EventFilter)}
    heat = aggregate(
        events,
        item_topic,
        labels,
        HeatmapSpec(**base, res=spec.res, period=spec.period, device=spec.device),
    )
    cells = heat.cells
    if spec.value in ("events", "users"):
        column, log = spec.value, spec.log
    elif f"share:{spec.value}" in cells.columns:
        column, log = f"share:{spec.value}", False
    else:
        raise InvalidInputError(
            f"spec.value: expected 'events', 'users' or one of {list(heat.labels)}, found "
            f"{spec.value!r}"
        )
    scale, lo, hi = fixed_scale(cells[column].to_numpy(dtype=np.float64), log)
    frame = pd.DataFrame(
        {
            "bin": cells["bin"].to_numpy(),
            geo.CELL: cells[geo.CELL].to_numpy(dtype=np.uint64),
            "h3_hex": cells["h3_hex"].to_numpy(dtype=object),
            "value": cells[column].to_numpy(dtype=np.float64),
            "scale": scale,
            "events": cells["events"].to_numpy(dtype=np.int64),
            "users": cells["users"].to_numpy(dtype=np.int64),
            "dominant_topic": cells["dominant_topic"].to_numpy(dtype=object),
        }
    )
    frame = frame.sort_values(["bin", geo.CELL], kind="stable").reset_index(drop=True)
    return Playback(
        cells=frame,
        periods=tuple(pd.Timestamp(p) for p in heat.bins),
        value=spec.value,
        lo=lo,
        hi=hi,
        log=log,
        labels=heat.labels,
    )

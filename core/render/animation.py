"""The map playback as an animated image (GIF): one static plotly figure per period, rendered by
kaleido with the local Chromium (:func:`core.io.export.figure_image`) and assembled with Pillow.

Every frame draws the cells of its period in the playback's colours (``Playback.cells["scale"]``,
one scale over all periods, so frames compare), on the same view, with the same colour bar and the
period in its title. The frames are figures first (:func:`playback_figures`), so what they show is
checked on the figure objects; :func:`playback_gif` only renders and assembles them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import BrowserUnavailableError, InvalidInputError
from core.render.maps import PALETTE, _fmt
from core.spacetime import geo
from core.spacetime.playback import Playback

#: Most frames an animated image holds (the most recent periods are kept).
MAX_FRAMES = 60
#: The colour bar's ticks, as positions on the fixed scale.
TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class AnimationSpec:
    """Size of each frame in pixels, milliseconds per frame, and the most frames kept."""

    width: int = 800
    height: int = 600
    interval_ms: int = 1000
    max_frames: int = MAX_FRAMES

    def __post_init__(self) -> None:
        if min(self.width, self.height, self.interval_ms, self.max_frames) < 1:
            raise InvalidInputError(
                "spec: expected width, height, interval_ms and max_frames >= 1, found "
                f"{self.width}, {self.height}, {self.interval_ms}, {self.max_frames}"
            )


def _level(scale: np.ndarray) -> np.ndarray:
    """Palette index of each position on the fixed scale (as the HTML playback colours them)."""
    top = len(PALETTE) - 1
    return np.clip(np.round(np.asarray(scale, dtype=np.float64) * top), 0, top).astype(np.int64)


def _rings(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Outline of every distinct cell: (distinct cells, lon/lat rows with a NaN row after each
    ring, start row and row count of each cell's block)."""
    import shapely

    shapes = geo.cell_polygons(cells)
    distinct = shapes[geo.CELL].to_numpy(dtype=np.uint64)
    xy, owner = shapely.get_coordinates(
        shapely.get_exterior_ring(shapes.geometry.to_numpy()), return_index=True
    )
    count = np.bincount(owner, minlength=len(distinct)) + 1  # + the NaN row that ends a ring
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    rows = np.full((int(count.sum()), 2), np.nan)
    rows[np.arange(len(owner)) + owner] = xy  # each block: its ring, then one NaN row
    return distinct, rows, start, count


def _gather(rows: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The blocks ``rows[start[i] : start[i] + count[i]]`` of the chosen cells, concatenated."""
    total = int(count.sum())
    first = np.repeat(np.cumsum(count) - count, count)
    return rows[np.repeat(start, count) + np.arange(total) - first]


def _ticks(playback: Playback) -> list[str]:
    """The value at each ``TICKS`` position of the fixed scale (the inverse of ``fixed_scale``)."""
    pos = np.asarray(TICKS)
    span = playback.hi - playback.lo
    value = playback.lo + (np.expm1(pos * np.log1p(span)) if playback.log else pos * span)
    if playback.value in ("events", "users"):
        return [_fmt(float(v)) for v in value]
    return [f"{100 * v:.0f} %" for v in value]


def playback_figures(
    playback: Playback,
    *,
    title: str = "Map playback",
    bounds: Sequence[float] | None = None,
    spec: AnimationSpec | None = None,
):
    """One static plotly figure per period: the period's cells in the fixed colours.

    Parameters
    ----------
    playback
        From :func:`core.spacetime.playback.playback_frames`.
    title
        Put before the period in every frame's title.
    bounds
        ``(south, west, north, east)`` in degrees: the view of every frame (default: all cells of
        all periods).
    spec
        Frame size and the most frames kept (the most recent periods).

    Returns
    -------
    list of plotly.graph_objects.Figure
        One per period (at most ``spec.max_frames``, the last ones), oldest first; each holds one
        filled trace per palette colour in use and one colour-bar trace, equal in every frame.

    Raises
    ------
    InvalidInputError
        If the playback has no periods or ``bounds`` is not four numbers south < north.
    """
    import plotly.graph_objects as go

    spec = AnimationSpec() if spec is None else spec
    periods = playback.periods[-spec.max_frames :]
    if not periods:
        raise InvalidInputError("playback: expected at least one period, found none")
    cells = playback.cells[playback.cells["bin"].isin(pd.DatetimeIndex(periods))]
    distinct, rows, start, count = _rings(cells[geo.CELL].to_numpy(dtype=np.uint64))
    if bounds is not None:
        if len(bounds) != 4 or not float(bounds[0]) < float(bounds[2]):
            raise InvalidInputError(f"bounds: expected (south, west, north, east), found {bounds}")
        south, west, north, east = (float(b) for b in bounds)
    elif len(cells):
        south, north = float(np.nanmin(rows[:, 1])), float(np.nanmax(rows[:, 1]))
        west, east = float(np.nanmin(rows[:, 0])), float(np.nanmax(rows[:, 0]))
    else:  # no cell in any period: the inhabited world
        south, west, north, east = -60.0, -180.0, 75.0, 180.0
    aspect = 1 / max(np.cos(np.radians((south + north) / 2)), 0.05)
    block = pd.Index(distinct).get_indexer(cells[geo.CELL].to_numpy(dtype=np.uint64))
    level = _level(cells["scale"].to_numpy(dtype=np.float64))
    period_of = pd.DatetimeIndex(periods).get_indexer(pd.DatetimeIndex(cells["bin"]))
    what = playback.value if playback.value in ("events", "users") else f"share of {playback.value}"
    colour_bar = go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        showlegend=False,
        hoverinfo="skip",
        marker={
            "color": [0.0],
            "cmin": 0.0,
            "cmax": 1.0,
            "colorscale": [[i / (len(PALETTE) - 1), c] for i, c in enumerate(PALETTE)],
            "showscale": True,
            "colorbar": {
                "title": {"text": what + (" (log scale)" if playback.log else "")},
                "tickvals": list(TICKS),
                "ticktext": _ticks(playback),
            },
        },
    )
    figures = []
    for p, period in enumerate(periods):  # at most max_frames periods
        here = period_of == p
        traces = []
        for lv in np.unique(level[here]):  # at most len(PALETTE) colours
            chosen = block[here & (level == lv)]
            path = _gather(rows, start[chosen], count[chosen])
            traces.append(
                go.Scatter(
                    x=path[:, 0],
                    y=path[:, 1],
                    mode="lines",
                    fill="toself",
                    fillcolor=PALETTE[lv],
                    line={"width": 0.5, "color": PALETTE[lv]},
                    name=f"level {lv}",
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        n_cells = int(here.sum())
        fig = go.Figure([*traces, colour_bar])
        fig.update_layout(
            title={"text": f"{title} · {pd.Timestamp(period):%Y-%m-%d} · {n_cells:,} cells"},
            width=spec.width,
            height=spec.height,
            plot_bgcolor="#f4f4f4",
            margin={"l": 50, "r": 20, "t": 60, "b": 40},
        )
        fig.update_xaxes(range=[west, east], title="longitude", showgrid=False)
        fig.update_yaxes(
            range=[south, north],
            title="latitude",
            showgrid=False,
            scaleanchor="x",
            scaleratio=aspect,
            constrain="domain",
        )
        figures.append(fig)
    return figures


def playback_gif(
    playback: Playback,
    *,
    title: str = "Map playback",
    bounds: Sequence[float] | None = None,
    spec: AnimationSpec | None = None,
) -> bytes:
    """The playback as an animated GIF that loops: one frame per period (see
    :func:`playback_figures`), ``spec.interval_ms`` each.

    Parameters
    ----------
    playback
        The map frames on one colour scale (``core.spacetime.playback``).
    title
        Shown above every frame, with the frame's period.
    bounds
        ``(south, west, north, east)`` of the view; None fits the cells.
    spec
        Frame size, interval and the most frames kept.

    Returns
    -------
    bytes
        The GIF file.

    Raises
    ------
    BrowserUnavailableError
        If kaleido, Pillow or a local Chromium is missing (no file is made).
    InvalidInputError
        As :func:`playback_figures`.
    """
    from core.io.export import ImageSpec, figure_image

    spec = AnimationSpec() if spec is None else spec
    try:
        import kaleido  # noqa: F401  (only to say clearly when it is missing)
        from PIL import Image
    except ImportError as exc:
        raise BrowserUnavailableError(
            f"animation: expected kaleido and Pillow for the animated image, found {exc.name!r} "
            "missing (pip install -r requirements.txt)"
        ) from exc
    figures = playback_figures(playback, title=title, bounds=bounds, spec=spec)
    size = ImageSpec(width=spec.width, height=spec.height, scale=1.0)
    frames = [Image.open(io.BytesIO(figure_image(f, "png", size))).convert("RGB") for f in figures]
    out = io.BytesIO()
    frames[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=spec.interval_ms,
        loop=0,
        optimize=False,
    )
    return out.getvalue()

"""Where interests happen: events and distinct users per (H3 cell x time bin x topic).

The counting itself is :func:`core.spacetime.grouping.group_frames` (torch on the picked device, so
CPU and GPU give the same integers), shared with :mod:`core.spacetime.regions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.device import pick_device
from core.errors import InvalidInputError
from core.schema import ITEM, ITEM_TEXT, LAT, LON, USER, codes
from core.spacetime import geo
from core.spacetime.filters import EventFilter, located, topic_codes
from core.spacetime.grouping import bin_events, factorize_cells, group_frames


@dataclass(frozen=True)
class HeatmapSpec(EventFilter):
    """Filters plus the grid: H3 ``res``, time ``period`` (None = one bin; "H" / "D" / "W" / "M"
    calendar periods in UTC; "how" / "hour" / "dow" cycles in local time) and ``device``
    ("auto", "cpu", "cuda", ...)."""

    res: int = 8
    period: str | None = None
    device: str | None = None


@dataclass(frozen=True)
class HeatmapResult:
    """Aggregates of one :class:`HeatmapSpec`.

    ``cells``: one row per (cell, bin) with events: ``h3`` (uint64), ``h3_hex``, ``bin``,
    ``events``, ``users``, ``dominant_topic``, ``dominant_share``, ``share:<label>`` per topic.
    ``by_topic``: one row per (cell, bin, topic) with events: ``h3``, ``bin``, ``topic``, ``events``,
    ``users``. ``n_events``: events passing the filters; ``n_located`` of them with a location
    (``cells.events.sum() == n_located``). ``basis``: the time basis of cycle bins.
    """

    cells: pd.DataFrame
    by_topic: pd.DataFrame
    labels: tuple[str, ...]
    bins: tuple
    res: int
    period: str | None
    basis: str
    n_events: int
    n_located: int
    device: str


def aggregate(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    spec: HeatmapSpec | None = None,
) -> HeatmapResult:
    """Events, distinct users, dominant topic and topic mix per (H3 cell x time bin x topic).

    Parameters
    ----------
    events
        Canonical EventLog; events without a valid lat/lon are counted in ``n_events`` only.
    item_topic
        Topic index per item category (``events[ITEM].cat.categories`` order), -1 = unassigned;
        ``None``: one topic "all".
    labels
        Topic labels indexed by ``item_topic``.
    spec
        Filters, resolution, period and device; default ``HeatmapSpec()`` (res 8, one time bin).

    Returns
    -------
    HeatmapResult

    Raises
    ------
    InvalidInputError
        Bad resolution, period, topic filter or ``item_topic`` shape.

    Examples
    --------
    >>> res = aggregate(log, None, (), HeatmapSpec(res=8, period="how"))  # doctest: +SKIP
    >>> res.cells.events.sum() == res.n_located  # doctest: +SKIP
    True
    """
    spec = HeatmapSpec() if spec is None else spec
    geo.check_res(spec.res)
    topic, labels = topic_codes(events, item_topic, labels)
    keep, n_events, lat, lon = located(events, spec, topic, labels)
    bin_code, bin_labels, basis = bin_events(events[keep], spec.period)
    cells = geo.h3_cells(lat[keep], lon[keep], spec.res)
    cell_code, uniques = factorize_cells(cells)
    user_code = codes(events[USER])[0][keep]
    topic = topic[keep]
    dev = pick_device(spec.device)
    cells_frame, by_topic = group_frames(
        cell_code, uniques, bin_code, bin_labels, topic, labels, user_code, dev, geo.CELL
    )
    cells_frame.insert(1, "h3_hex", geo.cell_strings(cells_frame[geo.CELL].to_numpy()))
    return HeatmapResult(
        cells=cells_frame,
        by_topic=by_topic,
        labels=tuple(labels),
        bins=tuple(bin_labels),
        res=spec.res,
        period=spec.period,
        basis=basis,
        n_events=n_events,
        n_located=int(keep.sum()),
        device=str(dev),
    )


def topics_from_text(
    events: pd.DataFrame, max_topics: int = 12
) -> tuple[np.ndarray, tuple[str, ...]]:
    """A quick topic assignment without a language model: each item's text is its topic.

    The ``max_topics - 1`` most frequent texts (e.g. venue categories) keep their own topic, the
    rest and items without text share "other". Texts with equal counts rank by first appearance in
    the log.

    Parameters
    ----------
    events
        Canonical EventLog.
    max_topics
        Topics at most, "other" included (>= 2).

    Returns
    -------
    tuple of (numpy.ndarray, tuple of str)
        ``(item_topic, labels)`` in the shape :func:`aggregate` takes.

    Raises
    ------
    InvalidInputError
        If ``max_topics`` is below 2 (one kept text and "other").
    """
    if max_topics < 2:
        raise InvalidInputError(f"max_topics: expected at least 2, found {max_topics}")
    item_code, items = codes(events[ITEM])
    text = events[ITEM_TEXT].astype("object")
    first = text.groupby(item_code).first().reindex(np.arange(len(items)))
    # Count per distinct text in order of first appearance; a stable sort keeps that order on ties.
    text_code, distinct = pd.factorize(text)
    counts = np.bincount(text_code[text_code >= 0], minlength=len(distinct))
    order = np.argsort(-counts, kind="stable")
    kept = tuple(str(t) for t in np.asarray(distinct, dtype=object)[order[: max_topics - 1]])
    labels = (*kept, "other") if len(distinct) > len(kept) or first.isna().any() else kept
    lookup = pd.Index(kept)
    topic = lookup.get_indexer(first.astype("object"))
    topic = np.where(topic < 0, len(kept), topic).astype(np.int64)
    return topic, labels


def default_res(
    events: pd.DataFrame,
    preferred: int = 7,
    coarsest: int = 5,
    max_cells: int | None = None,
) -> tuple[int, int]:
    """The map's default H3 resolution for a log: ``preferred``, or coarser (down to ``coarsest``)
    when the located events would occupy more than ``max_cells`` cells (default
    ``geo.MAP_CELLS``) — a log spread over a continent gets a map a browser can draw.

    Parameters
    ----------
    events
        Canonical EventLog (events without a location are ignored).
    preferred, coarsest
        The finest and the coarsest resolution to choose from.
    max_cells
        The most occupied cells the default may draw.

    Returns
    -------
    ``(res, n_cells)`` as :func:`core.spacetime.geo.fit_res` returns them.
    """
    limit = geo.MAP_CELLS if max_cells is None else max_cells
    lat = events[LAT].to_numpy(dtype=np.float64)
    lon = events[LON].to_numpy(dtype=np.float64)
    return geo.fit_res(lat, lon, preferred, max_cells=limit, coarsest=coarsest)

"""Where interests happen: events and distinct users per (H3 cell x time bin x topic).

Counting is one ``torch.bincount`` (or ``torch.unique`` when the key space is large) over a combined
integer key on the device that :func:`core.device.pick_device` picks, so CPU and GPU give the same
integers. No pandas ``apply``, no loop over rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.errors import InvalidInputError
from core.schema import ITEM, ITEM_TEXT, TS, USER, codes
from core.spacetime import geo
from core.spacetime.trends import EventFilter, local_times, located, time_bins, topic_codes

#: Above this many (cell x bin x topic) slots the dense bincount gives way to torch.unique.
DENSE_LIMIT = 64_000_000


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


def _dense_groups(key: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct keys (sorted) and how often each occurs."""
    if size <= DENSE_LIMIT:
        counts = torch.bincount(key, minlength=size)
        present = torch.nonzero(counts, as_tuple=True)[0]
        return present, counts[present]
    return torch.unique(key, sorted=True, return_counts=True)


def _distinct_per_group(
    group: torch.Tensor, user: torch.Tensor, n_groups: int, n_users: int
) -> torch.Tensor:
    """Distinct users in each group 0..n_groups-1 (group and user are dense int64 codes)."""
    if group.numel() == 0:
        return torch.zeros(n_groups, dtype=torch.int64, device=group.device)
    pairs = torch.unique(group * n_users + user)
    return torch.bincount(pairs // n_users, minlength=n_groups)


def factorize_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..C-1 of uint64 cells (in ascending cell order) and the distinct cells."""
    code, uniques = pd.factorize(cells)
    uniques = np.asarray(uniques, dtype=np.uint64)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[code], uniques[order]


def grouped_counts(
    cell_code: np.ndarray,
    bin_code: np.ndarray,
    topic_code: np.ndarray,
    n_cells: int,
    n_bins: int,
    n_topics: int,
    device: torch.device | str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Events per (cell, bin, topic) over dense integer codes: the hot loop of :func:`aggregate`.

    Returns the cell, bin and topic codes of every non-empty group (sorted by cell, bin, topic) and
    its event count, all numpy int64.
    """
    dev = pick_device(None if device is None else str(device))
    key = torch.as_tensor(cell_code, device=dev)
    key = (key * n_bins + torch.as_tensor(bin_code, device=dev)) * n_topics + torch.as_tensor(
        topic_code, device=dev
    )  # (N,)
    present, counts = _dense_groups(key, n_cells * n_bins * n_topics)
    present, counts = present.cpu().numpy(), counts.cpu().numpy()
    topic, rest = present % n_topics, present // n_topics
    return rest // n_bins, rest % n_bins, topic, counts


def group_frames(
    space_code: np.ndarray,
    space_values: np.ndarray,
    bin_code: np.ndarray,
    bin_labels: pd.Index,
    topic: np.ndarray,
    labels: Sequence[str],
    user_code: np.ndarray,
    device: torch.device,
    space_col: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-(place, bin) and per-(place, bin, topic) frames from dense codes; shared by heatmaps
    (place = H3 cell) and regions (place = polygon)."""
    n_space, n_bins, n_topics = len(space_values), len(bin_labels), len(labels)
    n_users = int(user_code.max()) + 1 if len(user_code) else 1

    # (place, bin, topic) groups: events, then distinct users via the group index of every event.
    g_space, g_bin, g_topic, g_events = grouped_counts(
        space_code, bin_code, topic, n_space, n_bins, n_topics, device
    )
    g_key = (g_space * n_bins + g_bin) * n_topics + g_topic
    e_group = np.searchsorted(g_key, (space_code * n_bins + bin_code) * n_topics + topic)
    t_user = torch.as_tensor(user_code, device=device)
    g_users = _distinct_per_group(
        torch.as_tensor(e_group, device=device), t_user, len(g_key), n_users
    )
    by_topic = pd.DataFrame(
        {
            space_col: space_values[g_space],
            "bin": bin_labels.take(g_bin),
            "topic": pd.Categorical.from_codes(g_topic, categories=list(labels)),
            "events": g_events,
            "users": g_users.cpu().numpy(),
        }
    )

    # (place, bin) groups: totals, distinct users, topic mix from the topic rows.
    cb_unique, cb_of_group = np.unique(g_space * n_bins + g_bin, return_inverse=True)
    n_cb = len(cb_unique)
    mix = np.zeros((n_cb, n_topics), dtype=np.int64)
    mix[cb_of_group, g_topic] = g_events
    totals = mix.sum(axis=1)
    e_cb = np.searchsorted(cb_unique, space_code * n_bins + bin_code)
    cb_users = _distinct_per_group(torch.as_tensor(e_cb, device=device), t_user, n_cb, n_users)
    shares = mix / np.maximum(totals, 1)[:, None]
    dominant = mix.argmax(axis=1) if n_cb else np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame(
        {
            space_col: space_values[cb_unique // n_bins],
            "bin": bin_labels.take(cb_unique % n_bins),
            "events": totals,
            "users": cb_users.cpu().numpy(),
            "dominant_topic": np.asarray(labels, dtype=object)[dominant],
            "dominant_share": shares[np.arange(n_cb), dominant],
        }
    )
    share_frame = pd.DataFrame(shares, columns=[f"share:{label}" for label in labels])
    return pd.concat([frame, share_frame], axis=1), by_topic


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
    geo._check_res(spec.res)
    topic, labels = topic_codes(events, item_topic, labels)
    keep, n_events, lat, lon = located(events, spec, topic, labels)
    sub = events[keep]
    if spec.period in ("how", "hour", "dow"):
        stamps, basis = local_times(sub)
    else:
        stamps, basis = sub[TS].to_numpy(dtype="datetime64[ns]"), "UTC"
    bin_code, bin_labels = time_bins(stamps, spec.period)
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
    """A quick topic assignment without a language model: each item's text (e.g. a venue category)
    is its topic; the ``max_topics - 1`` most frequent texts keep their own topic, the rest and items
    without text share "other".

    Returns ``(item_topic, labels)`` in the shape :func:`aggregate` takes.
    """
    if max_topics < 2:
        raise InvalidInputError(f"max_topics: expected at least 2, found {max_topics}")
    item_code, items = codes(events[ITEM])
    text = events[ITEM_TEXT].astype("object")
    first = text.groupby(item_code).first().reindex(np.arange(len(items)))
    counts = text.value_counts()
    kept = tuple(str(t) for t in counts.index[: max_topics - 1])
    labels = (*kept, "other") if len(counts) > len(kept) or first.isna().any() else kept
    lookup = pd.Index(kept)
    topic = lookup.get_indexer(first.astype("object"))
    topic = np.where(topic < 0, len(kept), topic).astype(np.int64)
    return topic, labels

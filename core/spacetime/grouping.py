"""Counting over dense integer codes: events per group, distinct users per group, and the
per-(place, bin, topic) frames that heatmaps (place = H3 cell) and regions (place = polygon) share.

Counting is one ``torch.bincount`` (or ``torch.unique`` when the key space is large) over a combined
integer key on the device :func:`core.device.pick_device` picks, so CPU and GPU give the same
integers. No pandas ``apply``, no loop over rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from core.device import pick_device
from core.schema import TS
from core.spacetime.filters import BASIS_UTC, CYCLES, local_times, time_bins

#: Above this many (cell x bin x topic) slots the dense bincount gives way to torch.unique.
DENSE_LIMIT = 64_000_000


def bincount(values: np.ndarray, minlength: int, weights: np.ndarray | None = None) -> np.ndarray:
    """``numpy.bincount`` that returns int64 counts (float sums when ``weights`` are given).

    Parameters
    ----------
    values
        Non-negative integer codes.
    minlength
        Length of the result at least (the number of codes).
    weights
        Optional weight per value.

    Returns
    -------
    numpy.ndarray
    """
    out = np.bincount(values, weights=weights, minlength=minlength)
    return out if weights is not None else out.astype(np.int64)


def distinct_count(
    group: np.ndarray | torch.Tensor,
    user: np.ndarray | torch.Tensor,
    n_groups: int,
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Number of distinct users in each group 0..n_groups-1: the one implementation used by trends,
    heatmaps, regions and hotspots.

    Parameters
    ----------
    group, user
        Dense non-negative int64 codes, one pair per event.
    n_groups
        Number of groups (length of the result).
    device
        Where to count (torch device or name; None = CPU).

    Returns
    -------
    numpy.ndarray of int64, length ``n_groups``.

    Examples
    --------
    >>> distinct_count(np.array([0, 0, 1, 1]), np.array([5, 5, 5, 6]), 3).tolist()
    [1, 2, 0]
    """
    dev = torch.device("cpu") if device is None else torch.device(device)
    group = torch.as_tensor(group, dtype=torch.int64, device=dev)
    user = torch.as_tensor(user, dtype=torch.int64, device=dev)
    if group.numel() == 0:
        return np.zeros(n_groups, dtype=np.int64)
    n_users = int(user.max()) + 1
    pairs = torch.unique(group * n_users + user)  # one entry per (group, user)
    return torch.bincount(pairs // n_users, minlength=n_groups).cpu().numpy().astype(np.int64)


def bin_events(events: pd.DataFrame, period: str | None) -> tuple[np.ndarray, pd.Index, str]:
    """Time bin of every event and the bin labels.

    Cycles ("how", "hour", "dow") are taken in local time, calendar periods and ``None`` in UTC.

    Parameters
    ----------
    events
        Canonical EventLog.
    period
        As for :func:`core.spacetime.filters.time_bins`.

    Returns
    -------
    tuple of (numpy.ndarray, pandas.Index, str)
        ``(bin_code, bin_labels, basis)``, the basis as :func:`core.spacetime.filters.local_times`
        names it ("UTC" for calendar periods).
    """
    if period in CYCLES:
        stamps, basis = local_times(events)
    else:
        stamps, basis = events[TS].to_numpy(dtype="datetime64[ns]"), BASIS_UTC
    bin_code, bin_labels = time_bins(stamps, period)
    return bin_code, bin_labels, basis


def _dense_groups(key: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct keys (sorted) and how often each occurs."""
    if size <= DENSE_LIMIT:
        counts = torch.bincount(key, minlength=size)
        present = torch.nonzero(counts, as_tuple=True)[0]
        return present, counts[present]
    return torch.unique(key, sorted=True, return_counts=True)


def factorize_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..C-1 of uint64 cells (in ascending cell order) and the distinct cells.

    Parameters
    ----------
    cells
        uint64 cells in any order, repeats allowed.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The code of every cell, and the distinct cells sorted ascending.
    """
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
    """Events per (cell, bin, topic) over dense integer codes: the hot loop of the aggregates.

    Parameters
    ----------
    cell_code, bin_code, topic_code
        Dense codes of every event.
    n_cells, n_bins, n_topics
        How many codes of each there are.
    device
        Torch device for the counting (None: ``pick_device``'s default).

    Returns
    -------
    tuple of numpy.ndarray
        The cell, bin and topic codes of every non-empty group (sorted by cell, bin, topic) and its
        event count, all int64.
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
    """Per-(place, bin) and per-(place, bin, topic) frames from dense codes.

    Shared by heatmaps (place = H3 cell) and regions (place = polygon).

    Parameters
    ----------
    space_code, space_values
        Dense place code of every event, and the place value (cell, region index) of each code.
    bin_code, bin_labels
        From :func:`bin_events`.
    topic, labels
        From :func:`core.spacetime.filters.topic_codes`.
    user_code
        Dense user code of every event (for distinct users).
    device
        Torch device for the counting.
    space_col
        Name of the place column in the frames.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        ``(per place and bin, per place, bin and topic)``.
    """
    n_space, n_bins, n_topics = len(space_values), len(bin_labels), len(labels)

    # (place, bin, topic) groups: events, then distinct users via the group index of every event.
    g_space, g_bin, g_topic, g_events = grouped_counts(
        space_code, bin_code, topic, n_space, n_bins, n_topics, device
    )
    g_key = (g_space * n_bins + g_bin) * n_topics + g_topic
    e_group = np.searchsorted(g_key, (space_code * n_bins + bin_code) * n_topics + topic)
    by_topic = pd.DataFrame(
        {
            space_col: space_values[g_space],
            "bin": bin_labels.take(g_bin),
            "topic": pd.Categorical.from_codes(g_topic, categories=list(labels)),
            "events": g_events,
            "users": distinct_count(e_group, user_code, len(g_key), device),
        }
    )

    # (place, bin) groups: totals, distinct users, topic mix from the topic rows.
    cb_unique, cb_of_group = np.unique(g_space * n_bins + g_bin, return_inverse=True)
    n_cb = len(cb_unique)
    mix = np.zeros((n_cb, n_topics), dtype=np.int64)
    mix[cb_of_group, g_topic] = g_events
    totals = mix.sum(axis=1)
    e_cb = np.searchsorted(cb_unique, space_code * n_bins + bin_code)
    shares = mix / np.maximum(totals, 1)[:, None]
    dominant = mix.argmax(axis=1) if n_cb else np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame(
        {
            space_col: space_values[cb_unique // n_bins],
            "bin": bin_labels.take(cb_unique % n_bins),
            "events": totals,
            "users": distinct_count(e_cb, user_code, n_cb, device),
            "dominant_topic": np.asarray(labels, dtype=object)[dominant],
            "dominant_share": shares[np.arange(n_cb), dominant],
        }
    )
    share_frame = pd.DataFrame(shares, columns=[f"share:{label}" for label in labels])
    return pd.concat([frame, share_frame], axis=1), by_topic

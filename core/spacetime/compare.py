"""Two segments side by side: topic shares with a two-proportion test per topic, the hour-of-week
rhythm of each and the top items of each.

A segment is an :class:`~core.spacetime.filters.EventFilter` (a bounding box, a time window, a user
set, event types, ...) or a boolean mask over the events (regions from
``core.spacetime.regions.assign_regions``, or :func:`main_topic_mask` for "users whose main
interest is X"). The two may overlap; each is counted on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import erfc

from core.errors import InvalidInputError
from core.schema import ITEM, ITEM_TEXT, USER, codes
from core.spacetime.filters import WEEKDAYS, EventFilter, mask, topic_codes
from core.spacetime.grouping import bin_events, bincount
from core.spacetime.signals import two_proportion_z

#: Two-sided significance level of the per-topic test (before the Bonferroni correction).
ALPHA = 0.05

Segment = EventFilter | np.ndarray


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_segments`.

    ``topics``: one row per topic: ``topic``, ``events_a``, ``share_a``, ``events_b``, ``share_b``,
    ``difference`` (share_a - share_b), ``z`` (two-proportion, pooled), ``p_value`` (two-sided),
    ``significant`` (p below ``ALPHA`` / number of topics: Bonferroni, since every topic is
    tested), sorted by |z|. ``rhythm_a`` / ``rhythm_b``: 7 x 24 event counts (Mon..Sun x hour,
    local time where the log gives it, ``basis``). ``items``: the top items of each segment:
    ``segment``, ``rank``, ``item_id``, ``item``, ``events``, ``share``. ``names``: the two
    segment names; ``n_a`` / ``n_b``: their events.
    """

    topics: pd.DataFrame
    rhythm_a: pd.DataFrame
    rhythm_b: pd.DataFrame
    items: pd.DataFrame
    names: tuple[str, str]
    n_a: int
    n_b: int
    basis: str


def _segment_mask(
    events: pd.DataFrame, segment: Segment, topic: np.ndarray, labels: Sequence[str], name: str
) -> np.ndarray:
    if isinstance(segment, EventFilter):
        return mask(events, segment, topic, labels)
    keep = np.asarray(segment)
    if keep.dtype != bool or keep.shape != (len(events),):
        raise InvalidInputError(
            f"{name}: expected an EventFilter or a boolean mask of {len(events)} events, found "
            f"{keep.dtype} array of shape {keep.shape}"
        )
    return keep


def _rhythm(events: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    how, _, basis = bin_events(events, "how")
    grid = bincount(how, 168).reshape(7, 24)
    frame = pd.DataFrame(
        grid, index=pd.Index(WEEKDAYS, name="weekday"), columns=pd.RangeIndex(24, name="hour")
    )
    return frame, basis


def _item_names(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    item_code, items = codes(events[ITEM])
    first = pd.Series(events[ITEM_TEXT].astype("object").to_numpy()).groupby(item_code).first()
    names = np.asarray(items, dtype=object).astype(str).astype(object)
    has = first.notna()
    names[first.index[has].to_numpy()] = first[has].to_numpy()
    return item_code, names


def _top_items(
    item_code: np.ndarray, keep: np.ndarray, ids: np.ndarray, names: np.ndarray, top: int, name: str
) -> pd.DataFrame:
    counts = bincount(item_code[keep], len(ids))
    order = np.argsort(-counts, kind="stable")[:top]
    order = order[counts[order] > 0]
    return pd.DataFrame(
        {
            "segment": name,
            "rank": np.arange(1, len(order) + 1),
            "item_id": ids[order],
            "item": names[order],
            "events": counts[order],
            "share": counts[order] / max(int(keep.sum()), 1),
        }
    )


def compare_segments(
    events: pd.DataFrame,
    item_topic: np.ndarray | None,
    labels: Sequence[str],
    a: Segment,
    b: Segment,
    *,
    names: tuple[str, str] = ("A", "B"),
    top: int = 10,
) -> Comparison:
    """Topic shares, rhythm and top items of two segments, with a significance test per topic.

    Parameters
    ----------
    events, item_topic, labels
        As in :func:`core.spacetime.trends.period_counts`.
    a, b
        The segments: an EventFilter (box, window, users, ...) or a boolean mask over ``events``.
    names
        What to call them in ``items`` and in ``Comparison.names``.
    top
        Items listed per segment.

    Returns
    -------
    Comparison

    Raises
    ------
    InvalidInputError
        If a mask has the wrong shape or dtype, or a filter is malformed.

    Examples
    --------
    >>> compare_segments(log, it, labels, EventFilter(end="2026-06-01"),
    ...                  EventFilter(start="2026-06-01"), names=("spring", "summer"))  # doctest: +SKIP
    """
    topic, labels = topic_codes(events, item_topic, labels)
    keep_a = _segment_mask(events, a, topic, labels, "a")
    keep_b = _segment_mask(events, b, topic, labels, "b")
    k = len(labels)
    x_a, x_b = bincount(topic[keep_a], k), bincount(topic[keep_b], k)
    n_a, n_b = int(keep_a.sum()), int(keep_b.sum())
    share_a, share_b = x_a / max(n_a, 1), x_b / max(n_b, 1)
    z = two_proportion_z(x_a, n_a, x_b, n_b)
    p_value = erfc(np.abs(z) / np.sqrt(2.0))
    table = pd.DataFrame(
        {
            "topic": labels,
            "events_a": x_a,
            "share_a": share_a,
            "events_b": x_b,
            "share_b": share_b,
            "difference": share_a - share_b,
            "z": z,
            "p_value": p_value,
            "significant": (p_value < ALPHA / max(k, 1)) & (n_a > 0) & (n_b > 0),
        }
    )
    table = table.reindex(table["z"].abs().sort_values(ascending=False, kind="stable").index)
    rhythm_a, basis = _rhythm(events[keep_a])
    rhythm_b, _ = _rhythm(events[keep_b])
    item_code, item_names = _item_names(events)
    ids = np.asarray(events[ITEM].cat.categories, dtype=object)
    items = pd.concat(
        [
            _top_items(item_code, keep_a, ids, item_names, top, names[0]),
            _top_items(item_code, keep_b, ids, item_names, top, names[1]),
        ],
        ignore_index=True,
    )
    return Comparison(
        topics=table.reset_index(drop=True),
        rhythm_a=rhythm_a,
        rhythm_b=rhythm_b,
        items=items,
        names=(str(names[0]), str(names[1])),
        n_a=n_a,
        n_b=n_b,
        basis=basis,
    )


def main_topic_mask(
    events: pd.DataFrame, item_topic: np.ndarray | None, labels: Sequence[str], topic: str
) -> np.ndarray:
    """Events of the users whose main interest is ``topic``: a segment for :func:`compare_segments`.

    A user's main interest is the topic of most of their events (ties go to the first label); the
    complement of the mask is "the rest".

    Parameters
    ----------
    events, item_topic, labels
        As in :func:`core.spacetime.heatmaps.aggregate`.
    topic
        One of ``labels``.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the rows of ``events``.

    Raises
    ------
    InvalidInputError
        If ``topic`` is not one of the labels.
    """
    per_event, labels = topic_codes(events, item_topic, labels)
    if topic not in labels:
        raise InvalidInputError(f"topic: expected one of {list(labels)}, found {topic!r}")
    user, users = codes(events[USER])
    k = len(labels)
    counts = bincount(user * k + per_event, len(users) * k).reshape(len(users), k)
    main = counts.argmax(axis=1)  # first maximum: ties go to the first label
    return main[user] == labels.index(topic)

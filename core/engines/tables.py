"""Atlas tables shared by both engines: the user tables from today's local code; the count tables
(:mod:`core.engines.counts`) and the grouping keys (:mod:`core.engines.keys`) are re-exported here.

The local engine computes every table with core.spacetime / core.interests directly; the Spark and
streamed engines compute the user tables by running :func:`user_tables` on buckets of whole users,
and the count tables by grouping and handing the (small) grouped counts to the ``*_from_counts``
functions, which order, label and derive columns exactly as the local functions do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.engines.counts import (
    cells_from_counts,
    count_tables,
    hour_of_week_frame,
    hour_of_week_from_counts,
    period_counts_from_counts,
    place_frames_from_counts,
    regions_from_counts,
    share_columns,
)
from core.engines.folder import AtlasSpec
from core.engines.keys import (
    bin_units,
    check_period,
    local_how,
    place_keys,
    region_layer,
    time_basis,
    unit_labels,
)
from core.interests.embeddings import ItemVectors
from core.interests.state import InterestSpec, topic_shares, user_interests
from core.interests.state import user_vectors as unit_user_vectors
from core.interests.timeline import drift_ranking, timeline
from core.interests.topics import Topics
from core.schema import ITEM, ITEM_TEXT

TIMELINE_TIMES = (
    "period",
    "period_end",
    "change_ts",
    "change_period",
    "change_start",
    "change_end",
)
DRIFT_TIMES = ("change_period", "change_ts", "change_start", "change_end")


def interest_spec(spec: AtlasSpec) -> InterestSpec:
    """The InterestSpec (half-life, period, device) an AtlasSpec implies.

    Parameters
    ----------
    spec
        The atlas spec.

    Returns
    -------
    InterestSpec
    """
    return InterestSpec(half_life_days=spec.half_life_days, period=spec.period, device=spec.device)


def item_topics_frame(vectors: ItemVectors, topics: Topics, engagement: np.ndarray) -> pd.DataFrame:
    """item_id, item_text, topic, label, engagement (summed event weight) per item.

    Parameters
    ----------
    vectors, topics
        The item model; one row per item of ``vectors``.
    engagement
        Summed event weight of each item, in ``vectors`` order.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(
        {
            ITEM: list(vectors.item_ids),
            ITEM_TEXT: pd.Series(
                list(vectors.item_text) or [None] * len(vectors.item_ids), dtype="object"
            ),
            "topic": topics.item_topic.astype(np.int64),
            "label": np.asarray(topics.labels, dtype=object)[topics.item_topic],
            "engagement": np.asarray(engagement, dtype=np.float64),
        }
    )


def user_tables(
    events: pd.DataFrame,
    vectors: ItemVectors,
    topics: Topics,
    spec: AtlasSpec,
    ref: pd.Timestamp | None = None,
    which: tuple[str, ...] = ("user_interests", "timeline", "drift"),
) -> dict[str, pd.DataFrame]:
    """End-of-log interests, timeline and drift of the users in ``events`` (today's local code).

    Every user's rows depend on that user's events only.

    Parameters
    ----------
    events
        Whole users' events (the log, or a bucket of its users).
    vectors, topics
        The atlas's item model.
    spec
        Half-life, period, device and drift ``top`` of the atlas.
    ref
        The end of the whole log (a bucket must be decayed to the same time); None = the last
        event of ``events``.
    which
        The tables to compute.

    Returns
    -------
    dict of str to pandas.DataFrame
        The ``which`` tables by name.
    """
    ispec = interest_spec(spec)
    out: dict[str, pd.DataFrame] = {}
    if "user_interests" in which:
        state = user_interests(events, vectors, topics, ispec, at=ref)
        _ids, unit = unit_user_vectors(state)
        dims = pd.DataFrame(
            unit.numpy(), columns=[f"v{i}" for i in range(unit.shape[1])], dtype="float32"
        )
        shares = topic_shares(state)  # share:<label> columns already
        out["user_interests"] = pd.concat([shares, dims], axis=1)
    if "timeline" in which or "drift" in which:
        tl = timeline(events, vectors, topics, ispec)
        if "drift" in which:
            out["drift"] = drift_ranking(tl, n=spec.top)
        if "timeline" in which:
            out["timeline"] = tl
    return out


# the engines call these as tables.*; those of core.engines.keys and .counts are re-exported
__all__ = [
    "DRIFT_TIMES",
    "TIMELINE_TIMES",
    "bin_units",
    "cells_from_counts",
    "check_period",
    "count_tables",
    "hour_of_week_frame",
    "hour_of_week_from_counts",
    "interest_spec",
    "item_topics_frame",
    "local_how",
    "period_counts_from_counts",
    "place_frames_from_counts",
    "place_keys",
    "region_layer",
    "regions_from_counts",
    "share_columns",
    "time_basis",
    "unit_labels",
    "user_tables",
]

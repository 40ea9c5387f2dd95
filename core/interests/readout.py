"""Read a user-interest state out: unit interest vectors and per-user topic-share tables.

``core.interests.state`` builds and updates the state (and re-exports both readers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from core.interests._kernels import share_columns
from core.schema import USER

if TYPE_CHECKING:
    from core.interests.state import InterestState


def user_vectors(state: InterestState) -> tuple[tuple[str, ...], torch.Tensor]:
    """User ids and their unit interest vectors.

    Parameters
    ----------
    state
        A state from ``core.interests.state.user_interests`` or ``update``.

    Returns
    -------
    tuple of (tuple of str, torch.Tensor)
        ``state.user_ids`` and an (n_users, d) float32 tensor of L2-normalised interest vectors
        (zero rows for users with no weight).
    """
    return state.user_ids, torch.nn.functional.normalize(state.mean, dim=1)


def topic_shares(state: InterestState) -> pd.DataFrame:
    """Each user's topic shares at ``state.ref_time``.

    Parameters
    ----------
    state
        A state from :func:`core.interests.state.user_interests` or
        :func:`core.interests.state.update`, as for :func:`user_vectors`.

    Returns
    -------
    pandas.DataFrame
        One row per user: ``user_id, n_events, weight`` (decayed total weight at ``ref_time``),
        ``top_topic``, then one column ``share:<label>`` per topic (shares sum to 1; 0 if no
        weight). The prefix keeps a topic named e.g. "weight" from colliding with a fixed column.
    """
    shares = state.topic_share.numpy()
    labels = list(state.topic_labels)
    head = pd.DataFrame(
        {
            USER: list(state.user_ids),
            "n_events": state.n_events.numpy(),
            "weight": state.total.numpy(),
            "top_topic": np.array(labels, dtype=object)[shares.argmax(1)] if len(labels) else None,
        }
    )
    return pd.concat([head, pd.DataFrame(shares, columns=share_columns(labels))], axis=1)


__all__ = ["topic_shares", "user_vectors"]

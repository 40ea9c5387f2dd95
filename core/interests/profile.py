"""A one-line interest profile per user, in words, from their topic shares and drift.

"Mostly jazz (62 %) and coffee (20 %); moved from running to jazz in May 2026". A topic is named by
the first term of its label (of a category path such as "music > jazz", the last step). Built with column
operations over all users at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.interests._kernels import SHARE_PREFIX
from core.schema import USER

#: The top topic is "mostly" a user's when it holds at least this share.
MOSTLY = 0.5
#: A second topic is named when it holds at least this share.
SECOND = 0.1
#: A change is told when the topic shares before and after it differ by at least this much.
MOVED = 0.3


def _short(labels: pd.Series) -> pd.Series:
    """A label's first term, and of a category path ("music > jazz") its last step."""
    return labels.astype(str).str.split(" · ").str[0].str.split(" > ").str[-1]


def _pct(share: np.ndarray) -> pd.Series:
    return pd.Series(np.rint(share * 100).astype(np.int64)).astype(str) + " %"


def interest_profiles(shares: pd.DataFrame, ranking: pd.DataFrame | None = None) -> pd.Series:
    """Each user's interests in one line of words.

    Parameters
    ----------
    shares
        One row per user with ``user_id`` and ``share:<label>`` columns, e.g. ``topic_shares(state)``
        or the last timeline row of each user.
    ranking
        Optional ``drift_ranking(timeline)`` output (``user_id, drift, from_topic, to_topic,
        change_ts``); a user whose change is at least 0.3 gets "; moved from A to B in Month YYYY".

    Returns
    -------
    pandas.Series
        The profile (str) of each user, indexed by ``user_id`` in the order of ``shares``; a user
        with no weight reads "No interests yet".

    Raises
    ------
    InvalidInputError
        If ``shares`` has no ``user_id`` or no ``share:<label>`` column, or ``ranking`` lacks its
        columns.
    """
    cols = [c for c in shares.columns if str(c).startswith(SHARE_PREFIX)]
    if USER not in shares.columns or not cols:
        raise InvalidInputError(
            f"shares: expected user_id and share:<label> columns, found {list(shares.columns)}"
        )
    users = shares[USER].astype(str).to_numpy()
    mat = shares[cols].fillna(0.0).to_numpy(dtype=np.float64)
    names = _short(pd.Series([c[len(SHARE_PREFIX) :] for c in cols])).to_numpy(dtype=object)
    rows = np.arange(len(mat))
    order = np.argsort(-mat, axis=1, kind="stable")
    first = order[:, 0]
    second = order[:, 1] if mat.shape[1] > 1 else first
    p1 = mat[rows, first]
    p2 = np.where(second != first, mat[rows, second], 0.0)
    a = (pd.Series(names[first]) + " (" + _pct(p1) + ")").to_numpy(dtype=object)
    b = (pd.Series(names[second]) + " (" + _pct(p2) + ")").to_numpy(dtype=object)
    mostly, two = p1 >= MOSTLY, p2 >= SECOND
    text = pd.Series(
        np.select(
            [mat.sum(1) <= 0, mostly & two, mostly, two],
            [
                "No interests yet",
                "Mostly " + a + " and " + b,
                "Mostly " + a,
                "Mixed: " + a + ", " + b,
            ],
            "Mixed, led by " + a,
        ),
        dtype=object,
    )
    if ranking is not None and not ranking.empty:
        need = [USER, "drift", "from_topic", "to_topic", "change_ts"]
        missing = [c for c in need if c not in ranking.columns]
        if missing:
            raise InvalidInputError(
                f"ranking: expected the output of drift_ranking(), found no columns {missing}"
            )
        r = ranking.assign(**{USER: ranking[USER].astype(str)}).drop_duplicates(USER)
        r = r.set_index(USER).reindex(users)
        moved = (r["drift"].fillna(0.0).to_numpy(dtype=np.float64) >= MOVED) & r[
            "from_topic"
        ].notna().to_numpy()
        frm = _short(r["from_topic"].fillna(""))
        to = _short(r["to_topic"].fillna(""))
        moved &= (frm != to).to_numpy()
        when = pd.Series(pd.DatetimeIndex(r["change_ts"]).strftime("%B %Y"), index=frm.index)
        tail = "; moved from " + frm + " to " + to + " in " + when.fillna("")
        text = text + pd.Series(np.where(moved, tail.to_numpy(dtype=object), ""))
    return pd.Series(text.to_numpy(dtype=object), index=pd.Index(users, name=USER), name="profile")

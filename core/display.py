"""Names of items for people, shared by core tables and the pages: items that share a title are
told apart (the title plus the item's place or a short id), never merged into one row or bar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def short_id(item_id: object) -> str:
    """An id short enough for a label: ``#4b5e…9a1c`` for long ids, ``#242`` for short ones.

    Parameters
    ----------
    item_id
        Any id, shown as text: an item, user or session id, from a short number to a long
        hash.

    Returns
    -------
    str
        ``#`` then the id whole up to eight characters, else its first four, ``…``, last four.
    """
    text = str(item_id)
    return f"#{text}" if len(text) <= 8 else f"#{text[:4]}…{text[-4:]}"


def distinct_labels(
    titles: pd.Series, ids: pd.Series, places: pd.Series | None = None
) -> pd.Series:
    """One label per row: the title, or the id when there is none; titles that more than one item
    shares get the item's place (when the places tell them apart) or a short id, so no two items
    are merged into one bar, row or tooltip.

    Parameters
    ----------
    titles
        The title of each row's item (missing or blank: the id is shown).
    ids
        The item id of each row (the same item on several rows keeps one label).
    places
        A place per row (e.g. a neighbourhood); used instead of the short id where each item of
        a shared title has its own.

    Returns
    -------
    pandas.Series
        One label per row, on ``titles``' index.

    Examples
    --------
    >>> distinct_labels(pd.Series(["Tim Hortons", "Tim Hortons", "Zoo"]), pd.Series(["a1", "b2", "c3"])).tolist()
    ['Tim Hortons · #a1', 'Tim Hortons · #b2', 'Zoo']
    """
    ids = ids.astype(str).reset_index(drop=True)
    text = titles.astype("object").reset_index(drop=True)
    text = text.where(text.notna() & (text.astype(str).str.strip() != ""), ids).astype(str)
    # items, not rows: the same item twice keeps one label
    per_item = pd.DataFrame({"id": ids, "text": text}).drop_duplicates("id")
    shared = per_item["text"].duplicated(keep=False)
    clash = set(per_item.loc[shared, "text"])
    if not clash:
        return pd.Series(text.to_numpy(), index=titles.index)
    needs = text.isin(clash).to_numpy()
    suffix = ids.map(short_id)
    if places is not None:
        place = places.astype("object").reset_index(drop=True).fillna("").astype(str)
        frame = pd.DataFrame({"id": ids, "text": text, "place": place}).drop_duplicates("id")
        group = frame[frame["text"].isin(clash)]
        # a place tells a title's items apart when each item of that title has its own place
        unique_place = group.groupby("text")["place"].transform(
            lambda p: p.ne("").all() and p.is_unique
        )
        good = set(group.loc[unique_place.astype(bool), "text"])
        use_place = text.isin(good).to_numpy()
        suffix = pd.Series(np.where(use_place, place, suffix))
    out = np.where(needs, text + " · " + suffix, text)
    if pd.Series(out).groupby(ids.to_numpy()).first().duplicated().any():  # short ids collide
        out = np.where(needs, text + " · #" + ids, text)
    return pd.Series(out, index=titles.index)

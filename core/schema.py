"""Canonical names and types of the event log: the data contract every module shares.

An *EventLog* is a pandas DataFrame with the columns below (all of them always present, optional ones
filled with missing values), sorted by ``ts``, plus any extra columns the upload carried. ``conform``
turns a frame that already uses the canonical names into one with the canonical dtypes.
"""

from __future__ import annotations

import hashlib
from typing import Final

import numpy as np
import pandas as pd

from core.errors import MissingColumnsError

USER: Final = "user_id"
ITEM: Final = "item_id"
TS: Final = "ts"
EVENT: Final = "event"
WEIGHT: Final = "weight"
ITEM_TEXT: Final = "item_text"
LAT: Final = "lat"
LON: Final = "lon"
TZ_OFFSET: Final = "tz_offset_min"
#: Optional extra column: the item's category (from the events or the catalogue), when known.
CATEGORY: Final = "category"

#: Fields an upload must provide.
REQUIRED: Final = (USER, ITEM, TS)
#: Every canonical field, in display order.
CANONICAL: Final = (USER, ITEM, TS, EVENT, WEIGHT, ITEM_TEXT, LAT, LON, TZ_OFFSET)
#: Event type used when the upload has no event column.
DEFAULT_EVENT: Final = "event"

#: Default strength of each event type (view < click < cart < purchase); unknown types get 1.0.
DEFAULT_EVENT_WEIGHTS: Final[dict[str, float]] = {
    "event": 1.0,
    "view": 1.0,
    "impression": 0.5,
    "click": 2.0,
    "like": 2.5,
    "rating": 3.0,
    "checkin": 3.0,
    "play": 2.0,
    "cart": 3.0,
    "addtocart": 3.0,
    "wishlist": 2.5,
    "share": 3.0,
    "purchase": 5.0,
    "transaction": 5.0,
    "order": 5.0,
}

#: Column names recognised for each field (compared case- and punctuation-insensitively).
SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    USER: (
        "user_id",
        "user",
        "userid",
        "uid",
        "users",
        "customer",
        "customer_id",
        "customerid",
        "visitor",
        "visitorid",
        "visitor_id",
        "member",
        "member_id",
        "account",
        "account_id",
        "client_id",
        "person",
        "owner",
        "author",
        "session_user",
    ),
    ITEM: (
        "item_id",
        "item",
        "itemid",
        "movieid",
        "movie_id",
        "venue_id",
        "venueid",
        "product",
        "product_id",
        "productid",
        "sku",
        "article",
        "article_id",
        "asin",
        "business_id",
        "poi",
        "poi_id",
        "photo_id",
        "photoid",
        "track_id",
        "song_id",
        "book_id",
        "isbn",
        "content_id",
        "object_id",
        "place_id",
    ),
    TS: (
        "ts",
        "time",
        "timestamp",
        "utc_time",
        "utctimestamp",
        "datetime",
        "date_time",
        "event_time",
        "eventtime",
        "date",
        "created_at",
        "createdat",
        "datetaken",
        "date_taken",
        "checkin_time",
        "time_stamp",
        "occurred_at",
        "unix_time",
        "epoch",
    ),
    EVENT: (
        "event",
        "event_type",
        "eventtype",
        "action",
        "behavior",
        "behaviour",
        "behavior_type",
        "interaction",
        "type",
        "activity",
    ),
    WEIGHT: ("weight", "rating", "score", "value", "stars", "amount", "strength"),
    ITEM_TEXT: (
        "item_text",
        "title",
        "name",
        "text",
        "description",
        "category",
        "venue_category",
        "venuecategory",
        "venue_category_name",
        "item_name",
        "product_name",
        "genre",
        "genres",
        "tags",
        "caption",
        "label",
    ),
    LAT: ("lat", "latitude", "lat_deg", "y_lat"),
    LON: ("lon", "lng", "long", "longitude", "lon_deg", "x_lon"),
    TZ_OFFSET: (
        "tz_offset_min",
        "timezone_offset",
        "timezoneoffset",
        "tz_offset",
        "utc_offset",
        "utcoffset",
        "offset_min",
        "timezone_offset_min",
    ),
}


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every canonical column present and typed, sorted by time.

    Dtypes: ``user_id``, ``item_id``, ``event``, ``item_text``: category of str; ``ts``:
    datetime64[ns, UTC]; ``weight``, ``lat``, ``lon``: float64 (NaN = unknown);
    ``tz_offset_min``: float64 minutes (NaN = unknown). Extra columns are kept after the canonical
    ones.

    Parameters
    ----------
    frame
        At least the required columns (``REQUIRED``), under their canonical names.

    Returns
    -------
    pandas.DataFrame
        The canonical EventLog.

    Raises
    ------
    MissingColumnsError
        If a required column is absent.
    """
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise MissingColumnsError(
            f"event log lacks required columns {missing}: found {list(frame.columns)}"
        )
    out = frame.copy()
    out[USER] = _as_text_category(out[USER])
    out[ITEM] = _as_text_category(out[ITEM])
    ts = out[TS]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = pd.to_datetime(ts, utc=True)
    out[TS] = ts.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if EVENT not in out.columns:
        out[EVENT] = DEFAULT_EVENT
    event = _as_text_category(out[EVENT])
    lowered = event.cat.categories.str.lower()
    if lowered.is_unique:
        out[EVENT] = event.cat.rename_categories(lowered)
    else:  # "View" and "view" in one upload: merge them
        out[EVENT] = event.astype(str).str.lower().astype("category")
    if WEIGHT not in out.columns:
        out[WEIGHT] = event_weights(out[EVENT])
    for col in (WEIGHT, LAT, LON, TZ_OFFSET):
        if col not in out.columns:
            out[col] = np.nan
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    if ITEM_TEXT not in out.columns:
        out[ITEM_TEXT] = pd.Series(pd.NA, index=out.index, dtype="object")
    if not isinstance(out[ITEM_TEXT].dtype, pd.CategoricalDtype):
        text = out[ITEM_TEXT].astype("object")
        out[ITEM_TEXT] = text.where(text.notna(), None).astype("category")
    extras = [c for c in out.columns if c not in CANONICAL]
    out = out[list(CANONICAL) + extras]
    return out.sort_values(TS, kind="stable").reset_index(drop=True)


def _as_text_category(column: pd.Series) -> pd.Series:
    """Category dtype with str categories; a column that already is one is kept as it is (no re-encode)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) and (
        len(dtype.categories) == 0 or pd.api.types.is_string_dtype(dtype.categories.dtype)
    ):
        return column
    return column.astype(str).astype("category")


def event_weights(events: pd.Series, table: dict[str, float] | None = None) -> pd.Series:
    """Weight of each event type from ``table`` (default ``DEFAULT_EVENT_WEIGHTS``), 1.0 if unknown.

    Parameters
    ----------
    events
        Event types (matched case-insensitively).
    table
        Event type -> weight.

    Returns
    -------
    pandas.Series
        float64 weights, aligned with ``events``.
    """
    table = DEFAULT_EVENT_WEIGHTS if table is None else table
    lowered = events.astype(str).str.lower()
    return lowered.map(table).fillna(1.0).astype("float64")


def codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (int64, 0..n-1) and the labels they index, for a categorical or plain column.

    Parameters
    ----------
    column
        Any column; a plain one is made categorical first.

    Returns
    -------
    tuple of (numpy.ndarray, pandas.Index)
        The code of every row and the categories.
    """
    cat = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    return cat.cat.codes.to_numpy(dtype=np.int64), cat.cat.categories


def item_table(events: pd.DataFrame) -> pd.DataFrame:
    """One row per item: ``item_id``, ``item_text`` (first non-missing) and ``n_events``.

    Parameters
    ----------
    events
        Canonical EventLog.

    Returns
    -------
    pandas.DataFrame
        In the order of the item categories.
    """
    grouped = events.groupby(ITEM, observed=True, sort=True)
    table = pd.DataFrame(
        {
            ITEM_TEXT: grouped[ITEM_TEXT].first().astype("object"),
            "n_events": grouped.size(),
        }
    )
    return table.reset_index()


def fingerprint(events: pd.DataFrame) -> str:
    """A short stable hash of an EventLog's content, used as a cache key.

    Parameters
    ----------
    events
        Canonical EventLog; only the canonical columns are hashed (extra columns do not count).

    Returns
    -------
    str
        Hex digest; equal contents give equal fingerprints.
    """
    hashed = pd.util.hash_pandas_object(events[list(CANONICAL)], index=False).to_numpy()
    digest = hashlib.blake2b(hashed.tobytes(), digest_size=12)
    digest.update(str(len(events)).encode())
    return digest.hexdigest()

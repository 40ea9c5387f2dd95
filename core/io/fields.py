"""Raw columns to canonical fields: validation, ids, times, events, weights, text, locations.

Every step works on whole Arrow / numpy columns. A row is valid when it has a user, an item and a
plausible time; the first reason that applies is the one reported (``REASONS`` order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInputError
from core.io.columns import CATEGORY, PLACE
from core.io.gazetteer import resolve_places
from core.io.timeparse import ParsedTimes, parse_times
from core.schema import (
    CANONICAL,
    DEFAULT_EVENT,
    EVENT,
    ITEM,
    ITEM_TEXT,
    LAT,
    LON,
    TS,
    TZ_OFFSET,
    USER,
    WEIGHT,
)

_MISSING_TOKENS: Final = ("", "nan", "null", "none", "na", "n/a", "<na>")
#: The missing tokens as written in practice (lower, UPPER, Capitalised): matching them directly
#: saves lower-casing every id column.
_MISSING_SET: Final = pa.array(
    sorted({v for t in _MISSING_TOKENS for v in (t, t.upper(), t.capitalize(), t.title())})
)
_NUMBER: Final = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
#: Rejection reasons, in the order they are checked (the first that applies is reported).
REASONS: Final = (
    "malformed_row",
    "missing_user",
    "missing_item",
    "missing_time",
    "unparseable_time",
    "implausible_time",
)


def text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as trimmed text (numbers and times cast).

    Parameters
    ----------
    col
        An Arrow column of any type.

    Returns
    -------
    pyarrow.Array
        String values with surrounding whitespace removed; nulls stay null.
    """
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return pc.utf8_trim_whitespace(arr)


def is_missing(values: pa.Array) -> np.ndarray:
    """Null, empty or a missing token (``NULL``, ``n/a``, ``nan`` …).

    Parameters
    ----------
    values
        Trimmed text, as :func:`text` returns it.

    Returns
    -------
    numpy.ndarray
        Bool mask, True where a row holds no value.
    """
    missing = pc.or_kleene(pc.is_null(values), pc.is_in(values, value_set=_MISSING_SET))
    return np.asarray(missing.fill_null(True))


def numbers(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A column as float64, NaN where it holds no number.

    Parameters
    ----------
    col
        A numeric column (cast directly) or a text one (cells that do not parse as a number
        become NaN).

    Returns
    -------
    numpy.ndarray
        float64, one value per row.
    """
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if (
        pa.types.is_integer(arr.type)
        or pa.types.is_floating(arr.type)
        or pa.types.is_decimal(arr.type)
    ):
        return np.asarray(pc.cast(arr, pa.float64()).fill_null(np.nan), dtype=np.float64)
    trimmed = text(arr)
    blank = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    try:  # the usual case, a clean numeric column: one cast, no regex
        return np.asarray(pc.cast(blank, pa.float64()).fill_null(np.nan), dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    ok = pc.match_substring_regex(trimmed, _NUMBER).fill_null(False)
    clean = pc.if_else(ok, trimmed, pa.scalar(None, pa.string()))
    return np.asarray(pc.cast(clean, pa.float64()).fill_null(np.nan), dtype=np.float64)


def categorical(values: pa.Array, keep: np.ndarray | None = None) -> pd.Categorical:
    """An Arrow column as a pandas Categorical (one dictionary encode, no per-row strings).

    Parameters
    ----------
    values
        The column's values.
    keep
        Bool mask of the rows to keep; None keeps every row.

    Returns
    -------
    pandas.Categorical
    """
    if keep is not None:
        values = values.filter(pa.array(keep))
    return values.dictionary_encode().to_pandas()


def nonempty_text(values: pa.Array) -> pa.Array:
    """Trimmed text, null where empty.

    Parameters
    ----------
    values
        An Arrow column of any type.

    Returns
    -------
    pyarrow.Array
        Strings; empty cells become null so they count as absent.
    """
    t = text(values)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)


def plausible_location(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """In range and not (0, 0), the classic "no fix" value.

    Parameters
    ----------
    lat, lon
        Degrees, one pair per row (NaN compares False, so it is implausible).

    Returns
    -------
    numpy.ndarray
        Bool mask of the rows whose coordinates can be kept.
    """
    return (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))


def timestamp_bounds(min_time: str, max_future: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window of believable event times, from the spec's earliest date and future slack.

    Parameters
    ----------
    min_time
        Earliest plausible time, anything ``pandas.Timestamp`` reads; naive means UTC.
    max_future
        How far past now a time may lie, a ``pandas.Timedelta`` string such as ``"1D"``.

    Returns
    -------
    tuple of (pandas.Timestamp, pandas.Timestamp)
        ``(low, high)``, both in UTC.

    Raises
    ------
    InvalidInputError
        If either value does not parse.
    """
    try:
        low = pd.Timestamp(min_time)
        low = low.tz_localize("UTC") if low.tzinfo is None else low.tz_convert("UTC")
        high = pd.Timestamp.now(tz="UTC") + pd.Timedelta(max_future)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"spec.min_time / spec.max_future: expected a date and a duration such as "
            f"'1990-01-01' and '1D', found {min_time!r} and {max_future!r} ({exc})"
        ) from exc
    return low, high


def validate(
    table: pa.Table,
    mapping: dict[str, str],
    ids: dict[str, pa.Array],
    bounds: tuple[pd.Timestamp, pd.Timestamp],
) -> tuple[np.ndarray, ParsedTimes]:
    """The rejection reason of each row ("" = valid; the first reason that applies wins).

    Parameters
    ----------
    table
        The source rows.
    mapping
        Events field -> source column; must name the ``ts`` column.
    ids
        Trimmed user and item ids (``user_id`` / ``item_id`` keys).
    bounds
        ``(low, high)`` from :func:`timestamp_bounds`; times outside are implausible.

    Returns
    -------
    tuple of (numpy.ndarray, ParsedTimes)
        The reason per row (object array) and the parsed times, reused by :func:`fields`.
    """
    low, high = bounds
    times = parse_times(table.column(mapping[TS]))
    ts = times.ts
    checks = (
        ("missing_user", is_missing(ids[USER])),
        ("missing_item", is_missing(ids[ITEM])),
        ("missing_time", times.missing),
        ("unparseable_time", ts.isna().to_numpy() & ~times.missing),
        ("implausible_time", ((ts < low) | (ts > high)).to_numpy()),
    )
    reason = np.full(table.num_rows, "", dtype=object)
    for name, mask in checks:
        reason[(reason == "") & mask] = name
    return reason, times


@dataclass(frozen=True)
class Fields:
    columns: dict[str, object]  # canonical field -> values of the valid rows
    locations_cleared: int
    places_unresolved: tuple[str, ...]
    warnings: tuple[str, ...]


def fields(
    table: pa.Table,
    mapping: dict[str, str],
    ids: dict[str, pa.Array],
    valid: np.ndarray,
    times: ParsedTimes,
    event_weights: dict[str, float],
    weight_from_value: bool,
) -> Fields:
    """Canonical columns of the valid rows: ids, time, event, weight, text, place, offset.

    Parameters
    ----------
    table
        The source rows.
    mapping
        Events field -> source column.
    ids
        Trimmed user and item ids of every row.
    valid
        Bool mask of the rows that passed :func:`validate`.
    times
        The parsed times of every row.
    event_weights
        Weight of each (lower-case) event type; unlisted types weigh 1.
    weight_from_value
        Whether a mapped ``weight`` column's numbers override the event weight.

    Returns
    -------
    Fields
        The columns of the valid rows and how many coordinates were given, cleared or looked up.
    """
    keep = pa.array(valid)
    m = int(valid.sum())
    column = {fld: table.column(col) for fld, col in mapping.items()}
    out: dict[str, object] = {
        USER: categorical(ids[USER], valid),
        ITEM: categorical(ids[ITEM], valid),
        TS: times.ts[valid].reset_index(drop=True),
    }
    if EVENT in column:
        ev = pc.utf8_lower(text(column[EVENT])).filter(keep)
        ev = pc.if_else(pc.is_in(ev, value_set=pa.array(_MISSING_TOKENS)), DEFAULT_EVENT, ev)
        out[EVENT] = ev.dictionary_encode().to_pandas()
    else:
        out[EVENT] = pd.Categorical(np.full(m, DEFAULT_EVENT))
    events = pd.Series(out[EVENT])
    table_weights = events.cat.categories.to_series().map(event_weights).fillna(1.0)
    weight = table_weights.to_numpy()[events.cat.codes.to_numpy()]
    if WEIGHT in column and weight_from_value:
        value = numbers(column[WEIGHT])[valid]
        weight = np.where(np.isfinite(value), value, weight)
    out[WEIGHT] = weight.astype(np.float64)
    for fld in (ITEM_TEXT, CATEGORY):
        if fld in column:
            out[fld] = nonempty_text(column[fld]).filter(keep).dictionary_encode().to_pandas()

    # Coordinates: as given, cleared when impossible, else from a place name.
    nan = np.full(m, np.nan)
    lat = numbers(column[LAT])[valid] if LAT in column else nan
    lon = numbers(column[LON])[valid] if LON in column else nan
    given = np.zeros(m, dtype=bool)
    for fld in (LAT, LON):
        if fld in column:
            given |= ~is_missing(text(column[fld]))[valid]
    good = plausible_location(lat, lon)
    lat, lon = np.where(good, lat, np.nan), np.where(good, lon, np.nan)
    warnings = []
    unresolved: tuple[str, ...] = ()
    # A place name stands in for coordinates only in files that carry none: where a file has
    # lat/lon columns, a row without them is unlocated (e.g. a web event), and pinning it to the
    # city's centroid would invent a hotspot there. The place column is kept as an extra either way.
    if PLACE in column and not (LAT in column and LON in column):
        place = pd.Series(text(column[PLACE]).filter(keep).to_numpy(zero_copy_only=False))
        need = ~good & (place.str.len() > 0).to_numpy()
        if need.any():
            found = resolve_places(place[need])
            lat[need], lon[need] = found["lat"].to_numpy(), found["lon"].to_numpy()
            unresolved = tuple(sorted(pd.unique(place[need][~found["resolved"].to_numpy()])))
        if unresolved:
            warnings.append(
                f"{len(unresolved)} place names could not be resolved; "
                "their rows were kept without coordinates"
            )
    out[LAT], out[LON] = lat, lon

    if TZ_OFFSET in column:
        out[TZ_OFFSET] = numbers(column[TZ_OFFSET])[valid]
    elif times.offset_min.notna().any():
        out[TZ_OFFSET] = times.offset_min.to_numpy()[valid]
        warnings.append("tz_offset_min was taken from the zone offsets written in the times")
    return Fields(out, int((given & ~good).sum()), unresolved, tuple(warnings))


def extras(table: pa.Table, mapping: dict[str, str], valid: np.ndarray) -> dict[str, object]:
    """Unmapped columns of the valid rows, as numbers when every value is one, else categorical
    text. The place column is kept too: a city name is worth having next to its coordinates.

    Parameters
    ----------
    table
        The source rows.
    mapping
        Events field -> source column (these columns are not extras, except the place).
    valid
        Bool mask of the rows kept.

    Returns
    -------
    dict
        Column name (``src_`` prefixed where it clashes with a canonical one) -> its values.
    """
    used = {col for fld, col in mapping.items() if fld != PLACE}
    out: dict[str, object] = {}
    for col in table.column_names:
        if col in used:
            continue
        clash = col in CANONICAL or col in ("row_number", "reason", CATEGORY)
        name = f"src_{col}" if clash else col
        arr = table.column(col).combine_chunks()
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            nums = numbers(arr)
            filled = ~is_missing(text(arr))
            if filled.any() and not np.isnan(nums[filled]).any():
                out[name] = nums[valid]
            else:
                out[name] = categorical(arr, valid)
        else:
            out[name] = arr.filter(pa.array(valid)).to_pandas()
    return out

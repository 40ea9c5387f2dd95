"""An item catalogue (id, text, category, coordinates, price) read and joined onto the events.

The catalogue is read like an event log (any format, compression, encoding, header or none); its
columns come from an explicit (field -> column) mapping, a column being a name or a 0-based
position (a headerless catalogue such as MovieLens ``u.item`` is mapped by position), else from
their names. Several text columns are joined with ``TEXT_SEPARATOR`` into ``item_text``; the
category becomes the events' ``category`` column; coordinates locate events that have none.
The join goes through the item categories, so the work is per item, not per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import MissingColumnsError
from core.io.columns import CATEGORY, PRICE, catalogue_synonyms, detect_catalogue
from core.io.fields import is_missing, nonempty_text, numbers, plausible_location, text
from core.io.reader import Raw
from core.schema import ITEM, ITEM_TEXT, LAT, LON

#: Text columns of a catalogue are joined with this separator into item_text.
TEXT_SEPARATOR: Final = " | "


@dataclass(frozen=True)
class Catalogue:
    ids: pd.Index  # unique item ids
    text: np.ndarray  # object, None where empty
    category: np.ndarray | None  # object, None where empty; None when the catalogue has none
    lat: np.ndarray
    lon: np.ndarray
    price: np.ndarray | None
    rows: int
    mapping: tuple[tuple[str, str], ...]  # field -> column, as used
    warnings: tuple[str, ...]

    @classmethod
    def empty(cls) -> Catalogue:
        nothing = np.array([], dtype=object)
        return cls(pd.Index([]), nothing, None, np.array([]), np.array([]), None, 0, (), ())


def _joined(table: pa.Table, cols: tuple[str, ...], keep: pa.Array, n: int) -> np.ndarray:
    if not cols:
        return np.full(n, None, dtype=object)
    parts = [nonempty_text(table.column(c)) for c in cols]
    joined = (
        parts[0]
        if len(parts) == 1
        else pc.binary_join_element_wise(*parts, TEXT_SEPARATOR, null_handling="skip")
    )
    joined = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    return joined.filter(keep).to_numpy(zero_copy_only=False)


def catalogue_from(raw: Raw, explicit: tuple[tuple[str, str | int], ...] = ()) -> Catalogue:
    """The catalogue held by ``raw`` under the explicit (field, column) pairs plus detection.

    Parameters
    ----------
    raw
        The catalogue file as read (``core.io.reader.read``).
    explicit
        (field, column) pairs that override detection; ``item_text`` may repeat to join columns.

    Returns
    -------
    Catalogue
        One entry per item id (the first row of a repeated id).

    Raises
    ------
    MissingColumnsError
        If no item id column is given or found.
    """
    table = raw.table
    columns = tuple(table.column_names)
    found = detect_catalogue(columns, explicit)
    if ITEM not in found:
        hint = "" if raw.has_header else " (no header row: map the id by position, item_id=0)"
        raise MissingColumnsError(
            f"items: no item id column: columns found {list(columns)}{hint}; names tried "
            f"{list(catalogue_synonyms()[ITEM])}; give one with --items-map item_id=COLUMN"
        )
    warnings = []
    text_cols = found.get(ITEM_TEXT, ())
    if not text_cols:
        warnings.append(
            "item catalogue has no text column (looked for "
            f"{list(catalogue_synonyms()[ITEM_TEXT])}); map one with --items-map item_text=COLUMN"
        )
    id_text = text(table.column(found[ITEM][0]))
    valid = ~is_missing(id_text)
    keep = pa.array(valid)
    n = int(valid.sum())
    item_text = _joined(table, text_cols, keep, n)
    category = _joined(table, found[CATEGORY], keep, n) if CATEGORY in found else None
    coords = [
        numbers(table.column(found[f][0]))[valid] if f in found else np.full(n, np.nan)
        for f in (LAT, LON)
    ]
    good = plausible_location(*coords)
    lat, lon = (np.where(good, c, np.nan) for c in coords)
    price = numbers(table.column(found[PRICE][0]))[valid] if PRICE in found else None
    id_values = pd.Index(id_text.filter(keep).to_numpy(zero_copy_only=False))
    first = ~id_values.duplicated()
    if not first.all():
        warnings.append(
            f"item catalogue repeats {int((~first).sum())} item ids; the first row of each was used"
        )
    return Catalogue(
        ids=id_values[first],
        text=item_text[first],
        category=None if category is None else category[first],
        lat=lat[first],
        lon=lon[first],
        price=None if price is None else price[first],
        rows=table.num_rows,
        mapping=tuple((f, c) for f, cols in found.items() for c in cols),
        warnings=tuple(warnings),
    )


def join_catalogue(
    events: pd.DataFrame, cat: Catalogue, given: bool
) -> tuple[pd.DataFrame, int, tuple[str, ...]]:
    """Join a catalogue onto events.

    Catalogue text replaces item_text where it has some; catalogue coordinates fill events without
    any; the catalogue category and price become ``category`` and ``price`` columns.

    Parameters
    ----------
    events
        Events with canonical column names.
    cat
        From :func:`catalogue_from`.
    given
        Whether a catalogue was given; without one the events come back unchanged.

    Returns
    -------
    tuple of (pandas.DataFrame, int, tuple of str)
        The joined events, how many of the events' items the catalogue holds, and warnings.
    """
    if not given:
        return events, 0, ()
    items = events[ITEM].cat.categories
    where = cat.ids.get_indexer(items)  # catalogue row of each item, -1 if absent
    matched = int((where >= 0).sum())
    row_where = where[events[ITEM].cat.codes.to_numpy()]
    hit = row_where >= 0
    events = events.copy()

    def per_row(values: np.ndarray) -> np.ndarray:
        out = np.full(len(events), None, dtype=object)
        out[hit] = values[row_where[hit]]
        return out

    for fld, values in ((ITEM_TEXT, cat.text), (CATEGORY, cat.category)):
        if values is None:
            continue
        new = per_row(values)
        has = pd.notna(new)
        if has.any() or fld not in events:
            base = (
                events[fld].astype(object).to_numpy()
                if fld in events
                else np.full(len(events), None, dtype=object)
            )
            events[fld] = pd.Categorical(np.where(has, new, base))
    if cat.price is not None:
        price = np.full(len(events), np.nan)
        price[hit] = cat.price[row_where[hit]]
        events[PRICE if PRICE not in events else "item_price"] = price
    no_xy = np.isnan(events[LAT].to_numpy()) & hit
    events.loc[no_xy, LAT] = cat.lat[row_where[no_xy]]
    events.loc[no_xy, LON] = cat.lon[row_where[no_xy]]
    warnings = ()
    if matched < len(items):
        warnings = (f"{len(items) - matched} of {len(items)} items are not in the catalogue",)
    return events, matched, warnings

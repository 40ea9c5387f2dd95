"""Which source column holds which field: synonyms (English and Chinese) and token matching.

A column name is compared with the synonyms of each field (``core.schema.SYNONYMS`` plus the names
kept here) after case folding and removing punctuation (``User ID`` = ``user_id`` = ``userid``,
``user.id`` too). When no synonym equals the whole name, its last parts are tried: the name is cut
into tokens at punctuation and camelCase (``poiName`` -> ``poi name``, ``context.location.latitude``
-> ``context location latitude``) and each tail (``name``, ``latitude``) is compared; Chinese names
match on their ending (``购买时间`` ends with ``时间``). Exact matches win over tails; among several
candidates the earlier synonym wins; each column serves one field (``category`` may share the
item-text column).

A mapping is always (field -> column); a column is a name or a 0-based position.
"""

from __future__ import annotations

import re
from typing import Final

from core import schema
from core.errors import InvalidInputError
from core.io.synonyms import (
    CATALOGUE_FIELDS,
    CATALOGUE_ID_SYNONYMS,
    CATEGORY,
    CATEGORY_SYNONYMS,
    EXTRA_SYNONYMS,
    MAPPABLE,
    NO_TAIL,
    PLACE,
    PLACE_SYNONYMS,
    PRICE,
    PRICE_SYNONYMS,
)
from core.schema import (
    CANONICAL,
    ITEM,
    ITEM_TEXT,
    LAT,
    LON,
    REQUIRED,
    USER,
)

_CJK: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def norm_name(name: object) -> str:
    """Case-folded, without punctuation or spaces; letters of any script kept.

    Parameters
    ----------
    name
        A header cell (anything ``str`` accepts).

    Returns
    -------
    str
    """
    return re.sub(r"[\W_]+", "", str(name).casefold())


def tokens(name: object) -> list[str]:
    """``poiName`` -> ``['poi', 'name']``, ``user.id`` -> ``['user', 'id']``, ``POI_Lat`` ->
    ``['poi', 'lat']``.

    Parameters
    ----------
    name
        A header cell in camel, snake, dotted or spaced case.

    Returns
    -------
    list of str
        Its case-folded words, in order.
    """
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return [t.casefold() for t in re.split(r"[\W_]+", text) if t]


def _normed(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(norm_name(n) for n in names))


def all_synonyms() -> dict[str, tuple[str, ...]]:
    """Field -> normalised synonyms, best first (events fields, ``place`` and ``category``).

    Returns
    -------
    dict of str to tuple of str
    """
    merged = {
        f: _normed((*schema.SYNONYMS.get(f, ()), *EXTRA_SYNONYMS.get(f, ()))) for f in CANONICAL
    }
    merged[PLACE] = _normed(PLACE_SYNONYMS)
    merged[CATEGORY] = _normed(CATEGORY_SYNONYMS)
    return merged


def catalogue_synonyms() -> dict[str, tuple[str, ...]]:
    """Catalogue field -> normalised synonyms.

    Returns
    -------
    dict of str to tuple of str
        Item id (with catalogue-only id names), text, category, lat, lon and price.
    """
    events = all_synonyms()
    return {
        ITEM: events[ITEM] + _normed(CATALOGUE_ID_SYNONYMS),
        ITEM_TEXT: events[ITEM_TEXT],
        CATEGORY: events[CATEGORY],
        LAT: events[LAT],
        LON: events[LON],
        PRICE: _normed(PRICE_SYNONYMS),
    }


_USER_WORDS: Final = frozenset(_normed((*schema.SYNONYMS[USER], *EXTRA_SYNONYMS[USER])))


def match(column: str, names: tuple[str, ...], field: str = "") -> tuple[int, int, int] | None:
    """How well ``column`` matches a synonym list: (0, rank, 0) for the whole name, (1, cut,
    rank) for a tail, None for no match (smaller is better).

    Parameters
    ----------
    column
        The header cell.
    names
        Normalised synonyms, best first.
    field
        The field asked for; user-like heads (``user_name``) only match the user field.

    Returns
    -------
    tuple of int, or None
    """
    key = norm_name(column)
    rank = {n: i for i, n in enumerate(names)}
    if key in rank:
        return (0, rank[key], 0)
    parts = tokens(column)
    for cut in range(1, len(parts)):
        tail = "".join(parts[cut:])
        head = "".join(parts[:cut])
        if tail in rank and tail not in NO_TAIL and (field == USER or head not in _USER_WORDS):
            return (1, cut, rank[tail])
    if _CJK.search(key):
        hits = [
            (len(key) - len(n), rank[n])
            for n in names
            if len(n) >= 2 and _CJK.search(n) and key.endswith(n)
        ]
        if hits:
            return (1, *min(hits))
    return None


def is_known_name(cell: str) -> bool:
    """Whether a header cell names a field (whole name; or a tail of an identifier-like name).

    Parameters
    ----------
    cell
        One cell of a candidate header row; it must look like an identifier (a letter first, at
        most 40 characters) to count.

    Returns
    -------
    bool
        False for phrases with spaces unless they are an exact synonym.
    """
    if not re.fullmatch(r"[^\W\d][\w.\- ]{0,39}", str(cell).strip()):
        return False
    cell = str(cell).strip()
    if " " in cell:  # a phrase such as "Toy Story" is data, not a name; exact names only
        key = norm_name(cell)
        return any(key in names for names in all_synonyms().values())
    return any(match(cell, names, f) is not None for f, names in all_synonyms().items())


def resolve_column(columns: tuple[str, ...], key: str | int, what: str) -> str:
    """The column named ``key``, or at 0-based position ``key``.

    Parameters
    ----------
    columns
        The source's column names.
    key
        A name, or a position (int or digit string).
    what
        The argument named in the error message.

    Returns
    -------
    str
        The column's name (a name wins over a position when a column is called "0").

    Raises
    ------
    InvalidInputError
        If ``key`` is neither a column name nor a position in range.
    """
    text = str(key)
    if text in columns:
        return text
    if text.strip().isdigit() and int(text) < len(columns):
        return columns[int(text)]
    raise InvalidInputError(
        f"{what}: expected a column name or a 0-based position below {len(columns)}, found "
        f"{text!r} (neither a column name nor a 0-based position); found columns {list(columns)}"
    )


def _check_pairs(pairs: tuple, fields: tuple[str, ...], what: str) -> None:
    for pair in pairs:
        if len(pair) != 2:
            raise InvalidInputError(f"{what}: expected (field, column) pairs, found {pair!r}")
        fld, col = pair
        if fld not in fields:
            hint = " (pairs are (field, column))" if str(col) in fields else ""
            raise InvalidInputError(
                f"{what}: field {fld!r} for column {col!r} is not one of {list(fields)}{hint}"
            )


def detect_mapping(
    columns: tuple[str, ...],
    explicit: tuple[tuple[str, str | int], ...] = (),
    ignore: tuple[str, ...] = (),
    place_column: str | None = None,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Events field -> source column, from the explicit (field, column) pairs then from names.

    Parameters
    ----------
    columns
        The source's column names.
    explicit
        (field, column name or position) pairs that win over detection.
    ignore
        Fields not to detect.
    place_column
        Column of place names to geocode, if any.

    Returns
    -------
    tuple of (dict, tuple of str)
        The mapping (in ``MAPPABLE`` order) and the required fields still missing.
    """
    _check_pairs(explicit, MAPPABLE, "mapping")
    chosen = {fld: resolve_column(columns, col, "mapping") for fld, col in explicit}
    if place_column is not None:
        chosen[PLACE] = resolve_column(columns, place_column, "place_column")
    synonyms = all_synonyms()
    used = set(chosen.values())
    order = [f for f in MAPPABLE if f != CATEGORY]
    candidates = sorted(
        (score[0], fi, score[1:], ci, fld, col)
        for fi, fld in enumerate(order)
        if fld not in chosen and fld not in ignore
        for ci, col in enumerate(columns)
        if (score := match(col, synonyms[fld], fld)) is not None
    )
    for *_, fld, col in candidates:
        if fld not in chosen and col not in used:
            chosen[fld] = col
            used.add(col)
    if CATEGORY not in chosen and CATEGORY not in ignore:
        # the category may be the item-text column itself (a check-in log's venue category)
        free = [c for c in columns if c not in used or c == chosen.get(ITEM_TEXT)]
        scored = [
            (s, i, c) for i, c in enumerate(free) if (s := match(c, synonyms[CATEGORY])) is not None
        ]
        if scored:
            chosen[CATEGORY] = min(scored)[2]
    ordered = {f: chosen[f] for f in MAPPABLE if f in chosen}
    return ordered, tuple(f for f in REQUIRED if f not in ordered)


def detect_catalogue(
    columns: tuple[str, ...], explicit: tuple[tuple[str, str | int], ...] = ()
) -> dict[str, tuple[str, ...]]:
    """Catalogue field -> source columns (several for ``item_text``, in column order).

    Explicit (field, column) pairs win; a field given explicitly is not detected. Detected text
    columns are every column whose name is a text or category synonym.

    Parameters
    ----------
    columns
        The catalogue's column names.
    explicit
        (field, column name or position) pairs.

    Returns
    -------
    dict of str to tuple of str
    """
    _check_pairs(explicit, CATALOGUE_FIELDS, "items_mapping")
    out: dict[str, list[str]] = {}
    for fld, col in explicit:
        out.setdefault(fld, []).append(resolve_column(columns, col, "items_mapping"))
    synonyms = catalogue_synonyms()
    used = {c for cols in out.values() for c in cols}
    for fld in (ITEM, LAT, LON, PRICE, CATEGORY):
        if fld in out:
            continue
        scored = [
            (s, i, c)
            for i, c in enumerate(columns)
            if c not in used and (s := match(c, synonyms[fld], fld)) is not None
        ]
        if scored:
            out[fld] = [min(scored)[2]]
            if fld != CATEGORY:
                used.add(out[fld][0])
    if ITEM_TEXT not in out:
        text = [
            c
            for c in columns
            if c not in used
            and (match(c, synonyms[ITEM_TEXT], ITEM_TEXT) is not None or c in out.get(CATEGORY, ()))
        ]
        if text:
            out[ITEM_TEXT] = text
    return {f: tuple(out[f]) for f in CATALOGUE_FIELDS if f in out}


def names_tried(fields: tuple[str, ...]) -> dict[str, list[str]]:
    """The synonyms looked for, per field, for a "no column found" message.

    Parameters
    ----------
    fields
        The fields that were not found.

    Returns
    -------
    dict of str to list of str
    """
    synonyms = all_synonyms()
    return {f: list(synonyms[f]) for f in fields}

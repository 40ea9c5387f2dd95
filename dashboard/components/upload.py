"""Upload widgets: the size limit, reading an uploaded file, what was detected in it, and the
column-mapping form (events, and the item catalogue in a second section of the same form).

Any file name is accepted: the content decides the format (``core.io.sniff``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core import schema
from core.io import CATALOGUE_FIELDS, MAPPABLE, PLACE, PRICE
from dashboard.components.feedback import md_escape

NONE = "(none)"
FIELDS: tuple[str, ...] = MAPPABLE
FIELD_HELP: dict[str, str] = {
    schema.USER: "who (required)",
    schema.ITEM: "what (required)",
    schema.TS: "when (required)",
    schema.EVENT: "event type: view, click, purchase…",
    schema.WEIGHT: "rating / value (optional)",
    schema.ITEM_TEXT: "item title / category (read by the language model)",
    schema.LAT: "latitude",
    schema.LON: "longitude",
    schema.TZ_OFFSET: "UTC offset in minutes",
    PLACE: "place name (city, region): located by an offline gazetteer",
    schema.CATEGORY: "item category (offered as topics)",
}
ITEM_FIELD_HELP: dict[str, str] = {
    schema.ITEM: "the id the events refer to (required)",
    schema.ITEM_TEXT: "title / name / description: several columns are joined",
    schema.CATEGORY: "category or genre",
    schema.LAT: "latitude of the item (a venue, a store): locates events without one",
    schema.LON: "longitude of the item",
    PRICE: "price",
}


def limit_mb() -> int:
    """The upload limit in MB (``server.maxUploadSize``), stated in the UI and enforced."""
    try:
        return int(st.get_option("server.maxUploadSize"))
    except Exception:  # outside a configured server (tests): Streamlit's default
        return 200


def read_upload(file: object) -> bytes | None:
    """The bytes of an uploaded file, or None with a message when it is over the limit."""
    size = int(getattr(file, "size", 0) or 0)
    if size > limit_mb() * 1024 * 1024:
        st.error(
            f"**{md_escape(getattr(file, 'name', 'file'))}** is {size / 1e6:,.0f} MB; the limit is "
            f"{limit_mb()} MB. Upload a smaller extract (e.g. a time range) or a gzip/Parquet copy."
        )
        return None
    return file.getvalue()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Look:
    """One uploaded file as sniffed, with the reading options the analyst chose."""

    name: str
    sniffed: object
    has_header: bool | None
    sheet: str | None


FORMAT_NAMES = {
    "csv": "delimited text",
    "jsonl": "JSON Lines",
    "json": "JSON array",
    "parquet": "Parquet",
    "excel": "Excel workbook",
}
DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}


def detected_line(name: str, sniffed: object) -> str:
    """What was detected, for people: format, delimiter, encoding, header row, sheet."""
    fmt = getattr(sniffed, "format", "")
    delimiter = getattr(sniffed, "delimiter", None)
    compression = getattr(sniffed, "compression", None)
    found = {
        "format": FORMAT_NAMES.get(fmt, fmt) + (f" ({compression})" if compression else ""),
        "delimiter": DELIMITER_NAMES.get(delimiter, repr(delimiter)) if delimiter else None,
        "columns": str(len(getattr(sniffed, "columns", ()))),
        "encoding": getattr(sniffed, "encoding", None),
        "header row": {True: "yes", False: "no (columns are numbered from 0)"}.get(
            getattr(sniffed, "has_header", None)
        )
        if fmt in ("csv", "excel")
        else None,
        "sheet": (getattr(sniffed, "sheets", ()) or (None,))[0] if fmt == "excel" else None,
    }
    described = " · ".join(
        f"{label}: {md_escape(str(value))}" for label, value in found.items() if value is not None
    )
    return f"**{md_escape(name)}** · detected {described}"


def look(name: str, data: bytes, *, key: str, items: bool = False) -> Look:
    """Sniff ``data``, show what was detected and a preview, and offer the reading options that
    detection may get wrong (header row, Excel sheet). Outside any form: a change re-reads."""
    from core.io.ingest import IngestSpec, sniff

    def spec(header: bool | None, sheet: str | None) -> IngestSpec:
        if items:
            return IngestSpec(items_has_header=header, items_sheet=sheet)
        return IngestSpec(has_header=header, sheet=sheet)

    sniffed = sniff(data, spec(None, None), items=items)
    header: bool | None = None
    sheet: str | None = None
    sheets = tuple(getattr(sniffed, "sheets", ()) or ())
    c1, c2 = st.columns([1, 1])
    if len(sheets) > 1:
        sheet = c2.selectbox("Sheet", sheets, key=f"{key}_sheet")
    if sniffed.format in ("csv", "excel"):
        chosen = c1.toggle(
            "First row is a header",
            value=bool(sniffed.has_header),
            key=f"{key}_header",
            help="Detected from the rows; switch it when the detection is wrong.",
        )
        if chosen != bool(sniffed.has_header):
            header = chosen
    if header is not None or (sheet is not None and sheet != sheets[0]):
        sniffed = sniff(data, spec(header, sheet), items=items)
    st.markdown(detected_line(name, sniffed))
    preview = getattr(sniffed, "preview", None)
    if isinstance(preview, pd.DataFrame) and len(preview):
        st.dataframe(preview.head(5).astype(str), hide_index=True, width="stretch")
    return Look(name, sniffed, header, sheet)


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=6)
    for data in parts:
        h.update(data[:1_000_000] + str(len(data)).encode())
    return h.hexdigest()


def _example_labels(sniffed: object) -> dict[str, str]:
    """column -> "column · e.g. <first value>" (a headerless file is mapped by these)."""
    preview = getattr(sniffed, "preview", None)
    out: dict[str, str] = {}
    for col in getattr(sniffed, "columns", ()):
        value = ""
        if isinstance(preview, pd.DataFrame) and col in preview.columns and len(preview):
            value = next((str(v) for v in preview[col] if str(v).strip()), "")
        out[str(col)] = f"{col} · e.g. {value[:28]}" if value else str(col)
    return out


def _field_picks(
    fields: tuple[str, ...], helps: dict[str, str], sniffed: object, key: str
) -> dict[str, list[str]]:
    """One selectbox per field (a multiselect for catalogue text), pre-filled by detection."""
    columns = [str(c) for c in getattr(sniffed, "columns", ())]
    detected: dict[str, list[str]] = {}
    for field, column in getattr(sniffed, "mapping", ()):
        detected.setdefault(field, []).append(str(column))
    labels = _example_labels(sniffed)
    options = [NONE, *columns]
    chosen: dict[str, list[str]] = {}
    cols = st.columns(3)
    for i, field in enumerate(fields):
        slot = cols[i % 3]
        found = [c for c in detected.get(field, []) if c in columns]
        if field == schema.ITEM_TEXT and getattr(sniffed, "role", "events") == "items":
            picks = slot.multiselect(
                field,
                columns,
                default=found,
                format_func=labels.get,
                help=helps.get(field),
                key=f"{key}_{field}",
                placeholder="(none)",
            )
        else:
            index = options.index(found[0]) if found else 0
            pick = slot.selectbox(
                field,
                options,
                index=index,
                format_func=lambda c: labels.get(c, c),
                help=helps.get(field),
                key=f"{key}_{field}",
            )
            picks = [] if pick == NONE else [pick]
        if picks:
            chosen[field] = picks
    return chosen


def mapping_form(
    name: str,
    data: bytes,
    *,
    key: str,
    items: tuple[str, bytes] | None = None,
    submit: str = "Load these events",
):
    """What was detected in the events file (and the catalogue) and an editable mapping for
    each; return an ``IngestSpec`` on submit (None before, or when a required field is off)."""
    from core.io.ingest import IngestSpec

    digest = _digest(data, items[1] if items else b"")
    events_look = look(name, data, key=f"{key}_{digest}_ev")
    sniffed = events_look.sniffed
    missing = [f for f in getattr(sniffed, "missing", ()) if f in schema.REQUIRED]
    if missing:
        st.warning(
            f"Not detected: {', '.join(missing)}. Pick the matching columns below; if the preview "
            "looks garbled, the file may not be an event log (or it needs another encoding)."
        )
    items_look = None
    if items is not None:
        st.markdown("**Item catalogue**")
        items_look = look(items[0], items[1], key=f"{key}_{digest}_it", items=True)
        if getattr(items_look.sniffed, "missing", ()):
            st.warning(
                "No item id column detected in the catalogue: pick it in the catalogue mapping "
                "below (a headerless catalogue is mapped by column number)."
            )
    with st.form(key=f"{key}_{digest}"):
        st.markdown("**Column mapping** (detected; change any field)")
        chosen = _field_picks(FIELDS, FIELD_HELP, sniffed, f"{key}_{digest}")
        item_chosen: dict[str, list[str]] = {}
        if items_look is not None:
            st.markdown("**Catalogue mapping** (detected; change any field)")
            item_chosen = _field_picks(
                CATALOGUE_FIELDS, ITEM_FIELD_HELP, items_look.sniffed, f"{key}_{digest}_items"
            )
        submitted = st.form_submit_button(submit, type="primary")
    if not submitted:
        return None
    missing = [f for f in schema.REQUIRED if f not in chosen]
    if missing:
        st.error(f"Choose a column for {', '.join(missing)}: these fields are required.")
        return None
    if items_look is not None and schema.ITEM not in item_chosen:
        st.error("Choose the catalogue's item_id column: the events are joined on it.")
        return None
    # A field left at "(none)" stays off: it is not detected again behind the analyst's back.
    return IngestSpec(
        mapping=tuple((f, cols[0]) for f, cols in chosen.items()),
        ignore=tuple(field for field in FIELDS if field not in chosen),
        has_header=events_look.has_header,
        sheet=events_look.sheet,
        items_mapping=tuple((f, c) for f, cols in item_chosen.items() for c in cols),
        items_has_header=items_look.has_header if items_look else None,
        items_sheet=items_look.sheet if items_look else None,
    )

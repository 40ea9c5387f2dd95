"""Upload widgets: the size limit, reading an uploaded file, and the column-mapping form."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core import schema
from dashboard.components.feedback import md_escape

NONE = "(none)"
PLACE = "place"
FIELDS: tuple[str, ...] = (*schema.CANONICAL, PLACE)
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


def _detected(sniffed: object) -> dict[str, str]:
    """field -> source column from a Sniffed result (its mapping is (field, column))."""
    return {field: str(column) for field, column in getattr(sniffed, "mapping", ())}


def mapping_form(name: str, data: bytes, *, key: str):
    """Show what was detected in the file and an editable mapping; return an IngestSpec on submit."""
    from core.io.ingest import IngestSpec, sniff

    digest = hashlib.blake2b(data[:1_000_000] + str(len(data)).encode(), digest_size=6).hexdigest()
    sniffed = sniff(data)
    columns = [str(c) for c in getattr(sniffed, "columns", ())]
    preview = getattr(sniffed, "preview", None)
    detected = _detected(sniffed)
    found = {
        "delimiter": repr(getattr(sniffed, "delimiter", None)),
        "encoding": getattr(sniffed, "encoding", None),
        "header row": {True: "yes", False: "no"}.get(getattr(sniffed, "has_header", None)),
    }
    described = " · ".join(
        f"{label}: {md_escape(value)}"
        for label, value in found.items()
        if value not in (None, "None")
    )
    st.markdown(f"**{md_escape(name)}** · {len(columns)} columns · {described}")
    missing = [f for f in getattr(sniffed, "missing", ()) if f in schema.REQUIRED]
    if missing:
        st.warning(
            f"Not detected: {', '.join(missing)}. Pick the matching columns below; if the preview "
            "looks garbled, the file may not be a CSV/TSV/Parquet of events (or use another "
            "encoding or delimiter)."
        )
    if isinstance(preview, pd.DataFrame) and len(preview):
        st.dataframe(preview.head(5).astype(str), hide_index=True, width="stretch")
    with st.form(key=f"{key}_{digest}"):
        st.markdown("**Column mapping** (detected; change any field)")
        options = [NONE, *columns]
        chosen: dict[str, str] = {}
        cols = st.columns(3)
        for i, field in enumerate(FIELDS):
            default = detected.get(field)
            index = options.index(default) if default in options else 0
            pick = cols[i % 3].selectbox(
                field, options, index=index, help=FIELD_HELP[field], key=f"{key}_{digest}_{field}"
            )
            if pick != NONE:
                chosen[field] = pick
        submitted = st.form_submit_button("Load these events", type="primary")
    if not submitted:
        return None
    missing = [f for f in schema.REQUIRED if f not in chosen]
    if missing:
        st.error(f"Choose a column for {', '.join(missing)}: these fields are required.")
        return None
    # A field left at "(none)" stays off: it is not detected again behind the analyst's back.
    return IngestSpec(
        mapping=tuple(chosen.items()),
        ignore=tuple(field for field in FIELDS if field not in chosen),
    )

"""Data: upload an events file (+ optional item catalogue) or keep the bundled sample."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import schema
from dashboard.components import dataset as ds
from dashboard.components import exports, stored_pages
from dashboard.components.feedback import guard, md_escape
from dashboard.components.upload import limit_mb, mapping_form, read_upload


def _pairs(value: object, columns: list[str]) -> pd.DataFrame:
    items = value.items() if isinstance(value, dict) else (value or [])
    return pd.DataFrame([(str(a), b) for a, b in items], columns=columns)


def _n(value: object) -> str:
    """A count short enough for a metric tile: 1,234 · 136.1k · 1.01M."""
    n = int(value or 0)
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 10_000:
        return f"{n / 1e3:.1f}k"
    return f"{n:,}"


st.title("Data")
data = ds.current()
ds.header(data)
stored_pages.render(data, "data")

left, right = st.columns([5, 6], gap="large")

with left:
    st.subheader("Load your events")
    st.markdown(
        f"CSV, TSV or Parquet (optionally gzip-compressed), one row per event: who, what, when "
        f"and optionally where. **Files up to {limit_mb()} MB.** Everything stays on this machine."
    )
    events_file = st.file_uploader(
        "Events file", type=["csv", "tsv", "txt", "gz", "parquet"], key="up_events"
    )
    items_file = st.file_uploader(
        "Item catalogue (optional: item id + title / category / description)",
        type=["csv", "tsv", "txt", "gz", "parquet"],
        key="up_items",
    )
    if events_file is None:
        st.caption("No file chosen: the pages show the bundled sample.")
    else:
        events_bytes = read_upload(events_file)
        items_bytes = read_upload(items_file) if items_file is not None else None
        if events_bytes is not None:
            with guard("Reading the file", "Check that it is a CSV/TSV/Parquet file of events."):
                request = mapping_form(events_file.name, events_bytes, key="up_map")
                if request is not None:
                    from core.io.ingest import ingest

                    with st.status("Loading events…", expanded=True) as status:
                        st.write("Parsing, validating and de-duplicating rows")
                        result = ingest(events_bytes, items=items_bytes, spec=request)
                        st.write(
                            f"{result.report.accepted:,} events accepted, "
                            f"{result.report.rejected:,} rejected"
                        )
                        if result.report.accepted == 0:
                            status.update(label="No usable events", state="error")
                            st.error(
                                "No row could be used. Check the column mapping: user, item and "
                                "time must point at the right columns."
                            )
                        else:
                            ds.replace(
                                ds.from_events(
                                    events_file.name,
                                    result.events,
                                    result.rejected,
                                    result.report.to_dict(),
                                )
                            )
                            status.update(label="Events loaded", state="complete")
                            st.rerun()
    if not data.is_sample:
        st.button("Back to the bundled sample", on_click=ds.reset_to_sample, key="back_sample")

with right:
    st.subheader("Ingest report")
    report = data.report or {}
    if not report:
        st.info("This dataset came without an ingest report.")
    else:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Rows in", _n(report.get("rows_in")), help=f"{report.get('rows_in', 0):,}")
        c2.metric("Accepted", _n(report.get("accepted")), help=f"{report.get('accepted', 0):,}")
        c3.metric("Rejected", _n(report.get("rejected")), help=f"{report.get('rejected', 0):,}")
        c4.metric(
            "Duplicates", _n(report.get("duplicates")), help=f"{report.get('duplicates', 0):,}"
        )
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Users", _n(report.get("n_users")))
        c2.metric("Items", _n(report.get("n_items")))
        c3.metric("Located", f"{100 * float(report.get('located_share') or 0):.0f}%")
        c4.metric(
            "In catalogue",
            _n(report.get("catalogue_matched_items")),
            help="items of the events found in the item catalogue",
        )
        st.markdown(
            f"Time range: **{md_escape(report.get('time_min') or '–')}** → "
            f"**{md_escape(report.get('time_max') or '–')}**"
        )
        mapping = _pairs(report.get("column_mapping"), ["field", "source column"])
        reasons = _pairs(report.get("rejected_by_reason"), ["reason", "rows"])
        t1, t2 = st.columns(2)
        with t1:
            st.markdown("**Column mapping used**")
            st.dataframe(mapping, hide_index=True, width="stretch")
            exports.table(mapping, "column_mapping", {"data": data.name}, key="dl_mapping")
        with t2:
            st.markdown("**Rejected rows by reason**")
            if reasons.empty:
                st.caption("None: every row was usable.")
            else:
                st.dataframe(reasons, hide_index=True, width="stretch")
                exports.table(reasons, "rejected_by_reason", {"data": data.name}, key="dl_reasons")
        for warning in report.get("warnings") or []:
            st.warning(md_escape(warning))
    if data.rejected is not None and len(data.rejected):
        with st.expander(f"Rejected rows ({len(data.rejected):,})"):
            st.dataframe(data.rejected.head(500), hide_index=True, width="stretch")
            exports.table(data.rejected, "rejected_rows", {"data": data.name}, key="dl_rejected")

st.subheader("First events")
preview = data.events.head(200)
st.dataframe(preview, hide_index=True, width="stretch")
exports.table(data.events, "events", {"data": data.name}, key="dl_events")
st.caption(
    f"Canonical columns: {', '.join(schema.CANONICAL)}; extra columns of the upload are kept."
)

st.subheader("Open an atlas folder")
st.caption("A folder built by `python -m core atlas … --out DIR` (either engine) on this machine.")
stored_pages.open_control()

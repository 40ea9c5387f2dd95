"""Data: upload an events file (+ optional item catalogue) or keep the bundled sample."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import schema
from dashboard.components import dataset as ds
from dashboard.components import exports, stored_pages
from dashboard.components.arrivals import add_events, arrivals_table, watch_folder
from dashboard.components.feedback import guard, md_escape
from dashboard.components.tables import readable
from dashboard.components.upload import limit_mb, mapping_form, read_upload


def _pairs(value: object, columns: list[str]) -> pd.DataFrame:
    items = value.items() if isinstance(value, dict) else (value or [])
    return pd.DataFrame([(str(a), b) for a, b in items], columns=columns)


def when(value: object) -> str:
    """A time for people: ``2026-04-27 13:05 UTC`` (``–`` when unknown)."""
    if value in (None, ""):
        return "–"
    try:
        return f"{pd.Timestamp(value).tz_convert('UTC'):%Y-%m-%d %H:%M} UTC"
    except (TypeError, ValueError):
        return str(value)


def _n(value: object) -> str:
    """A count short enough for a metric tile: 1,234 · 136.1k · 1.01M."""
    n = int(value or 0)
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 10_000:
        return f"{n / 1e3:.1f}k"
    return f"{n:,}"


data = ds.open_page("Data", "data")

left, right = st.columns([5, 6], gap="large")

with left:
    st.subheader("Load your events")
    st.markdown(
        f"Any event log, one row per event (who, what, when, optionally where): delimited text "
        f"with any delimiter (`,` `;` tab `|` `::`), JSON Lines, JSON, Parquet or Excel, "
        f"optionally gzip/zip-compressed. The content decides the format, not the file name. "
        f"**Files up to {limit_mb()} MB.** Everything stays on this machine."
    )
    events_file = st.file_uploader("Events file", key="up_events")
    items_file = st.file_uploader(
        "Item catalogue (optional: item id + title / category / coordinates)", key="up_items"
    )
    if events_file is None:
        st.caption("No file chosen: the pages show the bundled sample.")
    else:
        events_bytes = read_upload(events_file)
        items_bytes = read_upload(items_file) if items_file is not None else None
        if events_bytes is not None:
            with guard(
                "Reading the file", "Check that it is an event log (see the formats above)."
            ):
                catalogue = (items_file.name, items_bytes) if items_bytes is not None else None
                request = mapping_form(
                    events_file.name, events_bytes, key="up_map", items=catalogue
                )
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
                                    catalogue=items_bytes,
                                    ingest_spec=request,
                                )
                            )
                            status.update(label="Events loaded", state="complete")
                            st.rerun()
    if not data.is_sample:
        st.button("Back to the bundled sample", on_click=ds.reset_to_sample, key="back_sample")

    st.subheader("Add events")
    st.markdown(
        "New events for the loaded log (the next day's export, say): read like it, joined with "
        "its catalogue, exact duplicates dropped; interests and timelines are carried forward, "
        "not recomputed."
        + (
            f" Files in the watched folder **{md_escape(watched.name)}/** are added too, each"
            " once: those already there when the session began, then each new or changed one."
            if (watched := watch_folder()) is not None
            else " (Set `ATLAS_WATCH=DIR` to fold in new files of a folder as they arrive.)"
        )
    )
    more_file = st.file_uploader("More events", key="up_more")
    if more_file is not None:
        more_bytes = read_upload(more_file)
        if more_bytes is not None:
            with guard("Adding the events", "Check that the file is an event log like the first."):
                more = mapping_form(
                    more_file.name, more_bytes, key="more_map", submit="Add these events"
                )
                if more is not None:
                    with st.spinner("Folding the new events in…"):
                        arrival = add_events(data, more_file.name, more_bytes, more)
                    if arrival is None:
                        st.error("No row of that file could be used: check its mapping.")
                    else:
                        st.session_state["atlas_last_arrival"] = arrival.summary()
                        st.rerun()
    if st.session_state.get("atlas_last_arrival"):
        st.success(md_escape(st.session_state["atlas_last_arrival"]))
    if data.arrivals:
        st.markdown("**Arrivals**")
        st.dataframe(arrivals_table(data), hide_index=True, width="stretch")

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
            f"Time range: **{md_escape(when(report.get('time_min')))}** → "
            f"**{md_escape(when(report.get('time_max')))}**"
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
st.dataframe(readable(preview), hide_index=True, width="stretch")
exports.table(data.events, "events", {"data": data.name}, key="dl_events")
st.caption(
    f"Canonical columns: {', '.join(schema.CANONICAL)}; extra columns of the upload are kept."
)

st.subheader("Open an atlas folder")
st.caption("A folder built by `python -m core atlas … --out DIR` (either engine) on this machine.")
stored_pages.open_control()

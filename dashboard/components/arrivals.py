"""Events that keep arriving: a further upload on the Data page, or a watched folder
(``$ATLAS_WATCH``) whose new files are folded into the session's dataset while the app runs.

Both go through :func:`add_events`: the new file is read with the dataset's mapping and joined with
its catalogue, then ``cached.extend`` (``Atlas.extend``) carries interests and timelines forward.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from core.atlas import AnalysisSpec
from dashboard import cached
from dashboard.components import dataset as ds
from dashboard.components.feedback import md_escape

WATCH_ENV = "ATLAS_WATCH"
POLL = "5s"
SEEN_KEY = "watch_seen"  # file name -> (mtime, size) already handled (or the dataset's own)
PENDING_KEY = "watch_pending"  # file name -> (mtime, size) first seen: read when it stops changing
FAILED_KEY = "watch_failed"  # file name -> message


def add_events(data: ds.Dataset, source: str, payload: bytes | str, spec=None):
    """Read ``payload`` (bytes or a path) like the dataset's own file, fold it in and make the
    grown log the session's dataset. Returns the arrival, or None when no row was usable."""
    from core.io.ingest import IngestSpec, ingest

    base = data.ingest_spec if data.ingest_spec is not None else IngestSpec()
    if spec is not None:  # the events mapping from the form; the catalogue's stays the dataset's
        base = replace(
            spec,
            items_mapping=base.items_mapping,
            items_has_header=base.items_has_header,
            items_sheet=base.items_sheet,
        )
    result = ingest(payload, items=data.catalogue, spec=base)
    if result.report.accepted == 0:
        return None
    grown = cached.extend(data.fingerprint, AnalysisSpec(), source, data.events, result.events)
    ds.replace(ds.extended(data, grown), keep_widgets=True)
    return grown.arrivals[-1]


def arrivals_table(data: ds.Dataset) -> pd.DataFrame:
    """One row per batch added: when, from where, counts, span, what the analysis did."""
    rows = [
        {
            "received (UTC)": f"{a.received:%Y-%m-%d %H:%M:%S}",
            "source": a.source,
            "events added": int(a.added),
            "duplicates dropped": int(a.duplicates),
            "new users": int(a.new_users),
            "new items": int(a.new_items),
            "from": f"{a.time_min:%Y-%m-%d %H:%M}" if a.time_min is not None else "",
            "to": f"{a.time_max:%Y-%m-%d %H:%M}" if a.time_max is not None else "",
            "analysis": a.how,
        }
        for a in data.arrivals
    ]
    return pd.DataFrame(rows)


def _files(folder: Path) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    for path in folder.iterdir():  # one folder listing per poll
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            out[path.name] = (stat.st_mtime, stat.st_size)
    return out


def poll(folder: Path) -> list[str]:
    """Fold the folder's files into the session's dataset, each version of a file once (a file is
    read once it has stopped changing between two polls; those there at the start of the session
    too, except the dataset's own); return what happened, one line per file."""
    now = _files(folder)
    state = st.session_state
    if SEEN_KEY not in state:
        # Files already there when the session began are events the analyst put there to be
        # added, so they are read once too, like new ones; only the loaded dataset's own files
        # ($ATLAS_DATASET and its catalogue $ATLAS_ITEMS) are not events to add to it.
        own = own_files(folder)
        state[SEEN_KEY] = {name: stamp for name, stamp in now.items() if name in own}
        state[PENDING_KEY], state[FAILED_KEY] = {}, {}
    seen, pending, failed = state[SEEN_KEY], state[PENDING_KEY], state[FAILED_KEY]
    lines: list[str] = []
    for name, stamp in sorted(now.items()):
        if seen.get(name) == stamp:
            continue
        if pending.get(name) != stamp:  # new or still being written: look again next time
            pending[name] = stamp
            continue
        del pending[name]
        seen[name] = stamp
        try:
            arrival = add_events(ds.current(), name, str(folder / name))
        except Exception as exc:  # a bad file is reported, the watch goes on
            failed[name] = f"{type(exc).__name__}: {exc}"
            lines.append(f"{name}: not read ({failed[name]})")
            continue
        if arrival is None:  # said in the sidebar like a file that failed to read
            failed[name] = "no usable event row in it"
            lines.append(f"{name}: {failed[name]}")
            continue
        lines.append(arrival.summary())
    return lines


def own_files(folder: Path) -> set[str]:
    """Names of the files in ``folder`` that the loaded dataset was read from."""
    out = set()
    for env in (ds.DATASET_ENV, ds.ITEMS_ENV):
        value = os.environ.get(env)
        if value and Path(value).resolve().parent == folder.resolve():
            out.add(Path(value).name)
    return out


def watch_folder() -> Path | None:
    """The folder named by ``$ATLAS_WATCH``, if it is set and exists."""
    value = os.environ.get(WATCH_ENV)
    return Path(value) if value and Path(value).is_dir() else None


@st.fragment(run_every=POLL)
def watcher() -> None:
    """Sidebar status of the watched folder; polls every few seconds and reruns the app when new
    events were folded in."""
    folder = watch_folder()
    if folder is None:
        return
    before = len(ds.current().arrivals)
    lines = poll(folder)
    data = ds.current()
    st.caption(
        f"Watching **{md_escape(folder.name)}/** for new event files · "
        f"{len(data.arrivals)} arrival(s) so far"
    )
    for name, message in st.session_state.get(FAILED_KEY, {}).items():
        st.warning(f"{md_escape(name)}: {md_escape(message)}")
    if len(data.arrivals) > before:  # the pages show the grown log
        st.toast("New events: " + md_escape(lines[-1]))
        st.rerun(scope="app")

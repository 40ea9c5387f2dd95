"""The dataset of this browser session: the bundled sample until the analyst loads an upload.

It lives in ``st.session_state`` (one per browser session), never in a module global or a shared
cache, so two sessions with different uploads never see each other's data.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from core import schema
from core.spacetime.areas import warm_cities
from dashboard.components.feedback import md_escape

STATE_KEY = "atlas_dataset"
#: Optional events file (and catalogue) the app opens on instead of the bundled sample.
DATASET_ENV = "ATLAS_DATASET"
ITEMS_ENV = "ATLAS_ITEMS"
SAMPLE_NAME = "bundled sample"


@dataclass(frozen=True)
class Dataset:
    """One loaded event log with what ingestion said about it."""

    name: str
    fingerprint: str
    events: pd.DataFrame
    rejected: pd.DataFrame | None = None
    report: dict | None = None
    is_sample: bool = False
    #: The catalogue the events were joined with (bytes of an upload or a path), reused for
    #: events added later, and the IngestSpec they were read with.
    catalogue: bytes | str | None = None
    ingest_spec: object | None = None
    #: Batches of events added since loading (``core.arrivals.Arrival``), oldest first.
    arrivals: tuple = ()
    stored: object | None = None  # a core.engines.stored.StoredAtlas: an atlas folder, no events


def from_events(
    name: str,
    events: pd.DataFrame,
    rejected: pd.DataFrame | None = None,
    report: dict | None = None,
    is_sample: bool = False,
    *,
    catalogue: bytes | str | None = None,
    ingest_spec: object | None = None,
) -> Dataset:
    """Wrap an EventLog (computing its fingerprint, the key of every cached result)."""
    return Dataset(
        name,
        schema.fingerprint(events),
        events,
        rejected,
        report,
        is_sample,
        catalogue=catalogue,
        ingest_spec=ingest_spec,
    )


def extended(dataset: Dataset, atlas: object) -> Dataset:
    """``dataset`` after ``Atlas.extend``: the combined log, its fingerprint, one more arrival."""
    from dataclasses import replace as _replace

    return _replace(
        dataset,
        fingerprint=atlas.fingerprint,
        events=atlas.events,
        arrivals=(*dataset.arrivals, atlas.arrivals[-1]),
    )


#: Libraries the first analysis needs that take seconds to import (the sentence encoder's, and
#: DBSCAN for the Overview's hotspots).
WARM_IMPORTS = ("sentence_transformers", "sklearn.cluster")


def _warm_imports() -> None:
    """Import ``WARM_IMPORTS``, and read the city names, on background threads while the log
    loads, so that the first page after it (the Overview: item vectors, hotspots, area names) does
    not wait for them (both are once per process)."""
    for name in (n for n in WARM_IMPORTS if n not in sys.modules):
        threading.Thread(target=importlib.import_module, args=(name,), daemon=True).start()
    warm_cities()  # the Overview's area names


def current() -> Dataset:
    """The session's dataset; on first use the file named by $ATLAS_DATASET (with the catalogue
    $ATLAS_ITEMS), if set, else the bundled sample."""
    dataset = st.session_state.get(STATE_KEY)
    if dataset is None:
        _warm_imports()
        from dashboard import cached

        path = os.environ.get(DATASET_ENV)
        if path and Path(path, "manifest.json").is_file():
            dataset = from_atlas(path)
        elif path:
            items = os.environ.get(ITEMS_ENV) or None
            with st.spinner(f"Loading {Path(path).name}…"):
                events, rejected, report = cached.file_dataset(
                    path, Path(path).stat().st_mtime, items
                )
            dataset = from_events(Path(path).name, events, rejected, report, catalogue=items)
        else:
            dataset = _sample()
        st.session_state[STATE_KEY] = dataset
    return dataset


def from_atlas(path: str | Path) -> Dataset:
    """An atlas folder (``python -m core atlas``) as the session's dataset: its events stay on
    disk; pages render from its tables (``dashboard.components.stored_pages``)."""
    import json

    from dashboard import cached

    created = json.loads(Path(path, "manifest.json").read_text(encoding="utf-8"))["created"]
    stored = cached.stored_atlas(str(Path(path).resolve()), str(created))
    empty = schema.conform(pd.DataFrame({c: [] for c in schema.CANONICAL}))
    name = Path(path).resolve().name
    return Dataset(name, stored.fingerprint, empty, None, stored.folder.report, stored=stored)


def _sample() -> Dataset:
    from core import sample
    from dashboard import cached

    with st.spinner("Loading the bundled sample…"):
        events, rejected, report = cached.bundled_sample()
    catalogue = str(sample.bundled_paths()[1])
    return from_events(SAMPLE_NAME, events, rejected, report, is_sample=True, catalogue=catalogue)


def replace(dataset: Dataset, *, keep_widgets: bool = False) -> None:
    """Make ``dataset`` the session's dataset; widgets that depended on the old one are reset
    (``keep_widgets``: kept, for the same log grown by new events)."""
    st.session_state[STATE_KEY] = dataset
    if keep_widgets:
        return
    for key in [k for k in st.session_state if str(k).startswith(("flt_", "map_", "usr_"))]:
        del st.session_state[key]


def reset_to_sample() -> None:
    """Forget the upload (or the $ATLAS_DATASET file) and show the bundled sample."""
    st.session_state[STATE_KEY] = _sample()
    for key in [k for k in st.session_state if str(k).startswith(("flt_", "map_", "usr_"))]:
        del st.session_state[key]


def header(dataset: Dataset) -> None:
    """One caption line naming the dataset every page is showing."""
    if dataset.stored is not None:
        from dashboard.components.stored_pages import header as atlas_header

        atlas_header(dataset.stored, dataset.name)
        return
    ev = dataset.events
    if len(ev):
        span = f"{ev[schema.TS].min():%Y-%m-%d} → {ev[schema.TS].max():%Y-%m-%d}"
    else:
        span = "no events"
    grown = ""
    if dataset.arrivals:
        last = dataset.arrivals[-1]
        added = sum(int(a.added) for a in dataset.arrivals)
        grown = (
            f" · +{added:,} events in {len(dataset.arrivals)} arrival(s), the last at "
            f"{last.received:%H:%M:%S} UTC ({md_escape(last.source or 'upload')})"
        )
    st.caption(
        f"Dataset: **{md_escape(dataset.name)}** · {len(ev):,} events · "
        f"{ev[schema.USER].nunique():,} users · {ev[schema.ITEM].nunique():,} items · {span}{grown}"
    )


def open_page(title: str, page: str) -> Dataset:
    """Every page's opening: its title, the caption naming the dataset, and, when the dataset is
    an atlas folder, that page drawn from the stored tables (``stored_pages.render`` then stops
    the script). Returns the session's dataset."""
    from dashboard.components import stored_pages

    st.title(title)
    data = current()
    header(data)
    stored_pages.render(data, page)
    return data

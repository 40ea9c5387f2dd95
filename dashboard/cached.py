"""Cached wrappers around :class:`core.atlas.Atlas`: the only module with ``st.cache_*``.

Every function is keyed by the dataset fingerprint and frozen spec dataclasses (small, hashable);
the event frame itself is passed as ``_events`` (leading underscore: Streamlit does not hash it), so
a key never costs a pass over a big frame. Identical content gives an identical fingerprint, so a
cached result can only be reached by a session that holds the same data. Nothing here reads a
global or ``st.session_state``, and nothing here computes: each wrapper is one facade call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core.atlas import AnalysisSpec, Atlas, MapSpec, TopicInfo
from core.atlas_views import SegmentSpec, Summary
from core.interests.embeddings import ItemVectors
from core.interests.text_encoder import TextEncoder
from core.spacetime.heatmaps import default_res
from core.spacetime.trends import EventFilter, TrendSpec

if TYPE_CHECKING:  # types of the results only; nothing here computes with them
    import geopandas as gpd

    from core.engines.stored import StoredAtlas
    from core.recsys.persist import ModelBundle
    from core.spacetime.compare import Comparison
    from core.spacetime.forecast import ForecastResult
    from core.spacetime.heatmaps import HeatmapResult
    from core.spacetime.playback import Playback, PlaybackSpec

__all__ = ["AnalysisSpec", "MapSpec", "SegmentSpec", "Summary", "TopicInfo"]

ENTRIES = 16  # per function: a handful of datasets x filter combinations
DEFAULT_MAP_RES, COARSEST_MAP_RES = 7, 5  # the Map page's cell-size slider runs 5..9


# --------------------------------------------------------------------------- data


@st.cache_data(show_spinner=False, max_entries=1)
def bundled_sample() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The bundled sample ingested from its files: (events, rejected rows, report dict)."""
    from core import sample
    from core.io import ingest

    events_path, items_path = sample.bundled_paths()
    result = ingest(events_path, items=items_path)
    return result.events, result.rejected, result.report.to_dict()


@st.cache_data(show_spinner=False, max_entries=2)
def file_dataset(
    path: str, mtime: float, items: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """An events file named at start-up ($ATLAS_DATASET), ingested once per file version."""
    from core.io import ingest

    result = ingest(path, items=items)
    return result.events, result.rejected, result.report.to_dict()


@st.cache_resource(show_spinner=False, max_entries=2)
def stored_atlas(path: str, created: str) -> StoredAtlas:
    """An atlas folder opened as ``core.engines.stored.StoredAtlas`` (its tables are read once
    and shared; ``created`` from the manifest makes a rebuilt folder a new entry)."""
    from core.engines.stored import StoredAtlas

    return StoredAtlas.open(path)


# --------------------------------------------------------------------------- the facade


@st.cache_resource(show_spinner=False, max_entries=2)
def text_encoder(model: str) -> TextEncoder | None:
    """The sentence encoder (read-only, shared by every session; its vector cache is on disk),
    or None when no model loads (item vectors then say why)."""
    from core.atlas import shared_encoder

    return shared_encoder(AnalysisSpec(model=model))


def shared_encoder(spec: AnalysisSpec) -> TextEncoder | None:
    """The shared encoder of ``spec`` (None when no model loads)."""
    return text_encoder(spec.model)


@st.cache_resource(show_spinner=False, max_entries=1)
def _grown() -> dict[tuple[str, AnalysisSpec], Atlas]:
    """Facades made by ``extend``, waiting for their first ``atlas`` call (then dropped here)."""
    return {}


@st.cache_resource(show_spinner=False, max_entries=ENTRIES)
def atlas(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> Atlas:
    """The analysis facade of dataset ``fp`` (shared by the sessions holding the same content;
    it keeps its own results, which are read-only). A log grown by ``extend`` gets the facade
    that carried its results forward."""
    grown = _grown().pop((fp, spec), None)
    return grown or Atlas(_events, spec, encoder=shared_encoder(spec), fingerprint=fp)


def extend(
    fp: str, spec: AnalysisSpec, source: str, _events: pd.DataFrame, _new: pd.DataFrame
) -> Atlas:
    """The facade of ``fp`` with ``_new`` folded in (``Atlas.extend``: interests and timelines
    carried forward); later ``atlas`` calls with the grown log's fingerprint get this one."""
    grown = atlas(fp, spec, _events).extend(_new, source=source)
    waiting = _grown()
    while len(waiting) >= 4:  # never picked up (the session went away): drop the oldest
        waiting.pop(next(iter(waiting)))
    waiting[(grown.fingerprint, spec)] = grown
    return grown


# --------------------------------------------------------------------------- interests


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def item_vectors(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> ItemVectors:
    """Item vectors (language model from item text, or behaviour)."""
    return atlas(fp, spec, _events).item_vectors


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def topics(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> TopicInfo:
    """Topic assignment per item (in ``events[ITEM].cat.categories`` order) with labels."""
    return atlas(fp, spec, _events).topic_info


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def timeline(
    fp: str, spec: AnalysisSpec, period: str, users: tuple[str, ...] | None, _events: pd.DataFrame
) -> pd.DataFrame:
    """Per user x period topic shares and drift."""
    return atlas(fp, spec, _events).timeline(period, users)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def drift_ranking(
    fp: str, spec: AnalysisSpec, period: str, n: int, _events: pd.DataFrame
) -> pd.DataFrame:
    """The users whose interests moved most."""
    return atlas(fp, spec, _events).drift_ranking(period, n)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def most_active(fp: str, n: int, _events: pd.DataFrame) -> pd.DataFrame:
    """The ``n`` users with most events."""
    return atlas(fp, AnalysisSpec(), _events).most_active(n)


# --------------------------------------------------------------------------- trends


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def period_counts(
    fp: str, spec: AnalysisSpec, tspec: TrendSpec, _events: pd.DataFrame
) -> pd.DataFrame:
    """Events, users and topic shares per period."""
    return atlas(fp, spec, _events).period_counts(tspec)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def complete_periods(
    fp: str, spec: AnalysisSpec, tspec: TrendSpec, _events: pd.DataFrame
) -> pd.DataFrame:
    """``period_counts`` without the edge periods the data covers only in part."""
    return atlas(fp, spec, _events).complete_periods(tspec)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def hour_of_week(
    fp: str, spec: AnalysisSpec, fspec: EventFilter, _events: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """7 x 24 counts and their time basis."""
    return atlas(fp, spec, _events).hour_of_week(fspec)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def emerging(
    fp: str, spec: AnalysisSpec, recent: str, fspec: EventFilter, _events: pd.DataFrame
) -> pd.DataFrame:
    """Topics ranked by change of share in the recent window."""
    return atlas(fp, spec, _events).emerging(recent, fspec)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def forecast(
    fp: str, spec: AnalysisSpec, tspec: TrendSpec, column: str, horizon: int, _events: pd.DataFrame
) -> ForecastResult:
    """A forecast of one period-count column over complete periods."""
    return atlas(fp, spec, _events).forecast(tspec, column, horizon)


# --------------------------------------------------------------------------- map


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def heatmap(fp: str, spec: AnalysisSpec, mspec: MapSpec, _events: pd.DataFrame) -> HeatmapResult:
    """Per (H3 cell x period) counts and topic mix."""
    return atlas(fp, spec, _events).heatmap(mspec.heatmap())


@st.cache_data(show_spinner=False, max_entries=64)
def map_cells(
    fp: str, spec: AnalysisSpec, mspec: MapSpec, step: pd.Timestamp | None, _events: pd.DataFrame
) -> pd.DataFrame:
    """Cells of one time step (or the whole window when ``step`` is None)."""
    return atlas(fp, spec, _events).map_cells(mspec, step)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def map_areas(fp: str, n: int, _events: pd.DataFrame) -> pd.DataFrame:
    """The ``n`` busiest areas with bounds and a nearby big-city name."""
    return atlas(fp, AnalysisSpec(), _events).areas(n)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def map_res(fp: str, _events: pd.DataFrame) -> tuple[int, int]:
    """The map's default H3 resolution (coarser for a widely spread log) and its cell count."""
    return default_res(_events, preferred=DEFAULT_MAP_RES, coarsest=COARSEST_MAP_RES)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def hotspots(fp: str, spec: AnalysisSpec, mspec: MapSpec, _events: pd.DataFrame) -> pd.DataFrame:
    """Density hotspots in the window, largest first."""
    return atlas(fp, spec, _events).hotspots(mspec.hotspots()).hotspots


@st.cache_data(show_spinner=False, max_entries=4)
def region_shapes(layer: str, _data: bytes | None = None) -> gpd.GeoDataFrame:
    """A boundary layer: bundled by name, or uploaded (``layer`` = "upload:<sha1 of _data>", so the
    key names the content)."""
    from core.spacetime.regions import load_regions

    if _data is not None:
        return load_regions(data=_data)
    return load_regions(layer=layer)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def regions(
    fp: str,
    spec: AnalysisSpec,
    mspec: MapSpec,
    layer: str,
    _events: pd.DataFrame,
    _data: bytes | None = None,
) -> pd.DataFrame:
    """Events, users and topic mix per region of ``layer`` in the window (one row per region)."""
    shapes = region_shapes(layer, _data)
    out = atlas(fp, spec, _events).regions(shapes, mspec.regions(), layer).regions
    return out.drop(columns=[c for c in ("bin",) if c in out.columns]).reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def playback(fp: str, spec: AnalysisSpec, pspec: PlaybackSpec, _events: pd.DataFrame) -> Playback:
    """Per-period cells on one colour scale across all periods (map playback frames)."""
    return atlas(fp, spec, _events).playback(pspec)


@st.cache_data(show_spinner=False, max_entries=4)
def playback_html(
    fp: str, spec: AnalysisSpec, pspec: PlaybackSpec, title: str, _events: pd.DataFrame
) -> str:
    """The playback as a self-contained offline HTML animation."""
    return atlas(fp, spec, _events).playback_html(pspec, title)


# --------------------------------------------------------------------------- overview


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def summary(fp: str, _events: pd.DataFrame) -> Summary:
    """Events, users, items, time span and located share."""
    return atlas(fp, AnalysisSpec(), _events).summary


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def top_interests(
    fp: str, spec: AnalysisSpec, n: int, period: str, _events: pd.DataFrame
) -> pd.DataFrame:
    """The topics with most events, their share and their share per period."""
    return atlas(fp, spec, _events).top_interests(n, period)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def findings(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> pd.DataFrame:
    """Plain-language findings that pass their stated thresholds."""
    return atlas(fp, spec, _events).findings()


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def compare(
    fp: str, spec: AnalysisSpec, a: SegmentSpec, b: SegmentSpec, top: int, _events: pd.DataFrame
) -> Comparison:
    """Two segments side by side (topic shares with a z-test per topic, rhythm, top items)."""
    return atlas(fp, spec, _events).compare(a, b, top)


# --------------------------------------------------------------------------- users


@st.cache_data(show_spinner=False, max_entries=64)
def user_events(fp: str, user: str, _events: pd.DataFrame) -> pd.DataFrame:
    """One user's events, newest first."""
    return atlas(fp, AnalysisSpec(), _events).user_events(user)


@st.cache_data(show_spinner=False, max_entries=64)
def user_places(fp: str, user: str, _events: pd.DataFrame) -> pd.DataFrame:
    """One user's located events grouped into ~0.7 km² H3 cells: lat, lon, events, label."""
    return atlas(fp, AnalysisSpec(), _events).user_places(user)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def user_search(fp: str, text: str, limit: int, _events: pd.DataFrame) -> tuple[str, ...]:
    """User ids containing ``text`` (case-insensitive), at most ``limit``."""
    return atlas(fp, AnalysisSpec(), _events).user_search(text, limit)


# --------------------------------------------------------------------------- model


def item_topic_labels(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> dict[str, str]:
    """item_id -> topic label, for model bundles (their reasons name the topic an item serves)."""
    return atlas(fp, spec, _events).item_topic_labels


@st.cache_resource(show_spinner=False, max_entries=4)
def quick_model(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> ModelBundle:
    """The preview model as a ``core.recsys.persist.ModelBundle`` (read-only, shared)."""
    return atlas(fp, spec, _events).quick_model


@st.cache_data(show_spinner=False, max_entries=4)
def quick_report(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> pd.DataFrame:
    """Test metrics of the preview model against the baselines."""
    return atlas(fp, spec, _events).quick_report


@st.cache_data(show_spinner=False, max_entries=128)
def recommendations(
    fp: str,
    model_key: str,
    user: str,
    k: int,
    near: tuple[float, float] | None,
    _events: pd.DataFrame,
    _bundle: ModelBundle,
) -> pd.DataFrame:
    """Top-k unseen items for ``user`` with score parts and a reason. ``model_key`` names every
    choice that made ``_bundle`` (the model identity), so a retrained model is never served the
    previous one's results."""
    return atlas(fp, AnalysisSpec(), _events).recommend(_bundle, user, k=k, near=near)


def preview_ready(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> bool:
    """Whether the preview model of this dataset has been trained already (nothing is trained)."""
    return atlas(fp, spec, _events).preview_ready

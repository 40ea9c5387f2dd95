"""The local engine out of core: DuckDB over the streamed, keyed events; users in buckets.

After :mod:`core.engines.stream` has written the de-duplicated events (with H3 cell, period unit,
hour of week and a user sub-bucket per row) as Parquet, every table is computed without holding
the log in memory:

* count tables: DuckDB group-bys (exact distinct users as a group-by of distinct (key, user)
  pairs, which DuckDB spills to ``tmp/duckdb`` under its ``memory_limit``), assembled by the
  functions the Spark engine uses (``tables.*_from_counts``), so the rules are the local ones;
* items: one row per item (summed weight, first text) for the item vectors and topics, and the
  co-occurrence counts summed over user buckets;
* user tables: whole users in buckets of about :data:`BUCKET_EVENTS` events, each bucket run
  through today's core.interests code (``tables.user_tables``) decayed to the end of the log: the
  exponential decay factorises per user, so a bucket needs no other user's events.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from core import schema
from core.engines import stream, tables
from core.engines.folder import EVENTS, AtlasManifest, AtlasSpec, write_atlas
from core.errors import InvalidInputError
from core.interests.cooccurrence import cooccurrence_pairs
from core.io.fields import REASONS
from core.io.ingest import IngestSpec

#: Events per user bucket (a bucket costs about 1 KB per event in core.interests).
BUCKET_EVENTS: Final = 1_000_000
SUB_BUCKETS: Final = 4096
WINDOW: Final = 5  # core.interests.embeddings.EmbeddingSpec.window
MEMORY_LIMIT: Final = "3GB"
TMP: Final = "tmp"


def _connect(tmp: Path, memory_limit: str = MEMORY_LIMIT):
    """A DuckDB connection that spills to ``tmp/duckdb`` beyond ``memory_limit``."""
    import duckdb

    (tmp / "duckdb").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp / 'duckdb'}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _src(keyed: Path) -> str:
    return f"read_parquet('{keyed}/*/part.parquet')"


def _df(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _log_stats(con, keyed: Path) -> dict:
    """Counts for the report and the hour-of-week basis, over the de-duplicated events."""
    row = con.execute(
        f"""SELECT count(*), count(DISTINCT user_id), count(DISTINCT item_id),
            count(*) FILTER (WHERE lat IS NOT NULL AND NOT isnan(lat)
                             AND lon IS NOT NULL AND NOT isnan(lon)),
            min(ts), max(ts),
            count(*) FILTER (WHERE isfinite(tz_offset_min)),
            count(*) FILTER (WHERE isfinite(lon))
            FROM {_src(keyed)}"""
    ).fetchone()
    keys = ("n", "users", "items", "located", "lo", "hi", "with_offset", "with_lon")
    return dict(zip(keys, row, strict=True))


def _report(got: stream.Streamed, stats: dict, files: Sequence[str]) -> dict:
    """The atlas ``report.json`` with the keys ``local.combined_report`` writes."""
    counts = got.rejected["reason"].value_counts()
    stamp = (lambda ns: pd.Timestamp(int(ns), tz="UTC").isoformat()) if stats["n"] else None
    return {
        "rows_in": int(sum(got.rows_in)),
        "accepted": int(stats["n"]),
        "rejected": len(got.rejected),
        "duplicates": int(got.staged_rows - stats["n"]),
        "rejected_by_reason": {r: int(counts[r]) for r in REASONS if r in counts.index},
        "n_users": int(stats["users"]),
        "n_items": int(stats["items"]),
        "located": int(stats["located"] or 0),
        "time_min": stamp(stats["lo"]) if stamp else None,
        "time_max": stamp(stats["hi"]) if stamp else None,
        "files": [{"path": f, "rows_in": int(n)} for f, n in zip(files, got.rows_in, strict=True)],
        "warnings": [],
    }


def _item_frame(con, keyed: Path) -> pd.DataFrame:
    """One row per item (summed weight, the text of its first event with text), as a canonical
    frame: what item vectors and topics read (the Spark engine's surrogate)."""
    frame = _df(
        con,
        f"""SELECT item_id,
            sum(CASE WHEN weight IS NULL OR isnan(weight) THEN 1.0 ELSE weight END) AS weight,
            arg_min(item_text, ts::HUGEINT * 18446744073709551616 + ord)
                FILTER (WHERE item_text IS NOT NULL) AS item_text,
            arg_min(category, ts::HUGEINT * 18446744073709551616 + ord)
                FILTER (WHERE category IS NOT NULL) AS category
            FROM {_src(keyed)} GROUP BY item_id""",
    )
    frame = frame.sort_values(schema.ITEM).reset_index(drop=True)
    frame[schema.USER] = "_"
    frame[schema.TS] = pd.Timestamp("2000-01-01", tz="UTC")
    frame[schema.ITEM_TEXT] = frame[schema.ITEM_TEXT].astype(object)
    frame[schema.ITEM_TEXT] = frame[schema.ITEM_TEXT].where(frame[schema.ITEM_TEXT].notna(), None)
    if frame[schema.CATEGORY].isna().all():  # no category in the log: as ingest, no column
        frame = frame.drop(columns=schema.CATEGORY)
    return schema.conform(frame)


def _buckets(con, keyed: Path, target: int | None = None) -> list[tuple[int, int]]:
    """Sub-bucket ranges [lo, hi) holding about ``target`` (default :data:`BUCKET_EVENTS`)
    events each (whole users)."""
    target = BUCKET_EVENTS if target is None else target
    per = _df(con, f"SELECT sub, count(*) AS n FROM {_src(keyed)} GROUP BY sub ORDER BY sub")
    counts = np.zeros(SUB_BUCKETS, np.int64)
    counts[per["sub"].to_numpy(np.int64)] = per["n"].to_numpy(np.int64)
    group = np.cumsum(counts) // max(target, 1)
    cuts = np.flatnonzero(np.diff(group)) + 1
    edges = [0, *cuts.tolist(), SUB_BUCKETS]
    return [(lo, hi) for lo, hi in itertools.pairwise(edges) if counts[lo:hi].sum()]


def _bucket_events(con, keyed: Path, lo: int, hi: int) -> pd.DataFrame:
    """The events of one bucket's users as a canonical frame in log order (time, then input)."""
    pdf = _df(
        con,
        f"""SELECT user_id, item_id, ts, weight FROM {_src(keyed)}
            WHERE sub >= {int(lo)} AND sub < {int(hi)} ORDER BY ts, ord""",
    )
    return schema.conform(
        pd.DataFrame(
            {
                schema.USER: pdf[schema.USER].to_numpy(dtype=object),
                schema.ITEM: pdf[schema.ITEM].to_numpy(dtype=object),
                schema.TS: pd.to_datetime(pdf[schema.TS].to_numpy(np.int64), utc=True),
                schema.WEIGHT: pdf[schema.WEIGHT].to_numpy(np.float64),
            }
        )
    )


def _pairs(con, keyed: Path, ranges, item_ids: tuple[str, ...], window: int = WINDOW):
    """core.interests.cooccurrence.cooccurrence_pairs of the whole log, summed over buckets."""
    index = pd.Index(item_ids)
    n = len(item_ids)
    keys, vals = np.zeros(0, np.int64), np.zeros(0, np.float64)
    for lo, hi in ranges:
        events = _bucket_events(con, keyed, lo, hi)
        rows, cols, counts, _ = cooccurrence_pairs(events, window)
        local = events[schema.ITEM].cat.categories.astype(str)
        where = index.get_indexer(local).astype(np.int64)
        keys = np.concatenate([keys, where[rows] * n + where[cols]])
        vals = np.concatenate([vals, counts])
        keys, inverse = np.unique(keys, return_inverse=True)
        vals = np.bincount(inverse.reshape(-1), weights=vals, minlength=len(keys))
    return keys // n, keys % n, vals, n


def _user_tables(con, keyed: Path, ranges, vectors, topics, spec: AtlasSpec, ref_ns: int, out):
    """user_interests and timeline as folders of parts (one per bucket); the drift ranking."""
    ref = pd.Timestamp(int(ref_ns), tz="UTC")
    for name in ("user_interests", "timeline"):
        (out / name).mkdir(parents=True, exist_ok=True)
    drifts = []
    for b, (lo, hi) in enumerate(ranges):
        got = tables.user_tables(_bucket_events(con, keyed, lo, hi), vectors, topics, spec, ref)
        for name in ("user_interests", "timeline"):
            got[name].to_parquet(out / name / f"part-{b:05d}.parquet", index=False)
        drifts.append(got["drift"])
    drift = pd.concat(drifts, ignore_index=True).sort_values(
        ["score", schema.USER], ascending=[False, True], kind="stable"
    )
    return drift.head(spec.top).reset_index(drop=True)


def _count_tables(
    con, keyed: Path, item_topic: pd.DataFrame, labels, spec: AtlasSpec, basis, stats
):
    """cells, cells_by_topic, regions, regions_by_topic, period_counts and hour_of_week from
    DuckDB group-bys."""
    con.register("item_topic", item_topic[[schema.ITEM, "topic"]])
    tagged = f"(SELECT k.*, t.topic FROM {_src(keyed)} k JOIN item_topic t USING (item_id))"

    def place_counts(place: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        where = "located" if place == "h3" else "located AND region >= 0"
        by_topic = _df(
            con,
            f"""SELECT {place}, unit, topic, sum(n) AS events, count(*) AS users FROM
                (SELECT {place}, unit, topic, user_id, count(*) AS n FROM {tagged}
                 WHERE {where} GROUP BY ALL) GROUP BY ALL""",
        )
        users = _df(
            con,
            f"""SELECT {place}, unit, count(*) AS users FROM
                (SELECT DISTINCT {place}, unit, user_id FROM {_src(keyed)} WHERE {where})
                GROUP BY ALL""",
        )
        return by_topic, users

    per_bin = _df(
        con,
        f"""SELECT unit, sum(n) AS events, count(*) AS users FROM
            (SELECT unit, user_id, count(*) AS n FROM {_src(keyed)} GROUP BY ALL) GROUP BY ALL""",
    )
    per_topic = _df(con, f"SELECT unit, topic, count(*) AS events FROM {tagged} GROUP BY ALL")
    how = _df(
        con, f"SELECT {stream.HOW[basis]} AS how, count(*) AS n FROM {_src(keyed)} GROUP BY 1"
    )
    counted = tables.count_tables(place_counts, per_bin, per_topic, how, labels, spec.period, stats)
    con.unregister("item_topic")
    return counted


def _clear(root: Path) -> None:
    for name in (EVENTS, "user_interests", "timeline", TMP):
        shutil.rmtree(root / name, ignore_errors=True)
        (root / f"{name}.parquet").unlink(missing_ok=True)


def build(
    files: Sequence[str],
    out: str | Path,
    items: str | None = None,
    ingest_spec: IngestSpec | None = None,
    spec: AtlasSpec | None = None,
    memory_limit: str = MEMORY_LIMIT,
) -> AtlasManifest:
    """Build an atlas folder from event files streamed out of core (the local engine's tables).

    Parameters
    ----------
    files
        Event files (already expanded, see ``local.expand_inputs``).
    out
        The atlas folder to write; ``out/tmp`` holds the staged events and DuckDB's spill files
        while it runs and is removed at the end.
    items, ingest_spec, spec
        As for ``core.engines.local.build``.
    memory_limit
        DuckDB's memory limit (it spills beyond it).

    Returns
    -------
    AtlasManifest
        The manifest, written into ``out`` after every table (engine "local").

    Raises
    ------
    InvalidInputError
        If an input is missing or unreadable, or no event is accepted.
    """
    from core.engines.local import item_model, topics_record

    ingest_spec = IngestSpec() if ingest_spec is None else ingest_spec
    spec = AtlasSpec() if spec is None else spec
    tables.check_period(spec.period)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    _clear(root)
    tmp = root / TMP
    con = _connect(tmp, memory_limit)
    try:
        got = stream.stream_files(
            files, tmp, con, items, ingest_spec, spec.res, spec.period, SUB_BUCKETS
        )
        stats = _log_stats(con, got.keyed)
        if not stats["n"]:
            raise InvalidInputError("EVENTS: expected at least one accepted event, found none")
        stream.write_events(con, got.keyed, root)
        ranges = _buckets(con, got.keyed)
        surrogate = _item_frame(con, got.keyed)
        item_ids = tuple(surrogate[schema.ITEM].cat.categories.astype(str))
        vectors, topics = item_model(
            surrogate, spec, pairs=lambda: _pairs(con, got.keyed, ranges, item_ids)
        )
        engagement = surrogate[schema.WEIGHT].to_numpy(np.float64)
        item_topic = tables.item_topics_frame(vectors, topics, engagement)
        basis = tables.time_basis(stats)
        counted = _count_tables(con, got.keyed, item_topic, topics.labels, spec, basis, stats)
        drift = _user_tables(con, got.keyed, ranges, vectors, topics, spec, stats["hi"], root)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return write_atlas(
        root,
        {
            "rejected": got.rejected,
            "item_topics": item_topic,
            "topics": topics.table,
            "drift": drift,
            **counted,
        },
        engine="local",
        inputs=tuple(files),
        spec=spec,
        report=_report(got, stats, files),
        topics=topics_record(vectors, topics),
        time_basis=basis,
    )

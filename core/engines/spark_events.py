"""The event table on Spark: every input file parsed (``spark_ingest``), exact duplicates dropped,
the ingest report counted, and the accepted events written day by day into the atlas folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import schema
from core.engines.folder import EVENTS
from core.engines.spark_ingest import CANONICAL_PARSED, ORDER_STRIDE, parsed_rows, plan_file
from core.io.catalogue import catalogue_from
from core.io.fields import REASONS
from core.io.ingest import IngestSpec, _read

__all__ = ["ingest_on_spark", "write_events"]


def _valid(col):
    from pyspark.sql import functions as F

    return F.col(col).isNotNull() & ~F.isnan(F.col(col))


def ingest_on_spark(
    spark, files: Sequence[str], items: str | None, ingest_spec: IngestSpec
) -> tuple[Any, pd.DataFrame, dict[str, Any], Any]:
    """Read and validate ``files`` on Spark with the local rules; drop exact duplicates.

    Parameters
    ----------
    spark
        A SparkSession (``core.engines.spark.session``).
    files
        Event files, already expanded (``core.engines.local.expand_inputs``).
    items
        Optional item catalogue, read on the driver and joined on the executors.
    ingest_spec
        Column mapping and read options.

    Returns
    -------
    tuple
        ``(events, rejected, report, stats)``: the accepted, deduplicated events as a persisted
        Spark DataFrame of ``CANONICAL_PARSED`` plus ``ord`` (file order); the rejected rows as
        pandas (``file, row_number, reason``); the ingest report dict (local keys); and the Spark
        row of counts (``n, users, items, located, lo, hi, with_offset, with_lon``).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    catalogue = (
        catalogue_from(
            _read(items, ingest_spec.read_options(items=True)), ingest_spec.items_mapping
        )
        if items
        else None
    )
    plans = [plan_file(f, i, ingest_spec) for i, f in enumerate(files)]
    parsed = None
    for plan in plans:
        part = parsed_rows(spark, plan, ingest_spec, catalogue)
        parsed = part if parsed is None else parsed.unionByName(part)
    parsed = parsed.persist(StorageLevel.MEMORY_AND_DISK)
    rejected = parsed.filter(F.col("reason") != "").select("file", "row_number", "reason")
    accepted = parsed.filter(F.col("reason") == "").withColumn(
        "ord", F.col("file").cast("long") * ORDER_STRIDE + F.col("row_number")
    )
    events = (
        accepted.groupBy(*CANONICAL_PARSED, schema.CATEGORY, "extras")
        .agg(F.min("ord").alias("ord"))
        .drop("extras")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    per_file = dict(parsed.groupBy("file").count().collect())
    n_accepted_rows = accepted.count()
    rejected_pd = rejected.toPandas().sort_values(["file", "row_number"], kind="stable")
    rejected_pd = rejected_pd.reset_index(drop=True).astype({"file": np.int64})
    stats = events.agg(
        F.count("*").alias("n"),
        F.countDistinct(schema.USER).alias("users"),
        F.countDistinct(schema.ITEM).alias("items"),
        F.sum((_valid(schema.LAT) & _valid(schema.LON)).cast("long")).alias("located"),
        F.min(schema.TS).alias("lo"),
        F.max(schema.TS).alias("hi"),
        F.sum(_valid(schema.TZ_OFFSET).cast("long")).alias("with_offset"),
        F.sum(_valid(schema.LON).cast("long")).alias("with_lon"),
    ).first()
    counts = rejected_pd["reason"].value_counts()
    report = {
        "rows_in": int(sum(per_file.values())),
        "accepted": int(stats["n"]),
        "rejected": len(rejected_pd),
        "duplicates": int(n_accepted_rows - stats["n"]),
        "rejected_by_reason": {r: int(counts[r]) for r in REASONS if r in counts.index},
        "n_users": int(stats["users"]),
        "n_items": int(stats["items"]),
        "located": int(stats["located"] or 0),
        "time_min": pd.Timestamp(int(stats["lo"]), tz="UTC").isoformat() if stats["n"] else None,
        "time_max": pd.Timestamp(int(stats["hi"]), tz="UTC").isoformat() if stats["n"] else None,
        "files": [{"path": p.path, "rows_in": int(per_file.get(p.index, 0))} for p in plans],
        "warnings": [],
    }
    parsed.unpersist()
    return events, rejected_pd, report, stats


def write_events(events, out: Path) -> None:
    """Write the accepted events as the atlas folder's ``events/`` table, one partition per day.

    Parameters
    ----------
    events
        The Spark DataFrame from :func:`ingest_on_spark` (``ts`` in ns since the epoch).
    out
        The atlas folder.
    """
    from pyspark.sql import functions as F

    cols = [F.col(c) for c in schema.CANONICAL if c != schema.TS]
    ts = F.timestamp_micros(F.floor(F.col(schema.TS) / 1000)).alias(schema.TS)
    frame = events.select(*cols, ts).withColumn("day", F.date_format(schema.TS, "yyyy-MM-dd"))
    (
        frame.select(*schema.CANONICAL, "day")
        .repartition("day")
        .sortWithinPartitions(schema.USER, schema.TS)
        .write.mode("overwrite")
        .partitionBy("day")
        .parquet(str(out / EVENTS))
    )

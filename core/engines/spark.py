"""The Spark engine: the same atlas folder as the local engine, computed on any Spark master.

What runs where:

* executors: ingest (core.io's own validation per partition, see ``spark_ingest``), exact
  duplicates, H3 cells (core.spacetime.geo in mapInPandas), every count and exact distinct-user
  count (Spark group-bys), co-occurrence of items in user sequences (the local code per bucket
  of whole users, summed per item pair), and
  the user tables: whole users hashed into buckets, each bucket run through today's
  core.interests code (``tables.user_tables``) decayed to the end of the whole log; the
  exponential decay factorises per user, so a bucket needs no other user's events;
* driver: sniffing, the catalogue, item vectors (the same torch encoder and vector cache) and
  topics (items are few), and the assembly of the grouped counts into the local tables' shape.

Nothing assumes local mode: the core package is shipped to the executors with ``addPyFile``; the
executors need the project's requirements installed, and ``out`` must be a path every executor
and the driver can write (a shared or distributed file system).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core import schema
from core.engines import tables
from core.engines.folder import AtlasManifest, AtlasSpec, write_atlas
from core.engines.local import expand_inputs, item_model, topics_record
from core.engines.spark_events import ingest_on_spark, write_events
from core.errors import InvalidInputError
from core.interests.cooccurrence import cooccurrence_pairs
from core.interests.timeline import TIMELINE_COLUMNS
from core.io.ingest import IngestSpec


def session(master: str = "local[2]", app: str = "interest-atlas", **conf: str):
    """A SparkSession with UTC as the session time zone and Arrow transfer on.

    On a ``local`` master the Python workers run this interpreter (a cluster's executors use their
    own ``spark.pyspark.python`` / $PYSPARK_PYTHON).

    Parameters
    ----------
    master
        Any master URL: ``local[N]``, ``spark://``, ``yarn``, ``k8s://``.
    app
        The application name.
    **conf
        Further Spark settings.

    Returns
    -------
    pyspark.sql.SparkSession
        An existing session of this process is reused (``getOrCreate``).
    """
    import os
    import sys

    from pyspark.sql import SparkSession

    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        os.environ["PYSPARK_PYTHON"] = sys.executable

    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def ship_core(spark) -> None:
    """Send this checkout's ``core`` package to the executors (once per SparkContext).

    Parameters
    ----------
    spark
        The SparkSession whose executors need ``core``.
    """
    sc = spark.sparkContext
    if getattr(sc, "_atlas_core_shipped", False):
        return
    root = Path(__file__).resolve().parents[2]
    folder = Path(tempfile.mkdtemp(prefix="atlas-core-"))
    archive = shutil.make_archive(str(folder / "core"), "zip", root_dir=root, base_dir="core")
    sc.addPyFile(archive)
    sc._atlas_core_shipped = True


def _item_frame(events) -> pd.DataFrame:
    from pyspark.sql import functions as F

    first_key = F.when(F.col(schema.ITEM_TEXT).isNotNull(), F.struct(schema.TS, "ord"))
    items = events.groupBy(schema.ITEM).agg(
        F.sum(F.coalesce(F.nanvl(schema.WEIGHT, F.lit(None)), F.lit(1.0))).alias(schema.WEIGHT),
        F.min_by(schema.ITEM_TEXT, first_key).alias(schema.ITEM_TEXT),
        F.min_by(
            schema.CATEGORY,
            F.when(F.col(schema.CATEGORY).isNotNull(), F.struct(schema.TS, "ord")),
        ).alias(schema.CATEGORY),
    )
    frame = items.toPandas().sort_values(schema.ITEM).reset_index(drop=True)
    n = len(frame)
    frame[schema.USER] = "_"
    frame[schema.TS] = pd.Timestamp("2000-01-01", tz="UTC")
    frame[schema.ITEM_TEXT] = frame[schema.ITEM_TEXT].astype(object)
    if frame[schema.CATEGORY].isna().all():  # no category in the log: as ingest, no column
        frame = frame.drop(columns=schema.CATEGORY)
    return schema.conform(frame) if n else frame


def _bucketed(events, columns: Sequence[str], n_buckets: int):
    """``columns`` of the events with a ``bucket`` of whole users, hash-partitioned by it: a
    grouped pass over the buckets needs no shuffle of its own (cache it to share it)."""
    from pyspark.sql import functions as F

    slim = events.select(*columns).withColumn(
        "bucket", F.pmod(F.xxhash64(schema.USER), F.lit(n_buckets))
    )
    return slim.repartition(n_buckets, "bucket")


def _frame(pdf: pd.DataFrame, weight: bool = False) -> pd.DataFrame:
    """One bucket's rows as a canonical frame, in (time, input order) order as the local engine
    reads them."""
    pdf = pdf.sort_values([schema.TS, "ord"], kind="stable")
    columns = {
        schema.USER: pdf[schema.USER].to_numpy(dtype=object),
        schema.ITEM: pdf[schema.ITEM].to_numpy(dtype=object),
        schema.TS: pd.to_datetime(pdf[schema.TS].to_numpy(np.int64), utc=True),
    }
    if weight:
        columns[schema.WEIGHT] = pdf[schema.WEIGHT].to_numpy(np.float64)
    return schema.conform(pd.DataFrame(columns))


def _pairs(events, item_ids: tuple[str, ...], window: int, n_buckets: int):
    """core.interests.cooccurrence.cooccurrence_pairs (the local engine's code) per bucket of
    whole users in applyInPandas, summed per item pair in Spark (as the DuckDB engine sums its
    buckets): one shuffle of the events, not a windowed self-join of window x events rows."""
    from pyspark.sql import functions as F

    slim = _bucketed(events, [schema.USER, schema.ITEM, schema.TS, "ord"], n_buckets)

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        frame = _frame(pdf)
        rows, cols, counts, _ = cooccurrence_pairs(frame, window)
        names = frame[schema.ITEM].cat.categories.astype(str).to_numpy(dtype=object)
        return pd.DataFrame({"a": names[rows], "b": names[cols], "v": counts})

    per_bucket = slim.groupBy("bucket").applyInPandas(run, "a string, b string, v double")
    got = per_bucket.groupBy("a", "b").agg(F.sum("v").alias("v")).toPandas()
    index = pd.Index(item_ids)
    n = len(item_ids)
    rows = index.get_indexer(got["a"].astype(str)).astype(np.int64)
    cols = index.get_indexer(got["b"].astype(str)).astype(np.int64)
    order_k = np.argsort(rows * n + cols, kind="stable")
    return rows[order_k], cols[order_k], got["v"].to_numpy(np.float64)[order_k], n


def _user_schema(kind: str, labels, dim: int) -> str:
    shares = [f"`{c}` double" for c in tables.share_columns(labels)]
    if kind == "user_interests":
        head = ["user_id string", "n_events long", "weight double", "top_topic string"]
        return ", ".join(head + shares + [f"v{i} float" for i in range(dim)])
    types = {"user_id": "string", "n_events": "long", "n_before": "long", "n_after": "long"}
    types.update({c: "string" for c in ("top_topic", "before_topic", "after_topic")})
    types.update({c: "timestamp" for c in tables.TIMELINE_TIMES})
    return ", ".join([f"{c} {types.get(c, 'double')}" for c in TIMELINE_COLUMNS] + shares)


def _user_tables(events, vectors, topics, spec: AtlasSpec, ref_ns: int, out: Path, n_buckets: int):
    from pyspark.sql import functions as F

    ref = pd.Timestamp(ref_ns, tz="UTC")
    columns = [schema.USER, schema.ITEM, schema.TS, schema.WEIGHT, "ord"]
    slim = _bucketed(events, columns, n_buckets).cache()  # two passes share one shuffle

    def runner(kind: str):
        def run(pdf: pd.DataFrame) -> pd.DataFrame:
            frame = _frame(pdf, weight=True)
            return tables.user_tables(frame, vectors, topics, spec, ref, which=(kind,))[kind]

        return run

    for kind in ("user_interests", "timeline"):
        result = slim.groupBy("bucket").applyInPandas(
            runner(kind), _user_schema(kind, topics.labels, vectors.dim)
        )
        result.write.mode("overwrite").parquet(str(out / kind))
    slim.unpersist()
    from core.interests.timeline import drift_ranking

    drift_schema = (
        "user_id string, drift double, change_period timestamp, from_topic string, "
        "to_topic string, change_ts timestamp, score double, n_before long, n_after long, "
        "change_start timestamp, change_end timestamp"
    )
    tl = events.sparkSession.read.parquet(str(out / "timeline")).withColumn(
        "bucket", F.pmod(F.xxhash64(schema.USER), F.lit(n_buckets))
    )
    best = tl.groupBy("bucket").applyInPandas(
        lambda pdf: drift_ranking(pdf.drop(columns="bucket"), n=spec.top), drift_schema
    )
    drift = best.toPandas().sort_values(
        ["score", schema.USER], ascending=[False, True], kind="stable"
    )
    drift = drift.head(spec.top).reset_index(drop=True)
    for col in tables.DRIFT_TIMES:
        drift[col] = pd.DatetimeIndex(pd.to_datetime(drift[col], utc=True))
    return drift


def _place_counts(keyed, place: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events and distinct users per (place, unit, topic), and distinct users per (place, unit)."""
    from pyspark.sql import functions as F

    by_topic = (
        keyed.groupBy(place, "unit", "topic")
        .agg(F.count("*").alias("events"), F.countDistinct(schema.USER).alias("users"))
        .toPandas()
    )
    users = keyed.groupBy(place, "unit").agg(F.countDistinct(schema.USER).alias("users"))
    return by_topic, users.toPandas()


def _count_tables(events, item_topic: pd.DataFrame, labels, spec: AtlasSpec, basis: str, stats):
    from pyspark.sql import functions as F

    res, period = spec.res, spec.period
    spark = events.sparkSession
    topics_df = spark.createDataFrame(item_topic[[schema.ITEM, "topic"]])
    tagged = events.join(F.broadcast(topics_df), schema.ITEM)

    def keys(batches):
        for pdf in batches:
            lat = pdf[schema.LAT].to_numpy(np.float64)
            lon = pdf[schema.LON].to_numpy(np.float64)
            ts = pdf[schema.TS].to_numpy(np.int64)
            ok, cells, region = tables.place_keys(lat, lon, res)
            yield pd.DataFrame(
                {
                    schema.USER: pdf[schema.USER],
                    "topic": pdf["topic"].to_numpy(np.int64),
                    "located": ok,
                    "h3": cells.view(np.int64),
                    "region": region,
                    "unit": tables.bin_units(ts, period),
                    "how": tables.local_how(
                        ts, pdf[schema.TZ_OFFSET].to_numpy(np.float64), lon, basis
                    ),
                }
            )

    cols = tagged.select(schema.USER, "topic", schema.LAT, schema.LON, schema.TS, schema.TZ_OFFSET)
    keyed = cols.mapInPandas(
        keys,
        "user_id string, topic long, located boolean, h3 long, region long, unit long, how long",
    ).cache()
    located = keyed.filter("located")

    def place_counts(place: str):
        rows = located if place == "h3" else located.filter("region >= 0")
        return _place_counts(rows, place)

    per_bin = (
        keyed.groupBy("unit")
        .agg(F.count("*").alias("events"), F.countDistinct(schema.USER).alias("users"))
        .toPandas()
    )
    per_topic = keyed.groupBy("unit", "topic").agg(F.count("*").alias("events")).toPandas()
    how = keyed.groupBy("how").agg(F.count("*").alias("n")).toPandas()
    counted = tables.count_tables(place_counts, per_bin, per_topic, how, labels, period, stats)
    keyed.unpersist()
    return counted


def build(
    paths: Sequence[str | Path],
    out: str | Path,
    items: str | None = None,
    ingest_spec: IngestSpec | None = None,
    spec: AtlasSpec | None = None,
    master: str = "local[2]",
    spark=None,
) -> AtlasManifest:
    """Build an atlas folder on Spark with the rules and tables of ``core.engines.local.build``.

    Parameters
    ----------
    paths, out, items, ingest_spec, spec
        As for the local engine (CSV / TSV or JSON Lines in UTF-8, optionally gzip, or Parquet).
    master
        Spark master URL, used when no ``spark`` session is given.
    spark
        An existing SparkSession (e.g. one a test shares between cases).

    Returns
    -------
    AtlasManifest
        The manifest of the folder the executors and the driver wrote (engine "spark").

    Raises
    ------
    InvalidInputError
        If an input is missing, unreadable or not UTF-8, or no event is accepted.
    """
    ingest_spec = IngestSpec() if ingest_spec is None else ingest_spec
    spec = AtlasSpec() if spec is None else spec
    tables.check_period(spec.period)
    files = expand_inputs(paths)
    spark = spark if spark is not None else session(master)
    ship_core(spark)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    events, rejected, report, stats = ingest_on_spark(spark, files, items, ingest_spec)
    if not stats["n"]:
        raise InvalidInputError("EVENTS: expected at least one accepted event, found none")
    write_events(events, root)
    surrogate = _item_frame(events)
    item_ids = tuple(surrogate[schema.ITEM].cat.categories.astype(str))
    window = 5
    n_buckets = max(2, spark.sparkContext.defaultParallelism, int(stats["n"]) // 200_000)
    vectors, topics = item_model(
        surrogate, spec, pairs=lambda: _pairs(events, item_ids, window, n_buckets)
    )
    engagement = surrogate[schema.WEIGHT].to_numpy(np.float64)
    item_topic = tables.item_topics_frame(vectors, topics, engagement)
    basis = tables.time_basis(stats)
    counted = _count_tables(events, item_topic, topics.labels, spec, basis, stats)
    drift = _user_tables(events, vectors, topics, spec, int(stats["hi"]), root, n_buckets)
    events.unpersist()
    return write_atlas(
        root,
        {
            "rejected": rejected,
            "item_topics": item_topic,
            "topics": topics.table,
            "drift": drift,
            **counted,
        },
        engine="spark",
        inputs=files,
        spec=spec,
        report=report,
        topics=topics_record(vectors, topics),
        time_basis=basis,
    )

"""The Spark engine (local[2]) and the local engine build the same atlas from the same messy log."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from core.engines import AtlasSpec, open_atlas
from core.engines import local as local_engine
from core.engines.folder import TABLES
from core.engines.synth import messy_log

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - make system-deps installs it
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

SPEC = AtlasSpec(k=4, top=10)
#: The tables of counts: every table but the topic table and the user tables (those are compared
#: with tolerances below).
COUNT_TABLES = tuple(
    t for t in TABLES if t not in ("topics", "user_interests", "timeline", "drift")
)


@pytest.fixture(scope="module")
def atlases(tmp_path_factory):
    from core.engines import spark as spark_engine

    root = tmp_path_factory.mktemp("parity")
    a, b, items = messy_log(root / "in")
    spark = spark_engine.session(
        "local[2]",
        **{"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"},
    )
    spark.sparkContext.setLogLevel("ERROR")
    b_json = _nested_jsonl(b)
    try:
        PAIRS.append(_spark_pairs(spark_engine, spark))
        local_engine.build([a, b], root / "local", items=str(items), spec=SPEC)
        spark_engine.build([a, b], root / "spark", items=str(items), spec=SPEC, spark=spark)
        local_engine.build([a, b_json], root / "local_json", items=str(items), spec=SPEC)
        spark_engine.build(
            [a, b_json], root / "spark_json", items=str(items), spec=SPEC, spark=spark
        )
    finally:
        spark.stop()
    ATLASES_JSON.extend([open_atlas(root / "local_json"), open_atlas(root / "spark_json")])
    return open_atlas(root / "local"), open_atlas(root / "spark")


ATLASES_JSON: list = []  # filled by the ``atlases`` fixture (one Spark session for both builds)
PAIRS: list = []  # (log, Spark's co-occurrence pairs of it), filled by the fixture too


def _pair_log() -> pd.DataFrame:
    """Six users over nine items, with ties in time inside a user (input order decides them)."""
    rng = np.random.default_rng(3)
    n = 240
    return pd.DataFrame(
        {
            "user_id": rng.choice([f"u{k}" for k in range(6)], n),
            "item_id": rng.choice([f"i{k}" for k in range(9)], n),
            "ts": rng.integers(0, 40, n).astype(np.int64) * 1_000_000_000,
            "ord": np.arange(n, dtype=np.int64),
        }
    )


def _spark_pairs(spark_engine, spark):
    log = _pair_log()
    items = tuple(sorted(log["item_id"].unique()))
    return log, spark_engine._pairs(spark.createDataFrame(log), items, 5, 3)


def test_spark_co_occurrence_pairs_equal_the_local_code(atlases) -> None:
    from core.interests.cooccurrence import cooccurrence_pairs
    from core.schema import conform

    log, (rows, cols, vals, n) = PAIRS[0]
    ordered = log.sort_values(["ts", "ord"], kind="stable")
    frame = conform(ordered.assign(ts=pd.to_datetime(ordered["ts"], utc=True)).drop(columns="ord"))
    want_rows, want_cols, want_vals, want_n = cooccurrence_pairs(frame, 5)
    assert n == want_n == 9 and len(rows) > 20
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(cols, want_cols)
    np.testing.assert_allclose(vals, want_vals, rtol=1e-12)


def _nested_jsonl(csv_path):
    """File b as a gzip-compressed nested JSON Lines export, with a blank and a malformed line."""
    import gzip
    import json

    frame = pd.read_csv(csv_path, dtype={"user_id": str, "item_id": str})
    records = [
        json.dumps(
            {
                "user": {"id": r.user_id},
                "item_id": r.item_id,
                "ts": r.ts,
                "event": r.event,
                "location": {"latitude": r.lat, "longitude": r.lon},
            }
        )
        for r in frame.itertuples()  # builds the test file, not product code
    ]
    records.insert(5, "")
    records.insert(9, '{"user": {"id": "u1"}, "item_id": ')
    out = csv_path.with_name("events_b.jsonl.gz")
    out.write_bytes(gzip.compress(("\n".join(records) + "\n").encode("utf-8")))
    return out


def test_both_atlases_hold_every_table_with_the_same_row_counts(atlases):
    loc, spk = atlases
    assert loc.manifest.engine == "local" and spk.manifest.engine == "spark"
    assert loc.manifest.rows == spk.manifest.rows
    assert set(loc.manifest.rows) == {"events", *TABLES}


def test_reports_agree_and_add_up(atlases):
    loc, spk = atlases
    keep = (
        "rows_in",
        "accepted",
        "rejected",
        "duplicates",
        "rejected_by_reason",
        "n_users",
        "n_items",
        "located",
        "time_min",
        "time_max",
    )
    assert {k: loc.report[k] for k in keep} == {k: spk.report[k] for k in keep}
    r = spk.report
    assert r["accepted"] + r["rejected"] + r["duplicates"] == r["rows_in"]
    # messy_log: 6 bad rows + 1 short row; 5 duplicates in file a + 2 rows repeated from file b.
    assert r["rejected_by_reason"] == {
        "malformed_row": 1,
        "missing_user": 2,
        "missing_item": 1,
        "missing_time": 1,
        "unparseable_time": 1,
        "implausible_time": 1,
    }
    assert r["duplicates"] == 7
    assert r["accepted"] == 600


@pytest.mark.parametrize("name", COUNT_TABLES)
def test_count_tables_are_equal_exactly(atlases, name):
    loc, spk = atlases
    pd.testing.assert_frame_equal(
        loc.table(name), spk.table(name), check_dtype=False, check_categorical=False
    )


def test_topic_assignments_are_equal(atlases):
    loc, spk = atlases
    assert loc.labels == spk.labels
    a, b = loc.table("item_topics"), spk.table("item_topics")
    assert a["topic"].tolist() == b["topic"].tolist()
    assert a["label"].tolist() == b["label"].tolist()


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.select_dtypes(include=[np.number])


def test_user_interest_vectors_and_shares_within_1e5(atlases):
    loc, spk = atlases
    a, b = loc.table("user_interests"), spk.table("user_interests")
    assert a["user_id"].tolist() == b["user_id"].tolist()
    assert a["top_topic"].tolist() == b["top_topic"].tolist()
    np.testing.assert_allclose(_numeric(a).to_numpy(float), _numeric(b).to_numpy(float), atol=1e-5)


def test_timelines_and_drift_agree(atlases):
    loc, spk = atlases
    a, b = loc.table("timeline"), spk.table("timeline")
    assert a[["user_id", "top_topic"]].equals(b[["user_id", "top_topic"]])
    for col in ("period", "change_ts"):
        assert (pd.to_datetime(a[col], utc=True) == pd.to_datetime(b[col], utc=True)).all()
    num_a, num_b = _numeric(a), _numeric(b)
    np.testing.assert_allclose(
        num_a.to_numpy(float), num_b[num_a.columns].to_numpy(float), atol=1e-5
    )
    da, db = loc.table("drift"), spk.table("drift")
    assert da["user_id"].tolist() == db["user_id"].tolist()
    np.testing.assert_allclose(da["score"], db["score"], atol=1e-5)


def test_one_users_events_read_back_from_either_atlas(atlases):
    loc, spk = atlases
    a, b = loc.user_events("u3"), spk.user_events("u3")
    assert len(a) == len(b) > 0
    assert (a["user_id"].astype(str) == "u3").all()
    assert (a["ts"].to_numpy() == b["ts"].to_numpy()).all()
    assert a["item_id"].astype(str).tolist() == b["item_id"].astype(str).tolist()


def test_a_nested_gzip_json_lines_file_gives_the_same_atlas_on_both_engines(atlases):
    loc, spk = ATLASES_JSON
    csv_report = atlases[0].report
    keep = ("rows_in", "accepted", "rejected", "duplicates", "rejected_by_reason", "n_users")
    assert {k: loc.report[k] for k in keep} == {k: spk.report[k] for k in keep}
    # the same events as the CSV pair, plus one malformed record (the blank line is no record)
    assert loc.report["rows_in"] == csv_report["rows_in"] + 1
    assert loc.report["accepted"] == csv_report["accepted"] == 600
    assert loc.report["rejected_by_reason"]["malformed_row"] == 2
    pd.testing.assert_frame_equal(
        loc.table("rejected"), spk.table("rejected"), check_dtype=False, check_categorical=False
    )
    for name in ("cells", "cells_by_topic", "regions", "period_counts", "hour_of_week"):
        pd.testing.assert_frame_equal(
            loc.table(name), spk.table(name), check_dtype=False, check_categorical=False
        )
        pd.testing.assert_frame_equal(
            loc.table(name),
            atlases[0].table(name),
            check_dtype=False,
            check_categorical=False,
        )


def test_regions_count_the_located_events_in_the_cities_countries(atlases):
    import shapely

    from core.spacetime.regions import load_regions

    loc, spk = atlases
    events = pd.read_parquet(loc.path / "events")
    events = events[events["lat"].notna()]
    layer = load_regions()
    # by hand with shapely: the countries holding each located event (a coarse coastline leaves
    # some seaside events outside every country)
    expected = {}
    for name in ("Japan", "United States of America", "Germany", "Australia"):
        shape = shapely.union_all(layer.geometry[layer["region"] == name].to_numpy())
        inside = shapely.contains_xy(shape, events["lon"], events["lat"])
        expected[name] = int(inside.sum())
    assert sum(expected.values()) > 0.8 * len(events)
    for atlas in (loc, spk):
        table = atlas.table("regions")
        assert table.groupby("region")["events"].sum().to_dict() == expected

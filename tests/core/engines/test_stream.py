"""The streamed local build (DuckDB out of core) and the in-memory local build write the same atlas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.engines import AtlasSpec, batches, duck, open_atlas, stream
from core.engines import local as local_engine
from core.engines.folder import TABLES
from core.engines.synth import messy_log

SPEC = AtlasSpec(k=4, top=10)
#: Every table but the user tables (compared with tolerances below).
COUNT_TABLES = tuple(t for t in TABLES if t not in ("user_interests", "timeline", "drift"))


@pytest.fixture(scope="module")
def atlases(tmp_path_factory):
    root = tmp_path_factory.mktemp("stream")
    a, b, items = messy_log(root / "in")
    files = local_engine.expand_inputs([a, b])
    local_engine.build([a, b], root / "memory", items=str(items), spec=SPEC, in_memory=True)
    # Small batches and buckets: several batches per file, several user buckets.
    mp = pytest.MonkeyPatch()
    mp.setattr(batches, "BATCH_ROWS", 97)
    mp.setattr(duck, "BUCKET_EVENTS", 150)
    try:
        duck.build(files, root / "streamed", items=str(items), spec=SPEC)
    finally:
        mp.undo()
    return open_atlas(root / "memory"), open_atlas(root / "streamed")


def test_both_hold_every_table_with_the_same_row_counts(atlases):
    mem, st = atlases
    assert mem.manifest.rows == st.manifest.rows
    assert set(st.manifest.rows) == {"events", *TABLES}
    assert mem.manifest.time_basis == st.manifest.time_basis
    assert not (st.path / duck.TMP).exists()


def test_reports_agree(atlases):
    mem, st = atlases
    keep = [k for k in mem.report if k != "warnings"]
    assert {k: mem.report[k] for k in keep} == {k: st.report[k] for k in keep}
    assert st.report["duplicates"] == 7 and st.report["accepted"] == 600


@pytest.mark.parametrize("name", COUNT_TABLES)
def test_count_tables_are_equal_exactly(atlases, name):
    mem, st = atlases
    pd.testing.assert_frame_equal(
        mem.table(name), st.table(name), check_dtype=False, check_categorical=False
    )


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.select_dtypes(include=[np.number])


def test_user_tables_agree_within_1e5(atlases):
    mem, st = atlases
    for name in ("user_interests", "timeline"):
        a, b = mem.table(name), st.table(name)
        assert list(a.columns) == list(b.columns)
        assert a["user_id"].astype(str).tolist() == b["user_id"].astype(str).tolist()
        assert a["top_topic"].astype(str).tolist() == b["top_topic"].astype(str).tolist()
        np.testing.assert_allclose(
            _numeric(a).to_numpy(float), _numeric(b).to_numpy(float), atol=1e-5
        )
    da, db = mem.table("drift"), st.table("drift")
    assert da["user_id"].tolist() == db["user_id"].tolist()
    np.testing.assert_allclose(da["score"], db["score"], atol=1e-5)


def test_events_are_the_same_rows_in_the_same_order(atlases):
    mem, st = atlases
    a = mem.events_dataset().to_table().to_pandas()
    b = st.events_dataset().to_table().to_pandas()
    assert a.astype(str).equals(b.astype(str))
    assert st.user_events("u3")["ts"].tolist() == mem.user_events("u3")["ts"].tolist()


def test_csv_batches_keep_the_local_row_numbers_and_report_the_short_row(tmp_path):
    a, _b, _items = messy_log(tmp_path / "in")
    plan, encoding, how = batches.plan_file(str(a), 0, batches.IngestSpec())
    assert how == "csv" and plan.has_header
    mp = pytest.MonkeyPatch()
    mp.setattr(batches, "BATCH_ROWS", 97)
    try:
        got = list(batches.read_batches(plan, encoding, how, batches.IngestSpec()))
    finally:
        mp.undo()
    # 300 + 6 bad + 5 duplicates + 2 of file b = 313 parsed rows, and one short row.
    assert [t.num_rows for t, _, _ in got] == [97, 97, 97, 22]
    numbers = np.concatenate([n for _, n, _ in got])
    malformed = np.concatenate([m for _, _, m in got])
    assert malformed.tolist() == [10]  # inserted as the 11th line: data row 10
    assert numbers.tolist() == [n for n in range(1, 315) if n != 10]


def _as_formats(src, folder):
    """messy file a as Parquet, JSON Lines (gzip) and "||"-delimited text (read whole)."""
    import gzip

    frame = pd.read_csv(src, dtype=str, keep_default_na=False, on_bad_lines="skip")
    parquet, jsonl, dat = folder / "a.parquet", folder / "a.jsonl.gz", folder / "a.dat"
    frame.to_parquet(parquet, index=False)
    with gzip.open(jsonl, "wt", encoding="utf-8") as fh:
        fh.write(frame.to_json(orient="records", lines=True))
    dat.write_text(src.read_text(encoding="utf-8").replace(",", "||"), encoding="utf-8")
    return {"parquet": parquet, "jsonl": jsonl, "whole": dat}


@pytest.mark.parametrize("kind", ["parquet", "jsonl", "whole"])
def test_every_format_streams_to_the_rows_and_rejections_ingest_finds(tmp_path, kind):
    a, _b, items = messy_log(tmp_path / "in")
    path = str(_as_formats(a, tmp_path)[kind])
    spec = batches.IngestSpec()
    assert batches.plan_file(path, 0, spec)[2] == kind
    ref = local_engine.ingest_files([path], str(items), spec)
    con = duck._connect(tmp_path / "tmp")
    mp = pytest.MonkeyPatch()
    mp.setattr(batches, "BATCH_ROWS", 50)
    try:
        got = stream.stream_files([path], tmp_path / "tmp", con, str(items), spec, 8, "W", 64)
        rows = con.execute(
            f"SELECT user_id, item_id, ts FROM {duck._src(got.keyed)} ORDER BY ts, ord"
        ).df()
    finally:
        mp.undo()
        con.close()
    pd.testing.assert_frame_equal(got.rejected, ref.rejected, check_dtype=False)
    assert got.accepted == ref.report["accepted"] and got.rows_in == (ref.report["rows_in"],)
    assert rows["user_id"].tolist() == ref.events["user_id"].astype(str).tolist()
    assert rows["item_id"].tolist() == ref.events["item_id"].astype(str).tolist()
    assert rows["ts"].tolist() == ref.events["ts"].array.asi8.tolist()


def test_a_catalogue_category_names_the_topics_in_the_streamed_build_too(tmp_path):
    # the catalogue's category leads the topic labels ("Sports > Yoga · ..."), as in memory
    from core.sample import SampleSpec, generate

    sample = generate(
        SampleSpec(seed=5, n_users=80, n_items=40, weeks=6, n_drifters=4, dirty=False)
    )
    events, items = tmp_path / "events.csv", tmp_path / "items.csv"
    sample.events_raw.to_csv(events, index=False)
    sample.items_raw.to_csv(items, index=False)
    spec = AtlasSpec(k=4, top=10, source="behaviour")
    local_engine.build([events], tmp_path / "mem", items=str(items), spec=spec, in_memory=True)
    local_engine.build([events], tmp_path / "st", items=str(items), spec=spec)
    mem, st = open_atlas(tmp_path / "mem"), open_atlas(tmp_path / "st")
    categories = {str(c).split(" > ")[0].lower() for c in sample.items_raw["category"]}
    assert all(label.split(" > ")[0] in categories for label in st.labels), st.labels
    assert mem.labels == st.labels
    pd.testing.assert_frame_equal(mem.table("item_topics"), st.table("item_topics"))

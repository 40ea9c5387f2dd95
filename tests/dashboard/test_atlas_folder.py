"""The dashboard opened on an atlas folder ($ATLAS_DATASET=DIR): every page renders from the
precomputed tables, figures equal the tables, and raw-event views say they are not stored."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from apptest_helpers import assert_clean, new_app

from core.engines import AtlasSpec, open_atlas
from core.engines import local as local_engine
from core.engines.synth import messy_log

SPEC = AtlasSpec(k=4, top=10, source="behaviour")


def _spark_build(inputs, out, items) -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:  # pragma: no cover - make system-deps installs it
        pytest.skip("no Java runtime for Spark")
    from core.engines import spark as spark_engine

    spark = spark_engine.session(
        "local[2]", **{"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"}
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        spark_engine.build(inputs, out, items=items, spec=SPEC, spark=spark)
    finally:
        spark.stop()


@pytest.fixture(scope="module", params=["local", "spark"])
def atlas_dir(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"dash_atlas_{request.param}")
    a, b, items = messy_log(root / "in")
    if request.param == "local":
        local_engine.build([a, b], root / "atlas", items=str(items), spec=SPEC)
    else:
        _spark_build([a, b], root / "atlas", str(items))
    assert open_atlas(root / "atlas").manifest.engine == request.param
    return root / "atlas"


@pytest.fixture
def opened(atlas_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATASET", str(atlas_dir))
    return open_atlas(atlas_dir)


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _infos(at) -> str:
    return " ".join(i.value for i in at.info)


def test_overview_tiles_equal_the_manifest(opened):
    at = new_app()
    assert_clean(at)
    assert _metric(at, "Events") == f"{opened.manifest.rows['events']:,}" == "600"
    assert _metric(at, "Users") == f"{opened.report['n_users']:,}" == "40"
    assert _metric(at, "Items") == "24"
    engine = opened.manifest.engine
    assert any(f"Atlas folder: **atlas** ({engine} engine)" in c.value for c in at.caption)
    drift = at.dataframe[0].value
    assert list(drift["user_id"]) == list(opened.table("drift")["user_id"].head(8))
    assert "not the raw events hotspots" in _infos(at)


def test_interests_page_shows_the_stored_topics_and_hour_of_week(opened):
    at = new_app(page="interests")
    assert_clean(at)
    topics = at.dataframe[0].value
    assert list(topics["label"]) == list(opened.labels)
    assert len(at.get("plotly_chart")) == 2
    assert "period 'W'" in _infos(at)


def last_step(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a stored table's last time step (the Map page opens on it)."""
    return table[table["bin"] == table["bin"].max()]


def test_map_page_shows_the_cells_of_the_last_step(opened):
    at = new_app(page="atlas_map")
    assert_clean(at)
    last = last_step(opened.table("cells"))
    text = f"**{len(last):,} cells** · {int(last['events'].sum()):,} events"
    assert text in [m.value for m in at.markdown]


def test_map_page_shows_the_stored_countries_of_a_step(opened):
    at = new_app(page="atlas_map")
    at.segmented_control(key="atlas_map_view").set_value("countries").run()
    assert_clean(at)
    last = last_step(opened.table("regions"))
    text = f"**{len(last):,} countries** · {int(last['events'].sum()):,} events in them"
    assert text in [m.value for m in at.markdown]
    shown = at.dataframe[0].value
    assert sorted(shown["region"]) == sorted(last["region"])
    assert shown["events"].sum() == last["events"].sum()


def test_users_page_reads_one_users_events_on_demand(opened):
    at = new_app(page="users")
    assert_clean(at)
    users = opened.table("user_interests").sort_values(
        ["n_events", "user_id"], ascending=[False, True], kind="stable"
    )
    first = users["user_id"].iloc[0]
    assert at.selectbox(key="atlas_user").value == first
    assert not at.dataframe  # events only on demand
    at.toggle(key="atlas_user_events").set_value(True).run()
    assert_clean(at)
    shown = at.dataframe[0].value
    assert len(shown) == int(users["n_events"].iloc[0]) > 0
    assert set(shown["user_id"].astype(str)) == {first}


@pytest.mark.parametrize("page", ["compare", "model"])
def test_raw_event_pages_say_so(opened, page):
    at = new_app(page=page)
    assert_clean(at)
    assert "holds precomputed tables, not the raw events" in _infos(at)


def test_data_page_shows_the_report_and_opens_another_folder(opened, tmp_path):
    at = new_app(page="data")
    assert_clean(at)
    assert len(at.dataframe[0].value) == opened.manifest.rows["rejected"] == 7
    at.text_input(key="atlas_path").set_value(str(tmp_path))
    at.button(key="atlas_open_btn").click().run()
    assert "No atlas here" in at.error[0].value


def test_data_page_control_opens_an_atlas_folder(atlas_dir, monkeypatch):
    monkeypatch.delenv("ATLAS_DATASET", raising=False)
    at = new_app(page="data")
    assert_clean(at)
    at.text_input(key="atlas_path").set_value(str(atlas_dir))
    at.button(key="atlas_open_btn").click().run()
    assert_clean(at)
    assert any("Atlas folder: **atlas**" in c.value for c in at.caption)
    at.switch_page("views/overview.py").run()
    assert_clean(at)
    assert _metric(at, "Events") == "600"

"""An analyst opens an atlas folder built by the Spark engine from the Data page and reads it in
the browser: the Overview tiles, the Map's cells and countries, one user's events on demand."""

from __future__ import annotations

import shutil

import pytest
from e2e_helpers import goto_page, map_frame, settle

from core.engines import AtlasSpec, open_atlas
from core.engines.synth import messy_log

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def spark_atlas(tmp_path_factory):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:  # pragma: no cover - make system-deps installs it
        pytest.skip("no Java runtime for Spark")
    from core.engines import spark as spark_engine

    root = tmp_path_factory.mktemp("e2e_spark_atlas")
    a, b, items = messy_log(root / "in")
    spark = spark_engine.session(
        "local[2]",
        **{
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "2",
        },
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        spark_engine.build(
            [a, b], root / "atlas", items=str(items), spec=AtlasSpec(k=4, top=10), spark=spark
        )
    finally:
        spark.stop()
    return open_atlas(root / "atlas")


def _tile(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_a_spark_built_atlas_opens_and_reads_in_the_browser(server: str, browser, spark_atlas):
    assert spark_atlas.manifest.engine == "spark"
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/data")
    settle(page, timeout=480)
    page.get_by_label("Open atlas folder").fill(str(spark_atlas.path))
    page.get_by_role("button", name="Open atlas").click()
    page.wait_for_timeout(300)
    settle(page)

    goto_page(page, "Overview")
    assert page.get_by_text("(spark engine)").count() >= 1
    assert _tile(page, "Events") == f"{spark_atlas.manifest.rows['events']:,}" == "600"
    assert _tile(page, "Users") == "40"

    goto_page(page, "Map")
    cells = spark_atlas.table("cells")
    last = cells[cells["bin"] == cells["bin"].max()]
    assert page.get_by_text(f"{len(last):,} cells").count() == 1
    map_frame(page).wait_for_selector("path.leaflet-interactive", state="attached", timeout=60_000)
    page.locator('[data-testid="stButtonGroup"]').get_by_text("countries", exact=True).click()
    page.wait_for_timeout(300)
    settle(page)
    regions = spark_atlas.table("regions")
    shown = regions[regions["bin"] == regions["bin"].max()]
    assert page.get_by_text(f"{len(shown):,} countries").count() == 1

    goto_page(page, "Users")
    page.get_by_text("Show this user's events").click()
    page.wait_for_timeout(300)
    settle(page)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    assert not errors, errors
    context.close()

"""Model page: trains with progress, shows metrics against baselines, saves and loads a model."""

from __future__ import annotations

from apptest_helpers import assert_clean, new_app
from streamlit.testing.v1 import AppTest


def test_renders_on_the_sample_without_a_model() -> None:
    at = new_app(page="model")
    assert_clean(at)
    assert any("No model trained" in i.value for i in at.info)
    report = next(d.value for d in at.dataframe if "model" in d.value.columns)
    assert "most popular" in " ".join(report["model"].astype(str))  # preview model vs baselines


def trained(dataset, epochs: int) -> AppTest:
    """The Model page after training a width-32 model for ``epochs`` epochs on ``dataset``."""
    at = new_app(dataset, page="model")
    at.number_input(key="mdl_epochs").set_value(epochs)
    at.selectbox(key="mdl_width").set_value(32)
    at.get("form_submit_button")[0].click()
    return at.run()


def test_trains_on_an_upload_and_shows_the_metrics_table(small_dataset) -> None:
    at = trained(small_dataset, epochs=2)
    assert_clean(at)
    report = next(d.value for d in at.dataframe if "model" in d.value.columns)
    names = " ".join(report["model"].astype(str))
    assert "most popular" in names and "item-kNN" in names
    assert any("Protocol" in c.value for c in at.caption)


def test_saved_model_zip_loads_back(small_dataset) -> None:
    from dashboard.components.modelfiles import model_zip

    at = trained(small_dataset, epochs=1)
    handle = at.session_state["atlas_model"]
    data = model_zip(handle.bundle)
    fresh = new_app(small_dataset, page="model")
    fresh.file_uploader(key="mdl_load").set_value(("model.zip", data, "application/zip"))
    fresh.run()
    assert_clean(fresh)
    assert fresh.session_state["atlas_model"].source == "loaded from model.zip"

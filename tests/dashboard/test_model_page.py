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


def test_adapts_the_encoder_with_progress_and_shows_frozen_beside_adapted(small_dataset) -> None:
    at = new_app(small_dataset, page="model")
    assert any("The encoder is frozen" in i.value for i in at.info)
    next(b for b in at.get("form_submit_button") if b.label == "Adapt encoder").click()
    at.run()
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "pair recall@10" in d.value.columns)
    assert table["encoder"].tolist() == ["frozen encoder", "adapted encoder"]
    assert table["model"].tolist() == ["LM interest (cosine)", "LM interest (adapted encoder)"]
    assert table["NDCG@10"].notna().all() and table["seconds"].iloc[1] > 0
    metrics = next(d.value for d in at.dataframe if "coverage@10" in d.value.columns)
    names = metrics["model"].astype(str).tolist()
    assert "LM interest (cosine)" in names and "LM interest (adapted encoder)" in names
    assert any(b.label == "Cancel fine-tuning" for b in at.button)


def test_a_cancelled_fine_tuning_says_so_and_keeps_the_frozen_encoder(small_dataset) -> None:
    at = new_app(small_dataset, page="model")
    at.session_state["ft_cancelled"] = True
    at.run()
    assert_clean(at)
    assert any("Fine-tuning was cancelled" in w.value for w in at.warning)
    assert any("The encoder is frozen" in i.value for i in at.info)
    assert not any("pair recall@10" in d.value.columns for d in at.dataframe)


def _has_new_items(table) -> bool:
    return "segment" in table.columns and "new items" in set(table["segment"])


def test_new_item_evaluation_ranks_text_and_id_only_models_on_new_items(small_dataset) -> None:
    at = new_app(small_dataset, page="model")
    assert any("Evaluate on new items" in i.value for i in at.info)
    at.checkbox(key="ni_adapted").check()  # the adapted encoder's rows too
    next(b for b in at.get("form_submit_button") if b.label == "Evaluate on new items").click()
    at.run()
    assert_clean(at)
    table = next(d.value for d in at.dataframe if _has_new_items(d.value))
    assert set(table["segment"]) == {"all", "new items"}
    new = table[table["segment"] == "new items"].set_index("model")
    assert {"sequence model (SASRec)", "sequence model (ID-only)", "most popular"} <= set(new.index)
    assert {"sequence model (SASRec, adapted encoder)", "LM interest (adapted encoder)"} <= set(
        new.index
    )
    assert new["n_users"].nunique() == 1 and new["n_users"].iloc[0] > 0
    summary = next(m.value for m in at.markdown if "whose next item is new" in m.value)
    assert f"For the {int(new['n_users'].iloc[0])} test users" in summary
    assert any("new-item split" in c.value.replace("\\", "") for c in at.caption)
    assert any(b.label == "Cancel new-item evaluation" for b in at.button)


def test_a_cancelled_new_item_evaluation_says_so_and_keeps_nothing(small_dataset) -> None:
    at = new_app(small_dataset, page="model")
    at.session_state["ni_cancelled"] = True  # as the Cancel button's callback sets it
    at.run()
    assert_clean(at)
    assert any("new-item evaluation was cancelled" in w.value for w in at.warning)
    assert not any(_has_new_items(d.value) for d in at.dataframe)

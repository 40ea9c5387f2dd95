"""Data page: opens on the bundled sample; an upload with a catalogue goes through the mapping form."""

from __future__ import annotations

from apptest_helpers import assert_clean, new_app


def test_opens_on_the_bundled_sample_with_its_ingest_report() -> None:
    at = new_app()
    assert_clean(at)
    assert at.title[0].value == "Data"
    assert "bundled sample" in at.caption[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert {"Rows in", "Accepted", "Rejected", "Duplicates", "Located"} <= set(metrics)
    report = at.session_state["atlas_dataset"].report
    assert report["rows_in"] == report["accepted"] + report["rejected"] + report["duplicates"]
    assert metrics["Accepted"] == f"{report['accepted'] / 1e3:.1f}k"  # 135,719 -> 135.7k
    assert any("MB" in m.value for m in at.markdown)  # the upload limit is stated


def test_upload_with_catalogue_is_mapped_and_loaded(small_upload) -> None:
    at = new_app()
    at.file_uploader(key="up_events").set_value(
        ("my events.csv", small_upload.events_csv, "text/csv")
    )
    at.file_uploader(key="up_items").set_value(("items.csv", small_upload.items_csv, "text/csv"))
    at.run()
    assert_clean(at)
    # the mapping form is pre-filled by detection
    assert at.selectbox(key=next(k for k in _keys(at) if k.endswith("_user_id"))).value == "user_id"
    submit = at.get("form_submit_button")[0]
    submit.click()
    at.run()
    assert_clean(at)
    assert "my events" in at.caption[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["In catalogue"].replace(",", "")) > 0


def test_mapping_form_refuses_a_missing_required_field(small_upload) -> None:
    at = new_app()
    at.file_uploader(key="up_events").set_value(("e.csv", small_upload.events_csv, "text/csv"))
    at.run()
    user_key = next(k for k in _keys(at) if k.endswith("_user_id"))
    at.selectbox(key=user_key).set_value("— not in this file —")
    at.get("form_submit_button")[0].click()
    at.run()
    assert any("required" in e.value for e in at.error)
    assert "bundled sample" in at.caption[0].value  # nothing replaced


def _keys(at) -> list[str]:
    return [s.key for s in at.selectbox if s.key]

"""Data page: opens on the bundled sample; an upload with a catalogue goes through the mapping form."""

from __future__ import annotations

from apptest_helpers import assert_clean, new_app

from dashboard.components.upload import NONE


def test_opens_on_the_bundled_sample_with_its_ingest_report() -> None:
    at = new_app(page="data")
    assert_clean(at)
    assert at.title[0].value == "Data"
    assert "bundled sample" in at.caption[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert {"Rows in", "Accepted", "Rejected", "Duplicates", "Located"} <= set(metrics)
    report = at.session_state["atlas_dataset"].report
    assert report["rows_in"] == report["accepted"] + report["rejected"] + report["duplicates"]
    assert report["accepted"] == 158_557  # the bundled sample, as the README states
    assert metrics["Accepted"] == "158.6k"
    assert any("MB" in m.value for m in at.markdown)  # the upload limit is stated


def test_upload_with_catalogue_is_mapped_and_loaded(small_upload) -> None:
    at = new_app(page="data")
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
    at = new_app(page="data")
    at.file_uploader(key="up_events").set_value(("e.csv", small_upload.events_csv, "text/csv"))
    at.run()
    user_key = next(k for k in _keys(at) if k.endswith("_user_id"))
    at.selectbox(key=user_key).set_value(NONE)
    at.get("form_submit_button")[0].click()
    at.run()
    assert any("required" in e.value for e in at.error)
    assert "bundled sample" in at.caption[0].value  # nothing replaced


def test_a_field_set_to_none_stays_off(small_upload) -> None:
    at = new_app(page="data")
    at.file_uploader(key="up_events").set_value(("e.csv", small_upload.events_csv, "text/csv"))
    at.run()
    event_key = next(k for k in _keys(at) if k.endswith("_event"))
    assert at.selectbox(key=event_key).value == "event"  # detected
    at.selectbox(key=event_key).set_value(NONE)
    at.get("form_submit_button")[0].click()
    at.run()
    assert_clean(at)
    data = at.session_state["atlas_dataset"]
    assert "event" not in data.report["column_mapping"]
    assert set(data.events["event"].astype(str)) == {"event"}  # the default, not the column
    # nothing is lost: the column's values stay, renamed to keep clear of the canonical name
    assert set(data.events["src_event"].astype(str)) == {"view", "click", "cart", "purchase"}


def _keys(at) -> list[str]:
    return [s.key for s in at.selectbox if s.key]


def test_unreadable_upload_gives_a_message_not_a_traceback() -> None:
    at = new_app(page="data")
    garbage = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    at.file_uploader(key="up_events").set_value(("photo.csv", garbage, "text/csv"))
    at.run()
    assert not at.exception
    messages = [e.value for e in at.error] + [w.value for w in at.warning]
    if at.get("form_submit_button"):
        at.get("form_submit_button")[0].click()
        at.run()
        assert not at.exception
        messages += [e.value for e in at.error]
    assert messages and all("Traceback" not in m for m in messages)
    assert "bundled sample" in at.caption[0].value


def test_files_over_the_upload_limit_are_refused_with_the_limit_stated() -> None:
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from dashboard.components.upload import read_upload

        class Big:
            name = "huge.csv"
            size = 10**12

            def getvalue(self) -> bytes:
                raise AssertionError("must not be read")

        read_upload(Big())

    at = AppTest.from_function(page)
    at.run()
    assert not at.exception
    assert "the limit is" in at.error[0].value and "MB" in at.error[0].value


def test_a_file_named_by_atlas_dataset_is_not_the_sample_and_the_sample_is_one_click_away(
    small_upload, tmp_path, monkeypatch
) -> None:
    events = tmp_path / "shop events.csv"
    events.write_bytes(small_upload.events_csv)
    monkeypatch.setenv("ATLAS_DATASET", str(events))
    at = new_app(page="data")
    assert_clean(at)
    assert "shop events\\.csv" in at.caption[0].value  # markdown-escaped name
    assert at.session_state["atlas_dataset"].is_sample is False
    at.button(key="back_sample").click()
    at.run()
    assert_clean(at)
    assert "bundled sample" in at.caption[0].value
    assert at.session_state["atlas_dataset"].is_sample is True

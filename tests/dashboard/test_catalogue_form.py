"""The catalogue mapping form, uploads of any file name, and events added to a loaded log (a further
upload and a watched folder)."""

from __future__ import annotations

import pandas as pd
import pytest
from apptest_helpers import assert_clean, make_movielens, new_app

POI_VISITS = (
    b"userID,poiID,timestamp\n"
    b"u1,p1,2024-03-01T10:00:00Z\nu1,p2,2024-03-01T12:00:00Z\nu2,p1,2024-03-02T09:00:00Z\n"
)
POI_TABLE = (
    b"poiID,poiName,poiLat,poiLon,poiCat\n"
    b"p1,Tim Hortons,40.75,-73.99,Coffee Shop\np2,Central Park,40.78,-73.97,Park\n"
)


@pytest.fixture(scope="module")
def movielens():
    return make_movielens()


def _box(at, suffix: str, items: bool = False):
    for box in [*at.selectbox, *at.multiselect]:
        key = box.key or ""
        if key.endswith(suffix) and ("_items_" in key) == items:
            return box
    raise AssertionError(f"no widget whose key ends with {suffix!r} (items={items})")


def _upload_movielens(at, ml) -> None:
    at.file_uploader(key="up_events").set_value(("u.data", ml.u_data, "application/octet-stream"))
    at.file_uploader(key="up_items").set_value(("u.item", ml.u_item, "application/octet-stream"))
    at.run()


def _map_movielens_by_position(at) -> None:
    for field, column in (("user_id", "0"), ("item_id", "1"), ("weight", "2"), ("ts", "3")):
        _box(at, f"_{field}").set_value(column)
    _box(at, "_item_id", items=True).set_value("0")
    _box(at, "_item_text", items=True).set_value(["1"])
    at.get("form_submit_button")[0].click()
    at.run()


def test_headerless_files_of_any_name_say_what_was_detected(movielens) -> None:
    at = new_app(page="data")
    _upload_movielens(at, movielens)
    assert_clean(at)
    said = " ".join(m.value for m in at.markdown)
    assert "**u\\.data** · detected format: delimited text · delimiter: tab" in said
    assert "header row: no" in said
    assert "**u\\.item** · detected format: delimited text · delimiter: pipe" in said
    assert "encoding: cp1252" in said
    # a headerless column is offered with an example value, so it can be mapped by position
    assert _box(at, "_item_text", items=True).options[1].startswith("1 · e.g. Café")
    assert any("No item id column detected in the catalogue" in w.value for w in at.warning)


def test_movielens_mapped_by_position_in_both_forms_loads_real_titles(movielens) -> None:
    at = new_app(page="data")
    _upload_movielens(at, movielens)
    _map_movielens_by_position(at)
    assert_clean(at)
    data = at.session_state["atlas_dataset"]
    assert data.name == "u.data" and data.report["accepted"] == 1600
    assert data.report["catalogue_mapping"] == [["item_id", "0"], ["item_text", "1"]]
    texts = dict(
        zip(data.events["item_id"].astype(str), data.events["item_text"].astype(str), strict=True)
    )
    assert texts["1"] == movielens.titles["1"] and texts["1"].startswith("Café")
    assert int({m.label: m.value for m in at.metric}["In catalogue"]) == 48


def test_the_catalogue_form_refuses_a_missing_item_id(movielens) -> None:
    at = new_app(page="data")
    _upload_movielens(at, movielens)
    for field, column in (("user_id", "0"), ("item_id", "1"), ("ts", "3")):
        _box(at, f"_{field}").set_value(column)
    at.get("form_submit_button")[0].click()
    at.run()
    assert any("catalogue's item_id column" in e.value for e in at.error)
    assert "bundled sample" in at.caption[0].value  # nothing replaced


def test_a_poi_table_is_detected_in_the_catalogue_form() -> None:
    at = new_app(page="data")
    at.file_uploader(key="up_events").set_value(("visits.log", POI_VISITS, "text/plain"))
    at.file_uploader(key="up_items").set_value(("pois.txt", POI_TABLE, "text/plain"))
    at.run()
    assert_clean(at)
    assert _box(at, "_item_id", items=True).value == "poiID"
    assert _box(at, "_item_text", items=True).value == ["poiName", "poiCat"]
    assert _box(at, "_lat", items=True).value == "poiLat"
    assert _box(at, "_category", items=True).value == "poiCat"
    _box(at, "_item_text", items=True).set_value(["poiName"])  # the analyst keeps the name only
    at.get("form_submit_button")[0].click()
    at.run()
    assert_clean(at)
    events = at.session_state["atlas_dataset"].events
    assert set(events["item_text"].astype(str)) == {"Tim Hortons", "Central Park"}
    assert events["lat"].notna().all()  # located from the POI table


def test_added_events_grow_the_log_and_say_what_arrived(movielens) -> None:
    at = new_app(page="data")
    _upload_movielens(at, movielens)
    _map_movielens_by_position(at)
    before = at.session_state["atlas_dataset"]
    repeat = movielens.u_data.splitlines(keepends=True)[:10]  # ten rows already loaded
    at.file_uploader(key="up_more").set_value(
        ("day2.tsv", movielens.more + b"".join(repeat), "application/octet-stream")
    )
    at.run()
    columns = {"user_id": "0", "item_id": "1", "weight": "2", "ts": "3"}
    for field, column in columns.items():
        box = next(
            b
            for b in at.selectbox
            if (b.key or "").startswith("more_map") and b.key.endswith(field)
        )
        box.set_value(column)
    submit = next(b for b in at.get("form_submit_button") if "Add these events" in b.label)
    submit.click()
    at.run()
    assert_clean(at)
    after = at.session_state["atlas_dataset"]
    arrival = after.arrivals[-1]
    n_more = len(movielens.more.splitlines())
    assert (arrival.rows, arrival.duplicates) == (n_more + 10, 10)
    assert len(after.events) == len(before.events) + arrival.added
    assert after.events["ts"].max() > before.events["ts"].max()
    assert after.events["item_text"].notna().all()  # joined with the same catalogue
    assert any("events added" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "events added" in d.value.columns)
    assert int(table["duplicates dropped"].iloc[-1]) == 10
    assert "arrival" in at.caption[0].value


def test_a_watched_folder_folds_in_new_files(tmp_path, monkeypatch, movielens) -> None:
    import io

    monkeypatch.setenv("ATLAS_WATCH", str(tmp_path))
    # there before the session: read once too; not an event log, so it is reported and skipped
    (tmp_path / "old.csv").write_text("there before the session: not new\n")
    at = new_app(page="data")
    assert_clean(at)
    base = at.session_state["atlas_dataset"]
    assert any("Watching" in c.value for c in at.caption)
    # the next hours of the log: 40 known users and items, after the last event
    raw = base.events.tail(40)[["user_id", "item_id", "event"]].astype(str)
    raw["timestamp"] = (
        base.events["ts"].max() + pd.to_timedelta(range(1, 41), unit="min")
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    buf = io.StringIO()
    raw.to_csv(buf, index=False)
    (tmp_path / "next-day.csv").write_text(buf.getvalue())
    at.run()  # seen once: read when it has stopped changing
    assert len(at.session_state["atlas_dataset"].arrivals) == 0
    at.run()
    assert_clean(at)
    grown = at.session_state["atlas_dataset"]
    assert len(grown.arrivals) == 1 and grown.arrivals[0].source == "next-day.csv"
    assert grown.arrivals[0].added == 40 and len(grown.events) == len(base.events) + 40
    # read once, and the sidebar says why it was skipped (markdown-escaped name)
    assert any(w.value.startswith("old\\.csv: MissingColumnsError") for w in at.warning)


def _log_csv(path, start: str, n: int, seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    pd.DataFrame(
        {
            "user_id": [f"u{j}" for j in rng.integers(0, 8, n)],
            "item_id": [f"i{j}" for j in rng.integers(0, 12, n)],
            "timestamp": (
                pd.Timestamp(start, tz="UTC") + pd.to_timedelta(np.arange(n) * 3600, unit="s")
            ).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ).to_csv(path, index=False)


def test_files_already_in_the_watched_folder_are_read_once_but_not_the_dataset(
    tmp_path, monkeypatch
) -> None:
    _log_csv(tmp_path / "log.csv", "2026-03-01", 120, 0)  # the loaded dataset, in the folder
    _log_csv(tmp_path / "waiting.csv", "2026-03-08", 30, 1)  # dropped there before the start
    monkeypatch.setenv("ATLAS_DATASET", str(tmp_path / "log.csv"))
    monkeypatch.setenv("ATLAS_WATCH", str(tmp_path))
    at = new_app(page="data")
    assert_clean(at)
    base = at.session_state["atlas_dataset"]
    assert base.name == "log.csv" and len(base.events) == 120
    at.run()  # the waiting file has not changed since the first look: read now
    assert_clean(at)
    grown = at.session_state["atlas_dataset"]
    assert [a.source for a in grown.arrivals] == ["waiting.csv"]  # log.csv is not added to itself
    assert grown.arrivals[0].added == 30 and len(grown.events) == 150
    at.run()
    at.run()  # each file once
    assert len(at.session_state["atlas_dataset"].arrivals) == 1

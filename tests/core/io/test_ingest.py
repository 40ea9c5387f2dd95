import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import schema
from core.cli import ingest as cli
from core.errors import InvalidInputError, MissingColumnsError
from core.io import IngestSpec, detect_encoding, ingest, sniff

FIXTURES = Path(__file__).parent / "fixtures"
FOURSQUARE = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "foursquare-nyc" / "checkins.csv"
)
CSV = "user,item,time,event\nu1,i1,2024-03-01T10:00:00Z,view\nu2,i2,2024-03-01T11:00:00Z,Purchase\n"


def _balanced(result) -> None:
    rep = result.report
    assert rep.accepted + rep.rejected + rep.duplicates == rep.rows_in
    assert len(result.events) == rep.accepted and len(result.rejected) == rep.rejected


def test_canonical_log_from_a_plain_csv():
    result = ingest(CSV.encode())
    events = result.events
    assert list(events.columns[: len(schema.CANONICAL)]) == list(schema.CANONICAL)
    assert str(events[schema.TS].dtype) == "datetime64[ns, UTC]"
    assert events[schema.EVENT].tolist() == ["view", "purchase"]
    assert events[schema.WEIGHT].tolist() == [1.0, 5.0]
    assert dict(result.report.column_mapping) == {
        "user_id": "user",
        "item_id": "item",
        "ts": "time",
        "event": "event",
    }
    _balanced(result)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]
)
def test_encodings_are_detected_without_mojibake(encoding):
    text = "user;item;time;title\nu1;i1;2024-03-01T10:00:00Z;Café Müller\nu2;i2;2024-03-01T11:00:00Z;Señor Niño\n"
    result = ingest(text.encode(encoding))
    assert sorted(result.events[schema.ITEM_TEXT].astype(str)) == ["Café Müller", "Señor Niño"]
    assert result.report.delimiter == ";"


def test_cp1252_only_characters_pick_cp1252():
    assert detect_encoding("5 € – “quoted”".encode("cp1252")) == "cp1252"
    assert detect_encoding("Café".encode()) == "utf-8"
    assert detect_encoding("\ufeffCafé".encode()) == "utf-8-sig"


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiters_are_detected(delimiter):
    result = ingest(CSV.replace(",", delimiter).encode())
    assert result.report.delimiter == delimiter
    assert result.report.accepted == 2


def test_gzip_and_parquet_are_recognised_by_magic_bytes(tmp_path):
    gz = ingest(gzip.compress(CSV.encode()))
    assert gz.report.compression == "gzip" and gz.report.accepted == 2
    frame = pd.read_csv(io.StringIO(CSV))
    frame["time"] = pd.to_datetime(frame["time"])
    path = tmp_path / "events.bin"
    frame.to_parquet(path)
    pq = ingest(path)
    assert pq.report.format == "parquet"
    assert pq.events[schema.TS].tolist() == gz.events[schema.TS].tolist()
    with open(path, "rb") as handle:
        assert ingest(handle).report.accepted == 2


def test_headerless_tsv_with_positional_mapping_and_latin1_catalogue():
    spec = IngestSpec(mapping=(("user_id", "0"), ("item_id", "1"), ("ts", "2"), ("event", "3")))
    result = ingest(FIXTURES / "headerless.tsv", items=FIXTURES / "catalogue_latin1.csv", spec=spec)
    rep = result.report
    assert (rep.has_header, rep.delimiter, rep.rows_in) == (False, "\t", 6)
    assert (rep.accepted, rep.rejected, rep.duplicates) == (4, 1, 1)
    assert dict(rep.rejected_by_reason) == {"missing_user": 1}
    assert result.rejected["row_number"].tolist() == [4]
    assert result.rejected.iloc[0][["1", "2"]].tolist() == ["b3", "1333479609"]
    assert (rep.catalogue_rows, rep.catalogue_matched_items) == (3, 3)
    texts = dict(
        zip(
            result.events[schema.ITEM].astype(str),
            result.events[schema.ITEM_TEXT].astype(str),
            strict=True,
        )
    )
    assert texts["b1"] == "Café Müller | Tanz|Théâtre"
    assert texts["b2"] == "Crème brûlée – 5 € menu | Küche"
    assert result.events[schema.EVENT].tolist() == ["view", "purchase", "click", "cart"]
    _balanced(result)


def test_headerless_without_mapping_names_columns_and_synonyms_tried():
    with pytest.raises(
        MissingColumnsError, match=r"columns found \['0', '1', '2', '3'\].*names tried"
    ):
        ingest(FIXTURES / "headerless.tsv")


def test_missing_required_field_error_lists_columns_and_names():
    with pytest.raises(
        MissingColumnsError,
        match=r"\['user_id'\] not found: columns found \['photo_id', 'user_nsid'",
    ):
        ingest(FIXTURES / "photos.csv")


def test_checkin_log_with_minutes_offset_and_weekday_times_needs_no_mapping():
    result = ingest(FIXTURES / "checkins_offset.tsv")
    rep = result.report
    assert dict(rep.column_mapping)["tz_offset_min"] == "timezoneOffset"
    assert result.events[schema.TZ_OFFSET].tolist() == [-240.0] * 5
    assert result.events[schema.TS].iloc[0] == pd.Timestamp("2012-04-03 18:00:09", tz="UTC")
    assert dict(rep.rejected_by_reason) == {"unparseable_time": 1}
    assert rep.locations_cleared == 2  # (0, 0) and latitude 140.7
    assert result.events[schema.LAT].isna().sum() == 2
    assert rep.extra_columns == ("venueCategoryId",)
    _balanced(result)


def test_photo_log_with_epoch_times_and_bad_clocks():
    result = ingest(FIXTURES / "photos.csv", spec=IngestSpec(mapping=(("user_id", "user_nsid"),)))
    rep = result.report
    assert rep.time_format.startswith("epoch seconds")
    assert dict(rep.rejected_by_reason) == {"implausible_time": 3}
    assert sorted(result.rejected["photo_id"]) == ["p3", "p4", "p6"]
    assert rep.located_share == pytest.approx(3 / 4)
    _balanced(result)


def test_place_names_resolve_and_unresolved_are_reported_but_kept():
    result = ingest(FIXTURES / "places.csv")
    rep = result.report
    assert dict(rep.column_mapping)["place"] == "city"
    assert rep.accepted == 5
    assert rep.places_unresolved == ("Nowhereville Xyz",)
    assert rep.extra_columns == ("city",)
    assert result.events["city"].astype(str).tolist()[:2] == ["Beijing", "上海市"]
    by_item_user = result.events.set_index([schema.USER, schema.ITEM])
    assert by_item_user.loc[("u1", "i2"), schema.LAT] == pytest.approx(31.22, abs=0.01)
    assert by_item_user.loc[("u2", "i1"), schema.LON] == pytest.approx(2.35, abs=0.01)
    assert by_item_user.loc[("u1", "i1"), schema.TZ_OFFSET] == 480.0


def test_rating_column_supplies_the_weight_else_the_event_table():
    text = "user,item,time,event,rating\nu,a,2024-01-01,view,4.5\nu,b,2024-01-02,purchase,\nu,c,2024-01-03,cart,x\n"
    weights = ingest(text.encode()).events[schema.WEIGHT].tolist()
    assert weights == [4.5, 5.0, 3.0]
    custom = IngestSpec(weight_from_value=False, event_weights=(("view", 7.0),))
    assert ingest(text.encode(), spec=custom).events[schema.WEIGHT].tolist() == [7.0, 1.0, 1.0]


def test_every_reason_and_duplicates_add_up():
    text = (
        "user,item,time\n"
        "u,a,2024-01-01\n"  # ok
        "u,a,2024-01-01\n"  # duplicate
        ",a,2024-01-01\n"  # missing user
        "u,NULL,2024-01-01\n"  # missing item
        "u,a,\n"  # missing time
        "u,a,yesterday\n"  # unparseable
        "u,a,1985-01-01\n"  # too early
        "u,a,2200-01-01\n"  # future
        "u,a,b,c\n"  # malformed
    )
    result = ingest(text.encode())
    rep = result.report
    assert rep.rows_in == 9 and rep.accepted == 1 and rep.duplicates == 1
    assert dict(rep.rejected_by_reason) == {
        "malformed_row": 1,
        "missing_user": 1,
        "missing_item": 1,
        "missing_time": 1,
        "unparseable_time": 1,
        "implausible_time": 2,
    }
    assert result.rejected["row_number"].tolist() == [3, 4, 5, 6, 7, 8, 9]
    assert result.rejected["raw_line"].iloc[-1] == "u,a,b,c"
    _balanced(result)


def test_min_time_is_configurable():
    text = b"user,item,time\nu,a,1985-01-01\n"
    assert ingest(text, spec=IngestSpec(min_time="1980-01-01")).report.accepted == 1


def test_explicit_mapping_overrides_synonyms_and_bad_mappings_say_why():
    text = b"user,item,time,other_time\nu,a,2024-01-01,2023-05-05\n"
    result = ingest(text, spec=IngestSpec(mapping=(("ts", "other_time"),)))
    assert result.events[schema.TS].iloc[0].year == 2023
    assert "time" in result.report.extra_columns
    with pytest.raises(InvalidInputError, match="neither a column name nor a 0-based position"):
        ingest(text, spec=IngestSpec(mapping=(("ts", "nope"),)))
    with pytest.raises(InvalidInputError, match=r"field 'when' .* is not one of"):
        ingest(text, spec=IngestSpec(mapping=(("when", "time"),)))


def test_extras_are_kept_numbers_as_numbers():
    text = b"user,item,time,price,shop\nu,a,2024-01-01,9.5,north\nu,b,2024-01-02,,south\n"
    events = ingest(text).events
    assert events["price"].tolist()[0] == 9.5 and np.isnan(events["price"].iloc[1])
    assert events["shop"].astype(str).tolist() == ["north", "south"]


def test_sniff_reports_the_mapping_form_inputs():
    sniffed = sniff(FIXTURES / "checkins_offset.tsv")
    assert sniffed.delimiter == "\t" and sniffed.has_header and sniffed.missing == ()
    assert sniffed.columns[0] == "userId" and len(sniffed.preview) == 6
    headerless = sniff(FIXTURES / "headerless.tsv")
    assert headerless.columns == ("0", "1", "2", "3") and headerless.missing == (
        "user_id",
        "item_id",
        "ts",
    )


def test_report_is_json_serialisable():
    rep = ingest(CSV.encode()).report.to_dict()
    assert json.loads(json.dumps(rep))["accepted"] == 2


def test_cli_writes_outputs_and_neutralises_formulas(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("user,item,time\n=cmd(),a,2024-01-01\n@x,b,\n")
    args = ["in", "--map", "user_id=user", "--out", str(tmp_path / "out")]
    parser = __import__("argparse").ArgumentParser()
    cli.add_arguments(parser)
    ns = parser.parse_args(args)
    ns.events = str(src)
    assert cli.main(ns) == 0
    out = tmp_path / "out"
    assert pd.read_parquet(out / "events.parquet")[schema.USER].tolist() == ["=cmd()"]
    rejected = pd.read_csv(out / "rejected.csv")
    assert rejected["user"].tolist() == ["'@x"]
    assert json.loads((out / "report.json").read_text())["rows_in"] == 2
    assert "accepted" in capsys.readouterr().out


@pytest.mark.skipif(not FOURSQUARE.is_file(), reason="real Foursquare NYC file not present")
def test_real_foursquare_file_ingests_with_zero_mapping():
    result = ingest(FOURSQUARE)
    rep = result.report
    assert rep.rows_in == 27634
    assert rep.accepted == 27634 and rep.rejected == 0 and rep.duplicates == 0
    assert (rep.n_users, rep.n_items) == (1081, 4587)
    assert rep.located_share == 1.0
    assert dict(rep.column_mapping)["tz_offset_min"] == "tz_offset_min"
    _balanced(result)


def test_header_detection_on_typed_columns():
    from core.io.reader import detect_header

    assert detect_header([["a", "b", "2024-01-01"], ["c", "d", "2024-01-02"]]) is False
    assert detect_header([["who", "what", "when"], ["c", "d", "2024-01-02"]]) is True
    assert detect_header([["user", "x"], ["c", "d"]]) is True


def test_quoted_fields_with_delimiters_and_newlines_survive():
    text = 'user,item,time,title\nu1,i1,2024-01-01,"Hello, world"\nu2,i2,2024-01-02,"two\nlines"\n'
    result = ingest(text.encode())
    assert sorted(result.events[schema.ITEM_TEXT].astype(str)) == ["Hello, world", "two\nlines"]
    _balanced(result)


def test_catalogue_with_plain_id_column_fills_text_and_coordinates():
    events = b"user,item,time\nu,v1,2024-01-01\nu,v2,2024-01-02\nu,v3,2024-01-03\n"
    items = b"id,name,category,lat,lng\nv1,Blue Bottle,Coffee,40.7,-74.0\nv1,dup,x,1,1\nv2,Jazz Club,,91,0\n"
    result = ingest(events, items=items)
    rep = result.report
    assert (rep.catalogue_rows, rep.catalogue_matched_items) == (3, 2)
    text = result.events[schema.ITEM_TEXT]
    assert text.iloc[:2].tolist() == ["Blue Bottle | Coffee", "Jazz Club"] and pd.isna(text.iloc[2])
    assert np.isnan(result.events[schema.LAT].iloc[1])  # 91 is no latitude
    assert result.events[schema.LAT].tolist()[0] == 40.7
    assert any("repeats 1 item ids" in w for w in rep.warnings)
    assert any("1 of 3 items are not in the catalogue" in w for w in rep.warnings)


def test_catalogue_without_id_column_says_what_was_tried():
    with pytest.raises(
        MissingColumnsError, match=r"items: no item id column: columns found \['foo'"
    ):
        ingest(CSV.encode(), items=b"foo,title\na,b\n")


def test_sniff_sees_through_gzip_and_parquet(tmp_path):
    sniffed = sniff(gzip.compress(CSV.encode()))
    assert sniffed.compression == "gzip" and sniffed.columns == ("user", "item", "time", "event")
    path = tmp_path / "e.parquet"
    pd.read_csv(io.StringIO(CSV)).to_parquet(path)
    assert sniff(path).format == "parquet" and sniff(path).missing == ()


def test_cli_through_the_dispatcher(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "ingest",
            str(FIXTURES / "photos.csv"),
            "--map",
            "user_id=user_nsid",
            "--out",
            str(out),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "implausible_time: 3" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "events.parquet",
        "rejected.csv",
        "report.json",
    ]
    failed = subprocess.run(
        [sys.executable, "-m", "core", "ingest", str(FIXTURES / "photos.csv"), "--out", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1 and "user_nsid" in failed.stderr


def test_empty_file_and_header_only_file():
    with pytest.raises(InvalidInputError, match="found an empty file"):
        ingest(b"")
    for data in (b"user,item,time\n", b"user,item,time"):
        result = ingest(data)
        assert result.report.rows_in == 0 and len(result.events) == 0
        assert list(result.events.columns) == list(schema.CANONICAL)


def test_place_names_do_not_pin_unlocated_rows_when_the_file_has_coordinates():
    text = "user,item,time,lat,lon,city\nu,a,2024-01-01,40.7,-74.0,New York\nu,b,2024-01-02,,,New York\n"
    events = ingest(text.encode()).events.set_index(schema.ITEM)
    assert events.loc["a", schema.LAT] == 40.7
    assert np.isnan(events.loc["b", schema.LAT])
    assert events["city"].astype(str).tolist() == ["New York", "New York"]


def test_ignored_fields_are_not_detected():
    text = "user,item,time,rating\nu,a,2024-01-01,4.5\n"
    spec = IngestSpec(ignore=(schema.WEIGHT,))
    result = ingest(text.encode(), spec=spec)
    assert schema.WEIGHT not in dict(result.report.column_mapping)
    assert result.events[schema.WEIGHT].tolist() == [1.0]
    assert result.events["rating"].tolist() == [4.5]


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_utf8_head_cut_inside_a_character_is_still_utf8() -> None:
    # Regression: a 4 KB head ending inside a 3-byte Chinese character read as Latin-1, so a
    # Chinese CSV over 4 KB was refused as "binary data".
    from core.io.reader import detect_encoding

    body = "用户,商品,时间\n" + "".join(f"用户{i},咖啡豆,2026-01-01\n" for i in range(300))
    data = body.encode("utf-8")
    cuts = range(4090, 4100)
    assert any(not _decodes(data[:n]) for n in cuts)  # some cut falls inside a character
    assert all(detect_encoding(data[:n]) == "utf-8" for n in cuts)
    assert detect_encoding(b"caf\xe9 cr\xe8me") == "cp1252"  # a real single-byte text stays so
    events = ingest(data).events
    assert len(events) == 300 and set(events["item_id"].astype(str)) == {"咖啡豆"}

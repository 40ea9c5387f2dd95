"""Real log shapes, generated here (the real files stay outside the repository): MovieLens-100K
``u.data`` / ``u.item``, MovieLens-1M ``ratings.dat``, a POI visit log with a POI table, a nested
JSON Lines export, a Chinese-headed shop log with its catalogue, Excel, zip and gzip."""

from __future__ import annotations

import argparse
import gzip
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import schema
from core.cli import heatmap, interests, train
from core.cli import ingest as cli_ingest
from core.cli.options import spec_from
from core.errors import InvalidInputError, MissingColumnsError
from core.io import IngestSpec, ingest, sniff
from core.io.reader import detect_delimiter, detect_header

U_DATA = b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n196\t242\t3\t881250949\n"
U_ITEM = (
    "242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|0|0|0|0|0|1\n"
    "302|L.A. Confidential (1997)|01-Jan-1997||http://us.imdb.com/M/title-exact?L%2EA%2E|0|0|0|0|1|0\n"
    "377|Heavyweights (1994)|01-Jan-1994||http://us.imdb.com/M/title-exact?Heavyweights|0|0|0|1|0|0\n"
    "1|Café au lait (1993)|01-Jan-1993||http://us.imdb.com/M/title-exact?Cafe|0|0|1|0|0|0\n"
).encode("latin-1")
EVENTS_BY_POSITION = (("user_id", 0), ("item_id", 1), ("weight", 2), ("ts", 3))


def _balanced(result) -> None:
    rep = result.report
    assert rep.accepted + rep.rejected + rep.duplicates == rep.rows_in
    assert len(result.events) == rep.accepted and len(result.rejected) == rep.rejected


def _title(result, item: str) -> str:
    events = result.events
    return str(events.loc[events[schema.ITEM].astype(str) == item, schema.ITEM_TEXT].iloc[0])


def test_movielens_100k_both_files_mapped_by_position():
    spec = IngestSpec(mapping=EVENTS_BY_POSITION, items_mapping=(("item_id", 0), ("item_text", 1)))
    result = ingest(U_DATA, items=U_ITEM, spec=spec)
    rep = result.report
    assert (rep.rows_in, rep.accepted, rep.duplicates, rep.rejected) == (4, 3, 1, 0)
    assert (rep.delimiter, rep.has_header) == ("\t", False)
    assert _title(result, "242") == "Kolya (1996)"
    assert _title(result, "377") == "Heavyweights (1994)"
    assert sorted(result.events[schema.WEIGHT]) == [1.0, 3.0, 3.0]
    assert result.events[schema.TS].min() == pd.Timestamp(878887116, unit="s", tz="UTC")
    assert (rep.catalogue_rows, rep.catalogue_matched_items) == (4, 3)
    assert rep.catalogue_mapping == (("item_id", "0"), ("item_text", "1"))
    _balanced(result)


def test_u_item_is_read_as_latin1_pipes_without_header():
    sniffed = sniff(U_ITEM, items=True)
    assert (sniffed.delimiter, sniffed.has_header, sniffed.encoding) == ("|", False, "cp1252")
    assert sniffed.role == "items" and sniffed.missing == ("item_id",)
    assert sniffed.preview.iloc[3]["1"] == "Café au lait (1993)"
    assert len(sniffed.columns) == 11


def test_a_catalogue_without_a_mapping_says_to_map_by_position():
    with pytest.raises(MissingColumnsError, match=r"no header row: map the id by position"):
        ingest(U_DATA, items=U_ITEM, spec=IngestSpec(mapping=EVENTS_BY_POSITION))


def test_movielens_1m_double_colon_delimiter():
    data = b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
    assert detect_delimiter(data.decode()) == "::"
    assert sniff(data).delimiter == "::" and sniff(data).columns == ("0", "1", "2", "3")
    result = ingest(data, spec=IngestSpec(mapping=EVENTS_BY_POSITION))
    assert result.report.delimiter == "::" and result.report.accepted == 3
    assert result.events[schema.WEIGHT].tolist() == [4.0, 5.0, 3.0]
    ragged = data + b"3::bad\n"
    rep = ingest(ragged, spec=IngestSpec(mapping=EVENTS_BY_POSITION))
    assert dict(rep.report.rejected_by_reason) == {"malformed_row": 1}
    assert rep.rejected["raw_line"].tolist() == ["3::bad"]


def test_double_pipe_delimiter_and_a_pipe_file_with_empty_fields():
    assert detect_delimiter("a||b||c\nd||e||f\n") == "||"
    assert detect_delimiter("1|x||y|0\n2|z||w|1\n") == "|"  # lone pipes: single-pipe file


POI_VISITS = b"userID,poiID,timestamp\nu1,p1,2024-03-01T10:00:00Z\nu1,p2,2024-03-01T12:00:00Z\nu2,p1,2024-03-02T09:00:00Z\n"
POI_TABLE = (
    b"poiID,poiName,poiLat,poiLon,poiCat\n"
    b"p1,Tim Hortons,40.75,-73.99,Coffee Shop\n"
    b"p2,Central Park,40.78,-73.97,Park\n"
)


def test_poi_visits_take_text_category_and_locations_from_the_poi_table():
    result = ingest(POI_VISITS, items=POI_TABLE)
    rep = result.report
    assert dict(rep.column_mapping) == {"user_id": "userID", "item_id": "poiID", "ts": "timestamp"}
    assert rep.catalogue_mapping == (
        ("item_id", "poiID"),
        ("item_text", "poiName"),
        ("item_text", "poiCat"),
        ("category", "poiCat"),
        ("lat", "poiLat"),
        ("lon", "poiLon"),
    )
    assert _title(result, "p1") == "Tim Hortons | Coffee Shop"
    events = result.events.set_index(schema.ITEM)
    assert events.loc["p2", schema.LAT] == 40.78 and events.loc["p2", schema.LON] == -73.97
    assert rep.located_share == 1.0
    assert sorted(set(result.events[schema.CATEGORY].astype(str))) == ["Coffee Shop", "Park"]
    _balanced(result)


NESTED = [
    {
        "event": "view",
        "timestamp": "2024-03-01T10:00:00Z",
        "user": {"id": "u1"},
        "properties": {"sku": "A1", "name": "Red shoe", "price": 9.5},
        "context": {"location": {"latitude": 40.7, "longitude": -74.0}},
    },
    {
        "event": "purchase",
        "timestamp": "2024-03-01T11:00:00Z",
        "user": {"id": "u2"},
        "properties": {"sku": "B2", "name": "Blue hat", "price": 5},
        "context": {"location": {"latitude": 51.5, "longitude": -0.1}},
    },
]
NESTED_MAPPING = {
    "user_id": "user.id",
    "item_id": "properties.sku",
    "ts": "timestamp",
    "event": "event",
    "item_text": "properties.name",
    "lat": "context.location.latitude",
    "lon": "context.location.longitude",
}


@pytest.mark.parametrize("broken", [False, True])
def test_nested_json_lines_need_no_mapping(broken):
    lines = [json.dumps(r) for r in NESTED]
    if broken:  # a line that is not JSON: the line-by-line reader reports it, nothing is lost
        lines.insert(1, "this is not json")
    data = ("\n".join(lines) + "\n").encode()
    result = ingest(data)
    rep = result.report
    assert rep.format == "jsonl" and dict(rep.column_mapping) == NESTED_MAPPING
    assert result.events[schema.EVENT].tolist() == ["view", "purchase"]
    assert result.events[schema.WEIGHT].tolist() == [1.0, 5.0]
    assert result.events[schema.LAT].tolist() == [40.7, 51.5]
    assert result.events["properties.price"].tolist() == [9.5, 5.0]
    assert rep.rows_in == (3 if broken else 2)
    if broken:
        assert result.rejected["row_number"].tolist() == [2]
        assert result.rejected["reason"].tolist() == ["malformed_row"]
    _balanced(result)


def test_json_array_and_gzip_json_lines_read_the_same():
    array = ingest(json.dumps(NESTED).encode())
    gz = ingest(gzip.compress(("\n".join(json.dumps(r) for r in NESTED)).encode()))
    assert array.report.format == "json" and gz.report.compression == "gzip"
    assert array.events[schema.ITEM].tolist() == gz.events[schema.ITEM].tolist() == ["A1", "B2"]
    assert sniff(json.dumps(NESTED).encode()).mapping == tuple(NESTED_MAPPING.items())


SHOP = (
    "用户ID,商品编号,行为类型,时间,城市\n"
    "c1,1001,浏览,2024-03-01 10:00:00,北京\n"
    "c1,1002,购买,2024-03-01 10:05:00,北京\n"
    "c2,1001,浏览,2024-03-02 09:00:00,上海\n"
).encode()
SHOP_ITEMS = "商品编号,商品名称,类目\n1001,蓝牙耳机,数码\n1002,运动鞋,服饰\n".encode()


def test_chinese_headed_log_and_catalogue_need_no_mapping():
    result = ingest(SHOP, items=SHOP_ITEMS)
    rep = result.report
    assert dict(rep.column_mapping) == {
        "user_id": "用户ID",
        "item_id": "商品编号",
        "ts": "时间",
        "event": "行为类型",
        "place": "城市",
    }
    assert _title(result, "1001") == "蓝牙耳机 | 数码"
    assert sorted(set(result.events[schema.CATEGORY].astype(str))) == ["数码", "服饰"]
    assert rep.catalogue_matched_items == 2
    _balanced(result)


def test_chinese_synonyms_and_tokens():
    from core.io.columns import detect_mapping

    cols = ("会员", "物品", "下单时间", "评分", "经度", "纬度", "地址")
    found, missing = detect_mapping(cols)
    assert missing == () and found == {
        "user_id": "会员",
        "item_id": "物品",
        "ts": "下单时间",
        "weight": "评分",
        "lat": "纬度",
        "lon": "经度",
        "place": "地址",
    }
    cols = ("user_name", "product_name", "poi_lat", "poi_lng", "item_title", "购买时间", "sku")
    found, _ = detect_mapping(cols)
    assert found["user_id"] == "user_name" and found["ts"] == "购买时间"
    assert found["item_text"] == "product_name" and found["lat"] == "poi_lat"
    assert found["item_id"] == "sku" and found["lon"] == "poi_lng"
    found, _ = detect_mapping(("uid", "venueType", "event", "item", "ts"))
    assert found["event"] == "event"  # venueType is no event type
    found, _ = detect_mapping(("user_id", "user_name", "item", "ts"))
    assert "item_text" not in found  # a user's name is no item text


def test_all_text_header_in_any_script():
    assert detect_header([["Название", "Категория"], ["Чай", "Напитки"], ["Кофе", "Напитки"]])
    assert detect_header([["名字", "种类"], ["苹果", "水果"]])
    assert not detect_header([["b1", "Café"], ["b2", "Tea"]])  # ids with digits: data


def _xlsx(rows: list[list[object]], sheet: str = "events", extra: bool = False) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    if extra:
        book.active.title = "notes"
        book.active.append(["nothing here"])
        ws = book.create_sheet(sheet)
    else:
        ws = book.active
        ws.title = sheet
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_reads_like_the_same_csv_and_a_sheet_can_be_chosen():
    rows = [["user", "item", "time", "rating"], ["u1", 1001, "2024-03-01T10:00:00Z", 4.5]]
    rows += [["u2", "x", "2024-03-02T10:00:00Z", 3], [None, "y", "2024-03-02T10:00:00Z", 1]]
    csv = b"user,item,time,rating\nu1,1001,2024-03-01T10:00:00Z,4.5\nu2,x,2024-03-02T10:00:00Z,3\n,y,2024-03-02T10:00:00Z,1\n"
    from_xlsx, from_csv = ingest(_xlsx(rows)), ingest(csv)
    assert from_xlsx.report.format == "excel"
    pd.testing.assert_frame_equal(from_xlsx.events, from_csv.events)
    assert from_xlsx.report.rejected_by_reason == (("missing_user", 1),)
    chosen = ingest(_xlsx(rows, extra=True), spec=IngestSpec(sheet="events"))
    assert chosen.report.accepted == 2
    assert sniff(_xlsx(rows, extra=True)).sheets == ("notes", "events")
    with pytest.raises(InvalidInputError, match=r"sheet: expected one of \['notes', 'events'\]"):
        ingest(_xlsx(rows, extra=True), spec=IngestSpec(sheet="nope"))


def test_zip_with_one_file_and_with_several():
    def zipped(files: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    one = ingest(zipped({"ml/u.data": U_DATA}), spec=IngestSpec(mapping=EVENTS_BY_POSITION))
    assert one.report.compression == "zip" and one.report.accepted == 3
    assert sniff(zipped({"x.jsonl": json.dumps(NESTED[0]).encode()})).format == "jsonl"
    with pytest.raises(InvalidInputError, match=r"one file inside, found 2: \['a', 'b'\]"):
        ingest(zipped({"a": U_DATA, "b": U_DATA}))


def test_sniff_reads_a_parquet_file_object_once():
    buffer = io.BytesIO()
    pq.write_table(pa.table({"user": ["u1", "u2"], "item": ["a", "b"], "ts": [1, 2]}), buffer)
    buffer.seek(0)
    sniffed = sniff(buffer)  # the stream is read once: not an "empty file"
    assert sniffed.format == "parquet" and sniffed.missing == ()
    assert sniffed.columns == ("user", "item", "ts") and sniffed.preview["user"].tolist() == [
        "u1",
        "u2",
    ]


def test_a_file_that_is_no_event_log_gets_one_sentence():
    with pytest.raises(
        MissingColumnsError,
        match=r"^source: expected an event log with user, item and time columns, found delimited "
        r"text \(delimiter '\|'\) with 11 columns, 4 rows and no header row .*, where no user, "
        r"item or time column could be recognised\.",
    ):
        ingest(U_ITEM)
    with pytest.raises(InvalidInputError, match="found a PNG image"):
        ingest(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(InvalidInputError, match="found binary data"):
        ingest(bytes(range(256)) * 4)


def test_every_event_cli_shares_the_input_options():
    argv = ["f", "--map", "user_id=0", "--items-map", "item_text=1", "--items-map", "item_text=2"]
    argv += ["--no-header", "--delimiter", "\\t", "--out", "o"]
    specs = []
    for module in (cli_ingest, interests, heatmap, train):
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        specs.append(spec_from(parser.parse_args(argv)))
    assert all(s == specs[0] for s in specs)
    assert specs[0].mapping == (("user_id", "0"),) and specs[0].has_header is False
    assert specs[0].items_mapping == (("item_text", "1"), ("item_text", "2"))
    assert specs[0].delimiter == "\t"


def test_cli_ingests_movielens_and_writes_formula_safe_headers(tmp_path, capsys):
    (tmp_path / "u.data").write_bytes(U_DATA)
    (tmp_path / "u.item").write_bytes(U_ITEM)
    argv = [
        str(tmp_path / "u.data"),
        "--items",
        str(tmp_path / "u.item"),
        "--out",
        str(tmp_path / "o"),
    ]
    argv += ["--map", "user_id=0", "--map", "item_id=1", "--map", "weight=2", "--map", "ts=3"]
    argv += ["--items-map", "item_id=0", "--items-map", "item_text=1"]
    parser = argparse.ArgumentParser()
    cli_ingest.add_arguments(parser)
    assert cli_ingest.main(parser.parse_args(argv)) == 0
    events = pd.read_parquet(tmp_path / "o" / "events.parquet")
    assert sorted(events[schema.ITEM_TEXT].astype(str).unique()) == [
        "Heavyweights (1994)",
        "Kolya (1996)",
        "L.A. Confidential (1997)",
    ]
    assert "catalogue    4 rows, 3 items matched" in capsys.readouterr().out
    (tmp_path / "h.csv").write_text("user,item,time,=HYPERLINK(1)\nu,a,,x\n")
    argv = [str(tmp_path / "h.csv"), "--out", str(tmp_path / "o2")]
    assert cli_ingest.main(parser.parse_args(argv)) == 0
    header = (tmp_path / "o2" / "rejected.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "user,item,time,'=HYPERLINK(1),row_number,reason"


def test_positions_may_be_ints_or_digit_strings_and_bad_pairs_say_why():
    a = ingest(U_DATA, spec=IngestSpec(mapping=EVENTS_BY_POSITION))
    b = ingest(U_DATA, spec=IngestSpec(mapping=tuple((f, str(c)) for f, c in EVENTS_BY_POSITION)))
    pd.testing.assert_frame_equal(a.events, b.events)
    with pytest.raises(InvalidInputError, match=r"\(pairs are \(field, column\)\)"):
        ingest(U_DATA, spec=IngestSpec(mapping=(("0", "user_id"),)))
    assert np.isfinite(a.events[schema.WEIGHT]).all()


def test_a_pretty_printed_json_document_is_read_as_records():
    doc = json.dumps({"data": NESTED}, indent=2).encode()
    result = ingest(doc)
    assert result.report.rows_in == 2 and result.report.accepted == 2
    assert dict(result.report.column_mapping)["item_id"] == "properties.sku"


def test_input_options_stored_with_a_model_read_the_log_the_same_way():
    from core.cli.options import input_options, spec_from_options

    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    ns = parser.parse_args(
        ["f", "--out", "o", "--map", "user_id=0", "--no-header", "--items-map", "item_id=0"]
    )
    stored = json.loads(json.dumps(input_options(ns)))  # as written into model.json
    assert spec_from_options(stored) == spec_from(ns)
    assert spec_from_options({}) == IngestSpec()

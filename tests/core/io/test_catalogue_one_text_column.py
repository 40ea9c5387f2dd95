"""Regression: a catalogue with one text column, some of it empty, is read row for row."""

from core.io.ingest import ingest


def test_catalogue_with_one_partly_empty_text_column_keeps_rows_aligned():
    events = b"user,item,time\nu1,i0,2026-01-05T00:00:00Z\nu1,i1,2026-01-05T01:00:00Z\nu2,i2,2026-01-05T02:00:00Z\n"
    items = b"item_id,title\ni0,coffee shop\ni1,\ni2,museum\n"
    result = ingest(events, items=items)
    text = result.events.set_index("item_id")["item_text"].astype(object)
    text = {str(k): (v if isinstance(v, str) else None) for k, v in text.items()}
    assert text == {"i0": "coffee shop", "i1": None, "i2": "museum"}

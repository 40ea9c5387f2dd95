"""The EventLog contract: conform types and orders a frame, keeps extras, and says what is missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core import schema
from core.device import describe, pick_device
from core.errors import InvalidInputError, MissingColumnsError


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [2, 1, 1],
            "item_id": ["b", "a", "b"],
            "ts": ["2024-01-03T00:00:00Z", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00+01:00"],
            "event": ["Purchase", "VIEW", "view"],
            "shop": ["x", "y", "z"],
        }
    )


def test_conform_types_sorts_and_keeps_extra_columns():
    out = schema.conform(_frame())
    assert list(out.columns) == [*schema.CANONICAL, "shop"]
    assert out[schema.TS].dt.tz is not None
    assert out[schema.TS].tolist() == sorted(out[schema.TS].tolist())
    assert out[schema.USER].astype(str).tolist() == ["1", "1", "2"]
    assert out["shop"].tolist() == ["y", "z", "x"]
    # Event types are lower-cased and weighted view < purchase; lat/lon unknown.
    assert out[schema.EVENT].astype(str).tolist() == ["view", "view", "purchase"]
    assert out[schema.WEIGHT].tolist() == [1.0, 1.0, 5.0]
    assert out[schema.LAT].isna().all()


def test_conform_leaves_its_input_untouched():
    frame = _frame()
    before = frame.copy()
    schema.conform(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_conform_names_the_missing_columns():
    with pytest.raises(MissingColumnsError, match=r"lacks required columns \['ts'\]"):
        schema.conform(pd.DataFrame({"user_id": [1], "item_id": [2]}))
    assert issubclass(MissingColumnsError, InvalidInputError)
    assert issubclass(MissingColumnsError, ValueError)


def test_codes_index_their_labels():
    out = schema.conform(_frame())
    codes, labels = schema.codes(out[schema.ITEM])
    assert codes.dtype == np.int64
    assert labels[codes].tolist() == out[schema.ITEM].astype(str).tolist()


def test_item_table_counts_events_per_item():
    out = schema.conform(_frame().assign(item_text=["B", "A", None]))
    table = schema.item_table(out).set_index(schema.ITEM)
    assert table["n_events"].to_dict() == {"a": 1, "b": 2}
    assert table.loc["b", schema.ITEM_TEXT] == "B"


def test_fingerprint_changes_with_content_only():
    a = schema.conform(_frame())
    assert schema.fingerprint(a) == schema.fingerprint(schema.conform(_frame()))
    b = a.copy()
    b.loc[0, schema.WEIGHT] = 9.0
    assert schema.fingerprint(a) != schema.fingerprint(b)


def test_unknown_event_types_weigh_one():
    weights = schema.event_weights(pd.Series(["view", "teleport", "PURCHASE"]))
    assert weights.tolist() == [1.0, 1.0, 5.0]


def test_device_choice_honours_explicit_and_environment(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("ATLAS_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert describe(torch.device("cpu")).startswith("CPU")

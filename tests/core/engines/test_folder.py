"""The atlas folder contract: what open_atlas refuses, and what write_atlas checks."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.engines import AtlasFolderError, AtlasSpec, open_atlas, write_atlas
from core.engines.local import expand_inputs
from core.errors import InvalidInputError


def test_open_atlas_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(AtlasFolderError, match=r"expected an atlas folder with manifest\.json"):
        open_atlas(tmp_path)


def test_open_atlas_refuses_another_format_version(tmp_path):
    manifest = {
        "format_version": 99,
        "engine": "local",
        "created": "2026-01-01T00:00:00+00:00",
        "inputs": [],
        "spec": {},
        "topics": {},
        "rows": {},
        "time_min": None,
        "time_max": None,
        "time_basis": "UTC",
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AtlasFolderError, match="format_version: expected 2, found 99"):
        open_atlas(tmp_path)


@pytest.mark.parametrize(
    ("tables", "report", "match"),
    [
        pytest.param(
            {},
            {"rows_in": 10, "accepted": 6, "rejected": 2, "duplicates": 1},
            "found 9 != 10",
            id="a report that does not add up",
        ),
        pytest.param(
            {"nonsense": pd.DataFrame()},
            {"rows_in": 1, "accepted": 1, "rejected": 0, "duplicates": 0},
            r"found \[.nonsense.\]",
            id="an unknown table",
        ),
    ],
)
def test_write_atlas_refuses(tmp_path, tables, report, match):
    with pytest.raises(AtlasFolderError, match=match):
        write_atlas(
            tmp_path,
            tables,
            engine="local",
            inputs=(),
            spec=AtlasSpec(),
            report=report,
            topics={},
            time_basis="UTC",
        )


def test_expand_inputs_keeps_order_sorts_globs_and_skips_markers(tmp_path):
    for name in ("b.csv", "a.csv", "_SUCCESS", ".hidden"):
        (tmp_path / name).write_text("x")
    single = tmp_path / "b.csv"
    assert expand_inputs([single, str(tmp_path / "*.csv")]) == (
        str(single),
        str(tmp_path / "a.csv"),
    )
    assert expand_inputs([tmp_path]) == (str(tmp_path / "a.csv"), str(tmp_path / "b.csv"))
    with pytest.raises(InvalidInputError, match="found nothing at"):
        expand_inputs([str(tmp_path / "none*.parquet")])

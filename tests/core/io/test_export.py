"""core.io.export: file names carry filters, CSV is formula-safe, Parquet round-trips, images render."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import plotly.graph_objects as go
import pytest

from core.errors import InvalidInputError
from core.io import export


def test_file_name_carries_filters_and_drops_empty_ones() -> None:
    name = export.file_name(
        "topic shares",
        {"period": "W", "topics": ("Food & drink", "Travel"), "events": (), "user": None},
        "png",
    )
    assert name == "topic_shares__period-W__topics-Food_drink+Travel.png"


def test_file_name_is_safe_for_hostile_values() -> None:
    name = export.file_name("map", {"data": "../../etc/passwd<script>"}, "html")
    assert "/" not in name and "<" not in name and ".." not in name
    assert name.endswith(".html")


def test_file_name_formats_timestamps_as_dates() -> None:
    name = export.file_name("x", {"from": pd.Timestamp("2026-03-02 13:00", tz="UTC")}, "csv")
    assert name == "x__from-2026-03-02.csv"


def test_csv_neutralises_formula_prefixes_in_text_only() -> None:
    frame = pd.DataFrame(
        {
            "title": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", "plain", None],
            "n": [-1, 2, 3, 4, 5, 6, 7],
            "cat": pd.Categorical(["=a", "b", "c", "d", "e", "f", "g"]),
        }
    )
    text = export.table_csv(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert back["title"].tolist() == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        "",
    ]
    assert back["n"].tolist() == [-1, 2, 3, 4, 5, 6, 7]  # numbers untouched
    assert back["cat"].tolist()[0] == "'=a"


def test_csv_neutralises_column_names() -> None:
    text = export.table_csv(pd.DataFrame({"=cmd": [1]})).decode("utf-8-sig")
    assert text.splitlines()[0] == "'=cmd"


def test_formula_safe_leaves_input_untouched() -> None:
    frame = pd.DataFrame({"a": ["=1"]})
    export.formula_safe(frame)
    assert frame["a"].tolist() == ["=1"]


def test_parquet_round_trips_including_mixed_object_columns() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "mixed": [1, "two"]})
    back = pd.read_parquet(io.BytesIO(export.table_parquet(frame)))
    assert back["a"].tolist() == [1, 2]
    assert back["b"].tolist() == ["x", "y"]
    assert back["mixed"].astype(str).tolist() == ["1", "two"]


def test_html_export_is_self_contained() -> None:
    fig = go.Figure(go.Bar(x=["a"], y=[1]))
    page = export.figure_html(fig).decode()
    assert "<html" in page and "Plotly.newPlot" in page
    assert '<script src="http' not in page  # plotly.js is inlined: opens offline


def test_unknown_formats_are_refused_with_the_argument_named() -> None:
    with pytest.raises(InvalidInputError, match="table format must be one of"):
        export.table_bytes(pd.DataFrame(), "xlsx")
    with pytest.raises(InvalidInputError, match="figure format must be one of"):
        export.figure_bytes(go.Figure(), "gif")
    with pytest.raises(InvalidInputError, match="fmt must be 'png' or 'svg'"):
        export.figure_image(go.Figure(), "jpg")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs the system chromium")
def test_png_and_svg_render_with_the_system_chromium() -> None:
    fig = go.Figure(go.Bar(x=["alpha", "beta"], y=[1, 2]))
    png = export.figure_image(fig, "png", export.ImageSpec(width=400, height=300, scale=1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == 400
    svg = export.figure_image(fig, "svg").decode()
    assert svg.startswith("<svg") and "alpha" in svg


def test_configure_browser_leaves_the_environment_alone(monkeypatch) -> None:
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(export.shutil, "which", lambda name: f"/opt/{name}")
    before = dict(export.os.environ)
    assert export.configure_browser() == "/opt/chromium"
    assert dict(export.os.environ) == before  # found, not written into $BROWSER_PATH


def test_a_missing_chromium_is_an_environment_error(monkeypatch) -> None:
    from core.errors import AtlasError, BrowserUnavailableError

    monkeypatch.setattr(export, "_SERVER_STARTED", False)
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(export.shutil, "which", lambda name: None)
    with pytest.raises(BrowserUnavailableError, match=r"^browser: expected Chromium") as info:
        export.figure_image(go.Figure(), "png")
    assert isinstance(info.value, AtlasError) and isinstance(info.value, RuntimeError)
    assert not isinstance(info.value, InvalidInputError)

"""Export figures and tables to files an analyst can keep: PNG, SVG, HTML, CSV and Parquet.

Figures are plotly figures rendered by kaleido (which drives a Chromium-family browser; the system
``chromium`` is used when ``$BROWSER_PATH`` is unset). Tables are pandas frames; CSV cells that a
spreadsheet would read as a formula are neutralised. File names carry the filters that produced the
export, so two downloads of the same chart with different filters never overwrite each other.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import re
import shutil
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from core.errors import BrowserUnavailableError, InvalidInputError

if TYPE_CHECKING:  # plotly is imported by the functions that render
    import plotly.graph_objects as go

#: Cell prefixes a spreadsheet may execute as a formula (OWASP "CSV injection").
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Browsers tried, in order, when $BROWSER_PATH is not set.
BROWSER_CANDIDATES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "chrome")
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "html")
TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")

_SERVER_LOCK = threading.Lock()
_SERVER_STARTED = False
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ImageSpec:
    """Size of a static figure export in CSS pixels; ``scale`` multiplies PNG resolution."""

    width: int = 1100
    height: int = 600
    scale: float = 2.0


def file_name(base: str, filters: Mapping[str, object] | None = None, ext: str = "csv") -> str:
    """A safe file name made of ``base`` and the filters that produced the export.

    Parameters
    ----------
    base
        What is exported, e.g. ``"topic_shares"``.
    filters
        Filter names and values; ``None``/empty values are left out, sequences are joined with ``+``.
    ext
        File extension without the dot.

    Returns
    -------
    str
        e.g. ``"topic_shares__period-W__from-2024-01-01__topics-Food+Travel.png"``; only letters,
        digits, ``.``, ``_``, ``-`` and ``+``; at most 180 characters before the extension.

    Examples
    --------
    >>> file_name("trends", {"period": "W", "topics": ("a b", "c")}, "png")
    'trends__period-W__topics-a_b+c.png'
    """
    parts = [_clean(base) or "export"]
    for key, value in (filters or {}).items():
        if value is None or value == "" or (isinstance(value, (tuple, list)) and not value):
            continue
        if isinstance(value, (tuple, list, set, frozenset)):
            text = "+".join(_clean(str(v)) for v in value)
        elif isinstance(value, pd.Timestamp):
            text = value.strftime("%Y-%m-%d")
        else:
            text = _clean(str(value))
        parts.append(f"{_clean(str(key))}-{text}")
    stem = "__".join(parts)[:180].rstrip("_-+.")
    return f"{stem}.{_clean(ext).lstrip('.') or 'bin'}"


def _clean(text: str) -> str:
    pieces = [
        re.sub(r"\.{2,}", ".", _UNSAFE_NAME.sub("_", piece)).strip("_.")
        for piece in text.split("+")
    ]
    return "+".join(p for p in pieces if p)


def find_browser() -> str | None:
    """Path of a local Chromium: ``$BROWSER_PATH`` if it exists, else the first candidate on PATH.

    Returns
    -------
    str or None
        None when no browser is found.
    """
    current = os.environ.get("BROWSER_PATH")
    if current and os.path.exists(current):
        return current
    return next((found for name in BROWSER_CANDIDATES if (found := shutil.which(name))), None)


def configure_browser() -> str | None:
    """The local Chromium kaleido will use, or None; reads the environment, never changes it.

    Returns
    -------
    str or None
        A path to the browser executable.
    """
    return find_browser()


def _ensure_kaleido() -> None:
    """Start kaleido's persistent browser once per process, so each export costs ~0.1 s, not ~2 s.

    The browser path is handed to kaleido's server directly; only if that server cannot start is
    ``$BROWSER_PATH`` set, once, for kaleido's one-shot renders.
    """
    global _SERVER_STARTED
    if _SERVER_STARTED:
        return
    with _SERVER_LOCK:
        if _SERVER_STARTED:
            return
        browser = find_browser()
        if browser is None:
            raise BrowserUnavailableError(
                "browser: expected Chromium for static image export ($BROWSER_PATH or one of "
                f"{list(BROWSER_CANDIDATES)} on PATH), found none (install it: make system-deps)"
            )
        import kaleido

        try:
            kaleido.start_sync_server(path=browser, silence_warnings=True)
            atexit.register(_stop_kaleido)
        except Exception:  # a kaleido without a server: one-shot calls read $BROWSER_PATH
            os.environ.setdefault("BROWSER_PATH", browser)
        _SERVER_STARTED = True


def _stop_kaleido() -> None:
    import kaleido

    with contextlib.suppress(Exception):
        kaleido.stop_sync_server(silence_warnings=True)


def figure_image(fig: go.Figure, fmt: str = "png", spec: ImageSpec = ImageSpec()) -> bytes:
    """Render ``fig`` to PNG or SVG bytes with kaleido and the local Chromium.

    Parameters
    ----------
    fig
        A plotly figure.
    fmt
        ``"png"`` or ``"svg"``.
    spec
        Size and scale.

    Returns
    -------
    bytes

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not png/svg.
    BrowserUnavailableError
        If no Chromium can be found.
    """
    if fmt not in ("png", "svg"):
        raise InvalidInputError(f"fmt must be 'png' or 'svg', found {fmt!r}")
    _ensure_kaleido()
    import plotly.io as pio

    with warnings.catch_warnings():  # "kopts ignored when using a server": expected
        warnings.simplefilter("ignore", UserWarning)
        return pio.to_image(
            fig,
            format=fmt,
            width=spec.width,
            height=spec.height,
            scale=spec.scale if fmt == "png" else 1,
        )


def figure_html(fig: go.Figure) -> bytes:
    """A self-contained HTML page of ``fig`` with plotly.js inlined (opens with no internet).

    Parameters
    ----------
    fig
        A plotly figure.

    Returns
    -------
    bytes
        UTF-8 HTML.
    """
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot run as spreadsheet formulas.

    A text cell starting with ``= + - @`` TAB or CR gets a leading single quote (OWASP advice).
    Numeric columns are left alone, so negative numbers stay numbers.

    Parameters
    ----------
    frame
        Any table about to be written for a spreadsheet.

    Returns
    -------
    pandas.DataFrame
    """
    out = frame.copy()
    out.columns = [_neutralise_scalar(str(c)) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype("object")
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
            if risky.any():
                series = series.astype("object").copy()
                series[risky] = "'" + text[risky].astype(str)
            out[col] = series
    return out


def _neutralise_scalar(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets detect the encoding) of ``frame``, formula-safe.

    Parameters
    ----------
    frame
        The table to export (see :func:`formula_safe`).

    Returns
    -------
    bytes
    """
    return formula_safe(frame).to_csv(index=False).encode("utf-8-sig")


def table_parquet(frame: pd.DataFrame) -> bytes:
    """Parquet bytes of ``frame`` (object columns of mixed types are written as text).

    Parameters
    ----------
    frame
        The table to export; its index is not written.

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except Exception:  # pyarrow refuses mixed-type object columns: write them as text
        buffer = io.BytesIO()
        fixed = frame.copy()
        for col in fixed.columns:
            if fixed[col].dtype == object:
                fixed[col] = fixed[col].astype("string")
        fixed.columns = [str(c) for c in fixed.columns]
        fixed.to_parquet(buffer, index=False)
    return buffer.getvalue()


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """``table_csv`` or ``table_parquet`` by ``fmt``.

    Parameters
    ----------
    frame
        The table to export.
    fmt
        One of ``TABLE_FORMATS``.

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not one of ``TABLE_FORMATS``.
    """
    _check_format(fmt, TABLE_FORMATS, "table")
    return table_csv(frame) if fmt == "csv" else table_parquet(frame)


def _check_format(fmt: str, allowed: tuple[str, ...], what: str) -> None:
    if fmt not in allowed:
        raise InvalidInputError(f"{what} format must be one of {allowed}, found {fmt!r}")


def figure_bytes(fig: go.Figure, fmt: str, spec: ImageSpec = ImageSpec()) -> bytes:
    """``figure_image`` or ``figure_html`` by ``fmt``.

    Parameters
    ----------
    fig
        A plotly figure.
    fmt
        One of ``FIGURE_FORMATS`` (``"html"``, or a static image format).
    spec
        Size and scale of a static image.

    Returns
    -------
    bytes
        The PNG or SVG image, or the HTML page.

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not one of ``FIGURE_FORMATS``.
    """
    _check_format(fmt, FIGURE_FORMATS, "figure")
    return figure_html(fig) if fmt == "html" else figure_image(fig, fmt, spec)


MIME: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "html": "text/html",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "md": "text/markdown",
}

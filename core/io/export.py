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

import pandas as pd
import plotly.graph_objects as go

from core.errors import InvalidInputError

#: Cell prefixes a spreadsheet may execute as a formula (OWASP "CSV injection").
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Browsers tried, in order, when $BROWSER_PATH is not set.
BROWSER_CANDIDATES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "chrome")
#: Flags for a headless Chromium driven by Playwright (browser tests, bench/dashboard.py): no
#: sandbox (root), and none of the background calls a closed network refuses.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
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
    """Path of a local Chromium: ``$BROWSER_PATH`` if it exists, else the first candidate on PATH."""
    current = os.environ.get("BROWSER_PATH")
    if current and os.path.exists(current):
        return current
    return next((found for name in BROWSER_CANDIDATES if (found := shutil.which(name))), None)


def configure_browser() -> str | None:
    """Point kaleido at a local Chromium (sets ``$BROWSER_PATH`` if unset); return the path or None."""
    found = find_browser()
    if found:
        os.environ["BROWSER_PATH"] = found
    return found


def _ensure_kaleido() -> None:
    """Start kaleido's persistent browser once per process, so each export costs ~0.1 s, not ~2 s."""
    global _SERVER_STARTED
    if _SERVER_STARTED:
        return
    with _SERVER_LOCK:
        if _SERVER_STARTED:
            return
        if configure_browser() is None:
            raise InvalidInputError(
                "static image export needs Chromium: looked for $BROWSER_PATH and "
                f"{list(BROWSER_CANDIDATES)} on PATH, found none (install it: apt-get install chromium)"
            )
        import kaleido

        # an already running server, or a kaleido without one: one-shot calls still work
        with contextlib.suppress(Exception):
            kaleido.start_sync_server(silence_warnings=True)
            atexit.register(_stop_kaleido)
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
        If ``fmt`` is not png/svg, or no Chromium can be found.
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
    """A self-contained HTML page of ``fig`` with plotly.js inlined (opens with no internet)."""
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot run as spreadsheet formulas.

    A text cell starting with ``= + - @`` TAB or CR gets a leading single quote (OWASP advice).
    Numeric columns are left alone, so negative numbers stay numbers.
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
    """UTF-8 CSV (with BOM, so spreadsheets detect the encoding) of ``frame``, formula-safe."""
    return formula_safe(frame).to_csv(index=False).encode("utf-8-sig")


def table_parquet(frame: pd.DataFrame) -> bytes:
    """Parquet bytes of ``frame`` (object columns of mixed types are written as text)."""
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
    """``table_csv`` or ``table_parquet`` by ``fmt``."""
    if fmt == "csv":
        return table_csv(frame)
    if fmt == "parquet":
        return table_parquet(frame)
    raise InvalidInputError(f"table format must be one of {TABLE_FORMATS}, found {fmt!r}")


def figure_bytes(fig: go.Figure, fmt: str, spec: ImageSpec = ImageSpec()) -> bytes:
    """``figure_image`` or ``figure_html`` by ``fmt``."""
    if fmt == "html":
        return figure_html(fig)
    if fmt in ("png", "svg"):
        return figure_image(fig, fmt, spec)
    raise InvalidInputError(f"figure format must be one of {FIGURE_FORMATS}, found {fmt!r}")


MIME: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "html": "text/html",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "md": "text/markdown",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$<])")


def md_text(value: object) -> str:
    """``value`` as literal Markdown text: HTML-escaped and every Markdown mark backslashed, so an
    uploaded label shows as written and never as markup or a link."""
    import html

    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(value), quote=False))


def findings_markdown(findings: pd.DataFrame, title: str, notes: tuple[str, ...] = ()) -> bytes:
    """Findings (``core.spacetime.insights.findings``) as a Markdown document: one bullet per
    finding with the rule it passed and its figures.

    Parameters
    ----------
    findings
        Columns ``text``, ``threshold``, ``figures`` (JSON), ``link``.
    title
        The heading (e.g. the dataset's name); escaped like every other string.
    notes
        Lines under the heading (e.g. the time span); escaped.

    Returns
    -------
    bytes
        UTF-8 Markdown.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"text": ["a*b rose"], "threshold": ["z >= 3"],
    ...                       "figures": ['{"z": 4}'], "link": ["Interests"]})
    >>> findings_markdown(frame, "log").decode().splitlines()[3]
    '- a\\\\*b rose'
    """
    lines = [f"# Findings: {md_text(title)}", ""]
    lines += [md_text(note) for note in notes] + [""]
    for rec in findings.to_dict("records"):  # a handful of findings, not rows of data
        lines.append(f"- {md_text(rec['text'])}")
        lines.append(
            f"  - passed: {md_text(rec['threshold'])}; figures: `{str(rec['figures']).replace('`', '')}`;"
            f" in full on the {md_text(rec['link'])} page"
        )
    if findings.empty:
        lines.append("No finding passed its threshold on this data.")
    return ("\n".join(lines) + "\n").encode("utf-8")

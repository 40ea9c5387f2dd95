"""Download buttons for every chart (PNG, SVG, HTML), table (CSV, Parquet) and map (HTML).

Files are produced only when the button is clicked (deferred callables), so a page render never
waits for kaleido; file names carry the filters that produced the export.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.io import export


def _safe(make: Callable[[], bytes]) -> Callable[[], bytes]:
    def run() -> bytes:
        try:
            return make()
        except Exception as exc:  # a download must never show a traceback
            return f"export failed: {type(exc).__name__}: {exc}".encode()

    return run


def _buttons(
    formats: tuple[str, ...],
    make: Callable[[str], bytes],
    base: str,
    filters: Mapping[str, object] | None,
    key: str,
    unavailable: Callable[[str], str | None] = lambda fmt: None,
) -> None:
    """One row of download buttons, one per format; ``unavailable(fmt)`` disables one with a hint."""
    row = st.container(horizontal=True, gap="small")
    for fmt in formats:
        hint = unavailable(fmt)
        row.download_button(
            fmt.upper(),
            data=_safe(lambda fmt=fmt: make(fmt)),
            file_name=export.file_name(base, filters, fmt),
            mime=export.MIME[fmt],
            key=f"{key}_{fmt}",
            on_click="ignore",
            icon=":material/download:",
            type="tertiary",
            disabled=hint is not None,
            help=hint,
        )


def figure(
    fig: go.Figure, base: str, filters: Mapping[str, object] | None = None, *, key: str
) -> None:
    """PNG / SVG / HTML download buttons under a chart."""
    has_browser = export.configure_browser() is not None

    def unavailable(fmt: str) -> str | None:
        static = fmt in ("png", "svg")
        return (
            "needs Chromium on the server (make system-deps)"
            if static and not has_browser
            else None
        )

    _buttons(
        export.FIGURE_FORMATS,
        lambda fmt: export.figure_bytes(fig, fmt),
        base,
        filters,
        key,
        unavailable,
    )


def table(
    frame: pd.DataFrame, base: str, filters: Mapping[str, object] | None = None, *, key: str
) -> None:
    """CSV (formula-safe) / Parquet download buttons under a table."""
    _buttons(export.TABLE_FORMATS, lambda fmt: export.table_bytes(frame, fmt), base, filters, key)


def html_page(
    make: Callable[[], str | bytes],
    base: str,
    filters: Mapping[str, object] | None = None,
    *,
    key: str,
    label: str = "Map HTML",
) -> None:
    """A download button for a standalone HTML page (maps)."""

    def data() -> bytes:
        out = make()
        return out.encode("utf-8") if isinstance(out, str) else out

    st.download_button(
        label,
        data=_safe(data),
        file_name=export.file_name(base, filters, "html"),
        mime="text/html",
        key=f"{key}_html",
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
    )

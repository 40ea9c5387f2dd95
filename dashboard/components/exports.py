"""Download buttons for every chart (PNG, SVG, HTML), table (CSV, Parquet) and map (HTML).

Files are produced only when the button is clicked (deferred callables), so a page render never
waits for kaleido; file names carry the filters that produced the export.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.io import export

# Failed exports by (browser session id, button key). A deferred download runs outside the
# script, so it cannot draw the error itself: it records it here and the next run of that
# session's page shows it beside the button. Keyed by session, so no session sees another's.
_FAILED: dict[tuple[str, str], str] = {}
_FAILED_LOCK = threading.Lock()


class ExportFailed(RuntimeError):
    """A download could not be produced; the browser gets no file rather than a broken one."""


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _safe(make: Callable[[], bytes], key: str) -> Callable[[], bytes]:
    """``make`` for a deferred download: on failure no file is served (never the error text
    under a .png name) and the message is kept for this session's next page run."""
    slot = (_session_id(), key)

    def run() -> bytes:
        try:
            return make()
        except Exception as exc:  # a download must never show a traceback
            with _FAILED_LOCK:
                _FAILED[slot] = f"{type(exc).__name__}: {exc}"
            raise ExportFailed(str(exc)) from exc

    return run


def _show_failure(key: str) -> None:
    with _FAILED_LOCK:
        message = _FAILED.pop((_session_id(), key), None)
    if message is not None:
        st.warning(f"The last {key.rsplit('_', 1)[-1].upper()} export failed: {message}")


def _buttons(
    formats: tuple[str, ...],
    make: Callable[[str], bytes],
    base: str,
    filters: Mapping[str, object] | None,
    key: str,
    unavailable: Callable[[str], str | None] = lambda fmt: None,
) -> None:
    """One row of download buttons, one per format; ``unavailable(fmt)`` disables one with a hint."""
    for fmt in formats:
        _show_failure(f"{key}_{fmt}")
    row = st.container(horizontal=True, gap="small")
    for fmt in formats:
        _download(
            row,
            lambda fmt=fmt: make(fmt),
            export.file_name(base, filters, fmt),
            export.MIME[fmt],
            key=f"{key}_{fmt}",
            label=fmt.upper(),
            unavailable=unavailable(fmt),
        )


def _download(
    where: object,
    make: Callable[[], bytes],
    file_name: str,
    mime: str,
    *,
    key: str,
    label: str,
    unavailable: str | None,
) -> None:
    """A download button in ``where`` whose file is made on click (see :func:`_safe`);
    ``unavailable`` (a reason) disables it with that hint."""
    where.download_button(
        label,
        data=_safe(make, key),
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
        disabled=unavailable is not None,
        help=unavailable,
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


def _one_button(
    make: Callable[[], bytes],
    base: str,
    filters: Mapping[str, object] | None,
    fmt: str,
    mime: str,
    *,
    key: str,
    label: str,
    unavailable: str | None = None,
) -> None:
    """One download button whose file is made on click; a failure shows its message instead of
    a file, and ``unavailable`` (a reason) disables the button with that hint."""
    _show_failure(f"{key}_{fmt}")
    name = export.file_name(base, filters, fmt)
    _download(st, make, name, mime, key=f"{key}_{fmt}", label=label, unavailable=unavailable)


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

    _one_button(data, base, filters, "html", "text/html", key=key, label=label)


def animation(
    make: Callable[[], bytes],
    base: str,
    filters: Mapping[str, object] | None = None,
    *,
    key: str,
    label: str = "Animated GIF",
) -> None:
    """A download button for an animated GIF (the map playback), made on click; disabled with
    a hint where the server has no Chromium for kaleido."""
    has_browser = export.configure_browser() is not None
    hint = None if has_browser else "needs Chromium on the server (make system-deps)"
    _one_button(make, base, filters, "gif", "image/gif", key=key, label=label, unavailable=hint)


def markdown(
    make: Callable[[], bytes],
    base: str,
    filters: Mapping[str, object] | None = None,
    *,
    key: str,
    label: str = "Markdown",
) -> None:
    """A download button for a Markdown document (e.g. the findings), made on click."""
    _one_button(make, base, filters, "md", export.MIME["md"], key=key, label=label)

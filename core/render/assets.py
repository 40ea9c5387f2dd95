"""Offline web assets: Leaflet's JS and CSS from the installed ``django-js-lib-leaflet`` package.

The one place that locates them; the folium builders inline them into standalone HTML, the
dashboard passes them to streamlit-folium as ``data:`` URIs, the playback page inlines them too.
"""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources

#: The files of the Leaflet distribution this package serves.
LEAFLET_FILES = ("leaflet.js", "leaflet.css")


@cache
def leaflet_file(name: str) -> bytes:
    """Bytes of one Leaflet file from the installed package.

    Parameters
    ----------
    name
        ``"leaflet.js"`` or ``"leaflet.css"``.

    Returns
    -------
    bytes
        The file as installed.

    Raises
    ------
    InvalidInputError
        If ``name`` is not one of :data:`LEAFLET_FILES`.
    """
    if name not in LEAFLET_FILES:
        from core.errors import InvalidInputError

        raise InvalidInputError(f"name: expected one of {LEAFLET_FILES}, found {name!r}")
    root = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return (root / name).read_bytes()


def leaflet_text() -> tuple[str, str]:
    """Leaflet's JS and CSS as text, for inlining into a ``<script>`` / ``<style>``.

    Returns
    -------
    tuple of (str, str)
        ``(js, css)`` from the installed, bundled Leaflet files.
    """
    return leaflet_file("leaflet.js").decode("utf-8"), leaflet_file("leaflet.css").decode("utf-8")


@cache
def leaflet_data_uris() -> tuple[str, str]:
    """``data:`` URIs of Leaflet's JS and CSS (no network needed).

    Returns
    -------
    tuple of (str, str)
        ``(js_uri, css_uri)``, base64-encoded.
    """
    js = base64.b64encode(leaflet_file("leaflet.js")).decode()
    css = base64.b64encode(leaflet_file("leaflet.css")).decode()
    return f"data:text/javascript;base64,{js}", f"data:text/css;base64,{css}"

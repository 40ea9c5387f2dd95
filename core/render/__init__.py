"""Map builders (folium) and offline HTML: H3 / region / hotspot maps, the map playback page and
the one place Leaflet's files are found (``assets``). Names load their module on first use."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "assets": ("leaflet_file", "leaflet_text", "leaflet_data_uris"),
    "maps": ("safe_text", "colours", "h3_map", "regions_map", "hotspots_map", "standalone_html"),
    "playback": ("playback_html",),
}
_OWNER = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_OWNER)


def __getattr__(name: str) -> Any:
    module = _OWNER.get(name)
    if module is None:
        raise AttributeError(f"module 'core.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"core.render.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Map builders (folium) and offline HTML: H3 / region / hotspot maps, the map playback page, the
playback as an animated GIF (``animation``) and the one place Leaflet's files are found
(``assets``). Names load their module on first use."""

from __future__ import annotations

from core.lazy import lazy_exports

_EXPORTS = {
    "assets": ("leaflet_file", "leaflet_text", "leaflet_data_uris"),
    "maps": ("safe_text", "colours", "h3_map", "regions_map", "hotspots_map", "standalone_html"),
    "playback": ("playback_html",),
    "animation": ("AnimationSpec", "playback_figures", "playback_gif"),
}
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

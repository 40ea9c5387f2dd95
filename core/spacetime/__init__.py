"""Where and when interests happen: filters, grouping, H3 geometry, heatmaps, regions, hotspots,
trends, forecasts, named areas, findings, segment comparison and map playback.

Modules (imports flow down this list, never sideways): ``geo`` (H3, haversine, Earth radius) ->
``filters`` (EventFilter, mask, located, local times, time bins), ``span`` (the bulk time span:
the default window) -> ``grouping`` (counts, distinct
users, group frames) -> ``heatmaps``, ``regions``, ``hotspots``, ``trends``, ``forecast``,
``areas`` -> ``signals`` -> ``insights`` (findings), ``compare``, ``playback``.

The public API is importable from here (``from core.spacetime import aggregate`` is the heatmap
aggregate); names load their module on first use, so importing the package stays cheap. Functions
named like their module (``hotspots.hotspots``, ``forecast.forecast``) are reached through the
module, since a package attribute cannot be both.
"""

from __future__ import annotations

from core.lazy import lazy_exports

# PEP 562: names load their module on first use (heatmaps pulls in torch, hotspots sklearn).
_EXPORTS = {
    "geo": (
        "EARTH_RADIUS_M",
        "check_res",
        "h3_cells",
        "haversine_m",
        "valid_location",
        "fit_res",
        "parent_cells",
        "MAP_CELLS",
        "cell_polygons",
        "cell_strings",
    ),
    "span": ("Span", "bulk_span"),
    "filters": (
        "EventFilter",
        "mask",
        "located",
        "local_times",
        "time_bins",
        "topic_codes",
        "in_box",
    ),
    "grouping": ("bin_events", "distinct_count", "group_frames", "grouped_counts"),
    "heatmaps": ("HeatmapSpec", "HeatmapResult", "aggregate", "default_res", "topics_from_text"),
    "regions": ("RegionSpec", "RegionResult", "load_regions", "assign_regions"),
    "hotspots": ("HotspotSpec", "HotspotResult"),
    "trends": ("TrendSpec", "period_counts", "complete_periods", "hour_of_week", "emerging"),
    "forecast": ("ForecastResult",),
    "areas": ("busiest_areas", "nearest_city", "user_places", "most_active"),
    "signals": ("two_proportion_z", "onsets", "area_peaks", "hotspot_reach"),
    "insights": ("FindingSpec", "findings", "findings_markdown"),
    "compare": ("Comparison", "compare_segments", "main_topic_mask"),
    "playback": ("PlaybackSpec", "Playback", "playback_frames", "fixed_scale"),
}
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

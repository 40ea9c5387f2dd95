"""Views of the analysis facade over space, users and the whole log: maps, playback, users,
segment comparison and the headline figures of the Overview.

Mixins of :class:`core.atlas.Atlas` (kept apart so that no module passes ~400 lines). They use only
what the facade provides (``events``, ``topic_info``, ``_once`` and its other results) and call
the analytics in ``core.spacetime`` / ``core.render``; nothing here computes an analysis itself.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core import schema
from core.errors import InvalidInputError
from core.spacetime.filters import EventFilter

if TYPE_CHECKING:  # pragma: no cover
    from core.atlas import MapSpec, TopicInfo
    from core.spacetime.compare import Comparison
    from core.spacetime.insights import FindingSpec
    from core.spacetime.playback import Playback, PlaybackSpec

#: Layers a comparison segment can name a region of (bundled boundary layers).
REGION_LAYERS = ("countries", "nyc_boroughs")


@dataclass(frozen=True)
class Summary:
    """The headline figures of a log."""

    events: int
    users: int
    items: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    located_share: float

    @property
    def days(self) -> float:
        """Days between the first and the last event (0 for an empty log)."""
        if self.start is None or self.end is None:
            return 0.0
        return (self.end - self.start) / pd.Timedelta(days=1)


@dataclass(frozen=True)
class SegmentSpec:
    """One side of a comparison, hashable so that its result is kept per segment.

    ``filter``: window, bounding box (``region``), users, topics, event types; ``main_topic``:
    only the users whose main interest is this topic (``rest``: all the other users instead);
    ``area``: ``(layer, region name)`` of a bundled boundary layer. The parts combine (AND).
    """

    name: str
    filter: EventFilter = field(default_factory=EventFilter)
    main_topic: str | None = None
    rest: bool = False
    area: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.area is not None and self.area[0] not in REGION_LAYERS:
            raise InvalidInputError(
                f"area: expected a layer of {REGION_LAYERS}, found {self.area[0]!r}"
            )
        if self.rest and self.main_topic is None:
            raise InvalidInputError("rest: expected a main_topic to take the rest of, found None")


class _Facade:
    """What the mixins need of the facade (typing only)."""

    events: pd.DataFrame
    topic_info: TopicInfo
    _once: Callable[[str, Hashable, Callable[[], Any]], Any]


class SpaceViews(_Facade):
    """Maps: heatmaps, one time step's cells, hotspots, regions, busiest areas, playback."""

    def heatmap(self, hspec):
        """Per (H3 cell x time bin) counts and topic mix (``core.spacetime.heatmaps``)."""
        from core.spacetime.heatmaps import aggregate

        info = self.topic_info
        return self._once(
            "heatmap", hspec, lambda: aggregate(self.events, info.item_topic, info.labels, hspec)
        )

    def map_cells(self, mspec: MapSpec, step: pd.Timestamp | None) -> pd.DataFrame:
        """The cells of one time step of ``mspec`` (``step`` None: the whole window), one row
        per cell with ``h3``, ``h3_hex``, ``events``, ``users``, ``dominant_topic``,
        ``share:<label>``."""
        if step is None:
            cells = self.heatmap(mspec.heatmap(whole=True)).cells
        else:
            cells = self.heatmap(mspec.heatmap()).cells
            cells = cells[cells["bin"] == step]
        return cells.drop(columns="bin").reset_index(drop=True)

    def hotspots(self, hspec):
        """Density hotspots (``core.spacetime.hotspots``), largest first."""
        from core.spacetime.hotspots import hotspots

        info = self.topic_info
        return self._once(
            "hotspots", hspec, lambda: hotspots(self.events, info.item_topic, info.labels, hspec)
        )

    def regions(self, shapes, rspec, layer_key: Hashable):
        """Events, users and topic mix per region of ``shapes`` (``layer_key`` names the layer)."""
        from core.spacetime.regions import aggregate

        info = self.topic_info
        return self._once(
            "regions",
            (layer_key, rspec),
            lambda: aggregate(self.events, info.item_topic, info.labels, rspec, regions=shapes),
        )

    def areas(self, n: int = 8) -> pd.DataFrame:
        """The ``n`` busiest areas with bounds and a nearby city's name."""
        from core.spacetime.areas import busiest_areas

        return self._once("areas", n, lambda: busiest_areas(self.events, n))

    def playback(self, pspec: PlaybackSpec) -> Playback:
        """Per-period cells on one colour scale across all periods (``core.spacetime.playback``)."""
        from core.spacetime.playback import playback_frames

        info = self.topic_info
        return self._once(
            "playback",
            pspec,
            lambda: playback_frames(self.events, info.item_topic, info.labels, pspec),
        )

    def playback_html(
        self, pspec: PlaybackSpec, title: str = "Map playback", interval_ms: int = 1000
    ) -> str:
        """The playback as a self-contained HTML animation that plays offline
        (``core.render.playback``)."""
        from core.render.playback import playback_html

        return playback_html(self.playback(pspec), title=title, interval_ms=interval_ms)

    def playback_gif(
        self, pspec: PlaybackSpec, title: str = "Map playback", bounds=None, aspec=None
    ) -> bytes:
        """The playback as an animated GIF, one frame per period (at most ``aspec.max_frames``,
        the most recent) on the fixed colour scale (``core.render.animation``; needs kaleido and a
        local Chromium: ``BrowserUnavailableError`` otherwise)."""
        from core.render.animation import playback_gif

        return playback_gif(self.playback(pspec), title=title, bounds=bounds, spec=aspec)


class UserViews(_Facade):
    """Users: the most active, one user's events and places, search by id."""

    def most_active(self, n: int = 50) -> pd.DataFrame:
        """The ``n`` users with most events."""
        from core.spacetime.areas import most_active

        return self._once("most_active", n, lambda: most_active(self.events, n))

    def user_events(self, user: str) -> pd.DataFrame:
        """One user's events, newest first."""
        mine = self.events[self.events[schema.USER] == user]
        return mine.sort_values(schema.TS, ascending=False, kind="stable").reset_index(drop=True)

    def user_places(self, user: str) -> pd.DataFrame:
        """One user's located events grouped into small H3 cells."""
        from core.spacetime.areas import user_places

        return user_places(self.events, user)

    def user_search(self, text: str, limit: int = 50) -> tuple[str, ...]:
        """User ids containing ``text`` (case-insensitive), at most ``limit``."""
        ids = pd.Series(self.events[schema.USER].cat.categories.astype(str))
        return tuple(ids[ids.str.contains(text, case=False, regex=False)].head(limit))


class InsightViews(_Facade):
    """The whole log at a glance: headline figures, top interests, findings, comparisons."""

    @property
    def summary(self) -> Summary:
        """Events, users, items, time span and the share of events with a valid location (a
        located log starts reading the city names that label its areas, in the background)."""
        from core.spacetime.areas import warm_cities
        from core.spacetime.geo import valid_location

        def compute() -> Summary:
            ev = self.events
            ok = valid_location(
                ev[schema.LAT].to_numpy(dtype=np.float64), ev[schema.LON].to_numpy(dtype=np.float64)
            )
            ts = ev[schema.TS]
            if ok.any():
                warm_cities()
            return Summary(
                events=len(ev),
                users=int(ev[schema.USER].nunique()),
                items=int(ev[schema.ITEM].nunique()),
                start=ts.min() if len(ev) else None,
                end=ts.max() if len(ev) else None,
                located_share=float(ok.mean()) if len(ev) else 0.0,
            )

        return self._once("summary", None, compute)

    def top_interests(self, n: int = 8, period: str = "W") -> pd.DataFrame:
        """The ``n`` topics with most events: ``topic``, ``events``, ``share`` (of all events)
        and ``trend`` (the topic's share per complete ``period``, oldest first, a tuple)."""
        from core.spacetime.trends import TrendSpec

        def compute() -> pd.DataFrame:
            counts = self.period_counts(TrendSpec(period=period))
            weekly = self.complete_periods(TrendSpec(period=period))
            labels = [c.removeprefix("n:") for c in counts.columns if c.startswith("n:")]
            total = max(int(counts["events"].sum()), 1)
            events = counts[[f"n:{t}" for t in labels]].sum(axis=0).to_numpy(dtype=np.int64)
            shares = weekly[[f"share:{t}" for t in labels]].fillna(0.0).to_numpy(dtype=float)
            table = pd.DataFrame(
                {
                    "topic": labels,
                    "events": events,
                    "share": events / total,
                    "trend": [tuple(col) for col in shares.T.round(4).tolist()],
                }
            )
            table = table.sort_values(["events", "topic"], ascending=[False, True], kind="stable")
            return table.head(n).reset_index(drop=True)

        return self._once("top_interests", (n, period), compute)

    @property
    def preview_ready(self) -> bool:
        """Whether the preview model (``quick_result``) is trained already."""
        return "quick_result" in self.__dict__

    def findings(self, fspec: FindingSpec | None = None) -> pd.DataFrame:
        """Plain-language findings that pass ``fspec``'s thresholds (``core.spacetime.insights``):
        emerging / fading topics with their onset, the largest group of interest changes, weekday
        peaks per busiest area and how many purchases happen near the hotspots."""
        from core.spacetime import signals
        from core.spacetime.hotspots import HotspotSpec
        from core.spacetime.insights import FindingSpec, findings
        from core.spacetime.trends import TrendSpec

        fspec = fspec or FindingSpec()

        def compute() -> pd.DataFrame:
            info, ev = self.topic_info, self.events
            areas = self.areas()
            located = not areas.empty
            spots = self.hotspots(HotspotSpec()).hotspots if located else None
            return findings(
                counts=self.period_counts(TrendSpec(period="W")),
                emerging=self.emerging(),
                drift=self.drift_ranking("W", self.summary.users),
                peaks=signals.area_peaks(ev, info.item_topic, info.labels, areas)
                if located
                else None,
                reach=signals.hotspot_reach(ev, spots) if spots is not None else None,
                spec=fspec,
            )

        return self._once("findings", fspec, compute)

    def _segment(self, segment: SegmentSpec, topic: np.ndarray, labels: tuple[str, ...]):
        from core.spacetime.compare import main_topic_mask
        from core.spacetime.filters import mask

        if segment.main_topic is None and segment.area is None:
            return segment.filter
        keep = mask(self.events, segment.filter, topic, labels)
        info = self.topic_info
        if segment.main_topic is not None:
            group = main_topic_mask(self.events, info.item_topic, info.labels, segment.main_topic)
            keep &= ~group if segment.rest else group
        if segment.area is not None:
            keep &= self._in_region(*segment.area)
        return keep

    def _in_region(self, layer: str, name: str) -> np.ndarray:
        from core.spacetime.regions import assign_regions, load_regions

        shapes = load_regions(layer=layer)
        names = shapes["region"].astype(str).tolist()
        if name not in names:
            raise InvalidInputError(f"area: expected a region of {layer!r}, found {name!r}")
        where = assign_regions(
            self.events[schema.LAT].to_numpy(dtype=np.float64),
            self.events[schema.LON].to_numpy(dtype=np.float64),
            shapes,
        )
        return where == names.index(name)

    def compare(self, a: SegmentSpec, b: SegmentSpec, top: int = 10) -> Comparison:
        """Two segments side by side: topic shares with a two-proportion z per topic, the
        hour-of-week rhythm and the top items of each (``core.spacetime.compare``)."""
        from core.spacetime.compare import compare_segments
        from core.spacetime.filters import topic_codes

        def compute() -> Comparison:
            info = self.topic_info
            topic, labels = topic_codes(self.events, info.item_topic, info.labels)
            return compare_segments(
                self.events,
                info.item_topic,
                info.labels,
                self._segment(a, topic, labels),
                self._segment(b, topic, labels),
                names=(a.name, b.name),
                top=top,
            )

        return self._once("compare", (a, b, top), compute)

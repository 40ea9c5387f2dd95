"""The analysis facade over an atlas folder: answers from the precomputed tables, no raw events.

:class:`StoredAtlas` answers the :class:`core.atlas.Atlas` methods the dashboard pages call with
the same frames, read from the folder's tables (``core.engines.folder``); one user's events are read
on demand from the partitioned Parquet. A question the tables cannot answer (another period, a
filtered window, another H3 resolution) raises :class:`NotInAtlasError`, whose message names what
the atlas does hold, so a page can offer that instead.

Examples
--------
>>> from core.engines.stored import StoredAtlas
>>> stored = StoredAtlas.open("atlas/")                   # doctest: +SKIP
>>> stored.period_counts(TrendSpec(period="W"))           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import schema
from core.atlas import MapSpec, TopicInfo
from core.atlas_views import InsightViews, Summary
from core.engines.folder import AtlasFolder, open_atlas
from core.errors import AtlasError, InvalidInputError
from core.spacetime.filters import EventFilter
from core.spacetime.trends import TrendSpec


class NotInAtlasError(AtlasError, ValueError):
    """A question whose answer needs raw events or settings the atlas folder does not hold."""


class StoredAtlas:
    """The facade methods the dashboard calls, answered from an atlas folder's tables.

    Parameters
    ----------
    folder
        An opened atlas folder (:func:`core.engines.folder.open_atlas`).

    Notes
    -----
    ``period`` and ``res`` are the atlas spec's; other values raise :class:`NotInAtlasError`.
    """

    holds_events = False

    def __init__(self, folder: AtlasFolder) -> None:
        self.folder = folder
        self._memo: dict[str, dict[Hashable, Any]] = {}

    @classmethod
    def open(cls, path: str | Path) -> StoredAtlas:
        """Open the atlas folder at ``path`` (raises ``AtlasFolderError`` if it is not one)."""
        return cls(open_atlas(path))

    def _once(self, kind: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        store = self._memo.setdefault(kind, {})
        if key not in store:
            store[key] = compute()
        return store[key]

    # ------------------------------------------------------------------ what is stored

    @property
    def period(self) -> str:
        """The calendar period of the stored period counts, cells and timeline."""
        return str(self.folder.manifest.spec.get("period", "W"))

    @property
    def res(self) -> int:
        """The H3 resolution of the stored cells."""
        return int(self.folder.manifest.spec.get("res", 8))

    @property
    def fingerprint(self) -> str:
        """A key naming this folder's content (path and creation time of the manifest)."""
        return f"atlas:{self.folder.path.resolve()}:{self.folder.manifest.created}"

    def _not_stored(self, what: str, found: object) -> NotInAtlasError:
        return NotInAtlasError(
            f"{what}: expected what this atlas stores (period {self.period!r}, H3 resolution "
            f"{self.res}, whole log, no filter), found {found!r}; the atlas does not hold raw "
            "events for it"
        )

    def _check_period(self, period: str | None) -> None:
        if period != self.period:
            raise self._not_stored("period", period)

    @staticmethod
    def _is_unfiltered(fspec: EventFilter) -> bool:
        return EventFilter(**{f: getattr(fspec, f) for f in EventFilter.__dataclass_fields__}) == (
            EventFilter()
        )

    # ------------------------------------------------------------------ interests

    @cached_property
    def topic_info(self) -> TopicInfo:
        """The topic assignment (items in sorted id order, as the EventLog's categories)."""
        items = self.folder.table("item_topics").sort_values(schema.ITEM, kind="stable")
        record = self.folder.manifest.topics
        silhouette = record.get("silhouette")
        return TopicInfo(
            item_topic=items["topic"].to_numpy(dtype=np.int64),
            labels=self.folder.labels,
            table=self.folder.table("topics").copy(),
            vector_source=str(record.get("source", "")),
            vector_message=str(record.get("message", "")),
            model=record.get("model"),
            silhouette=np.nan if silhouette is None else float(silhouette),
        )

    @cached_property
    def item_topic_labels(self) -> dict[str, str]:
        """item_id -> topic label."""
        items = self.folder.table("item_topics")
        return dict(zip(items[schema.ITEM].astype(str), items["label"].astype(str), strict=True))

    def timeline(self, period: str = "W", users: Sequence[str] | None = None) -> pd.DataFrame:
        """The stored per user x period timeline (of ``users``, default all)."""
        self._check_period(period)
        table = self.folder.table("timeline")
        if users is not None:
            table = table[table[schema.USER].isin([str(u) for u in users])]
        return table.reset_index(drop=True)

    def drift_ranking(self, period: str = "W", n: int = 20) -> pd.DataFrame:
        """The stored drift ranking, first ``n`` rows (at most the ``top`` the atlas kept)."""
        self._check_period(period)
        return self.folder.table("drift").head(n).reset_index(drop=True)

    def most_active(self, n: int = 50) -> pd.DataFrame:
        """``user_id``, ``events`` of the ``n`` users with most events (ties in user-id order);
        ``first`` / ``last`` are not stored (NaT)."""
        if n < 0:
            raise InvalidInputError(f"n: expected a non-negative integer, found {n!r}")
        users = self.folder.table("user_interests")[[schema.USER, "n_events"]]
        users = users.sort_values(["n_events", schema.USER], ascending=[False, True], kind="stable")
        out = users.head(n).rename(columns={"n_events": "events"}).reset_index(drop=True)
        out["first"] = out["last"] = pd.NaT
        return out

    def user_events(self, user: str) -> pd.DataFrame:
        """One user's events, newest first, read from the partitioned events on demand."""
        mine = self.folder.user_events(user)
        return mine.sort_values(schema.TS, ascending=False, kind="stable").reset_index(drop=True)

    def user_search(self, text: str, limit: int = 50) -> tuple[str, ...]:
        """User ids containing ``text`` (case-insensitive), at most ``limit``."""
        ids = self.folder.table("user_interests")[schema.USER].astype(str).sort_values()
        return tuple(ids[ids.str.contains(text, case=False, regex=False)].head(limit))

    # ------------------------------------------------------------------ trends

    def period_counts(self, tspec: TrendSpec) -> pd.DataFrame:
        """The stored period counts (only the stored period of the whole, unfiltered log)."""
        self._check_period(tspec.period)
        if not self._is_unfiltered(tspec):
            raise self._not_stored("filter", tspec)
        return self.folder.table("period_counts")

    def complete_periods(self, tspec: TrendSpec) -> pd.DataFrame:
        """The stored period counts without the edge periods the log covers only in part."""
        counts = self.period_counts(tspec)
        if len(counts) < 3:
            return counts
        return counts[counts["complete"]].reset_index(drop=True)

    def hour_of_week(self, fspec: EventFilter | None = None) -> tuple[pd.DataFrame, str]:
        """7 x 24 counts (weekday index, integer hour columns) and their time basis."""
        if fspec is not None and not self._is_unfiltered(fspec):
            raise self._not_stored("filter", fspec)
        grid = self.folder.table("hour_of_week").set_index("weekday")
        grid.columns = [int(c) for c in grid.columns]
        grid.index.name = None
        return grid, self.folder.manifest.time_basis

    top_interests = InsightViews.top_interests

    # ------------------------------------------------------------------ map

    @property
    def bins(self) -> tuple[pd.Timestamp, ...]:
        """The stored time steps of the cell table, oldest first."""
        return tuple(
            pd.DatetimeIndex(self.folder.table("cells")["bin"].drop_duplicates()).sort_values()
        )

    def map_cells(self, mspec: MapSpec, step: pd.Timestamp | None) -> pd.DataFrame:
        """The stored cells of one time step (distinct users do not add up over steps, so the
        whole window, ``step`` None, is not stored)."""
        if mspec.res != self.res:
            raise self._not_stored("res", mspec.res)
        self._check_period(mspec.period)
        if step is None:
            raise self._not_stored("step", "the whole window")
        if mspec.start is not None or mspec.end is not None or mspec.topics or mspec.events:
            raise self._not_stored("filter", mspec)
        cells = self.folder.table("cells")
        cells = cells[cells["bin"] == pd.Timestamp(step)]
        return cells.drop(columns="bin").reset_index(drop=True)

    def map_regions(self, step: pd.Timestamp) -> pd.DataFrame:
        """The stored countries (bundled layer) of one time step: events, distinct users and
        topic mix per region, as :func:`core.spacetime.regions.aggregate` gives them."""
        table = self.folder.table("regions")
        table = table[table["bin"] == pd.Timestamp(step)]
        return table.drop(columns="bin").reset_index(drop=True)

    # ------------------------------------------------------------------ overview

    @cached_property
    def summary(self) -> Summary:
        """Events, users, items, time span and located share, from the manifest and report."""
        report, manifest = self.folder.report, self.folder.manifest
        accepted = int(report["accepted"])
        start, end = manifest.time_min, manifest.time_max
        return Summary(
            events=int(manifest.rows["events"]),
            users=int(report.get("n_users", manifest.rows["user_interests"])),
            items=int(report.get("n_items", manifest.rows["item_topics"])),
            start=None if start is None else pd.Timestamp(start),
            end=None if end is None else pd.Timestamp(end),
            located_share=float(report.get("located", 0)) / accepted if accepted else 0.0,
        )

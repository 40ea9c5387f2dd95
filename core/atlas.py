"""The analysis facade: one EventLog and one frozen spec, every result computed lazily and once.

The dashboard (through ``dashboard/cached.py``) and the command-line tools call this object; neither
wires the steps itself, so the order item vectors -> topics -> interests / trends / maps -> model
lives here alone.

Examples
--------
>>> from core.atlas import Atlas, AnalysisSpec
>>> atlas = Atlas(events, AnalysisSpec(k=10))          # doctest: +SKIP
>>> atlas.topic_info.labels                            # doctest: +SKIP
>>> atlas.timeline("W", users=("u00042",))             # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from core import schema
from core.atlas_adapt import AdaptedEncoderViews
from core.atlas_model import ModelViews
from core.atlas_specs import AnalysisSpec, MapSpec, TopicInfo
from core.atlas_views import InsightViews, SpaceViews, UserViews
from core.errors import InvalidInputError, ModelUnavailableError
from core.interests.embeddings import ItemVectors, build_item_vectors
from core.interests.text_encoder import TextEncoder
from core.interests.topics import Topics, TopicSpec, find_topics
from core.spacetime.trends import EventFilter, TrendSpec

MEMO_ENTRIES = 32  # per kind of result: a handful of filter combinations


class Atlas(SpaceViews, UserViews, InsightViews, ModelViews, AdaptedEncoderViews):
    """Every analysis of one event log under one :class:`AnalysisSpec`, each computed once.

    Parameters
    ----------
    events
        Canonical EventLog (``core.io.ingest`` output).
    spec
        The analysis spec.
    encoder
        A loaded sentence encoder to share (``None``: loaded on first use when text is used).
    fingerprint
        The events' fingerprint when the caller already has it (saves a pass over the frame).

    Notes
    -----
    Argument-free results are ``cached_property``; results that take a filter spec are kept per
    spec (specs are frozen dataclasses, hence hashable), at most ``MEMO_ENTRIES`` of each kind.
    """

    def __init__(
        self,
        events: pd.DataFrame,
        spec: AnalysisSpec | None = None,
        *,
        encoder: TextEncoder | None = None,
        fingerprint: str | None = None,
    ) -> None:
        missing = [c for c in schema.REQUIRED if c not in events.columns]
        if missing:
            raise InvalidInputError(
                f"events: expected the canonical columns {list(schema.REQUIRED)}, "
                f"found {list(events.columns)}"
            )
        self.events = events
        self.spec = spec or AnalysisSpec()
        self._encoder = encoder
        self._fingerprint = fingerprint
        self._memo: dict[str, dict[Hashable, Any]] = {}
        self._lock = threading.RLock()
        self._running: dict[tuple[str, Hashable], threading.Event] = {}
        #: The batches folded in by :meth:`extend`, oldest first.
        self.arrivals: tuple = ()

    # ------------------------------------------------------------------ memo

    def _once(self, kind: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per (kind, key): a second caller while it runs (another session,
        or :meth:`warm`'s thread) waits for that result instead of computing it again."""
        with self._lock:
            store = self._memo.setdefault(kind, {})
            if key in store:
                return store[key]
            running = self._running.get((kind, key))
            if running is None:
                running = self._running[(kind, key)] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            running.wait()
            return self._once(kind, key, compute)  # its result, or (it failed) computed here
        try:
            value = compute()
            with self._lock:
                if len(store) >= MEMO_ENTRIES:
                    store.pop(next(iter(store)))
                store[key] = value
        finally:
            with self._lock:
                del self._running[(kind, key)]
            running.set()
        return value

    def _kept_unless(
        self, kind: str, key: Hashable, compute: Callable[[], Any], cancelled: Callable[[Any], bool]
    ) -> Any:
        """``compute()`` memoised per (kind, key) like :meth:`_once`, except that a result for
        which ``cancelled(result)`` holds is returned and never kept (a cancelled run of a
        computation with a progress callback)."""
        with self._lock:
            store = self._memo.get(kind, {})
            if key in store:
                return store[key]
        value = compute()
        if cancelled(value):
            return value
        return self._once(kind, key, lambda: value)

    def warm(self, *calls: Callable[[Atlas], object]) -> threading.Thread:
        """Run ``calls`` (each given this facade) on a background thread, so that the results
        they memoise are ready, or under way, when a page asks for them; a caller asking for one
        while it runs waits for it rather than computing it twice. Errors are left for that
        caller to meet (the call is simply made again).

        Parameters
        ----------
        calls
            E.g. ``lambda a: a.drift_ranking("W", 8)``.

        Returns
        -------
        threading.Thread
            The started (daemon) thread.
        """

        def run() -> None:
            for call in calls:
                try:
                    call(self)
                except Exception:  # the page's own call meets it, and shows it
                    continue

        thread = threading.Thread(target=run, name="atlas-warm", daemon=True)
        thread.start()
        return thread

    # ------------------------------------------------------------------ interests

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of the events: identical content, identical fingerprint."""
        return self._fingerprint or schema.fingerprint(self.events)

    @property
    def vectors_ready(self) -> bool:
        """Whether the item vectors are computed already (no text left to encode)."""
        return "item_vectors" in self.__dict__

    @cached_property
    def item_vectors(self) -> ItemVectors:
        """Item vectors: the language model over item text, behaviour, or a blend."""
        return build_item_vectors(self.events, self.spec.embedding, encoder=self._encoder)

    @cached_property
    def topics(self) -> Topics:
        """K named topics over the item vectors."""
        return find_topics(
            self.item_vectors, self.events, TopicSpec(k=self.spec.k, device=self.spec.device)
        )

    @cached_property
    def topic_info(self) -> TopicInfo:
        """The topic assignment as plain arrays and a table (what pages and files need)."""
        model, vectors = self.topics, self.item_vectors
        return TopicInfo(
            item_topic=np.asarray(model.item_topic),
            labels=tuple(str(label) for label in model.labels),
            table=model.table.copy(),
            vector_source=str(vectors.source),
            vector_message=str(vectors.message),
            model=vectors.model,
            silhouette=float(getattr(model, "silhouette", np.nan)),
        )

    @cached_property
    def item_topic_labels(self) -> dict[str, str]:
        """item_id -> topic label ("" for items without a topic)."""
        return self.topics.item_labels()

    def interest_spec(self, period: str = "W"):
        """The interest spec of this analysis for timelines of ``period``."""
        from core.interests.state import InterestSpec

        return InterestSpec(
            half_life_days=self.spec.half_life_days, period=period, device=self.spec.device
        )

    def interests(self, at: object | None = None):
        """User interest state (vectors and topic shares) at ``at`` (default: end of the log)."""
        from core.interests.state import user_interests

        return self._once(
            "interests",
            str(at),
            lambda: user_interests(
                self.events, self.item_vectors, self.topics, self.interest_spec(), at=at
            ),
        )

    def timeline(
        self, period: str = "W", users: Sequence[str] | None = None, with_vectors: bool = False
    ) -> pd.DataFrame:
        """Per user x period topic shares and drift (``core.interests`` timeline); with
        ``with_vectors`` each row carries its interest vector too."""
        from core.interests.timeline import timeline

        key = (period, None if users is None else tuple(users), with_vectors)
        return self._once(
            "timeline",
            key,
            lambda: timeline(
                self.events,
                self.item_vectors,
                self.topics,
                self.interest_spec(period),
                users=None if users is None else list(users),
                with_vectors=with_vectors,
            ),
        )

    def drift_ranking(self, period: str = "W", n: int = 20) -> pd.DataFrame:
        """The ``n`` users whose interests moved most (``core.interests.changes``: from the
        events, no timeline needed; equal to ``drift_ranking(self.timeline(period), n)``)."""
        from core.interests.changes import change_ranking

        if n < 0:
            raise InvalidInputError(f"n must be >= 0: got {n}")

        def every_user() -> pd.DataFrame:  # once per period: the Overview asks for 8 and for all
            spec = self.interest_spec(period)
            return change_ranking(
                self.events, self.item_vectors, self.topics, spec, n=len(self.events)
            )

        return self._once(
            "drift",
            (period, n),
            lambda: self._once("drift_all", period, every_user).head(n).reset_index(drop=True),
        )

    def seeded(
        self, item_vectors: ItemVectors, topics: Topics, interests=None, timelines=None
    ) -> Atlas:
        """This facade with item vectors, topics (and the end-of-log interest state and
        whole-log timelines, ``{(period, with_vectors): frame}``) already known, e.g. read back
        from a state folder (``core.statefolder``); returns ``self``."""
        self.__dict__["item_vectors"], self.__dict__["topics"] = item_vectors, topics
        if interests is not None:
            self._memo.setdefault("interests", {})["None"] = interests
        for (period, with_vectors), frame in (timelines or {}).items():
            self._memo.setdefault("timeline", {})[(period, None, with_vectors)] = frame
        return self

    def computed_timelines(self) -> dict[tuple[str, bool], pd.DataFrame]:
        """The whole-log timelines computed so far, ``{(period, with_vectors): frame}``."""
        with self._lock:
            store = dict(self._memo.get("timeline", {}))
        return {(p, v): frame for (p, users, v), frame in store.items() if users is None}

    def extend(self, new_events: pd.DataFrame, *, source: str = "") -> Atlas:
        """This analysis with ``new_events`` folded in (exact duplicates of logged rows dropped).

        Item vectors and topics are kept (the items' meaning does not move with a day of
        events); user interests are folded forward with ``core.interests.state.update`` and
        timelines recomputed only for the users who had new events, so every carried result
        equals a full recompute over the combined log with these vectors and topics (1e-5).
        Events of items without a vector make the new analysis start afresh (the arrival says
        so); other results are computed over the combined log when first asked for.

        Returns
        -------
        Atlas
            A new facade; its ``arrivals`` end with this batch's :class:`core.arrivals.Arrival`.
        """
        from core.arrivals import extend_atlas

        return extend_atlas(self, new_events, source)

    # ------------------------------------------------------------------ trends

    def period_counts(self, tspec: TrendSpec) -> pd.DataFrame:
        """Events, users and topic shares per period (``core.spacetime.trends``)."""
        from core.spacetime import trends

        info = self.topic_info
        return self._once(
            "period_counts",
            tspec,
            lambda: trends.period_counts(self.events, info.item_topic, info.labels, tspec),
        )

    def complete_periods(self, tspec: TrendSpec) -> pd.DataFrame:
        """``period_counts`` without edge periods that the data or window covers only in part."""
        from core.spacetime import trends

        counts = self.period_counts(tspec)
        if len(counts) < 3:  # too short to lose its edges
            return counts
        return trends.complete_periods(counts)

    def hour_of_week(self, fspec: EventFilter | None = None) -> tuple[pd.DataFrame, str]:
        """7 x 24 counts in local time and their time basis."""
        from core.spacetime import trends

        info = self.topic_info
        fspec = fspec or EventFilter()
        return self._once(
            "hour_of_week",
            fspec,
            lambda: trends.hour_of_week(self.events, info.item_topic, info.labels, fspec),
        )

    def emerging(self, recent: str = "28D", fspec: EventFilter | None = None) -> pd.DataFrame:
        """Topics ranked by change of share in the recent window against the baseline."""
        from core.spacetime import trends

        info = self.topic_info
        fspec = fspec or EventFilter()
        return self._once(
            "emerging",
            (recent, fspec),
            lambda: trends.emerging(
                self.events, info.item_topic, info.labels, recent=recent, spec=fspec
            ),
        )

    def forecast(self, tspec: TrendSpec, column: str, horizon: int):
        """A forecast of one period-count column over complete periods."""
        from core.spacetime.forecast import forecast

        def compute():
            counts = self.complete_periods(tspec)
            if column not in counts.columns:
                raise InvalidInputError(
                    f"column: expected one of {list(counts.columns)}, found {column!r}"
                )
            values = counts[column].to_numpy(dtype=float)
            return forecast(pd.Series(values, index=pd.DatetimeIndex(counts["period"])), horizon)

        return self._once("forecast", (tspec, column, horizon), compute)


def shared_encoder(spec: AnalysisSpec) -> TextEncoder | None:
    """Load the encoder of ``spec``, or None when no model loads (vectors then say why).

    Parameters
    ----------
    spec
        Its ``model`` and ``device`` choose the encoder.

    Returns
    -------
    TextEncoder or None
    """
    from core.interests.text_encoder import load_encoder

    try:
        return load_encoder(spec.embedding.encoder)
    except ModelUnavailableError:
        return None


__all__ = ["MEMO_ENTRIES", "AnalysisSpec", "Atlas", "MapSpec", "TopicInfo", "shared_encoder"]

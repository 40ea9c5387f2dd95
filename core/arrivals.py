"""Logs that keep arriving: append new events to an EventLog (exact duplicates dropped) and say
what arrived. :meth:`core.atlas.Atlas.extend` uses these to fold its results forward.

Examples
--------
>>> combined, added, report = append_events(events, new_events)   # doctest: +SKIP
>>> report.summary()                                               # doctest: +SKIP
'1,204 events arrived (12 duplicates dropped) · 2026-05-01 → 2026-05-02 · 310 users'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core import schema
from core.errors import InvalidInputError

_CATEGORICAL = (schema.USER, schema.ITEM, schema.EVENT, schema.ITEM_TEXT)


@dataclass(frozen=True)
class Arrival:
    """What one batch of new events did to a log.

    ``rows``: events in the batch; ``duplicates``: rows already in the log (or repeated inside
    the batch), dropped; ``added``: rows appended (``rows == added + duplicates``); ``new_users``
    / ``new_items``: ids the log had not seen; ``time_min`` / ``time_max``: span of the added
    rows; ``received``: when the batch was folded in (UTC); ``incremental``: whether the
    analysis was carried forward (False: recomputed, ``how`` says why); ``carried``: the results
    carried forward; ``source``: a name for the batch (file name).
    """

    rows: int
    duplicates: int
    added: int
    new_users: int
    new_items: int
    time_min: pd.Timestamp | None
    time_max: pd.Timestamp | None
    received: pd.Timestamp
    incremental: bool = True
    carried: tuple[str, ...] = ()
    how: str = ""
    source: str = ""
    touched_users: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def summary(self) -> str:
        """One line for people: counts, span and what happened to the analysis."""
        span = (
            f"{self.time_min:%Y-%m-%d %H:%M} → {self.time_max:%Y-%m-%d %H:%M} UTC"
            if self.added
            else "nothing new"
        )
        dup = f" ({self.duplicates:,} duplicates dropped)" if self.duplicates else ""
        name = f"{self.source}: " if self.source else ""
        return (
            f"{name}{self.added:,} of {self.rows:,} events added{dup} · {span} · "
            f"{self.new_users:,} new users, {self.new_items:,} new items · {self.how}"
        )

    def with_analysis(self, incremental: bool, carried: tuple[str, ...], how: str) -> Arrival:
        """This arrival with what the analysis did about it."""
        return replace(self, incremental=incremental, carried=carried, how=how)


def _row_hash(events: pd.DataFrame) -> np.ndarray:
    # Categoricals hash by value, so two logs with different category sets hash alike.
    return pd.util.hash_pandas_object(events[list(schema.CANONICAL)], index=False).to_numpy()


def append_events(
    events: pd.DataFrame, new_events: pd.DataFrame, *, source: str = ""
) -> tuple[pd.DataFrame, pd.DataFrame, Arrival]:
    """Append ``new_events`` to ``events``, dropping rows already there (exact duplicates).

    Parameters
    ----------
    events, new_events
        Canonical EventLogs (``core.io.ingest`` output or ``core.schema.conform``).
    source
        A name for the batch, kept on the :class:`Arrival`.

    Returns
    -------
    combined : pandas.DataFrame
        The log with the new rows, sorted by time (stable: old rows keep their order). Category
        columns keep the old categories first, so codes of known users and items do not move.
    added : pandas.DataFrame
        The rows that were appended (conformed).
    arrival : Arrival
        Counts, span and new ids.

    Raises
    ------
    InvalidInputError
        If either log lacks the canonical columns.
    """
    for name, frame in (("events", events), ("new_events", new_events)):
        missing = [c for c in schema.CANONICAL if c not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"{name}: expected the canonical columns {list(schema.CANONICAL)}, "
                f"found {list(frame.columns)}"
            )
    new = schema.conform(new_events)
    new_hash = _row_hash(new)
    seen = pd.Series(new_hash).duplicated().to_numpy()
    if len(new) and len(events):
        window = events
        if events[schema.TS].is_monotonic_increasing:
            # a duplicate has the same time: only the old rows in the batch's span are hashed
            ts, span = events[schema.TS].array.asi8, new[schema.TS].array.asi8[[0, -1]]
            window = events.iloc[
                np.searchsorted(ts, span[0], "left") : np.searchsorted(ts, span[1], "right")
            ]
        seen |= pd.Series(new_hash).isin(_row_hash(window)).to_numpy()
    added = new[~seen].reset_index(drop=True)
    known_users = events[schema.USER].cat.categories
    known_items = events[schema.ITEM].cat.categories
    combined = pd.concat([events, added], ignore_index=True)
    for col in _CATEGORICAL:
        combined[col] = _union(events[col], added[col])
    if len(events) and len(added) and added[schema.TS].iloc[0] < events[schema.TS].iloc[-1]:
        combined = combined.sort_values(schema.TS, kind="stable").reset_index(drop=True)
    ts = added[schema.TS]
    arrival = Arrival(
        rows=len(new),
        duplicates=int(seen.sum()),
        added=len(added),
        new_users=len(_unknown(added[schema.USER], known_users)),
        new_items=len(_unknown(added[schema.ITEM], known_items)),
        time_min=ts.min() if len(added) else None,
        time_max=ts.max() if len(added) else None,
        received=pd.Timestamp.now(tz="UTC"),
        source=source,
        touched_users=tuple(pd.unique(added[schema.USER].astype(str))),
    )
    return combined, added, arrival


def _unknown(column: pd.Series, known: pd.Index) -> pd.Index:
    used = column.cat.remove_unused_categories().cat.categories if len(column) else column[:0]
    return pd.Index(used).difference(known)


def _union(old: pd.Series, new: pd.Series) -> pd.Series:
    """The two columns as one categorical with ``old``'s categories first (codes unchanged)."""
    cats = old.cat.categories
    extra = pd.Index(new.cat.remove_unused_categories().cat.categories).difference(cats)
    dtype = pd.CategoricalDtype(cats.append(extra))
    return pd.concat([old.astype(dtype), new.astype(dtype)], ignore_index=True)


def fold_timeline(frame: pd.DataFrame, touched: tuple[str, ...], compute) -> pd.DataFrame:
    """A timeline carried forward: rows of users without new events are kept, the rows of the
    ``touched`` users are recomputed from their own events only (``compute(users)`` returns the
    timeline of those users over the combined log).

    Returns
    -------
    pandas.DataFrame
        Equal to the timeline of the combined log (sorted by user, then period).
    """
    if not touched:
        return frame
    user_col = frame[schema.USER].astype(str)
    wanted = set(touched)
    fresh = compute(sorted(wanted))
    kept = frame[~user_col.isin(wanted).to_numpy()]
    out = pd.concat([kept, fresh], ignore_index=True) if len(kept) else fresh
    period = pd.DatetimeIndex(out["period"]).asi8
    order = np.lexsort((period, out[schema.USER].astype(str).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def extend_atlas(atlas, new_events: pd.DataFrame, source: str = ""):  # -> Atlas (no import cycle)
    """``atlas`` with ``new_events`` folded in: the body of :meth:`core.atlas.Atlas.extend` (a
    friend of the facade: it reads the results the facade already holds)."""
    from core.interests.state import update
    from core.interests.timeline import timeline

    combined, added, arrival = append_events(atlas.events, new_events, source=source)
    nxt = type(atlas)(combined, atlas.spec, encoder=atlas._encoder)
    known = {"item_vectors", "topics"} <= set(atlas.__dict__)
    if arrival.new_items or not known:
        how = (
            f"{arrival.new_items:,} new items: vectors and topics are rebuilt over the whole log"
            if known
            else "nothing was computed yet: results are computed over the whole log"
        )
        nxt.arrivals = (*atlas.arrivals, arrival.with_analysis(False, (), how))
        return nxt
    for name in ("topic_info", "item_topic_labels"):
        if name in atlas.__dict__:
            nxt.__dict__[name] = atlas.__dict__[name]
    carried = ["item vectors", "topics"]
    memo = atlas._memo
    state = memo.get("interests", {}).get("None")
    if state is not None:
        state = update(state, added, atlas.item_vectors, atlas.topics, atlas.interest_spec())
        carried.append("interest vectors")
    nxt.seeded(atlas.item_vectors, atlas.topics, state)
    for (period, users, with_vectors), frame in memo.get("timeline", {}).items():
        touched = tuple(u for u in arrival.touched_users if users is None or u in users)
        nxt._memo.setdefault("timeline", {})[(period, users, with_vectors)] = fold_timeline(
            frame,
            touched,
            lambda chosen, p=period, v=with_vectors: timeline(
                combined,
                atlas.item_vectors,
                atlas.topics,
                atlas.interest_spec(p),
                users=chosen,
                with_vectors=v,
            ),
        )
        carried.append(f"timeline ({period})")
    how = f"carried forward: {', '.join(dict.fromkeys(carried))}"
    nxt.arrivals = (*atlas.arrivals, arrival.with_analysis(True, tuple(carried), how))
    return nxt

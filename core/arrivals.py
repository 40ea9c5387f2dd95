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
    old = events.copy(deep=False)
    recoded = {}
    for col in _CATEGORICAL:  # the batch on the log's categories (new ones appended)
        if not isinstance(old[col].dtype, pd.CategoricalDtype):
            old[col] = old[col].astype("object").astype("category")
        recoded[col] = _recode(old[col].dtype, new[col])
    n_known = {c: len(old[c].cat.categories) for c in (schema.USER, schema.ITEM)}
    new_hash = _row_hash(new, {c: codes for c, (_dtype, codes) in recoded.items()})
    seen = pd.Series(new_hash).duplicated().to_numpy()
    if len(new) and len(old):
        window = old
        ts, span = old[schema.TS].array.asi8, new[schema.TS].array.asi8[[0, -1]]
        if bool((ts[1:] >= ts[:-1]).all()):  # sorted (numpy: the Index check is far slower)
            # a duplicate has the same time: only the old rows in the batch's span are hashed
            window = old.iloc[
                np.searchsorted(ts, span[0], "left") : np.searchsorted(ts, span[1], "right")
            ]
        old_codes = {c: window[c].cat.codes.to_numpy(np.int64) for c in _CATEGORICAL}
        seen |= pd.Series(new_hash).isin(_row_hash(window, old_codes)).to_numpy()
    keep = ~seen
    added = new[keep].reset_index(drop=True)
    for col, (dtype, codes) in recoded.items():
        added[col] = pd.Categorical.from_codes(codes[keep], dtype=dtype, validate=False)
    combined = _concat(old, added, {c: dtype for c, (dtype, _codes) in recoded.items()})
    if len(old) and len(added) and added[schema.TS].iloc[0] < old[schema.TS].iloc[-1]:
        combined = combined.sort_values(schema.TS, kind="stable").reset_index(drop=True)
    ts = added[schema.TS]
    user_codes = added[schema.USER].cat.codes.to_numpy()
    touched = added[schema.USER].cat.categories[pd.unique(user_codes[user_codes >= 0])]
    arrival = Arrival(
        rows=len(new),
        duplicates=int(seen.sum()),
        added=len(added),
        new_users=_count_new(added[schema.USER], n_known[schema.USER]),
        new_items=_count_new(added[schema.ITEM], n_known[schema.ITEM]),
        time_min=ts.min() if len(added) else None,
        time_max=ts.max() if len(added) else None,
        received=pd.Timestamp.now(tz="UTC"),
        source=source,
        touched_users=tuple(touched.astype(str)),
    )
    return combined, added, arrival


def _concat(old: pd.DataFrame, added: pd.DataFrame, dtypes: dict) -> pd.DataFrame:
    """``old`` then ``added``, column by column: category columns join their codes under the
    shared ``dtypes`` (``pd.concat`` would hash every category list to compare the dtypes)."""
    n_old, n_new = len(old), len(added)
    old_names, new_names = set(old.columns), set(added.columns)
    columns = list(dict.fromkeys([*old.columns, *added.columns]))
    out = {}
    for col in columns:
        if col in dtypes:
            codes = np.concatenate([old[col].cat.codes.to_numpy(), added[col].cat.codes.to_numpy()])
            out[col] = pd.Categorical.from_codes(codes, dtype=dtypes[col], validate=False)
            continue
        parts = [
            frame[col] if col in names else pd.Series(np.nan, index=range(size))
            for frame, names, size in ((old, old_names, n_old), (added, new_names, n_new))
        ]
        out[col] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(out, index=pd.RangeIndex(n_old + n_new))


def _recode(
    dtype: pd.CategoricalDtype, column: pd.Series
) -> tuple[pd.CategoricalDtype, np.ndarray]:
    """``dtype`` with the categories of ``column`` it lacks appended (codes of known values do
    not move), and the codes of ``column`` in it. Only the categories in use are looked up, so a
    batch costs O(batch), not O(categories of the log)."""
    codes = column.cat.codes.to_numpy(np.int64)
    if column.cat.categories.equals(dtype.categories):  # the same order: the codes hold
        return dtype, codes
    used = np.unique(codes[codes >= 0])
    names = column.cat.categories[used]
    pos = dtype.categories.get_indexer(names)
    extra = names[pos < 0]
    if len(extra):
        pos[pos < 0] = len(dtype.categories) + np.arange(len(extra))
        dtype = pd.CategoricalDtype(dtype.categories.append(pd.Index(extra)))
    lut = np.full(len(column.cat.categories), -1, dtype=np.int64)
    lut[used] = pos
    return dtype, np.where(codes >= 0, lut[np.maximum(codes, 0)], -1)


def _row_hash(events: pd.DataFrame, codes: dict[str, np.ndarray]) -> np.ndarray:
    """One hash per row over every canonical field; category columns enter by their codes in
    the shared dtype (so the log and the batch hash alike, without hashing category strings)."""
    parts = {
        c: codes[c]
        if c in codes
        else events[c].array.asi8
        if c == schema.TS
        else events[c].to_numpy()
        for c in schema.CANONICAL
    }  # times as int64 ns: a tz-aware column's to_numpy() makes one Timestamp object per row
    return pd.util.hash_pandas_object(pd.DataFrame(parts), index=False).to_numpy()


def _count_new(column: pd.Series, n_known: int) -> int:
    """Distinct values of ``column`` whose code is past the ``n_known`` categories of the log."""
    codes = column.cat.codes.to_numpy()
    return len(np.unique(codes[codes >= n_known]))


def fold_timeline(frame: pd.DataFrame, touched: tuple[str, ...], compute) -> pd.DataFrame:
    """A timeline carried forward: rows of users without new events are kept, the rows of the
    ``touched`` users are recomputed from their own events only.

    Parameters
    ----------
    frame
        The timeline before the arrival, sorted by user, then period.
    touched
        Users with new events (empty: ``frame`` is returned as is).
    compute
        ``compute(users)`` returns the timeline of those users over the combined log.

    Returns
    -------
    pandas.DataFrame
        Equal to the timeline of the combined log (sorted by user, then period).
    """
    if not touched:
        return frame
    wanted = pd.Index(sorted(set(touched)))
    fresh = compute(list(wanted))
    users = frame[schema.USER]
    mine = users.isin(wanted).to_numpy()
    kept = frame[~mine]
    if not len(kept):
        return fresh.reset_index(drop=True)
    # Both are sorted by user then period, and hold different users: each block of fresh rows
    # goes where its user sorts among the kept rows (a binary search per user, no sort of all).
    kept_users = kept[schema.USER].to_numpy(dtype=object)
    fresh_users = fresh[schema.USER].to_numpy(dtype=object)
    names, first = np.unique(fresh_users, return_inverse=True)
    at = np.searchsorted(kept_users, names.astype(object))[first.reshape(-1)]
    n_kept, n_fresh = len(kept), len(fresh)
    order = np.empty(n_kept + n_fresh, dtype=np.int64)
    order[np.arange(n_kept) + np.searchsorted(at, np.arange(n_kept), side="right")] = np.arange(
        n_kept
    )
    order[at + np.arange(n_fresh)] = n_kept + np.arange(n_fresh)
    out = pd.concat([kept, fresh], ignore_index=True)
    return out.iloc[order].reset_index(drop=True)


def extend_atlas(atlas, new_events: pd.DataFrame, source: str = ""):  # -> Atlas (no import cycle)
    """``atlas`` with ``new_events`` folded in: the body of :meth:`core.atlas.Atlas.extend` (a
    friend of the facade: it reads the results the facade already holds).

    Parameters
    ----------
    atlas
        The Atlas the events arrive at; left unchanged.
    new_events
        The arriving events, canonical columns; exact duplicates of logged rows are dropped.
    source
        Where they came from (a file name), recorded in the arrival.

    Returns
    -------
    Atlas
        Over the combined log, its ``arrivals`` one longer. Vectors, topics, interests and
        timelines computed so far are carried forward when no new item arrived; otherwise nothing
        is, and they are computed afresh on first use.
    """
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

"""The time span that holds the bulk of a log: the default time window and axes of every page.

Real logs carry a few times far from the rest (a camera clock set years back, a test event dated
2099). The bulk span starts from the 0.5-99.5 % quantile range and extends it outwards over every event
that follows the previous one within a margin (5 % of that range, at least a day); events beyond
the first wider gap are outliers, counted. A window built from it is not stretched by a handful of
far-off times, while an evenly spread log, or a sparse start next to the bulk, keeps its span.

Examples
--------
>>> span = bulk_span(events["ts"])                   # doctest: +SKIP
>>> span.start, span.end, span.n_outside              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InvalidInputError

_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class Span:
    """The bulk span of a log (``start``..``end``, both events of the log) and its whole span
    (``first``..``last``); ``n_before`` / ``n_after`` events lie outside the bulk."""

    start: pd.Timestamp
    end: pd.Timestamp
    first: pd.Timestamp
    last: pd.Timestamp
    n_before: int
    n_after: int

    @property
    def n_outside(self) -> int:
        """Events outside the bulk span."""
        return self.n_before + self.n_after

    def describe(self) -> str:
        """One sentence for a caption ("" when nothing lies outside)."""
        if not self.n_outside:
            return ""
        parts = []
        if self.n_before:
            parts.append(
                f"{self.n_before:,} before {self.start:%Y-%m-%d} (from {self.first:%Y-%m-%d})"
            )
        if self.n_after:
            parts.append(f"{self.n_after:,} after {self.end:%Y-%m-%d} (up to {self.last:%Y-%m-%d})")
        return (
            f"{self.n_outside:,} events lie far outside the bulk of the data — "
            + " and ".join(parts)
            + " — and are left out of the default window."
        )


def bulk_span(
    ts: pd.Series, *, lower: float = 0.005, upper: float = 0.995, margin: float = 0.05
) -> Span:
    """The span of the events reachable from the ``lower``..``upper`` quantile range through gaps
    no wider than ``margin``.

    Parameters
    ----------
    ts
        Event times (tz-aware, UTC).
    lower, upper
        Quantiles that bound the bulk (0 <= lower < upper <= 1).
    margin
        The widest gap between two events of the bulk beyond the quantiles, as a share of the
        quantile range (at least one day).

    Returns
    -------
    Span
        ``start`` / ``end`` are the first and last events inside the bulk; an evenly spread log
        gives its whole span and no outliers.

    Raises
    ------
    InvalidInputError
        If ``ts`` is empty or the quantiles are out of order.
    """
    if not 0.0 <= lower < upper <= 1.0:
        raise InvalidInputError(
            f"lower, upper: expected 0 <= lower < upper <= 1, found {lower!r}, {upper!r}"
        )
    if margin < 0:
        raise InvalidInputError(f"margin: expected a share >= 0, found {margin!r}")
    ns = pd.DatetimeIndex(ts).asi8
    if len(ns) == 0:
        raise InvalidInputError("ts: expected at least one event time, found none")
    ns = np.sort(ns)
    lo, hi = np.quantile(ns, [lower, upper], method="inverted_cdf")
    pad = max(_DAY_NS, int(margin * (hi - lo)))
    # walk out from the quantiles: the bulk ends at the first gap wider than the margin, so a
    # sparse lead-in next to the bulk stays and a clock set years back does not
    below = np.append(ns[ns < lo], lo)
    gaps = np.flatnonzero(np.diff(below) > pad)
    n_before = int(gaps[-1] + 1) if gaps.size else 0
    above = np.insert(ns[ns > hi], 0, hi)
    gaps = np.flatnonzero(np.diff(above) > pad)
    n_after = int(len(above) - 1 - gaps[0]) if gaps.size else 0
    kept = ns[n_before : len(ns) - n_after]
    utc = lambda v: pd.Timestamp(int(v), tz="UTC")  # noqa: E731
    return Span(
        start=utc(kept.min()),
        end=utc(kept.max()),
        first=utc(ns.min()),
        last=utc(ns.max()),
        n_before=n_before,
        n_after=n_after,
    )

"""Vectorised parsing of event times in the shapes real logs use.

Every format is tried on a whole column at once (Arrow compute kernels); a value that one format
cannot read is left for the next format through a boolean mask, so there is never a Python loop over
rows. Recognised, in this order:

* numbers: Unix epoch in seconds, milliseconds, microseconds or nanoseconds, told apart by the
  magnitude of the column's median (a few bad clocks do not change the unit); 8 / 14 digit numbers
  that read as ``YYYYMMDD`` / ``YYYYMMDDhhmmss`` are dates;
* ISO 8601 with or without a zone offset (``Z``, ``+08:00``, ``+0800``), with ``T`` or a space,
  date only, fractions of a second; values without an offset are taken as UTC;
* log formats: ``Tue Apr 03 18:00:09 +0000 2012`` (Twitter / Foursquare), RFC 2822, Apache
  ``03/Apr/2012:18:00:09 +0000``, ``YYYY/MM/DD``, and ``DD/MM/YYYY`` or ``MM/DD/YYYY`` (whichever
  reads more of the column), ``DD.MM.YYYY``, each with optional ``hh:mm[:ss]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInputError

_NUMBER = r"^[+-]?\d+(\.\d+)?$"
_ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}([.,]\d{1,9})?)?)?)?\s*(Z|z|UTC|[+-]\d{2}(:?\d{2})?)?$"
_ISO_ZONED = r"(\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?\s*[+-]\d{2}(:?\d{2})?|Z)$"
_ISO_OFFSET = (
    r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})?$"
)

#: Groups of strptime formats tried after ISO 8601; inside a group the format that reads the most
#: values wins (this is how day-first and month-first dates are told apart).
_LOG_FORMATS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("%a %b %d %H:%M:%S %z %Y", "Tue Apr 03 18:00:09 +0000 2012"),),
    (("%a, %d %b %Y %H:%M:%S %z", "RFC 2822"),),
    (("%d/%b/%Y:%H:%M:%S %z", "Apache log"),),
    (("%Y/%m/%d %H:%M:%S", "YYYY/MM/DD hh:mm:ss"),),
    (("%Y/%m/%d %H:%M", "YYYY/MM/DD hh:mm"),),
    (("%Y/%m/%d", "YYYY/MM/DD"),),
    (("%d/%m/%Y %H:%M:%S", "DD/MM/YYYY hh:mm:ss"), ("%m/%d/%Y %H:%M:%S", "MM/DD/YYYY hh:mm:ss")),
    (("%d/%m/%Y %H:%M", "DD/MM/YYYY hh:mm"), ("%m/%d/%Y %H:%M", "MM/DD/YYYY hh:mm")),
    (("%d/%m/%Y", "DD/MM/YYYY"), ("%m/%d/%Y", "MM/DD/YYYY")),
    (("%d.%m.%Y %H:%M:%S", "DD.MM.YYYY hh:mm:ss"),),
    (("%d.%m.%Y %H:%M", "DD.MM.YYYY hh:mm"),),
    (("%d.%m.%Y", "DD.MM.YYYY"),),
    (("%d %b %Y %H:%M:%S", "DD Mon YYYY hh:mm:ss"),),
    (("%d %b %Y", "DD Mon YYYY"),),
    (("%b %d %Y %H:%M:%S", "Mon DD YYYY hh:mm:ss"),),
)

_NS = pa.timestamp("ns", tz="UTC")
_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class ParsedTimes:
    """Result of :func:`parse_times`.

    ``ts`` is datetime64[ns, UTC] (NaT where missing or unreadable), ``missing`` marks values that
    were empty, ``offset_min`` the zone offset written in ISO strings (NaN where none was written),
    ``formats`` the formats that matched with their counts, most used first.
    """

    ts: pd.Series
    missing: np.ndarray
    offset_min: pd.Series
    formats: tuple[tuple[str, int], ...]
    naive: int = 0  # values read without a zone offset (taken as UTC)

    def describe(self) -> str:
        """The detected formats as one line of text, e.g. ``"ISO 8601 (27634)"``."""
        return ", ".join(f"{name} ({count})" for name, count in self.formats) or "none"


def _to_array(values: pa.Array | pa.ChunkedArray | pd.Series | np.ndarray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return pa.array(pd.Series(values).to_numpy(dtype=object, na_value=None), from_pandas=True)


def _integers(text: pa.Array) -> np.ndarray | None:
    """The values as int64 when every one is a whole number that fits, else None."""
    if pc.any(pc.match_substring(text, ".")).as_py():
        return None
    try:
        return np.asarray(pc.cast(text, pa.int64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _epoch(numbers: np.ndarray, exact: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """Epoch numbers -> int64 nanoseconds (``_NAT`` = unusable), unit chosen by the median magnitude.

    ``exact`` (the same numbers as int64, when they are whole) keeps millisecond epochs exact.
    """
    finite = np.abs(numbers[np.isfinite(numbers)])
    median = float(np.median(finite)) if finite.size else 0.0
    units = ((1e11, 1e9, "epoch seconds"), (1e14, 1e6, "epoch milliseconds"))
    units += ((1e17, 1e3, "epoch microseconds"), (np.inf, 1.0, "epoch nanoseconds"))
    factor, name = next((f, nm) for limit, f, nm in units if median < limit)
    # Clip before the cast: a wild clock must become an implausible time, not an overflow.
    scaled = np.clip(numbers * factor, -9.2e18, 9.2e18)
    usable = np.isfinite(scaled)
    ns = np.full(len(numbers), _NAT, dtype=np.int64)
    ns[usable] = scaled[usable].astype(np.int64)
    if exact is not None:
        safe = np.abs(numbers) * factor < 9.2e18
        ns[safe] = exact[safe] * int(factor)
    return ns, name


def parse_times(values: pa.Array | pa.ChunkedArray | pd.Series | np.ndarray) -> ParsedTimes:
    """Parse a column of event times to tz-aware UTC, trying each known format on the whole column.

    Parameters
    ----------
    values
        The raw column: strings, numbers (epoch) or timestamps (naive ones are taken as UTC).

    Returns
    -------
    ParsedTimes
        ``ts`` (NaT where empty or unreadable), the empty mask, offsets written in the strings,
        and the formats that matched.

    Examples
    --------
    >>> parse_times(pd.Series(["2012-04-03T18:00:09Z", "Tue Apr 03 18:00:09 +0000 2012"])).ts.nunique()
    1
    """
    arr = _to_array(values)
    n = len(arr)
    out = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    offset = np.full(n, np.nan)
    formats: list[tuple[str, int]] = []
    naive = 0

    if pa.types.is_timestamp(arr.type):
        naive_type = arr.type.tz is None
        if naive_type:
            arr = pc.assume_timezone(arr, "UTC")
        ts = pc.cast(arr, _NS)
        missing = np.asarray(pc.is_null(ts))
        formats.append(("timestamp", int(n - missing.sum())))
        naive = formats[-1][1] if naive_type else 0
        ns = np.asarray(ts.cast(pa.int64()).fill_null(_NAT))
        return _assemble(ns, missing, offset, formats, naive)
    if pa.types.is_date(arr.type):
        arr = pc.cast(pc.cast(arr, pa.timestamp("ns")), pa.string())
    if (
        pa.types.is_integer(arr.type)
        or pa.types.is_floating(arr.type)
        or pa.types.is_boolean(arr.type)
    ):
        nums = np.asarray(pc.cast(arr, pa.float64()).fill_null(np.nan), dtype=np.float64)
        missing = np.isnan(nums)
        out, name = _epoch(nums)
        ok = out != _NAT
        formats.append((name, int(ok.sum())))
        return _assemble(out, missing, offset, formats)

    text = pc.utf8_trim_whitespace(pc.cast(arr, pa.string()))
    missing = np.asarray(pc.or_kleene(pc.is_null(text), pc.equal(text, "")).fill_null(True))
    todo = ~missing

    # 0. the common case, every value an ISO time with a zone: one cast
    if (
        todo.all()
        and n
        and re.match(_ISO, text[0].as_py())
        and re.search(_ISO_ZONED, text[0].as_py())
    ):
        try:
            ns = np.asarray(pc.cast(text, _NS).cast(pa.int64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ns = None
        if ns is not None:
            not_z = np.flatnonzero(~np.asarray(pc.ends_with(text, "Z")))
            if not_z.size:
                offset[not_z] = _offsets(text.take(pa.array(not_z)))
            return _assemble(ns, missing, offset, [("ISO 8601", n)])

    # 1. numbers: epoch (or compact YYYYMMDD[hhmmss] dates)
    is_num = np.asarray(pc.match_substring_regex(text, _NUMBER).fill_null(False)) & todo
    if is_num.any():
        num_text = text.filter(pa.array(is_num))
        lengths = np.asarray(pc.utf8_length(num_text))
        compact = None
        for length, fmt, name in (
            (8, "%Y%m%d", "YYYYMMDD"),
            (14, "%Y%m%d%H%M%S", "YYYYMMDDhhmmss"),
        ):
            if (lengths == length).all():
                parsed = pc.strptime(num_text, format=fmt, unit="ns", error_is_null=True)
                if parsed.null_count == 0:
                    compact = (parsed, name)
        idx = np.flatnonzero(is_num)
        if compact is not None:
            out[idx] = np.asarray(compact[0].cast(pa.int64()))
            formats.append((compact[1], len(idx)))
            naive += len(idx)
        else:
            nums = np.asarray(pc.cast(num_text, pa.float64()), dtype=np.float64)
            ns, name = _epoch(nums, _integers(num_text))
            ok = ns != _NAT
            out[idx[ok]] = ns[ok]
            formats.append((name, int(ok.sum())))
        todo &= ~is_num

    # 2. ISO 8601
    is_iso = np.asarray(pc.match_substring_regex(text, _ISO).fill_null(False)) & todo
    if is_iso.any():
        idx = np.flatnonzero(is_iso)
        iso = pc.replace_substring_regex(text.take(pa.array(idx)), r"\s*(UTC|z)$", "Z")
        iso = pc.replace_substring(iso, ",", ".")
        zoned = np.asarray(pc.match_substring_regex(iso, _ISO_ZONED))
        ns = np.full(len(idx), _NAT, dtype=np.int64)
        for mask, target in ((zoned, _NS), (~zoned, pa.timestamp("ns"))):
            if mask.any():
                ns[mask] = _cast_iso(iso.filter(pa.array(mask)), target)
        ok = ns != _NAT
        out[idx[ok]] = ns[ok]
        formats.append(("ISO 8601", int(ok.sum())))
        naive += int((ok & ~zoned).sum())
        if zoned.any():
            not_z = np.flatnonzero(~np.asarray(pc.ends_with(iso, "Z")))
            offset[idx[not_z]] = _offsets(iso.take(pa.array(not_z)))
        todo[idx[ok]] = False

    # 3. log formats, each on what is still unread
    for group in _LOG_FORMATS:
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        rest = text.take(pa.array(idx))
        best: tuple[int, np.ndarray, str, bool] | None = None
        for fmt, name in group:
            parsed = pc.strptime(rest, format=fmt, unit="ns", error_is_null=True)
            count = len(parsed) - parsed.null_count
            if count and (best is None or count > best[0]):
                ns = np.asarray(parsed.cast(pa.int64()).fill_null(_NAT))
                best = (count, ns, name, "%z" not in fmt)
        if best is not None:
            count, ns, name, zoneless = best
            naive += count if zoneless else 0
            ok = ns != _NAT
            out[idx[ok]] = ns[ok]
            todo[idx[ok]] = False
            formats.append((name, count))
    return _assemble(out, missing, offset, formats, naive)


def _cast_iso(iso: pa.Array, target: pa.DataType) -> np.ndarray:
    """Cast ISO strings to int64 ns; where Arrow refuses the batch (e.g. month 13), fall back to
    pandas' vectorised ISO parser with errors coerced."""
    try:
        ts = pc.cast(iso, target)
        if target.tz is None:
            ts = pc.assume_timezone(ts, "UTC")
        return np.asarray(ts.cast(pa.int64()).fill_null(_NAT))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pd.to_datetime(
            pd.Series(iso.to_numpy(zero_copy_only=False)),
            format="ISO8601",
            utc=True,
            errors="coerce",
        )
        return parsed.astype("int64").to_numpy()  # NaT -> int64 min


def _offsets(iso: pa.Array) -> np.ndarray:
    """Minutes of the zone offset written at the end of ISO strings (NaN for ``Z`` or none)."""
    parts = pc.extract_regex(iso, _ISO_OFFSET)
    sign = np.where(np.asarray(pc.struct_field(parts, "sign").fill_null("+")) == "-", -1.0, 1.0)
    hh = pc.cast(pc.struct_field(parts, "hh"), pa.float64())
    mm = pc.cast(
        pc.if_else(pc.equal(pc.struct_field(parts, "mm"), ""), "0", pc.struct_field(parts, "mm")),
        pa.float64(),
    )
    minutes = np.asarray(pc.add(pc.multiply(hh, 60.0), mm).fill_null(np.nan), dtype=np.float64)
    return sign * minutes


def _assemble(
    ns: np.ndarray,
    missing: np.ndarray,
    offset: np.ndarray,
    formats: list[tuple[str, int]],
    naive: int = 0,
) -> ParsedTimes:
    ts = pd.Series(ns.view("datetime64[ns]")).dt.tz_localize("UTC")
    used = tuple(sorted(((name, c) for name, c in formats if c), key=lambda f: -f[1]))
    return ParsedTimes(
        ts=ts,
        missing=np.asarray(missing, dtype=bool),
        offset_min=pd.Series(offset),
        formats=used,
        naive=naive,
    )


def as_utc(value: object, name: str) -> pd.Timestamp:
    """One timestamp as a UTC ``pandas.Timestamp``: naive values are taken as UTC.

    Parameters
    ----------
    value
        Anything ``pandas.Timestamp`` reads (a string, ``datetime``, ``numpy.datetime64``, a
        Timestamp with or without a zone).
    name
        The argument's name, used in the error message.

    Returns
    -------
    pandas.Timestamp
        Zone-aware, in UTC.

    Raises
    ------
    InvalidInputError
        If ``value`` is not a readable timestamp (or is missing / NaT).

    Examples
    --------
    >>> as_utc("2026-02-01", "at")
    Timestamp('2026-02-01 00:00:00+0000', tz='UTC')
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInputError(
            f"{name}: expected a timestamp (e.g. '2026-02-01' or '2026-02-01T08:00:00Z'), "
            f"found {value!r}"
        ) from exc
    if pd.isna(stamp):
        raise InvalidInputError(
            f"{name}: expected a timestamp (e.g. '2026-02-01' or '2026-02-01T08:00:00Z'), "
            f"found {value!r}"
        )
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

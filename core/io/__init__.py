"""core.io: reading real logs and writing exports.

Public API (see each module): :func:`ingest` and :func:`sniff` with :class:`IngestSpec`,
:class:`IngestResult`, :class:`IngestReport`, :class:`Sniffed` (``core.io.ingest``); the field
names a mapping may use (``MAPPABLE`` for events, ``CATALOGUE_FIELDS`` for a catalogue,
``core.io.columns``); :func:`parse_times` and :func:`as_utc` (``core.io.timeparse``);
:func:`resolve_places` (``core.io.gazetteer``); exports (``core.io.export``).

A mapping is always (field -> column), a column being a name or a 0-based position.
"""

from core.io.columns import CATALOGUE_FIELDS, CATEGORY, MAPPABLE, PLACE, PRICE
from core.io.gazetteer import resolve_places
from core.io.ingest import IngestReport, IngestResult, IngestSpec, Sniffed, ingest, sniff
from core.io.reader import FORMATS, detect_encoding
from core.io.timeparse import ParsedTimes, as_utc, parse_times

__all__ = [
    "CATALOGUE_FIELDS",
    "CATEGORY",
    "FORMATS",
    "MAPPABLE",
    "PLACE",
    "PRICE",
    "IngestReport",
    "IngestResult",
    "IngestSpec",
    "ParsedTimes",
    "Sniffed",
    "as_utc",
    "detect_encoding",
    "ingest",
    "parse_times",
    "resolve_places",
    "sniff",
]

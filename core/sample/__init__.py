"""A deterministic generator of a realistic behaviour log with known ground truth, and the bundled
sample in ``assets/`` that it writes (``python -m core sample --out assets``).

``world`` holds what the generator draws from (topics, cities, rhythms, the funnel), ``generate``
plants the structure the truth describes, ``files`` writes and reads the bundled files.
"""

from core.sample.files import (
    ASSETS,
    BUNDLED_EVENTS,
    BUNDLED_ITEMS,
    BUNDLED_TRUTH,
    bundled_event_log,
    bundled_paths,
    bundled_truth,
    to_event_log,
    write,
)
from core.sample.generate import GroundTruth, SampleLog, SampleSpec, generate
from core.sample.world import CITIES, EMERGING_TOPIC, TOPICS

__all__ = [
    "ASSETS",
    "BUNDLED_EVENTS",
    "BUNDLED_ITEMS",
    "BUNDLED_TRUTH",
    "CITIES",
    "EMERGING_TOPIC",
    "TOPICS",
    "GroundTruth",
    "SampleLog",
    "SampleSpec",
    "bundled_event_log",
    "bundled_paths",
    "bundled_truth",
    "generate",
    "to_event_log",
    "write",
]

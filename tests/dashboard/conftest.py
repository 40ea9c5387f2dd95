"""Shared fixtures of the dashboard tests: a small upload (with an item catalogue) and AppTest helpers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from apptest_helpers import SmallUpload, make_small_upload

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def small_upload() -> SmallUpload:
    return make_small_upload()


@pytest.fixture(scope="session")
def small_dataset(small_upload: SmallUpload):
    """The small upload ingested, as the dashboard's session Dataset."""
    from core.io.ingest import ingest
    from dashboard.components.dataset import from_events

    result = ingest(small_upload.events_csv, items=small_upload.items_csv)
    return from_events("small upload.csv", result.events, result.rejected, result.report.to_dict())

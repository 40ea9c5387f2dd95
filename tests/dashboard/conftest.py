"""Shared fixtures of the dashboard tests: a small upload (with an item catalogue) and AppTest helpers."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

XSS_TITLE = "<img src=x onerror=alert(1)> ${alert(1)}"


@dataclass(frozen=True)
class SmallUpload:
    """A small generated event log written as CSV, with its catalogue."""

    events_csv: bytes
    items_csv: bytes
    xss_item: str


def make_small_upload(seed: int = 3, n_users: int = 120, n_items: int = 80) -> SmallUpload:
    """Events + catalogue CSVs from the sample generator; one item title is an XSS probe."""
    import io

    from core.sample import SampleSpec, generate

    sample = generate(
        SampleSpec(seed=seed, n_users=n_users, n_items=n_items, weeks=10, n_drifters=8, dirty=False)
    )
    items = sample.items_raw.copy()
    xss_item = str(items["item_id"].iloc[0])
    items.loc[items.index[0], "title"] = XSS_TITLE
    events = io.BytesIO()
    sample.events_raw.to_csv(events, index=False)
    catalogue = io.BytesIO()
    items.to_csv(catalogue, index=False)
    return SmallUpload(events.getvalue(), catalogue.getvalue(), xss_item)


@pytest.fixture(scope="session")
def small_upload() -> SmallUpload:
    return make_small_upload()


@pytest.fixture(scope="session")
def small_dataset(small_upload: SmallUpload):
    """The small upload ingested, as the dashboard's session Dataset."""
    from core.ingest import ingest
    from dashboard.components.dataset import from_events

    result = ingest(small_upload.events_csv, items=small_upload.items_csv)
    return from_events("small upload.csv", result.events, result.rejected, result.report.to_dict())

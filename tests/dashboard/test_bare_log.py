"""Every page copes with a bare log: only user, item and time (no text, places or event types)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, new_app


@pytest.fixture(scope="module")
def bare_dataset():
    from core.io.ingest import ingest
    from dashboard.components.dataset import from_events

    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame(
        {
            "uid": rng.integers(0, 80, n).astype(str),
            "sku": (rng.zipf(1.6, n) % 60).astype(str),
            "when": (
                pd.Timestamp("2025-01-06", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s")
            ).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    result = ingest(frame.to_csv(index=False).encode())
    return from_events("bare.csv", result.events, result.rejected, result.report.to_dict())


@pytest.mark.parametrize("page", ["data", "interests", "atlas_map", "users", "model"])
def test_page_renders_with_messages_instead_of_failures(bare_dataset, page: str) -> None:
    at = new_app(bare_dataset, page=page)
    assert_clean(at)
    assert "bare" in at.caption[0].value
    if page == "atlas_map":
        assert any("no locations" in i.value for i in at.info)
    if page == "interests":
        assert any("behaviour" in c.value for c in at.caption)  # says which vectors it used

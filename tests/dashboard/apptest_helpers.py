"""Helpers of the AppTest suites (imported by name: tests/dashboard is on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

APP = str(ROOT / "dashboard" / "app.py")
TIMEOUT = 600


def new_app(dataset: object | None = None, page: str | None = None):
    """An AppTest of the whole app (navigation included), optionally on ``dataset`` and ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if dataset is not None:
        at.session_state["atlas_dataset"] = dataset
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


def assert_clean(at) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def figure_specs(at) -> list[str]:
    """The JSON of every plotly chart on the page."""
    return [chart.proto.spec for chart in at.get("plotly_chart")]

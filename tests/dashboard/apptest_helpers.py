"""Helpers of the AppTest suites (imported by name: tests/dashboard is on sys.path)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

APP = str(ROOT / "dashboard" / "app.py")
TIMEOUT = 600
XSS_TITLE = "<img src=x onerror=alert(1)> ${alert(1)}"


@dataclass(frozen=True)
class SmallUpload:
    """A small generated event log written as CSV, with its catalogue."""

    events_csv: bytes
    items_csv: bytes
    xss_item: str


def make_small_upload(
    seed: int = 3, n_users: int = 120, n_items: int = 80, n_xss: int = 1
) -> SmallUpload:
    """Events + catalogue CSVs from the sample generator; the ``n_xss`` most used items get an
    XSS probe as their title."""
    import io

    from core.sample import SampleSpec, generate

    sample = generate(
        SampleSpec(seed=seed, n_users=n_users, n_items=n_items, weeks=10, n_drifters=8, dirty=False)
    )
    items = sample.items_raw.copy()
    popular = sample.events_raw["item_id"].value_counts().index[:n_xss].astype(str)
    xss_item = str(popular[0])
    probe = items["item_id"].astype(str).isin(popular)
    items.loc[probe, "title"] = XSS_TITLE + " " + items.loc[probe, "item_id"].astype(str)
    events = io.BytesIO()
    sample.events_raw.to_csv(events, index=False)
    catalogue = io.BytesIO()
    items.to_csv(catalogue, index=False)
    return SmallUpload(events.getvalue(), catalogue.getvalue(), xss_item)


def new_app(dataset: object | None = None, page: str | None = None):
    """An AppTest of the whole app (navigation included), optionally on ``dataset`` and ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if dataset is not None:
        at.session_state["atlas_dataset"] = dataset
    if page is not None:  # open straight on the page (the default page, the Overview, is heavier)
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

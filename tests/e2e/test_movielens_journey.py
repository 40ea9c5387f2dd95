"""MovieLens-100K as distributed, in a real browser: ``u.data`` (tab-separated, headerless) with the
headerless Latin-1 catalogue ``u.item`` mapped by position in both forms, topics named with real
titles; then a second file added on the Data page and the users' timelines extend."""

from __future__ import annotations

import re

import pytest
from apptest_helpers import _WORDS, make_movielens  # tests/dashboard/apptest_helpers.py
from e2e_helpers import dataset_caption, goto_page, open_select, settle

pytestmark = pytest.mark.e2e

EVENTS_BY_POSITION = {"user_id": "0", "item_id": "1", "weight": "2", "ts": "3"}
TIMELINE_END = """() => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
    p => ((p.layout && p.layout.title && p.layout.title.text) || '').includes('Interest timeline'));
  if (!plot) return null;
  const xs = plot.data.flatMap(t => Array.from(t.x || []).map(String));
  return xs.sort().at(-1);
}"""
CHART_TEXT = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .map(p => JSON.stringify(p.data)).join(' ')"""


def _pick(page, form, field: str, column: str, nth: int = 0) -> None:
    """Choose the headerless column ``column`` (shown as "3 · e.g. …") for ``field``."""
    box = form.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(field, exact=True)
    )
    open_select(page, box.nth(nth))
    page.get_by_role("option", name=re.compile(rf"^{column} · e\.g\. ")).first.click()


def _files(page, nth: int, name: str, data: bytes) -> None:
    inputs = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    inputs.nth(nth).set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )
    settle(page)


@pytest.fixture(scope="module")
def movielens():
    return make_movielens(seed=8)


@pytest.fixture(scope="module")
def page(server: str, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.goto(server)
    settle(page)
    goto_page(page, "Data")  # another page may be the default one
    yield page
    context.close()


def test_u_data_and_u_item_mapped_by_position_reach_topics_with_real_titles(
    page, movielens
) -> None:
    _files(page, 0, "u.data", movielens.u_data)
    _files(page, 1, "u.item", movielens.u_item)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "delimiter: tab" in text and "delimiter: pipe" in text and "header row: no" in text
    form = page.locator('[data-testid="stForm"]').first
    for field, column in EVENTS_BY_POSITION.items():
        _pick(page, form, field, column)
    _pick(page, form, "item_id", "0", nth=1)  # the catalogue's item_id, below the events' one
    texts = form.locator('[data-testid="stMultiSelect"]').filter(
        has=page.get_by_text("item_text", exact=True)
    )
    open_select(page, texts.first)
    page.get_by_role("option", name=re.compile(r"^1 · e\.g\. Café")).first.click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Load these events").click()
    page.wait_for_timeout(300)
    settle(page)
    assert "u.data" in dataset_caption(page)
    assert "1,600 events" in dataset_caption(page)

    goto_page(page, "Interests & trends")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    shown = page.evaluate(CHART_TEXT)  # the topic chart: labels and their top titles
    words = {w for group in _WORDS.values() for w in group}
    named = [w for w in words if w in shown]
    assert len(named) >= 4, f"topics without real titles: {shown[:400]}"
    assert not re.search(r"\b\d+ / \d+\b", shown)  # no topics named after bare ids


def test_a_second_file_extends_the_users_timelines(page, movielens) -> None:
    goto_page(page, "Users")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    before = page.evaluate(TIMELINE_END)
    assert before is not None

    goto_page(page, "Data")
    _files(page, 2, "u2.data", movielens.more)
    form = page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("button", name="Add these events")
    )
    for field, column in EVENTS_BY_POSITION.items():
        _pick(page, form, field, column)
    page.get_by_role("button", name="Add these events").click()
    page.wait_for_timeout(300)
    settle(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "events added" in text and "carried forward" in text
    assert "1 arrival(s)" in dataset_caption(page)

    goto_page(page, "Users")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    after = page.evaluate(TIMELINE_END)
    assert after is not None and after > before, (before, after)

"""Training shows progress and can be cancelled from the browser."""

from __future__ import annotations

import pytest
from e2e_helpers import settle

pytestmark = pytest.mark.e2e


def test_training_can_be_cancelled(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server}/model")
    # no need to wait for the preview model below the form: pressing Train reruns the page
    page.wait_for_selector('[data-testid="stFormSubmitButton"] button', timeout=180_000)
    page.get_by_text("Full: 2 layers", exact=False).click()  # minutes long: surely still running
    page.locator('[data-testid="stFormSubmitButton"] button').first.click()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=180_000)
    page.locator("button", has_text="Cancel training").click()
    settle(page)
    assert page.get_by_text("Training was cancelled").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()

"""Two browser sessions with different uploads never see each other's data."""

from __future__ import annotations

import pytest
from apptest_helpers import make_small_upload
from e2e_helpers import dataset_caption, goto_page, settle, upload

pytestmark = pytest.mark.e2e


def test_two_sessions_keep_their_own_uploads(server: str, browser) -> None:
    first = make_small_upload(seed=21, n_users=60, n_items=40)
    second = make_small_upload(seed=22, n_users=70, n_items=45)
    ctx_a, ctx_b = browser.new_context(), browser.new_context()
    a, b = ctx_a.new_page(), ctx_b.new_page()
    a.goto(f"{server}/data")
    settle(a)
    upload(a, ("alpha_events.csv", first.events_csv))
    assert "alpha" in dataset_caption(a)

    b.goto(f"{server}/data")
    settle(b)
    assert "bundled sample" in dataset_caption(b)  # B does not see A's upload
    upload(b, ("beta_events.csv", second.events_csv))
    assert "beta" in dataset_caption(b)

    # both sessions rerun (navigate) and still hold their own data
    goto_page(a, "Data")
    goto_page(b, "Data")
    caption_a, caption_b = dataset_caption(a), dataset_caption(b)
    assert "alpha" in caption_a and "beta" not in caption_a
    assert "beta" in caption_b and "alpha" not in caption_b
    assert "60 users" in caption_a and "70 users" in caption_b
    ctx_a.close()
    ctx_b.close()

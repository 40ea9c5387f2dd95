"""Users page: one user's timeline, drift, places, recommendations with reasons, history."""

from __future__ import annotations

import re

from apptest_helpers import assert_clean, new_app


def test_renders_on_the_sample_with_recommendations_and_reasons() -> None:
    at = new_app(page="users")
    assert_clean(at)
    assert at.subheader[0].value.startswith("User ")
    recs = at.dataframe[1].value if len(at.dataframe) > 2 else None
    assert recs is not None and {"reason", "score", "topic"} <= set(recs.columns)
    assert recs["reason"].str.len().min() > 0
    line = [m.value for m in at.markdown if m.value.startswith("**In a line:**")]
    assert len(line) == 1 and ("Mostly " in line[0] or "Mixed" in line[0]), line
    assert re.search(r"\(\d+ %\\?\)", line[0].replace("\\(", "(")), line  # "(60 %)", escaped


def test_search_picks_another_user(small_dataset) -> None:
    at = new_app(small_dataset, page="users")
    assert_clean(at)
    first = at.subheader[0].value
    at.radio(key="usr_mode").set_value("search")
    at.run()
    at.text_input(key="usr_text").input("u0001")
    at.run()
    assert_clean(at)
    assert at.subheader[0].value != first
    assert "u0001" in at.subheader[0].value


def test_recommendation_count_follows_the_slider(small_dataset) -> None:
    at = new_app(small_dataset, page="users")
    at.slider(key="usr_k").set_value(5)
    at.run()
    assert_clean(at)
    tables = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert len(tables) == 1 and len(tables[0]) == 5


def test_most_drifting_lists_users_with_their_change(small_dataset) -> None:
    at = new_app(small_dataset, page="users")
    at.radio(key="usr_mode").set_value("drift")
    at.run()
    assert_clean(at)
    pick = at.selectbox(key="usr_drift_pick")
    assert pick.options and "→" in pick.options[0]
    assert at.subheader[0].value == f"User {pick.value}"

"""Interests & trends page: renders on the sample and on an upload; filters change the charts."""

from __future__ import annotations

import pytest
from apptest_helpers import assert_clean, figure_specs, new_app

TABS = ("Topics", "Shares over time", "Hour of week", "Emerging & fading", "Forecast")


def open_tab(at, name: str) -> None:
    """Switch the page's tabs (only the open one is computed) and rerun."""
    at.session_state["flt_tab"] = name
    at.run()


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_renders_a_chart_on_the_bundled_sample(tab: str) -> None:
    at = new_app(page="interests")
    open_tab(at, tab)
    assert_clean(at)
    assert at.title[0].value == "Interests & trends"
    assert len(figure_specs(at)) >= 1
    assert any("topics" in c.value for c in at.caption)


def test_only_the_open_tab_is_drawn() -> None:
    at = new_app(page="interests")
    first = len(figure_specs(at))
    open_tab(at, "Shares over time")
    assert len(figure_specs(at)) == 2  # shares + activity, not the topic sizes chart
    assert first == 1


def test_period_and_topic_filters_change_the_shares_chart() -> None:
    at = new_app(page="interests")
    open_tab(at, "Shares over time")
    before = figure_specs(at)
    at.segmented_control(key="flt_trends_period").set_value("M")
    at.run()
    assert_clean(at)
    after_period = figure_specs(at)
    assert after_period != before
    first_topic = at.multiselect(key="flt_trends_topics").options[0]
    at.multiselect(key="flt_trends_topics").set_value([first_topic])
    at.run()
    assert_clean(at)
    assert figure_specs(at) != after_period


def test_renders_on_an_upload_with_escaped_titles(small_dataset) -> None:
    at = new_app(small_dataset, page="interests")
    for tab in TABS:
        open_tab(at, tab)
        assert_clean(at)
        assert "small upload" in at.caption[0].value
        for spec in figure_specs(at):
            assert "<img src=x" not in spec  # uploaded text reaches plotly escaped


def test_a_filter_change_recomputes_only_what_it_affects(monkeypatch) -> None:
    from core.spacetime import trends

    at = new_app(page="interests")
    open_tab(at, "Hour of week")
    calls = {"period_counts": 0, "hour_of_week": 0}
    for name in calls:
        original = getattr(trends, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(trends, name, counting)
    box = at.selectbox(key="flt_how_topic")
    first, topic = box.value, box.options[-1]  # a topic no other test asks for
    box.set_value(topic)
    at.run()
    assert_clean(at)
    assert calls == {"period_counts": 0, "hour_of_week": 1}
    at.selectbox(key="flt_how_topic").set_value(first)
    at.run()
    assert calls == {"period_counts": 0, "hour_of_week": 1}  # back: served from the cache

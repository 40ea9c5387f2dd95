"""Interests & trends page: renders on the sample and on an upload; filters change the charts."""

from __future__ import annotations

from apptest_helpers import assert_clean, figure_specs, new_app


def test_renders_every_tab_on_the_bundled_sample() -> None:
    at = new_app(page="interests")
    assert_clean(at)
    assert at.title[0].value == "Interests & trends"
    assert len(at.tabs) == 5
    assert len(figure_specs(at)) >= 5  # topics, shares, activity, hour of week, emerging, forecast
    assert any("topics" in c.value for c in at.caption)


def test_period_and_topic_filters_change_the_shares_chart() -> None:
    at = new_app(page="interests")
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
    assert_clean(at)
    assert "small upload" in at.caption[0].value
    for spec in figure_specs(at):
        assert "<img src=x" not in spec  # uploaded text reaches plotly escaped


def test_a_filter_change_recomputes_only_what_it_affects(monkeypatch) -> None:
    from core import trends

    at = new_app(page="interests")
    calls = {"period_counts": 0, "hour_of_week": 0}
    for name in calls:
        original = getattr(trends, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(trends, name, counting)
    topic = at.selectbox(key="flt_how_topic").options[-1]  # not used by the other tests
    at.selectbox(key="flt_how_topic").set_value(topic)
    at.run()
    assert_clean(at)
    assert calls == {"period_counts": 0, "hour_of_week": 1}  # the shares chart came from the cache

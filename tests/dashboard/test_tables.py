"""Labels and tables for people: items sharing a title stay apart, times are readable."""

from __future__ import annotations

import pandas as pd

from dashboard.components.tables import distinct_labels, readable, short_id


def test_items_sharing_a_title_get_a_short_id() -> None:
    titles = pd.Series(["Tim Hortons", "Tim Hortons", "Central Park", None])
    ids = pd.Series(["4b5e1234567890abcdef9a1c", "4b5e1234567890abcdef7777", "p3", "p4"])
    assert distinct_labels(titles, ids).tolist() == [
        "Tim Hortons · #4b5e…9a1c",
        "Tim Hortons · #4b5e…7777",
        "Central Park",
        "p4",  # no title: the id
    ]


def test_places_tell_them_apart_when_each_item_has_its_own() -> None:
    titles = pd.Series(["Tim Hortons", "Tim Hortons", "Zoo"])
    ids = pd.Series(["a", "b", "c"])
    assert distinct_labels(titles, ids, pd.Series(["Midtown", "SoHo", "Bronx"])).tolist() == [
        "Tim Hortons · Midtown",
        "Tim Hortons · SoHo",
        "Zoo",
    ]
    # one place shared by both: the ids tell them apart
    same = distinct_labels(titles, ids, pd.Series(["Midtown", "Midtown", "Bronx"]))
    assert same.tolist() == ["Tim Hortons · #a", "Tim Hortons · #b", "Zoo"]


def test_the_same_item_twice_keeps_its_plain_title() -> None:
    out = distinct_labels(pd.Series(["Zoo", "Zoo"]), pd.Series(["c", "c"]))
    assert out.tolist() == ["Zoo", "Zoo"]


def test_colliding_short_ids_fall_back_to_the_whole_id() -> None:
    ids = pd.Series(["abcd-first-9999", "abcd-other-9999"])  # same first 4 and last 4
    assert short_id(ids[0]) == short_id(ids[1]) == "#abcd…9999"
    out = distinct_labels(pd.Series(["X", "X"]), ids)
    assert out.tolist() == ["X · #abcd-first-9999", "X · #abcd-other-9999"]


def test_timestamps_become_dates_or_minutes() -> None:
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-04-27", "2026-04-28"], utc=True),
            "at": pd.to_datetime(["2026-04-27 13:05:09", None], utc=True),
            "n": [1, 2],
        }
    )
    out = readable(frame)
    assert out["day"].tolist() == ["2026-04-27", "2026-04-28"]
    assert out["at"].tolist() == ["2026-04-27 13:05", ""]
    assert out["n"].tolist() == [1, 2] and frame["day"].dtype != object  # a copy

"""One-line interest profiles: wording worked out by hand from shares and drift."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.interests.profile import interest_profiles


def _shares() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e"],
            "n_events": [5, 3, 4, 0, 2],
            "weight": [1.0, 1.0, 1.0, 0.0, 1.0],
            "share:music > jazz · vinyl": [0.62, 0.40, 0.90, 0.0, 0.34],
            "share:coffee · beans": [0.20, 0.35, 0.06, 0.0, 0.33],
            "share:running · shoes": [0.18, 0.25, 0.04, 0.0, 0.33],
        }
    )


def test_profiles_by_hand() -> None:
    ranking = pd.DataFrame(
        {
            "user_id": ["a", "c"],
            "drift": [0.8, 0.2],
            "from_topic": ["running · shoes", "coffee · beans"],
            "to_topic": ["music > jazz · vinyl", "music > jazz · vinyl"],
            "change_ts": pd.to_datetime(["2026-05-14", "2026-03-01"], utc=True),
        }
    )
    got = interest_profiles(_shares(), ranking)
    assert got["a"] == (
        "Mostly jazz (62 %) and coffee (20 %); moved from running to jazz in May 2026"
    )
    assert got["b"] == "Mixed: jazz (40 %), coffee (35 %)"
    assert got["c"] == "Mostly jazz (90 %)"  # coffee 6 % is below 10 %; drift 0.2 below 0.3
    assert got["d"] == "No interests yet"
    assert got["e"] == "Mixed: jazz (34 %), coffee (33 %)"  # a tie keeps label order
    assert list(got.index) == ["a", "b", "c", "d", "e"]


def test_without_ranking_and_bad_input() -> None:
    assert interest_profiles(_shares())["a"] == "Mostly jazz (62 %) and coffee (20 %)"
    with pytest.raises(InvalidInputError, match="shares: expected user_id and share:<label>"):
        interest_profiles(pd.DataFrame({"user_id": ["a"], "jazz": [1.0]}))
    with pytest.raises(InvalidInputError, match=r"ranking: expected the output of drift_ranking"):
        interest_profiles(_shares(), pd.DataFrame({"user_id": ["a"], "drift": [0.5]}))

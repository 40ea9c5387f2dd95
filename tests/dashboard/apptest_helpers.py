"""Helpers of the AppTest suites (imported by name: tests/dashboard is on sys.path)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

APP = str(ROOT / "dashboard" / "app.py")
TIMEOUT = 600
XSS_TITLE = "<img src=x onerror=alert(1)> ${alert(1)}"


@dataclass(frozen=True)
class SmallUpload:
    """A small generated event log written as CSV, with its catalogue."""

    events_csv: bytes
    items_csv: bytes
    xss_item: str


def make_small_upload(
    seed: int = 3, n_users: int = 120, n_items: int = 80, n_xss: int = 1
) -> SmallUpload:
    """Events + catalogue CSVs from the sample generator; the ``n_xss`` most used items get an
    XSS probe as their title."""
    import io

    from core.sample import SampleSpec, generate

    sample = generate(
        SampleSpec(seed=seed, n_users=n_users, n_items=n_items, weeks=10, n_drifters=8, dirty=False)
    )
    items = sample.items_raw.copy()
    popular = sample.events_raw["item_id"].value_counts().index[:n_xss].astype(str)
    xss_item = str(popular[0])
    probe = items["item_id"].astype(str).isin(popular)
    items.loc[probe, "title"] = XSS_TITLE + " " + items.loc[probe, "item_id"].astype(str)
    events = io.BytesIO()
    sample.events_raw.to_csv(events, index=False)
    catalogue = io.BytesIO()
    items.to_csv(catalogue, index=False)
    return SmallUpload(events.getvalue(), catalogue.getvalue(), xss_item)


def new_app(dataset: object | None = None, page: str | None = None):
    """An AppTest of the whole app (navigation included), optionally on ``dataset`` and ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if dataset is not None:
        at.session_state["atlas_dataset"] = dataset
    if page is not None:  # open straight on the page (the default page, the Overview, is heavier)
        at.switch_page(f"views/{page}.py")
    at.run()
    return at


def assert_clean(at) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def figure_specs(at) -> list[str]:
    """The JSON of every plotly chart on the page."""
    return [chart.proto.spec for chart in at.get("plotly_chart")]


GENRES = ("Sci-Fi", "Romance", "Crime", "Comedy")
_WORDS = {
    "Sci-Fi": ("Star", "Galaxy", "Robot", "Planet", "Alien", "Orbit"),
    "Romance": ("Love", "Wedding", "Heart", "Kiss", "Paris", "Bride"),
    "Crime": ("Murder", "Detective", "Heist", "Gangster", "Alibi", "Police"),
    "Comedy": ("Laugh", "Funny", "Crazy", "Party", "Joke", "Silly"),
}


@dataclass(frozen=True)
class MovieLens:
    """MovieLens-100K shapes: ``u_data`` (tab-separated, headerless: user item rating epoch),
    ``u_item`` (pipe-separated, Latin-1, headerless: id|title|date||url|19 genre flags),
    ``more`` (the same users rating again, the two weeks after ``u_data``), ``titles``."""

    u_data: bytes
    u_item: bytes
    more: bytes
    titles: dict[str, str]


def make_movielens(
    seed: int = 5, n_users: int = 40, n_items: int = 48, n_ratings: int = 1600
) -> MovieLens:
    """Generated MovieLens-100K-shaped files: each user prefers one genre (switching half-way
    for a quarter of them); titles are made of genre words, one with a Latin-1 accent."""
    import numpy as np

    rng = np.random.default_rng(seed)
    genre_of = np.arange(n_items) % len(GENRES)
    titles: dict[str, str] = {}
    lines = []
    for i in range(n_items):
        g = GENRES[genre_of[i]]
        words = rng.choice(_WORDS[g], 2, replace=False)
        title = f"{words[0]} {words[1]} {i} ({1990 + i % 8})"
        if i == 0:
            title = f"Café {title}"
        titles[str(i + 1)] = title
        flags = ["0"] * 19
        flags[1 + genre_of[i]] = "1"
        lines.append(
            f"{i + 1}|{title}|01-Jan-{1990 + i % 8}||http://us.imdb.com/M/title-exact?x{i}|"
            + "|".join(flags)
        )
    u_item = ("\n".join(lines) + "\n").encode("latin-1")

    def ratings(n: int, start: int, days: int, late: bool) -> bytes:
        users = rng.integers(1, n_users + 1, n)
        ts = start + rng.integers(0, days * 86400, n)
        likes = users % len(GENRES)
        switch = (users % 4 == 0) & ((ts - 874_724_710) > 35 * 86400 if not late else True)
        likes = np.where(switch, (likes + 1) % len(GENRES), likes)
        pick = np.where(rng.random(n) < 0.85, likes, rng.integers(0, len(GENRES), n))
        item = np.array([rng.choice(np.flatnonzero(genre_of == g)) + 1 for g in pick])
        rating = rng.integers(3, 6, n)
        rows = [f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in zip(users, item, rating, ts, strict=True)]
        return ("\n".join(rows) + "\n").encode()

    start = 874_724_710  # 1997-09-20, when MovieLens-100K begins
    u_data = ratings(n_ratings, start, 70, late=False)
    more = ratings(n_ratings // 5, start + 70 * 86400, 14, late=True)
    return MovieLens(u_data, u_item, more, titles)

"""Tiny hand-built EventLogs shared by the recsys tests."""

import numpy as np
import pandas as pd

from core.recsys.train import TrainSpec
from core.schema import conform

TINY = TrainSpec(
    d_model=16,
    n_heads=1,
    n_layers=1,
    dropout=0.0,
    epochs=12,
    lr=1e-2,
    warmup_steps=0,
    batch_size=16,
    max_len=8,
    patience=12,
)


def cycle_items(rng: np.random.Generator, n_users: int, n_items: int, length: int) -> np.ndarray:
    """(n_users, length) item numbers: each user walks 0 -> 1 -> ... (mod n_items) from a random
    start."""
    start = rng.integers(0, n_items, n_users)
    return (start[:, None] + np.arange(length)[None, :]) % n_items


def walk_log(items: np.ndarray, step_s: int = 18000, id_width: int = 1, **columns) -> pd.DataFrame:
    """User ``u{k}`` visits items ``i{items[k, 0]}``, ``i{items[k, 1]}``, ... ``step_s`` seconds
    apart, starting ``7 k`` seconds after 2026-01-01 UTC. ``columns`` are extra columns: a value, or
    a callable of the flat item numbers."""
    n_users, length = items.shape
    flat = items.ravel()
    user = np.repeat(np.arange(n_users), length)
    step = np.tile(np.arange(length), n_users)
    ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(user * 7 + step * step_s, unit="s")
    frame = pd.DataFrame(
        {
            "user_id": "u" + pd.Series(user).astype(str),
            "item_id": "i" + pd.Series(flat).astype(str).str.zfill(id_width),
            "ts": ts,
        }
    )
    for name, value in columns.items():
        frame[name] = value(flat) if callable(value) else value
    return conform(frame)


def item_titles(items: np.ndarray) -> pd.Series:
    return "title " + pd.Series(items).astype(str)


def cycle_log(n_users: int = 60, n_items: int = 12, length: int = 7, seed: int = 0) -> pd.DataFrame:
    """Every user walks the cycle i0 -> i1 -> ... from a random start: a pure sequential habit."""
    items = cycle_items(np.random.default_rng(seed), n_users, n_items, length)
    return walk_log(
        items, event=lambda i: np.where(i % 3 == 0, "purchase", "view"), item_text=item_titles
    )


def hand_log() -> pd.DataFrame:
    t = pd.Timestamp("2026-01-05 10:00", tz="UTC")
    rows = [
        ("a", "A", 0, "view"),
        ("a", "A", 30, "cart"),  # same item right after: one step with the view
        ("a", "B", 90, "view"),
        ("a", "A", 200, "purchase"),  # A again, not consecutive: a new step
        ("a", "C", 400, "view"),
        ("b", "C", 50, "view"),
        ("b", "B", 60, "view"),
    ]
    return conform(
        pd.DataFrame(
            {
                "user_id": [r[0] for r in rows],
                "item_id": [r[1] for r in rows],
                "ts": [t + pd.Timedelta(seconds=r[2]) for r in rows],
                "event": [r[3] for r in rows],
                "tz_offset_min": 60.0,
            }
        )
    )

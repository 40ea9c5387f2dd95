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
    batch_size=16,
    max_len=8,
    patience=12,
)


def cycle_log(n_users: int = 60, n_items: int = 12, length: int = 7, seed: int = 0) -> pd.DataFrame:
    """Every user walks the cycle i0 -> i1 -> ... from a random start: a pure sequential habit."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, n_items, n_users)
    items = ((start[:, None] + np.arange(length)[None, :]) % n_items).ravel()
    user = np.repeat(np.arange(n_users), length)
    step = np.tile(np.arange(length), n_users)
    ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(user * 7 + step * 18000, unit="s")
    return conform(
        pd.DataFrame(
            {
                "user_id": "u" + pd.Series(user).astype(str),
                "item_id": "i" + pd.Series(items).astype(str),
                "ts": ts,
                "event": np.where(items % 3 == 0, "purchase", "view"),
                "item_text": "title " + pd.Series(items).astype(str),
            }
        )
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

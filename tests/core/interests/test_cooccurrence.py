"""Behaviour vectors: co-occurrence counts by hand, and items used together end up close."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError
from core.interests.cooccurrence import behaviour_vectors, cooccurrence_pairs
from core.schema import conform


def _log(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "minute"])
    frame["ts"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(frame["minute"], "min")
    return conform(frame.drop(columns="minute"))


def test_pair_counts_match_hand_count() -> None:
    # user a: x y z (in time order, rows shuffled); user b: y x
    ev = _log([("a", "y", 2), ("a", "x", 1), ("b", "y", 1), ("a", "z", 3), ("b", "x", 2)])
    rows, cols, counts, n = cooccurrence_pairs(ev, window=2)
    got = {(int(r), int(c)): float(v) for r, c, v in zip(rows, cols, counts, strict=True)}
    x, y, z = 0, 1, 2  # category order
    # a: x-y at distance 1, y-z at 1, x-z at 2 (counts 1/2); b: y-x at 1.
    expected = {(x, y): 2.0, (y, z): 1.0, (x, z): 0.5}
    expected |= {(b, a): v for (a, b), v in expected.items()}
    assert n == 3 and got == expected


def test_items_used_together_are_close() -> None:
    rng = np.random.default_rng(0)
    groups = [["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]]
    rows = []
    for u in range(60):  # build a tiny fixture: users stick to one group
        g = groups[u % 2]
        for m, it in enumerate(rng.choice(g, size=6)):
            rows.append((f"u{u}", str(it), m))
    ev = _log(rows)
    bv = behaviour_vectors(ev, dim=4)
    ids = list(bv.item_ids)
    sim = bv.vectors @ bv.vectors.T
    same = sim[ids.index("a1"), ids.index("a2")]
    cross = sim[ids.index("a1"), ids.index("b1")]
    assert float(same) > float(cross) + 0.5
    torch.testing.assert_close(bv.vectors.norm(dim=1), torch.ones(len(ids)))


def test_item_without_cooccurrence_still_gets_a_unit_vector() -> None:
    ev = _log([("a", "x", 1), ("a", "y", 2), ("b", "lonely", 1)])
    bv = behaviour_vectors(ev, dim=2)
    assert bv.no_signal == 1
    torch.testing.assert_close(bv.vectors.norm(dim=1), torch.ones(3))


def test_rejects_bad_window() -> None:
    ev = _log([("a", "x", 1)])
    with pytest.raises(InvalidInputError, match="window must be >= 1: got 0"):
        behaviour_vectors(ev, window=0)

"""The encoder adapted to the log: pairs, loss, planted structure, cache and cancel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError
from core.interests.cooccurrence import cooccurrence_pairs
from core.interests.finetune import (
    FinetuneSpec,
    adapt,
    co_engaged_pairs,
    pair_recall,
    training_mask,
)
from core.schema import conform

N_ITEMS = 40


def _planted() -> tuple[pd.DataFrame, torch.Tensor]:
    """Items 2k and 2k+1 are always engaged together by the same user minutes apart; their
    "text" vectors are random (unrelated), so only the log can tell they belong together."""
    rng = np.random.default_rng(0)
    users, items, ts = [], [], []
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    for u in range(200):  # test data built by hand-written rules, not the code under test
        for s in range(6):
            k = int(rng.integers(0, N_ITEMS // 2))
            base = t0 + pd.Timedelta(days=7 * s + int(rng.integers(0, 3)))
            users += [f"u{u}", f"u{u}"]
            items += [f"i{2 * k:02d}", f"i{2 * k + 1:02d}"]
            ts += [base, base + pd.Timedelta(minutes=5)]
    ev = conform(pd.DataFrame({"user_id": users, "item_id": items, "ts": ts}))
    x = torch.nn.functional.normalize(
        torch.randn(N_ITEMS, 16, generator=torch.Generator().manual_seed(1)), dim=1
    )
    return ev, x


SPEC = FinetuneSpec(rank=8, epochs=8, steps_per_epoch=10, batch_size=16, lr=3e-2, temperature=0.1)


def _texts() -> tuple[str, ...]:
    return tuple(f"item {i}" for i in range(N_ITEMS))


def test_time_gap_keeps_only_close_events() -> None:
    ev = conform(
        pd.DataFrame(
            {
                "user_id": ["a", "a", "a"],
                "item_id": ["x", "y", "z"],
                "ts": pd.to_datetime(
                    ["2026-01-01 00:00", "2026-01-01 00:30", "2026-01-03 00:00"], utc=True
                ),
            }
        )
    )
    rows, cols, counts, _ = cooccurrence_pairs(ev, window=5, max_gap_seconds=3600)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (1, 0)]  # x-y only
    assert counts.tolist() == [1.0, 1.0]
    with pytest.raises(InvalidInputError, match="max_gap_seconds: expected >= 0"):
        cooccurrence_pairs(ev, max_gap_seconds=-1)


def test_training_mask_holds_out_the_last_two_steps() -> None:
    ev = conform(
        pd.DataFrame(
            {
                "user_id": ["a"] * 5 + ["b"] * 2,
                "item_id": ["p", "p", "q", "r", "s", "p", "q"],  # a: steps p, q, r, s
                "ts": pd.date_range("2026-01-01", periods=7, freq="h", tz="UTC"),
            }
        )
    )
    # a's validation step is r (4th event): p, p, q train; b has 2 steps: all train
    assert training_mask(ev).tolist() == [True, True, True, False, False, True, True]


def test_training_mask_matches_the_recsys_protocol() -> None:
    from core.recsys.newitems import training_events

    ev, _ = _planted()
    np.testing.assert_array_equal(training_mask(ev), training_events(ev))


def test_pairs_split_into_training_and_held_out() -> None:
    ev, _ = _planted()
    a, b, counts, ha, hb = co_engaged_pairs(ev, SPEC, training_mask(ev))
    assert (a < b).all() and (counts > 0).all()
    assert set(((b - a) == 1) & (a % 2 == 0)) == {True}  # only planted partners within 5 minutes
    assert len(ha) > 0 and set(np.abs(ha - hb)) == {1}


def test_loss_decreases_and_planted_pairs_come_closer(tmp_path) -> None:
    ev, x = _planted()
    seen: list[float] = []
    ad = adapt(ev, x, _texts(), "m", SPEC, tmp_path, lambda e, loss, eta: seen.append(loss))
    assert len(seen) == SPEC.epochs and seen[-1] < seen[0] - 0.2
    z = ad.apply(x)
    even = torch.arange(0, N_ITEMS, 2)
    frozen_cos = (x[even] * x[even + 1]).sum(1).mean()
    adapted_cos = (z[even] * z[even + 1]).sum(1).mean()
    assert adapted_cos > frozen_cos + 0.3
    assert ad.recall_adapted > ad.recall_frozen + 0.3
    assert torch.allclose(z.norm(dim=1), torch.ones(N_ITEMS), atol=1e-5)


def test_pair_recall_by_hand() -> None:
    v = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    # nearest of 0 is 1, nearest of 2 is 3
    assert pair_recall(v, np.array([0, 2, 0]), np.array([1, 3, 3]), k=1) == pytest.approx(2 / 3)
    assert np.isnan(pair_recall(v, np.array([], int), np.array([], int)))


def test_second_call_reads_the_cache(tmp_path) -> None:
    ev, x = _planted()
    first = adapt(ev, x, _texts(), "m", SPEC, tmp_path)
    calls: list[int] = []
    second = adapt(ev, x, _texts(), "m", SPEC, tmp_path, lambda e, loss, eta: calls.append(e))
    assert not first.from_cache and second.from_cache and calls == []
    assert torch.equal(first.u, second.u) and torch.equal(first.v, second.v)
    assert second.recall_adapted == first.recall_adapted
    assert len(list((tmp_path / "adapters").glob("*.safetensors"))) == 1
    other = adapt(ev, x, _texts(), "other-model", SPEC, tmp_path)  # the encoder is in the key
    assert not other.from_cache


def test_cancel_stops_early_and_caches_nothing(tmp_path) -> None:
    ev, x = _planted()
    ad = adapt(ev, x, _texts(), "m", SPEC, tmp_path, lambda e, loss, eta: e < 2)
    assert ad.stopped == "cancelled" and len(ad.history) == 2
    assert not (tmp_path / "adapters").exists()
    again = adapt(ev, x, _texts(), "m", SPEC, tmp_path)
    assert not again.from_cache and again.stopped == "epochs" and len(again.history) == SPEC.epochs


def test_invalid_inputs_say_what_was_expected() -> None:
    ev, x = _planted()
    with pytest.raises(InvalidInputError, match="rank: expected >= 1, found 0"):
        adapt(ev, x, _texts(), "m", FinetuneSpec(rank=0))
    with pytest.raises(InvalidInputError, match="text_vectors: expected 40 rows"):
        adapt(ev, x[:5], _texts(), "m", SPEC)
    lonely = conform(
        pd.DataFrame(
            {
                "user_id": ["a", "b"],
                "item_id": ["x", "y"],
                "ts": pd.date_range("2026-01-01", periods=2, tz="UTC"),
            }
        )
    )
    with pytest.raises(InvalidInputError, match="found no such pair"):
        adapt(lonely, x[:2], ("x", "y"), "m", SPEC)


def test_the_analysis_spec_reads_its_finetune_spec_back_from_json() -> None:
    import json
    from dataclasses import asdict

    from core.atlas import AnalysisSpec

    spec = AnalysisSpec(finetune=FinetuneSpec(rank=8))
    back = AnalysisSpec(**json.loads(json.dumps(asdict(spec))))
    assert back == spec and hash(back) == hash(spec)
    assert back.embedding.finetune == FinetuneSpec(rank=8)
    assert AnalysisSpec().embedding.finetune is None

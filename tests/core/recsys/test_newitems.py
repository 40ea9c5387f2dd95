import numpy as np
import pandas as pd
import pytest
import torch
from recsys_logs import TINY, cycle_items, hand_log, walk_log

from core.errors import InvalidInputError
from core.recsys import newitems
from core.recsys.evaluate import ID_ONLY_MODEL, SEQUENCE_MODEL
from core.schema import conform


def test_pick_new_items_is_a_seeded_tenth_in_catalogue_order():
    items = [f"i{j:02d}" for j in range(40)]
    a = newitems.pick_new_items(items, 0.1, seed=1)
    assert len(a) == 4 and list(a) == sorted(a) and set(a) <= set(items)
    assert a == newitems.pick_new_items(items, 0.1, seed=1)
    assert a != newitems.pick_new_items(items, 0.1, seed=2)
    with pytest.raises(InvalidInputError, match="share: expected a fraction in"):
        newitems.pick_new_items(items, 1.5)


def test_only_training_events_on_new_items_are_removed():
    # user a: steps A (0 s view, 30 s cart), B (90 s), A (200 s, validation), C (400 s, test);
    # user b: C, B (fewer than 3 steps: everything trains). New item A: a's first two events go,
    # the validation step on A stays.
    events = hand_log()
    split = newitems.without_training_interactions(events, ["A"])
    assert split.n_removed == 2 and split.items == ("A",)
    kept = split.events.assign(item=lambda f: f["item_id"].astype(str))
    assert kept.groupby(kept["user_id"].astype(str))["item"].agg(list).to_dict() == {
        "a": ["B", "A", "C"],
        "b": ["C", "B"],
    }
    # user b's B is a training event (b only trains); a's B at 90 s too
    assert newitems.without_training_interactions(events, ["B"]).n_removed == 2


def twin_cycles(n_users: int = 80, length: int = 8, seed: int = 0) -> pd.DataFrame:
    """Users walk positions 0 -> 1 -> ... -> 5 -> 0; at each position they pick item k or its twin
    k + 6 at random, and twins share a text: the twin of a new item tells where the new item fits."""
    rng = np.random.default_rng(seed)
    pos = cycle_items(rng, n_users, 6, length)
    return walk_log(pos + 6 * rng.integers(0, 2, (n_users, length)), id_width=2, event="view")


def test_text_initialisation_ranks_new_items_better_than_ids_alone():
    events = twin_cycles()
    ids = [f"i{k:02d}" for k in range(12)]
    base = torch.nn.functional.normalize(
        torch.randn(6, 8, generator=torch.Generator().manual_seed(0)), dim=1
    )
    vecs = torch.cat([base, base])  # item k and k + 6 share their vector
    spec = TINY.__class__(
        **{**TINY.__dict__, "epochs": 15, "patience": 15, "use_event_type": False}
    )
    report = newitems.new_item_report(events, vecs, ids, spec, share=0.1, seed=0)
    assert set(report["segment"]) == {"all", newitems.NEW_ITEMS}
    new = report[report["segment"] == newitems.NEW_ITEMS].set_index("model")
    assert {SEQUENCE_MODEL, ID_ONLY_MODEL, "most popular", "LM interest (cosine)"} <= set(new.index)
    assert new["n_users"].nunique() == 1 and new["n_users"].iloc[0] > 0
    assert "new-item split: 1 of 12 items" in new.loc[SEQUENCE_MODEL, "protocol"]
    # the new item i10 is ranked by its twin's text: above the ID-only model's blind guess
    assert new.loc[SEQUENCE_MODEL, "NDCG@10"] > new.loc[ID_ONLY_MODEL, "NDCG@10"] + 0.05


def test_the_adapted_encoder_rows_come_from_vectors_of_the_reduced_log():
    events = twin_cycles()
    ids = [f"i{k:02d}" for k in range(12)]
    base = torch.nn.functional.normalize(
        torch.randn(6, 8, generator=torch.Generator().manual_seed(0)), dim=1
    )
    vecs = torch.cat([base, base])
    spec = TINY.__class__(**{**TINY.__dict__, "epochs": 3, "use_event_type": False})
    given: list[pd.DataFrame] = []

    def adapted(log: pd.DataFrame) -> torch.Tensor:
        given.append(log)
        return vecs.flip(1)  # any other vectors, one row per item

    report = newitems.new_item_report(events, vecs, ids, spec, adapted=adapted)
    # the adapter saw the log without the new item's training events, never the whole log
    split = newitems.without_training_interactions(events, newitems.pick_new_items(ids))
    assert len(given) == 1 and len(given[0]) == len(split.events) < len(events)
    for segment in ("all", newitems.NEW_ITEMS):
        names = set(report.loc[report["segment"] == segment, "model"])
        assert {SEQUENCE_MODEL, ID_ONLY_MODEL, newitems.ADAPTED_MODEL} <= names
        assert "LM interest (adapted encoder)" in names and "LM interest (cosine)" in names
    assert newitems.new_item_report(events, vecs, ids, spec, adapted=lambda log: None).empty


def test_a_user_the_removal_leaves_with_two_steps_keeps_no_new_item_event():
    # c: N (train), B (validation), N2 (test), both N new. N goes; c is left with B, N2: two
    # steps, which only train, so N2 must go too. d (4 steps) keeps its test step on N2.
    t = pd.Timestamp("2026-01-05", tz="UTC")
    rows = [("c", "N", 0), ("c", "B", 60), ("c", "N2", 120)]
    rows += [("d", "B", 0), ("d", "C", 60), ("d", "B", 120), ("d", "N2", 180)]
    events = conform(
        pd.DataFrame(
            {
                "user_id": [r[0] for r in rows],
                "item_id": [r[1] for r in rows],
                "ts": [t + pd.Timedelta(seconds=r[2]) for r in rows],
            }
        )
    )
    split = newitems.without_training_interactions(events, ["N", "N2"])
    kept = split.events.sort_values(["user_id", "ts"])
    pairs = list(zip(kept["user_id"].astype(str), kept["item_id"].astype(str), strict=True))
    assert pairs == [("c", "B"), ("d", "B"), ("d", "C"), ("d", "B"), ("d", "N2")]
    assert split.n_removed == 2

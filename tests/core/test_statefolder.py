"""The interest-state folder round-trips, and ``interests NEW --update DIR`` folds a new file into it
with the same interests as a full run over both files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main
from core.errors import InvalidInputError
from core.statefolder import open_state


def _frame(seed: int, start: str, days: float, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_id": rng.choice([f"u{j}" for j in range(20)], n),
            "item_id": rng.choice([f"i{j}" for j in range(15)], n),
            "timestamp": (
                pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
            ).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "event": rng.choice(["view", "click", "purchase"], n),
        }
    )


def test_update_folds_a_new_file_into_the_saved_state(tmp_path, capsys) -> None:
    first, day = _frame(0, "2026-02-02", 40, 400), _frame(1, "2026-03-14", 1, 50)
    day = pd.concat([day, first.tail(3)], ignore_index=True)  # three rows the log already has
    first.to_csv(tmp_path / "first.csv", index=False)
    day.to_csv(tmp_path / "day.csv", index=False)
    pd.concat([first, day]).to_csv(tmp_path / "both.csv", index=False)
    state = tmp_path / "state"
    opts = ["--device", "cpu", "--k", "3", "--source", "behaviour"]
    assert main(["interests", str(tmp_path / "first.csv"), "--update", str(state), *opts]) == 0
    for name in ("manifest.json", "tensors.safetensors", "events.parquet", "items.parquet"):
        assert (state / name).is_file()
    assert not list(state.glob("*.pkl")) and not list(state.glob("*.pickle"))
    capsys.readouterr()
    assert main(["interests", str(tmp_path / "day.csv"), "--update", str(state), *opts]) == 0
    printed = capsys.readouterr().out
    assert "50 of 53 events added (3 duplicates dropped)" in printed
    assert "carried forward" in printed and "interest vectors" in printed
    manifest = json.loads((state / "manifest.json").read_text())
    assert manifest["events"] == 450 and len(manifest["arrivals"]) == 1

    folded = open_state(state)
    full = (
        open_state(state)
        .__class__(folded.events, folded.spec)
        .seeded(folded.item_vectors, folded.topics)
    )
    a, b = folded.interests(), full.interests()  # saved (folded) vs recomputed from the log
    assert a.user_ids == b.user_ids
    np.testing.assert_allclose(a.mean.numpy(), b.mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(a.topic_share.numpy(), b.topic_share.numpy(), atol=1e-5)
    np.testing.assert_allclose(a.total.numpy(), b.total.numpy(), rtol=1e-5)
    assert int(a.n_events.sum()) == 450
    users = pd.read_parquet(state / "user_vectors.parquet")
    assert len(users) == 20


def test_a_folder_without_a_state_is_refused(tmp_path) -> None:
    with pytest.raises(InvalidInputError, match=r"state folder: expected .*manifest\.json"):
        open_state(tmp_path)


def test_update_folds_the_saved_timeline_for_the_users_with_new_events(tmp_path) -> None:
    from core.interests.timeline import timeline

    first, day = _frame(2, "2026-02-02", 40, 300), _frame(3, "2026-03-14", 1, 30)
    day["user_id"] = day["user_id"].where(day.index % 3 > 0, "newcomer")  # a user new to the log
    first.to_csv(tmp_path / "first.csv", index=False)
    day.to_csv(tmp_path / "day.csv", index=False)
    state = tmp_path / "state"
    opts = ["--device", "cpu", "--k", "3", "--source", "behaviour", "--period", "W"]
    assert main(["interests", str(tmp_path / "first.csv"), "--update", str(state), *opts]) == 0
    assert (state / "timeline-W.parquet").is_file()
    saved = pd.read_parquet(state / "timeline-W.parquet")
    assert main(["interests", str(tmp_path / "day.csv"), "--update", str(state), *opts]) == 0
    manifest = json.loads((state / "manifest.json").read_text())
    assert "timeline (W)" in manifest["arrivals"][-1]["carried"]  # folded, not recomputed

    folded = pd.read_parquet(state / "timeline.parquet")
    atlas = open_state(state)
    full = timeline(atlas.events, atlas.item_vectors, atlas.topics, atlas.interest_spec("W"))
    assert len(folded) == len(full) and folded["user_id"].tolist() == full["user_id"].tolist()
    assert (folded["period"] == full["period"]).all()
    numeric = full.select_dtypes("number").columns
    np.testing.assert_allclose(
        folded[numeric].to_numpy(float), full[numeric].to_numpy(float), atol=1e-5
    )
    assert folded["top_topic"].tolist() == full["top_topic"].tolist()
    # users without new events keep their saved rows exactly
    quiet = sorted(set(saved["user_id"]) - set(day["user_id"]))
    assert quiet
    before = saved[saved["user_id"].isin(quiet)].reset_index(drop=True)
    after = folded[folded["user_id"].isin(quiet)].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert "newcomer" in set(folded["user_id"])

import json

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError, ModelUnavailableError
from core.recsys import persist, sequences, train
from core.schema import conform


def small_log() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return conform(
        pd.DataFrame(
            {
                "user_id": rng.integers(0, 30, n).astype(str),
                "item_id": rng.integers(0, 15, n).astype(str),
                "ts": pd.Timestamp("2026-01-01", tz="UTC")
                + pd.to_timedelta(np.arange(n) * 600, unit="s"),
                "event": rng.choice(["view", "purchase"], n),
            }
        )
    )


@pytest.fixture(scope="module")
def result() -> train.TrainResult:
    events = small_log()
    spec = train.TrainSpec(d_model=16, n_heads=2, n_layers=1, epochs=2, max_len=6, batch_size=32)
    vecs = torch.nn.functional.normalize(
        torch.randn(15, 4, generator=torch.Generator().manual_seed(0)), dim=1
    )
    return train.train_and_compare(
        events, item_vectors=vecs, item_ids=[str(i) for i in range(15)], spec=spec
    )


def test_save_then_load_gives_the_same_predictions(result, tmp_path):
    topics = {str(i): f"topic {i % 3}" for i in range(15)}
    bundle = persist.bundle_from(result, topics)
    persist.save(bundle, tmp_path)
    loaded = persist.load(tmp_path, "cpu")
    batch = sequences.batch_from(
        sequences.build_steps(small_log(), result.vocab),
        np.array([0, 5]),
        np.array([5, 9]),
        result.config.max_len,
    )
    torch.testing.assert_close(
        loaded.model.full_sort_predict(batch), result.model.full_sort_predict(batch)
    )
    assert loaded.model.config == result.config
    assert loaded.spec == result.spec
    assert list(loaded.vocab.items) == list(result.vocab.items)
    assert loaded.item_topic[list(loaded.vocab.items).index("4")] == "topic 1"
    pd.testing.assert_frame_equal(loaded.report, result.report, check_dtype=False)
    torch.testing.assert_close(loaded.item_vectors, result.item_vectors)
    assert loaded.propensity_threshold == pytest.approx(result.propensity_threshold)


def test_files_are_safetensors_and_json_only(result, tmp_path):
    persist.save(persist.bundle_from(result), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.safetensors"]
    raw = (tmp_path / "model.safetensors").read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])  # safetensors: length-prefixed JSON header
    assert header["__metadata__"]["format"] == persist.FORMAT
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["format"] == persist.FORMAT and meta["config"]["d_model"] == 16


def test_loading_a_folder_without_a_model_says_what_is_missing(tmp_path):
    with pytest.raises(ModelUnavailableError, match=r"model\.safetensors"):
        persist.load(tmp_path)


def test_loading_a_foreign_json_is_refused(result, tmp_path):
    persist.save(persist.bundle_from(result), tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    meta["format"] = "something-else"
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelUnavailableError, match="expected format"):
        persist.load(tmp_path)


def test_topic_labels_must_cover_every_item(result):
    with pytest.raises(InvalidInputError, match="item_topic"):
        persist.bundle_from(result, ["a", "b"])

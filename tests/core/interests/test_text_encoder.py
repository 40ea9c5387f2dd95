"""The sentence encoder: local weights, unit vectors, and a disk cache that saves re-encoding."""

from __future__ import annotations

import pytest
import torch

from core.errors import ModelUnavailableError
from core.interests.text_encoder import EncoderSpec, _model_id, load_encoder


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("atlas-cache"))


def test_encodes_unit_float32_vectors_on_cpu(cache_dir: str) -> None:
    enc = load_encoder(EncoderSpec(cache_dir=cache_dir, device="cpu"))
    vec = enc.encode(["trail running shoes", "espresso roast", "trail running shoes"])
    assert vec.shape == (3, enc.dim) and vec.dtype == torch.float32 and vec.device.type == "cpu"
    torch.testing.assert_close(vec.norm(dim=1), torch.ones(3))
    torch.testing.assert_close(vec[0], vec[2])
    # Similar meaning, nearer vectors.
    more = enc.encode(["running sneakers", "coffee beans"])
    assert float(more[0] @ vec[0]) > float(more[0] @ vec[1])
    assert float(more[1] @ vec[1]) > float(more[1] @ vec[0])


def test_second_run_encodes_only_new_texts(cache_dir: str) -> None:
    texts = ["cedar raised garden bed", "jazz piano LP", "yoga mat"]
    first = load_encoder(EncoderSpec(cache_dir=cache_dir, device="cpu"))
    a = first.encode(texts)
    assert (first.calls, first.encoded) == (1, 3)
    second = load_encoder(EncoderSpec(cache_dir=cache_dir, device="cpu"))  # a fresh process
    b = second.encode(texts)
    assert (second.calls, second.encoded) == (0, 0)
    torch.testing.assert_close(a, b)
    assert second._loaded is None  # every text was cached: the model was never loaded
    grown = second.encode([*texts, "pickleball paddle", "yoga mat"])
    assert (second.calls, second.encoded) == (1, 1)
    assert second._loaded is not None
    torch.testing.assert_close(grown[:3], a)


def test_empty_input_gives_empty_matrix(cache_dir: str) -> None:
    enc = load_encoder(EncoderSpec(cache_dir=cache_dir, device="cpu"))
    assert enc.encode([]).shape == (0, enc.dim)


def test_missing_model_raises_plain_message(tmp_path) -> None:
    spec = EncoderSpec(model=str(tmp_path / "no-such-model"), cache_dir=str(tmp_path))
    with pytest.raises(ModelUnavailableError, match="could not be loaded from local files"):
        load_encoder(spec)


def test_cache_key_separates_models() -> None:
    assert _model_id("all-MiniLM-L6-v2") == _model_id("sentence-transformers/all-MiniLM-L6-v2")
    assert _model_id("all-MiniLM-L6-v2") != _model_id("paraphrase-multilingual-MiniLM-L12-v2")


def test_progress_counts_new_texts_and_a_stopped_run_keeps_finished_chunks(tmp_path) -> None:
    spec = EncoderSpec(cache_dir=str(tmp_path), device="cpu", batch_size=2)  # chunks of 512
    texts = [f"catalogue item number {i}" for i in range(1200)]
    seen: list[tuple[int, int]] = []

    def stop_after_first_chunk(done: int, total: int) -> None:
        seen.append((done, total))
        raise KeyboardInterrupt  # what the dashboard's Stop does to a running script

    enc = load_encoder(spec)
    with pytest.raises(KeyboardInterrupt):
        enc.encode(texts, progress=stop_after_first_chunk)
    assert seen == [(512, 1200)]
    again = load_encoder(spec)  # a fresh process sees the finished chunk on disk
    seen.clear()
    again.encode(texts, progress=lambda done, total: seen.append((done, total)))
    assert again.encoded == 1200 - 512
    assert seen == [(512, 688), (688, 688)]

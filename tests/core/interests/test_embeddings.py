"""Item vectors: text when there is text and a model, behaviour otherwise, and never pretending."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError, ModelUnavailableError
from core.interests.embeddings import EmbeddingSpec, build_item_vectors
from core.interests.text_encoder import EncoderSpec
from core.schema import conform


@pytest.fixture(scope="module")
def encoder_spec(tmp_path_factory: pytest.TempPathFactory) -> EncoderSpec:
    # One cache per test session: later modules read the vectors this one wrote.
    cache = tmp_path_factory.getbasetemp() / "atlas-cache"
    cache.mkdir(exist_ok=True)
    return EncoderSpec(cache_dir=str(cache), device="cpu")


def _log(with_text: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", "b"],
            "item_id": ["shoe", "sock", "shoe", "bean", "grinder", "bean"],
            "ts": pd.date_range("2026-01-01", periods=6, freq="h", tz="UTC"),
        }
    )
    if with_text:
        text = {
            "shoe": "trail running shoes",
            "sock": "running socks",
            "bean": "espresso coffee beans",
            "grinder": "burr coffee grinder",
        }
        frame["item_text"] = frame["item_id"].map(text)
    return conform(frame)


def test_text_vectors_follow_category_order(encoder_spec: EncoderSpec) -> None:
    ev = _log(with_text=True)
    iv = build_item_vectors(ev, EmbeddingSpec(encoder=encoder_spec))
    assert iv.item_ids == tuple(ev["item_id"].cat.categories)
    assert iv.source == "text" and iv.model == "all-MiniLM-L6-v2"
    assert iv.vectors.shape == (4, 384) and iv.vectors.dtype == torch.float32
    sim = iv.vectors @ iv.vectors.T
    ids = list(iv.item_ids)
    assert sim[ids.index("shoe"), ids.index("sock")] > sim[ids.index("shoe"), ids.index("bean")]
    assert "language model" in iv.message


def test_id_only_log_uses_behaviour_vectors(encoder_spec: EncoderSpec) -> None:
    iv = build_item_vectors(_log(with_text=False), EmbeddingSpec(encoder=encoder_spec))
    assert iv.source == "behaviour" and iv.model is None
    assert "no item has text" in iv.message
    torch.testing.assert_close(iv.vectors.norm(dim=1), torch.ones(4))


def test_unavailable_model_falls_back_and_says_so(tmp_path) -> None:
    spec = EmbeddingSpec(
        encoder=EncoderSpec(model=str(tmp_path / "missing"), cache_dir=str(tmp_path))
    )
    iv = build_item_vectors(_log(with_text=True), spec)
    assert iv.source == "behaviour" and iv.model is None
    assert iv.message.startswith("language model unavailable:")
    assert "using behaviour vectors" in iv.message


def test_explicit_text_source_raises_when_model_missing(tmp_path) -> None:
    spec = EmbeddingSpec(
        source="text", encoder=EncoderSpec(model=str(tmp_path / "missing"), cache_dir=str(tmp_path))
    )
    with pytest.raises(ModelUnavailableError, match="could not be loaded"):
        build_item_vectors(_log(with_text=True), spec)


def test_blend_mixes_cosines_by_alpha(encoder_spec: EncoderSpec) -> None:
    ev = _log(with_text=True)
    text = build_item_vectors(ev, EmbeddingSpec(source="text", encoder=encoder_spec)).vectors
    beh = build_item_vectors(ev, EmbeddingSpec(source="behaviour", encoder=encoder_spec)).vectors
    blend = build_item_vectors(
        ev, EmbeddingSpec(source="blend", blend_alpha=0.3, encoder=encoder_spec)
    )
    assert blend.source == "blend"
    expected = 0.3 * (text @ text.T) + 0.7 * (beh @ beh.T)
    torch.testing.assert_close(blend.vectors @ blend.vectors.T, expected, atol=1e-5, rtol=0)


def test_rejects_unknown_source() -> None:
    with pytest.raises(InvalidInputError, match=r"source must be one of .* got 'words'"):
        build_item_vectors(_log(with_text=False), EmbeddingSpec(source="words"))


def test_frame_has_one_column_per_dimension(encoder_spec: EncoderSpec) -> None:
    iv = build_item_vectors(_log(with_text=False), EmbeddingSpec(source="behaviour"))
    frame = iv.frame()
    assert list(frame.columns[:2]) == ["item_id", "item_text"]
    assert frame.shape == (4, 2 + iv.dim)


def test_encoding_item_texts_first_leaves_nothing_for_the_build(tmp_path) -> None:
    from core.interests.embeddings import encode_item_texts
    from core.interests.text_encoder import load_encoder

    spec = EmbeddingSpec(encoder=EncoderSpec(cache_dir=str(tmp_path), device="cpu"))
    events = _log(with_text=True)
    calls: list[tuple[int, int]] = []
    assert encode_item_texts(events, spec, progress=lambda d, t: calls.append((d, t))) == 4
    assert calls == [(4, 4)]
    fresh = load_encoder(spec.encoder)  # a new process: everything is on disk already
    assert encode_item_texts(events, spec, encoder=fresh) == 0
    build_item_vectors(events, spec, encoder=fresh)
    assert fresh.encoded == 0
    assert encode_item_texts(events, EmbeddingSpec(source="behaviour")) == 0

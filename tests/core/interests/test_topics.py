"""Topics: k-means recovers planted groups, labels read like the items, K chosen by silhouette."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError
from core.interests.embeddings import EmbeddingSpec, ItemVectors, build_item_vectors
from core.interests.labels import topic_labels
from core.interests.text_encoder import EncoderSpec
from core.interests.topics import TopicSpec, find_topics, kmeans, silhouette
from core.sample import SampleSpec, bundled_event_log, bundled_truth, generate, to_event_log
from core.schema import conform


@pytest.fixture(scope="module")
def encoder_spec(tmp_path_factory: pytest.TempPathFactory) -> EncoderSpec:
    cache = tmp_path_factory.getbasetemp() / "atlas-cache"
    cache.mkdir(exist_ok=True)
    return EncoderSpec(cache_dir=str(cache), device="cpu")


def _purity(found: np.ndarray, truth: list[str]) -> float:
    table = pd.crosstab(found, np.array(truth))
    return float(table.max(axis=1).sum() / table.to_numpy().sum())


def _blobs() -> tuple[ItemVectors, pd.DataFrame]:
    gen = torch.Generator().manual_seed(1)
    centres = torch.eye(8)[:3]
    x = torch.cat([c + 0.05 * torch.randn(10, 8, generator=gen) for c in centres])
    ids = tuple(f"i{j:02d}" for j in range(30))
    words = ["coffee beans", "running shoes", "jazz vinyl"]
    text = tuple(f"{words[j // 10]} model {j}" for j in range(30))
    iv = ItemVectors(ids, torch.nn.functional.normalize(x, dim=1), "text", "test", "", text)
    ev = conform(
        pd.DataFrame(
            {"user_id": "u", "item_id": list(ids), "ts": pd.Timestamp("2026-01-01", tz="UTC")}
        )
    )
    return iv, ev


def test_kmeans_recovers_blobs_and_auto_k_picks_three() -> None:
    iv, ev = _blobs()
    labels, cent, _ = kmeans(iv.vectors, 3, seed=0)
    assert _purity(labels.numpy(), [str(j // 10) for j in range(30)]) == 1.0
    torch.testing.assert_close(cent.norm(dim=1), torch.ones(3))
    topics = find_topics(iv, ev, TopicSpec(k_range=(2, 6), device="cpu"))
    assert topics.k == 3
    by_first_item = topics.table.set_index("topic")["label"][topics.item_topic[[0, 10, 20]]]
    for label, word in zip(by_first_item, ["coffee", "running", "jazz"], strict=True):
        assert word in label
    assert topics.table["size"].tolist() == [10, 10, 10]
    assert len(set(topics.labels)) == 3


def test_silhouette_matches_brute_force() -> None:
    gen = torch.Generator().manual_seed(3)
    x = torch.nn.functional.normalize(torch.randn(12, 5, generator=gen), dim=1)
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0])
    d = (1 - x @ x.T).double().numpy()
    lab = labels.numpy()
    s = []
    for i in range(12):  # brute force, by the textbook definition
        own = [j for j in range(12) if lab[j] == lab[i] and j != i]
        a = d[i, own].mean()
        b = min(d[i, lab == c].mean() for c in set(lab) if c != lab[i])
        s.append((b - a) / max(a, b))
    assert silhouette(x, labels, 3) == pytest.approx(float(np.mean(s)), abs=1e-6)


def test_ctfidf_prefers_distinctive_terms() -> None:
    text = pd.Series(
        ["red coffee mug", "blue coffee beans", "red running shoes", "blue running socks"]
    )
    labels = topic_labels(text, np.array([0, 0, 1, 1]), 2, n_terms=1)
    assert labels == ["coffee", "running"]


def test_chinese_titles_get_real_word_labels() -> None:
    text = pd.Series(["咖啡豆", "手冲咖啡", "跑步鞋", "越野跑步"])
    labels = topic_labels(text, np.array([0, 0, 1, 1]), 2, n_terms=1)
    assert labels == ["咖啡", "跑步"]


def test_rejects_k_larger_than_items() -> None:
    iv, ev = _blobs()
    with pytest.raises(InvalidInputError, match=r"k must be within \[1, n_items=30\]: got 31"):
        find_topics(iv, ev, TopicSpec(k=31))


def test_bundled_sample_topics_recover_planted_topics(encoder_spec: EncoderSpec) -> None:
    ev = bundled_event_log()
    truth = bundled_truth()
    iv = build_item_vectors(ev, EmbeddingSpec(encoder=encoder_spec))
    assert iv.source == "text"
    topics = find_topics(iv, ev, TopicSpec(device="cpu"))
    purity = _purity(topics.item_topic, [truth.item_topic[i] for i in iv.item_ids])
    assert purity >= 0.9, f"purity {purity:.3f} with k={topics.k}"
    joined = " ".join(topics.labels)
    for word in ("coffee", "jazz", "yoga", "pickleball", "running", "baking", "fiction"):
        assert word in joined, f"{word!r} in no label: {topics.labels}"


def test_other_seed_behaviour_vectors_recover_topics() -> None:
    sample = generate(SampleSpec(seed=23, n_users=800, n_items=300, n_drifters=40))
    ev = to_event_log(sample)
    iv = build_item_vectors(ev, EmbeddingSpec(source="behaviour"))
    topics = find_topics(iv, ev, TopicSpec(device="cpu"))
    purity = _purity(topics.item_topic, [sample.truth.item_topic[i] for i in iv.item_ids])
    assert purity >= 0.9, f"purity {purity:.3f} with k={topics.k}"


def test_top_titles_tell_apart_items_that_share_a_title() -> None:
    iv, ev = _blobs()
    text = list(iv.item_text)
    text[0] = text[1] = "Tim Hortons"  # two venues of one name, in the coffee blob
    iv = ItemVectors(iv.item_ids, iv.vectors, "text", "test", "", tuple(text))
    busy = conform(  # i00 and i01 are the coffee blob's most engaged items
        pd.DataFrame(
            {
                "user_id": "u",
                "item_id": ["i00", "i00", "i00", "i01", "i01"],
                "ts": pd.Timestamp("2026-01-02", tz="UTC"),
            }
        )
    )
    topics = find_topics(iv, pd.concat([ev, busy], ignore_index=True), TopicSpec(k=3, device="cpu"))
    row = topics.table.set_index("topic").loc[topics.item_topic[0]]
    names = row["top_titles"].split(" | ")
    assert names[:2] == ["Tim Hortons · #i00", "Tim Hortons · #i01"]
    assert row["top_items"][:2] == ["i00", "i01"]
    assert "Tim Hortons" not in names  # never merged into one plain name

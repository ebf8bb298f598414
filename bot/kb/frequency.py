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

import marshal
import math
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

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
    """The table, built once per process; with ``cache_dir`` kept there as a marshal file keyed
    by wordfreq's version, the tokenizer's and Python's (as :func:`bot.kb.dictionary.load`)."""
    if cache_dir is None:
        return Frequency(build())
    key = f"wordfreq-{metadata.version('wordfreq')}-t{fingerprint()}-py{sys.version_info[0]}{sys.version_info[1]}"
    path = cache_dir / f"{key}.marshal"
    try:
        table = marshal.loads(path.read_bytes())
        if isinstance(table, dict):
            return Frequency(table)
    except (OSError, EOFError, ValueError, TypeError):
        pass  # no cache yet, or a damaged one: build and write it anew
    table = build()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(table))
        os.replace(tmp, path)
        for stale in cache_dir.glob("wordfreq-*.marshal"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only data directory only costs the build next time
    return Frequency(table)

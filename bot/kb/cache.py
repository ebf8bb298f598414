"""Parsed data files kept on disk between processes (CC-CEDICT's parse, the word-frequency table).

Plain dicts and tuples as marshal files: loading one runs no code.  A file's name holds
everything its content depends on, so a changed parser, tokenizer or Python reads a new file,
and writing one removes the stale files of the same kind, which nothing reads any more.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cached(cache_dir: Path, kind: str, key: str, build: Callable[[], Any], valid: Callable[[Any], bool]) -> Any:
    """What ``cache_dir/{kind}-{key}-py3x.marshal`` holds if ``valid``, else ``build()``, written
    there for the next process (a damaged file is rebuilt; a read-only directory only costs the
    build next time)."""
    path = cache_dir / f"{kind}-{key}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    try:
        data = marshal.loads(path.read_bytes())
        if valid(data):
            return data
    except (OSError, EOFError, ValueError, TypeError):
        pass  # no cache yet, or a damaged one: build and write it anew
    data = build()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(data))
        os.replace(tmp, path)
        for stale in cache_dir.glob(f"{kind}-*.marshal"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass
    return data

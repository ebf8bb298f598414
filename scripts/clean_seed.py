"""Clean the raw page dump of the seed article into a corpus document.

The dump carries site chrome and teasers of unrelated articles after the body;
only the body belongs in the knowledge base.  Run `python -m scripts.clean_seed RAW`
to (re)write corpus/basis-trade-article.zh-Hant.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FRONT_MATTER = """---
title: "當「無風險」不再安全:美債暴跌背後的基差交易危機"
lang: zh-Hant
source: "vocus, 金融動物園的沙龍 (https://vocus.cc)"
date: 2025-04
license: "© 金融動物園的沙龍; quoted for non-commercial education"
---
"""

# The body ends where the page's own chrome begins.
_END_MARKERS = ("延伸閱讀", "avatar-img", "你可能也想看", "Thumbnail", "Google News 追蹤")
_CHROME_LINES = re.compile(r"^(更新於.*|發佈於.*|raw-image|留言.*|\d+會員|\d+內容數)$")
_SECTION = re.compile(r"^[一二三四五六七八九十]+、")


def clean_seed(raw: str) -> tuple[str, str]:
    """Return (title, Markdown body) of the article, without chrome or teasers."""
    lines = [line.strip().strip("\u3000\u00a0") for line in raw.replace("\r\n", "\n").split("\n")]
    end = next(
        (i for i, line in enumerate(lines) if any(line.startswith(m) for m in _END_MARKERS)),
        len(lines),
    )
    body = [line for line in lines[:end] if line and not _CHROME_LINES.match(line)]
    title = body[0].strip("【】")
    out = [f"# {title}", ""]
    for line in body[1:]:
        out.extend([f"## {line}" if _SECTION.match(line) else line, ""])
    return title, "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    raw_path = Path(argv[0]) if argv else Path("../shared/seed/basis-trade-article.zh-Hant.raw.txt")
    target = Path(__file__).resolve().parent.parent / "corpus" / "basis-trade-article.zh-Hant.md"
    _, body = clean_seed(raw_path.read_text(encoding="utf-8"))
    target.write_text(FRONT_MATTER + "\n" + body, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

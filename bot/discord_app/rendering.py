"""Fitting replies into Discord's limits, and the few strings every cog shares.

Discord rejects a message whose content is over 2000 characters, an embed
description over 4096 or an embed over 6000 in all, so long answers are split
before sending.  Splits fall on paragraph, line and sentence ends (。！？.!?),
never inside a ``` code block (a block that must be split is closed and
reopened) and never inside a Markdown table (a table that must be split
repeats its header).  As in Discord, any run of three backticks opens or closes
a block, at the start of a line or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import discord

from bot.text import SENTENCE_END_MARKS, Lang, detect_lang, to_script

CONTENT_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_TOTAL_LIMIT = 6000
EMBED_TITLE_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048

SOURCE_QUOTE_CHARS = 60
SOURCE_TITLE_CHARS = 60
MAX_SOURCES_SHOWN = 5

#: Set once on the bot and passed on every send: the bot never pings anyone.
NO_PINGS = discord.AllowedMentions.none()

GROUNDED_COLOUR = discord.Colour.from_rgb(46, 125, 50)
UNGROUNDED_COLOUR = discord.Colour.light_grey()

# Discord opens or closes a code block at every run of three or more backticks; right
# after an opening run, a short word ending the line names the block's language.
_FENCE_RUN = re.compile(r"`{3,}")
_FENCE = re.compile(r"^\s*(`{3,})")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,20}[ \t]*(?=\n|$)")
_TABLE_SEPARATOR = re.compile(r"^\s*+\|?\s*+:?-{2,}")
# A sentence ends after 。！？!? (plus closing quotes/brackets) or a "." that is
# followed by whitespace, and takes the spaces and newline after it; or at a newline.
_SENTENCE_END = re.compile(rf"(?:[{SENTENCE_END_MARKS}]+[」』”’\"')）]*|\.(?=\s|$))[ \t]*\n?|\n")


# ----------------------------------------------------------------- splitting


def split_text(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Cut ``text`` into chunks of at most ``limit`` characters on natural boundaries.

    No chunk is empty or blank; every code fence opened in a chunk is closed
    in that chunk; a table keeps its header in every chunk it spans; all the
    text's non-whitespace characters are kept, in order (the splitter adds only
    newlines, the fence lines that close and reopen a block, and a table's
    repeated header).
    """
    if limit < 20:
        raise ValueError("limit too small to hold a code fence")
    text = text.replace("\r\n", "\n").strip("\n")
    if not text.strip():
        return []
    if len(text) <= limit and len(_FENCE_RUN.findall(text)) % 2 == 0:
        return [text]
    text = _fence_lines(text)
    if len(text) <= limit:
        return [text]

    chunks: list[str] = []
    current: list[str] = []
    size = 0  # len("\n".join(current))

    def flush() -> None:
        nonlocal current, size
        joined = "\n".join(current).strip("\n")
        if joined.strip():
            chunks.append(joined.rstrip())
        current, size = [], 0

    for kind, block in _blocks(text):
        added = len(block) + (1 if current else 0)
        if size + added <= limit:
            current.append(block)
            size += added
            continue
        if kind == "blank":  # a paragraph gap at a chunk edge is not worth keeping
            flush()
            continue
        flush()
        if len(block) <= limit:
            current, size = [block], len(block)
            continue
        pieces = _split_block(kind, block, limit)
        for piece in pieces[:-1]:
            current = [piece]
            flush()
        current, size = [pieces[-1]], len(pieces[-1])
    flush()
    return chunks


def _fence_lines(text: str) -> str:
    """``text`` with every fence on a line of its own (an opening fence keeps its language)
    and an unclosed block closed.

    Discord draws the same code blocks either way, only newlines are added, and the
    splitter then finds every fence at a line start: a fence opened mid-line, or
    ```like this``` inside a paragraph, can no longer be cut apart.
    """
    out: list[str] = []
    pos, opener, line_has_text = 0, "", False
    for run in _FENCE_RUN.finditer(text):
        before = text[pos : run.start()]
        out.append(before)
        if "\n" in before:
            line_has_text = bool(before[before.rfind("\n") + 1 :].strip())
        else:
            line_has_text = line_has_text or bool(before.strip())
        if line_has_text:
            out.append("\n")
        out.append(run.group())
        pos = run.end()
        if not opener and (language := _LANGUAGE.match(text, pos)):
            out.append(language.group())
            pos = language.end()
        end_of_line = text.find("\n", pos)
        if text[pos : len(text) if end_of_line < 0 else end_of_line].strip():
            out.append("\n")
        line_has_text = False
        opener = "" if opener else run.group()
    out.append(text[pos:])
    if opener:
        out.append(f"\n{opener}")
    return "".join(out)


def _blocks(text: str) -> list[tuple[str, str]]:
    """The text as (kind, block) pairs: "code", "table", "para" or "blank", joined back by newlines.

    Expects :func:`_fence_lines` to have put every fence on a line of its own.
    """
    lines = text.split("\n")
    blocks: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            marker = fence.group(1)
            j = i + 1
            while j < len(lines) and not _FENCE.match(lines[j]):
                j += 1
            end = min(j, len(lines) - 1)
            body = lines[i : end + 1]
            if j >= len(lines):  # unclosed fence: close it so the chunk renders
                body.append(marker)
            blocks.append(("code", "\n".join(body)))
            i = end + 1
        elif line.lstrip().startswith("|"):
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            blocks.append(("table", "\n".join(lines[i:j])))
            i = j
        elif not line.strip():
            blocks.append(("blank", ""))
            i += 1
        else:
            j = i
            while (
                j < len(lines)
                and lines[j].strip()
                and not _FENCE.match(lines[j])
                and not lines[j].lstrip().startswith("|")
            ):
                j += 1
            blocks.append(("para", "\n".join(lines[i:j])))
            i = j
    return blocks


def _split_block(kind: str, block: str, limit: int) -> list[str]:
    if kind == "code":
        return _split_code(block, limit)
    if kind == "table":
        return _split_table(block, limit)
    return _pack(sentences(block), limit, joiner="")


def _split_code(block: str, limit: int) -> list[str]:
    lines = block.split("\n")
    opening, closing = lines[0], _FENCE.match(lines[0]).group(1)  # type: ignore[union-attr]
    body = lines[1:-1] if len(lines) > 1 and _FENCE.match(lines[-1]) else lines[1:]
    overhead = len(opening) + len(closing) + 2
    budget = limit - overhead
    if budget < 10:  # a silly fence line: drop its language, and cut an absurd run of backticks
        if 2 * len(closing) + 12 > limit:
            closing = "```"
        opening = closing
        budget = limit - 2 * len(closing) - 2
    pieces: list[str] = []
    for group in _pack(body, budget, joiner="\n"):
        pieces.append(f"{opening}\n{group}\n{closing}")
    return pieces or [f"{opening}\n{closing}"]


def _split_table(block: str, limit: int) -> list[str]:
    rows = block.split("\n")
    header: list[str] = []
    if len(rows) > 2 and _TABLE_SEPARATOR.match(rows[1]):
        header, rows = rows[:2], rows[2:]
    head = "\n".join(header)
    if len(head) > limit // 2:  # a header that large cannot be repeated
        header, head, rows = [], "", block.split("\n")
    budget = limit - (len(head) + 1 if head else 0)
    return [f"{head}\n{group}" if head else group for group in _pack(rows, budget, joiner="\n")]


def _pack(parts: Iterable[str], limit: int, joiner: str) -> list[str]:
    """Greedy packing of parts (each cut to the limit first) into strings of at most ``limit``."""
    out: list[str] = []
    current = ""
    for part in parts:
        for piece in _hard_split(part, limit):
            candidate = f"{current}{joiner}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current.strip():
                    out.append(current)
                current = piece.lstrip() if joiner == "" else piece
    if current.strip():
        out.append(current)
    return [piece.strip("\n") if joiner == "" else piece for piece in out]


def _hard_split(text: str, limit: int) -> list[str]:
    """A part longer than the limit: cut at the last space before it, else anywhere."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


def sentences(text: str) -> list[str]:
    """Sentences with their end marks and trailing newline kept, so joining them gives ``text`` back."""
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return [part for part in out if part]


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when something was cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def defuse(text: str) -> str:
    """Break @everyone/@here/role/user mentions with a zero-width space (AllowedMentions is the real guard)."""
    return discord.utils.escape_mentions(text)


# ------------------------------------------------------------------ answers


_SOURCES_LABEL: dict[str, str] = {"zh-Hant": "來源", "zh-Hans": "来源", "en": "Sources"}


def sources_label(lang: str) -> str:
    return _SOURCES_LABEL.get(lang, "Sources")


def sources_line(sources: Sequence[Any], limit: int = FIELD_VALUE_LIMIT) -> str:
    """Compact citations, one per line: ``[1] **Title** › section``, plus ``— 「short quote…」``
    only when the answer does not already quote the passage (``source.quoted``), so no text
    appears twice; fits an embed field."""
    lines: list[str] = []
    for number, source in enumerate(sources[:MAX_SOURCES_SHOWN], start=1):
        title = truncate(discord.utils.escape_markdown(source.title), SOURCE_TITLE_CHARS)
        section = getattr(source, "section", "") or ""
        name = f"**{title}**"
        if section and section != source.title:
            name += f" › {truncate(discord.utils.escape_markdown(section.split(' > ')[-1]), SOURCE_TITLE_CHARS)}"
        quote = "" if getattr(source, "quoted", False) else truncate(" ".join(source.quote.split()), SOURCE_QUOTE_CHARS)
        line = f"[{number}] {name} — 「{quote}」" if quote else f"[{number}] {name}"
        if len("\n".join([*lines, line])) > limit:
            break
        lines.append(line)
    return "\n".join(lines)


def answer_embeds(answer: Any) -> list[discord.Embed]:
    """An engine ``Answer`` as embeds, each within the description and total limits.

    Sources go in a field of the last embed, a notice in its footer.
    """
    body = answer.answer.strip() or "…"
    colour = GROUNDED_COLOUR if answer.grounded else UNGROUNDED_COLOUR
    parts = split_text(body, EMBED_DESCRIPTION_LIMIT) or ["…"]
    embeds = [discord.Embed(description=part, colour=colour) for part in parts]
    last = embeds[-1]
    cites = sources_line(answer.sources)
    if cites:
        last.add_field(name=sources_label(answer.language), value=cites, inline=False)
    if answer.notice:
        last.set_footer(text=truncate(answer.notice, FOOTER_LIMIT))
    return embeds


def answer_texts(answer: Any, limit: int = CONTENT_LIMIT) -> list[str]:
    """The same answer as plain messages, for channels where the bot may not embed."""
    parts = []
    if answer.notice:
        parts.append(f"({answer.notice})")
    parts.append(answer.answer.strip() or "…")
    cites = sources_line(answer.sources)
    if cites:
        parts.append(f"{sources_label(answer.language)}:\n{cites}")
    return split_text(defuse("\n\n".join(parts)), limit)


def embed_chunks(text: str, *, title: str | None = None, colour: discord.Colour | None = None) -> list[discord.Embed]:
    """Long text (a document list, say) as one or more embeds; the title goes on the first."""
    embeds = [discord.Embed(description=part, colour=colour) for part in split_text(text, EMBED_DESCRIPTION_LIMIT)]
    if not embeds:
        embeds = [discord.Embed(description="…", colour=colour)]
    if title:
        embeds[0].title = truncate(title, EMBED_TITLE_LIMIT)
    return embeds


# ------------------------------------------------------------ shared lines


def lang_of(text: str) -> Lang:
    return detect_lang(text) if text and text.strip() else "en"


def slow_down(retry_after: float, lang: str = "zh-Hant") -> str:
    """The rate-limit reply: one short line in Chinese (the asker's script) and English."""
    seconds = max(1, round(retry_after))
    zh = f"慢一點喔,請 {seconds} 秒後再問。"
    zh = to_script(zh, "zh-Hans") if lang == "zh-Hans" else zh
    return f"⏳ {zh} Slow down — try again in {seconds} s."


def apology(error_id: str) -> str:
    """What the user sees for a bug; the traceback is in the log under the same id."""
    return f"抱歉,出了點問題(錯誤代碼 `{error_id}`)。Sorry, something went wrong (error `{error_id}`)."


NOT_ENABLED_HERE = "這個頻道沒有開放機器人。The bot is not enabled in this channel."
ADMIN_ONLY = "只有管理員可以重建索引。Only admins can re-index."
EMPTY_MENTION = "請在提及我之後輸入問題,例如:什麼是基差交易? Ask me about the basis trade, e.g. “What is the basis trade?”"
THANKS = "謝謝回饋!Thanks for the feedback."
ALREADY_VOTED = "已經記錄了。Already recorded."

"""Splitting replies to Discord's limits, and the embed/sources helpers."""

from __future__ import annotations

import re

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.engine import Answer, Source
from bot.discord_app.rendering import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    answer_embeds,
    answer_texts,
    apology,
    sentences,
    slow_down,
    sources_line,
    split_text,
)

# Discord opens or closes a code block at every run of three or more backticks, at a line
# start or not; right after an opening run, a short word ending the line is its language.
_FENCE_RUN = re.compile(r"`{3,}")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,20}[ \t]*(?=\n|$)")


def _fences_balanced(chunk: str) -> bool:
    return len(_FENCE_RUN.findall(chunk)) % 2 == 0


def _squash(text: str) -> str:
    return "".join(text.split())


def _content(text: str) -> str:
    """The non-whitespace text without its fence markers (nor an opening fence's language,
    which the splitter repeats when it reopens a block): what must survive splitting."""
    out, pos, inside = [], 0, False
    for run in _FENCE_RUN.finditer(text):
        out.append(text[pos : run.start()])
        pos = run.end()
        if not inside and (language := _LANGUAGE.match(text, pos)):
            pos = language.end()
        inside = not inside
    out.append(text[pos:])
    return _squash("".join(out))


def _check_split(text: str, limit: int) -> list[str]:
    """The three promises of split_text: nothing lost, nothing too long, no fence left open.

    Only the fence lines that close and reopen a block and a table's repeated header are
    the splitter's own; everything else in the chunks must be the text's, in order.
    """
    chunks = split_text(text, limit)
    rest = _content(text)
    for chunk in chunks:
        assert 0 < len(chunk) <= limit, (len(chunk), chunk[:80])
        assert chunk.strip()
        assert _fences_balanced(chunk), chunk
        got = _content(chunk)
        if not rest.startswith(got):  # then only a repeated table header may be extra
            lines = chunk.split("\n")
            assert len(lines) > 2 and lines[0].lstrip().startswith("|") and re.match(r"\s*\|?\s*:?-{2,}", lines[1])
            got = _content("\n".join(lines[2:]))
        assert rest.startswith(got), (got[:80], rest[:80])
        rest = rest[len(got) :]
    assert rest == ""
    return chunks


def test_short_text_is_one_chunk() -> None:
    assert split_text("什麼是基差交易?") == ["什麼是基差交易?"]
    assert split_text("") == []
    assert split_text("  \n\n ") == []


def test_long_english_prose_splits_at_sentence_ends() -> None:
    sentence = "The basis trade buys cash Treasuries and sells futures against them. "
    text = sentence * 80  # ~5,500 characters, one paragraph
    chunks = split_text(text)
    assert len(chunks) >= 3
    assert all(0 < len(chunk) <= CONTENT_LIMIT for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)
    assert _squash("".join(chunks)) == _squash(text)


def test_chinese_sentences_are_not_cut() -> None:
    text = "".join(f"第{i}句:基差交易以附買回融資買進現貨公債並賣出期貨,賺取價差。" for i in range(150))
    chunks = split_text(text, 500)
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk) <= 500
        assert chunk.startswith("第") and chunk.endswith("。")
    assert "".join(chunks) == text


def test_chinese_question_and_exclamation_marks_are_boundaries() -> None:
    text = ("為什麼會爆倉?" + "槓桿太高了!" + "所以要小心。") * 60
    chunks = split_text(text, 100)
    assert all(chunk[-1] in "?!。" for chunk in chunks)
    assert "".join(chunks) == text


def test_paragraphs_are_preferred_to_sentences() -> None:
    para = "A short paragraph about repo. " * 20
    text = "\n\n".join([para.strip()] * 6)
    chunks = split_text(text, 1500)
    for chunk in chunks:
        assert chunk.startswith("A short paragraph")
        assert chunk.endswith("repo.")


def test_code_block_is_closed_and_reopened() -> None:
    code = "\n".join(f"position_{i} = equity * leverage  # line {i}" for i in range(120))
    text = f"Intro line.\n\n```python\n{code}\n```\n\nOutro line."
    chunks = split_text(text, 800)
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk) <= 800
        assert _fences_balanced(chunk), chunk
    code_chunks = [c for c in chunks if "position_" in c]
    assert all(c.lstrip().startswith("```python") or c.startswith("Intro") for c in code_chunks)
    body = [line for c in chunks for line in c.splitlines() if line.startswith("position_")]
    assert body == code.splitlines()


def test_unclosed_code_block_gets_closed() -> None:
    text = "```\n" + "\n".join(f"x{i} = {i}" for i in range(400))
    chunks = split_text(text, 500)
    assert all(_fences_balanced(c) and len(c) <= 500 for c in chunks)


def test_table_is_not_broken_and_repeats_its_header() -> None:
    header = "| Move | P&L | Equity left |\n|---|---|---|"
    rows = "\n".join(f"| -{i}% | -{i * 5},000,000 | {100 - i * 5},000,000 |" for i in range(80))
    text = f"What-if table:\n\n{header}\n{rows}\n\nDone."
    chunks = split_text(text, 600)
    table_chunks = [c for c in chunks if "|" in c]
    assert len(table_chunks) > 2
    for chunk in table_chunks:
        assert len(chunk) <= 600
        lines = [line for line in chunk.splitlines() if line.startswith("|")]
        assert lines[:2] == header.splitlines()
        assert all(line.endswith("|") for line in lines)  # no row cut in half


def test_a_single_huge_word_is_hard_split() -> None:
    chunks = split_text("x" * 4500)
    assert [len(c) for c in chunks] == [2000, 2000, 500]


def test_sentences_round_trip() -> None:
    text = "什麼是基差交易?它是一種套利。Really? Yes. 2.5% is a number.\nNew line"
    assert "".join(sentences(text)) == text
    assert "2.5% is a number.\n" in sentences(text)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="基差交易回購槓桿abc .,。！？!?", min_size=1, max_size=300),
            st.builds(lambda body: f"```\n{body}\n```", st.text(alphabet="ab =\n", max_size=600)),
            st.just("\n\n"),
        ),
        max_size=30,
    ),
    st.integers(min_value=40, max_value=2000),
)
def test_split_invariants(parts: list[str], limit: int) -> None:
    _check_split("\n".join(parts), limit)


# -- generated Markdown as a model writes it: prose in both languages, long lines and words,
#    fenced and inline code, fences opened mid-line or never closed, inline backticks, tables.
_WORD = st.sampled_from(["basis", "trade", "repo", "haircut", "leverage", "futures", "Treasury", "margin", "SOFR"])
_EN = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(_WORD, min_size=1, max_size=20),
    st.sampled_from([".", "?", "!", ",", "", ". "]),
)
_ZH = st.builds(
    lambda body, end: body + end,
    st.text(alphabet="基差交易回購槓桿保證金追繳期貨現貨公債对冲基金", min_size=1, max_size=80),
    st.sampled_from(["。", "？", "！", ",", ""]),
)
_PROSE = st.lists(st.one_of(_EN, _ZH), min_size=1, max_size=8).map(" ".join)
_LONG_WORD = st.builds(lambda c, n: c * n, st.sampled_from(["x", "基", "-", "ab"]), st.integers(30, 3000))
_LONG_LINE = st.builds(lambda w, n: " ".join([w] * n), _WORD, st.integers(20, 600))
_CODE_LINE = st.one_of(
    st.sampled_from(["x = 1", "position = equity * leverage", "", "    return pnl", "| not | a table |", "`tick`"]),
    _LONG_WORD,
    _LONG_LINE,
)
_CODE = st.lists(_CODE_LINE, max_size=12).map("\n".join)
_LANG = st.sampled_from(["", "python", "sh", "text"])
_INLINE_CODE = st.text(alphabet="abc xyz=+基差", min_size=1, max_size=60)
_TABLE = st.builds(
    lambda rows: "| Move | P&L |\n|---|---|\n" + "\n".join(f"| -{i}% | {cell} |" for i, cell in enumerate(rows)),
    st.lists(st.one_of(_WORD, _ZH), min_size=1, max_size=40),
)
_PART = st.one_of(
    _PROSE,
    _LONG_WORD,
    _LONG_LINE,
    _TABLE,
    st.builds(lambda lang, code: f"```{lang}\n{code}\n```", _LANG, _CODE),  # a fenced block
    st.builds(lambda lang, code: f"```{lang}\n{code}", _LANG, _CODE),  # never closed
    st.builds(lambda a, code, b: f"{a} ```{code}``` {b}", _PROSE, _INLINE_CODE, _PROSE),  # inline fence
    st.builds(lambda a, lang, code, b: f"{a} ```{lang}\n{code}\n```{b}", _PROSE, _LANG, _CODE, _PROSE),  # mid-line
    st.builds(lambda a, code: f"{a} ```{code}", _PROSE, _LONG_LINE),  # opened mid-line, never closed
    st.builds(lambda a, w: f"{a} use `{w}` or ``{w}`` here.", _PROSE, _WORD),  # inline backticks
    st.just(""),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_PART, st.sampled_from(["\n", "\n\n", " "])), min_size=1, max_size=10),
    st.integers(min_value=40, max_value=2000),
)
def test_split_keeps_content_fits_and_balances_fences(parts: list[tuple[str, str]], limit: int) -> None:
    _check_split("".join(part + sep for part, sep in parts), limit)


def test_a_code_line_longer_than_the_limit_is_kept() -> None:
    """Regression: the 2,800 characters written on a fence's opening line vanished."""
    query = "select basis, repo_rate from trades " * 78  # 2,808 characters
    text = f"The query:\n\n```sql {query}\nlimit 10\n```\n\nDone."
    chunks = _check_split(text, CONTENT_LIMIT)
    assert len(chunks) >= 2
    assert _content("".join(chunks)).count("selectbasis,repo_rate") == 78
    long_line = "x" * 2800
    chunks = _check_split(f"```python\nshort = 1\n{long_line}\nend = 2\n```", CONTENT_LIMIT)
    assert _squash("".join(chunks)).count("x") == 2800


def test_inline_fences_are_never_split_open() -> None:
    """Regression: a paragraph with ```like this``` inline, or a fence opened mid-line, was cut
    between its backticks, leaving chunks with one fence each."""
    text = "A paragraph with ```like this``` inline, then more words about the basis trade. " * 60
    chunks = _check_split(text, 500)
    assert len(chunks) > 3
    assert sum(len(_FENCE_RUN.findall(c)) for c in chunks) >= 120
    code = "\n".join(f"line_{i} = {i}" for i in range(200))
    chunks = _check_split(f"Look: ```python\n{code}\n``` and after.", 500)
    assert all(c.startswith("```python") for c in chunks if "line_" in c and not c.startswith("Look"))


def _answer(text: str, sources: int = 3, language: str = "zh-Hant") -> Answer:
    return Answer(
        answer=text,
        grounded=True,
        language=language,
        sources=[
            Source(title=f"文件 {i}", source=f"doc{i}.md", quote="基差交易" * 40, chunk_id=f"doc{i}#{i}")
            for i in range(sources)
        ],
    )


def test_answer_embeds_fit_discord_limits() -> None:
    embeds = answer_embeds(_answer("基差交易是一種套利。" * 1000))
    assert len(embeds) >= 3
    for embed in embeds:
        assert len(embed.description) <= EMBED_DESCRIPTION_LIMIT
        assert len(embed) <= EMBED_TOTAL_LIMIT
    assert embeds[-1].fields[0].name == "來源"
    assert not embeds[0].fields


def test_sources_line_is_compact() -> None:
    line = sources_line(_answer("x").sources)
    lines = line.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("[1] **文件 0** — 「")
    assert all(len(item) < 100 for item in lines)
    assert "…" in lines[0]


def test_answer_texts_fit_and_defuse_mentions() -> None:
    texts = answer_texts(_answer("@everyone 看這裡。" * 400, language="zh-Hans"))
    assert all(len(t) <= CONTENT_LIMIT for t in texts)
    joined = "".join(texts)
    assert "@everyone" not in joined and "@\u200beveryone" in joined
    assert "来源:" in texts[-1]


def test_shared_lines() -> None:
    assert "慢一點" in slow_down(12.3) and "Slow down" in slow_down(12.3)
    assert "慢一点" in slow_down(5, "zh-Hans")
    assert "\n" not in apology("deadbeef") and "deadbeef" in apology("deadbeef")
    assert isinstance(answer_embeds(_answer("", sources=0))[0], discord.Embed)

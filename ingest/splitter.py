"""Chinese-aware splitting: sections, then paragraphs, then whole sentences.

Chunks never cross a section heading, are packed up to a budget measured in
the embedding model's own tokens, and overlap by whole sentences.  A sentence
is only cut when it alone exceeds the budget (at a comma first).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.text import split_sentences
from ingest.loaders import Block

_CLAUSE_END = re.compile(r"(?<=[，、,：:])")

TokenCounter = Callable[[list[str]], list[int]]


@dataclass
class Chunk:
    section: str
    text: str
    position: int


def _fit(sentence: str, size: int, budget: int, count: TokenCounter) -> list[tuple[str, int]]:
    """Break one over-long sentence at clause ends, then by characters."""
    if size <= budget:
        return [(sentence, size)]
    pieces = [p for p in _CLAUSE_END.split(sentence) if p]
    if len(pieces) == 1:
        half = len(sentence) // 2
        pieces = [sentence[:half], sentence[half:]]
    out: list[tuple[str, int]] = []
    for piece, n in zip(pieces, count(pieces)):
        out.extend(_fit(piece, n, budget, count))
    return out


def split_blocks(
    blocks: list[Block], count: TokenCounter, budget: int = 160, overlap: int = 1
) -> list[Chunk]:
    """Pack each section's sentences into chunks of at most ``budget`` tokens."""
    sections: list[tuple[str, list[str]]] = []
    for block in blocks:
        sentences = split_sentences(block.text)
        if sections and sections[-1][0] == block.section:
            sections[-1][1].append("\n")  # paragraph marker
            sections[-1][1].extend(sentences)
        else:
            sections.append((block.section, sentences))

    chunks: list[Chunk] = []
    for section, sentences in sections:
        units = [s for s in sentences if s != "\n"]
        breaks = _paragraph_starts(sentences)
        sized: list[tuple[str, int, bool]] = []
        for index, (sentence, n) in enumerate(zip(units, count(units))):
            for piece_index, (piece, m) in enumerate(_fit(sentence, n, budget, count)):
                sized.append((piece, m, index in breaks and piece_index == 0))
        current: list[tuple[str, int, bool]] = []
        for item in sized:
            if current and sum(m for _, m, _ in current) + item[1] > budget:
                chunks.append(Chunk(section, _join(current), len(chunks)))
                kept = current[-overlap:] if overlap else []
                while kept and sum(m for _, m, _ in kept) + item[1] > budget:
                    kept = kept[1:]
                current = kept
            current.append(item)
        if current:
            chunks.append(Chunk(section, _join(current), len(chunks)))
    return [c for c in chunks if c.text.strip()]


def _paragraph_starts(sentences: list[str]) -> set[int]:
    starts, index = set(), 0
    for item in sentences:
        if item == "\n":
            starts.add(index)
        else:
            index += 1
    return starts


def _join(items: list[tuple[str, int, bool]]) -> str:
    out = ""
    for piece, _, new_paragraph in items:
        if not out:
            out = piece
        elif new_paragraph:
            out += "\n\n" + piece
        elif out[-1].isascii() and piece[:1].isascii():
            out += " " + piece
        else:
            out += piece
    return out

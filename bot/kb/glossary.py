"""The trilingual glossary: one corpus document serves readers, `/define` and query expansion.

A small multilingual model does not bridge "basis trade" and 基差交易 on its
own; expanding a question with the glossary's other-language terms lets BM25
and the dense search meet the passage in its own language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.text import fold

GLOSSARY_FILE = "glossary.md"
GLOSSARY_DOC = "glossary"  # its doc_id in the index
COLUMNS = ("zh-Hant", "zh-Hans", "English")
NOTE_COLUMN = "說明"
#: How a table row is stored as chunk text: "zh-Hant: 槓桿 · zh-Hans: 杠杆 · English: leverage · 說明: …".
#: Self-describing, and one sentence long (no ";" for the splitter to cut at).
CELL_SEPARATOR = " · "
_ROW = re.compile(
    rf"^{COLUMNS[0]}: (?P<hant>.+?){CELL_SEPARATOR}{COLUMNS[1]}: .+?{CELL_SEPARATOR}"
    rf"{COLUMNS[2]}: (?P<en>.+?){CELL_SEPARATOR}{NOTE_COLUMN}: (?P<note>.+)$"
)


def row_text(header: list[str], row: list[str]) -> str:
    """The one writer of the row format: each cell labelled with its column."""
    cells = [f"{h}: {c}" if h else c for h, c in zip(header or [""] * len(row), row)]
    return CELL_SEPARATOR.join(c for c in cells if c)


def readable_row(sentence: str) -> str:
    """The one reader: a glossary row as a person would write it, "槓桿 (leverage): 說明";
    any other sentence comes back unchanged."""
    row = _ROW.match(sentence)
    return f"{row['hant']} ({row['en']}): {row['note']}" if row else sentence


@dataclass(frozen=True)
class Term:
    zh_hant: tuple[str, ...]
    zh_hans: tuple[str, ...]
    english: tuple[str, ...]
    note: str

    @property
    def all_forms(self) -> tuple[str, ...]:
        return self.zh_hant + self.zh_hans + self.english

    def label(self) -> str:
        return f"{' / '.join(self.zh_hant)} ({' / '.join(self.english)})"


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(" / ") if part.strip())


def parse(markdown: str) -> list[Term]:
    """Rows of the glossary table (header: zh-Hant | zh-Hans | English | 說明)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows: list[list[str]] = []
    for index, token in enumerate(tokens):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and tokens[index - 1].type in ("th_open", "td_open"):
            rows[-1].append(token.content.strip())
    if not rows or tuple(rows[0][:3]) != COLUMNS:
        return []
    return [
        Term(_split(row[0]), _split(row[1]), _split(row[2]), row[3] if len(row) > 3 else "")
        for row in rows[1:]
        if len(row) >= 3 and row[0]
    ]


def load(corpus_dir: Path) -> Glossary:
    path = corpus_dir / GLOSSARY_FILE
    if not path.exists():
        return Glossary([])
    return Glossary(parse(path.read_text(encoding="utf-8")))


_ASCII_WORD = re.compile(r"[a-z0-9]")
#: A hyphen or dash between two letters of an English compound: "cheapest-to-deliver" is matched
#: as "cheapest to deliver" (same length, so match positions stay those of the text).
_JOINER = re.compile(r"(?<=[a-z0-9])[-\u2010\u2011\u2013](?=[a-z0-9])")


def match_form(text: str) -> str:
    """Folded, with compound hyphens read as spaces."""
    return _JOINER.sub(" ", fold(text))


def variants(form: str) -> set[str]:
    """The ways a form is typed: "sell-off" is also "sell off" and "selloff"."""
    spaced = match_form(form)
    if " " in spaced and spaced.isascii():
        return {spaced, spaced.replace(" ", "")}
    return {spaced}


def _is_word_char(char: str) -> bool:
    """What continues an English word: "CTD是什么" names CTD, "ctds" names it too, "actd" does not."""
    return char.isascii() and char.isalnum()


class Glossary:
    def __init__(self, terms: list[Term]) -> None:
        self.terms = terms
        # Longest forms first so "implied repo rate" wins over "repo".
        forms = [
            (variant, term) for term in terms for form in term.all_forms if len(form) > 1 for variant in variants(form)
        ]
        self._forms = sorted(forms, key=lambda item: -len(item[0]))
        # One answer asks about the same question and sentences many times (retrieval, the
        # answerer, composition): matching is a scan of every form, so it is remembered.
        self._matched = lru_cache(maxsize=8192)(self._scan)

    def __len__(self) -> int:
        return len(self.terms)

    def matches(self, text: str) -> list[Term]:
        """Terms mentioned in the text, any script, longest match first, no overlaps."""
        return list(self._matched(text))

    def _scan(self, text: str) -> tuple[Term, ...]:
        folded = match_form(text)
        found: list[Term] = []
        taken = [False] * len(folded)
        for form, term in self._forms:
            start = folded.find(form)
            while start != -1:
                end = start + len(form)
                ascii_form = bool(_ASCII_WORD.match(form[0]))
                bounded = not ascii_form or (
                    (start == 0 or not _is_word_char(folded[start - 1]))
                    and (end == len(folded) or not _is_word_char(folded[end]) or folded[end] == "s")
                )
                if bounded and not any(taken[start:end]):
                    for i in range(start, end):
                        taken[i] = True
                    if term not in found:
                        found.append(term)
                start = folded.find(form, start + 1)
        return tuple(found)

    @staticmethod
    def other_forms(term: Term, text: str) -> tuple[str, ...]:
        """The term's forms the text does not write, its synonyms for a search: not a longer
        form holding one the text writes either ("cash-futures basis trade" for "basis trade"
        only adds modifiers)."""
        folded = match_form(text)
        forms = [(form, match_form(form)) for form in term.all_forms]
        # as typed in any of its ways: "selloff" writes "sell-off" (its parts are no synonym of it)
        written = [matched for form, matched in forms if any(v in folded for v in variants(form))]
        return tuple(dict.fromkeys(form for form, matched in forms if not any(w in matched for w in written)))

    def define(self, query: str) -> Term | None:
        """The entry for a term typed in any script (exact form first, then mention)."""
        wanted = match_form(query.strip())
        for term in self.terms:
            if any(wanted in variants(form) for form in term.all_forms):
                return term
        found = self.matches(query)
        return found[0] if found else None

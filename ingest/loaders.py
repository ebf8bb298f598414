"""Turn files of any supported format into :class:`Document` blocks.

Each loader returns the document's front matter and its text as blocks
(heading path + paragraph) so the splitter never has to re-discover structure.
A file that cannot be read, or is too big to index in reasonable time and
memory, raises :class:`LoadError` naming the reason; the pipeline reports it by
name and goes on.

Corpus files are untrusted input (anyone who can drop a file into ``corpus/``
or ``/reindex`` it): nothing outside the resolved corpus directory is read, YAML
aliases are refused, and every document is bounded by the limits below,
checked before (bytes, table cells) and while (blocks, characters) it is parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
import stat
import time
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.kb.glossary import row_text
from bot.text import detect_lang

SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}
REQUIRED = ("title", "lang", "source", "date", "license")

# -- Limits: what one document may be (the README's "Limits" explains them) --------------------
#: Markdown, text and HTML files; refused before they are read. Parsing is the cost that grows
#: with bytes (markdown-it keeps a few hundred bytes per token), so this bounds it.
MAX_FILE_BYTES = 1024 * 1024
#: PDFs carry fonts and images that never become text; their text is bounded by the caps below.
MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 1_000
#: CPU seconds (of the reading thread) to extract one PDF's text: a few KB of PDF can make
#: every page draw one shared, huge content stream, which no size cap sees. Real manuals
#: take pypdf about 10 ms a page, and a PDF reaches MAX_TEXT_CHARS within a few hundred pages.
MAX_PDF_SECONDS = 30.0
#: pypdf's own guards, tightened for reading text: work to parse one content stream (the
#: densest page of two real manuals measured ~5,000; pypdf allows 2,000,000) and the bytes one
#: compressed stream may inflate to (pypdf: 75 MB).
_PYPDF_LIMITS = {"stream_parsing_work_maximum_count": 500_000, "zlib_maximum_output_length": 16_000_000}
#: Text after extraction (markup dropped), counted after NFKC normalisation as the model's
#: tokenizer sees it (one ligature can expand to 18 characters). Splitting, tokenising and
#: embedding grow with it; at the default CHUNK_TOKENS, measured: 248,000 characters of Chinese
#: prose make 4,245 chunks (about one model token per character), of English prose 621.
MAX_TEXT_CHARS = 250_000
#: Paragraphs, list items, table rows and code blocks: each section makes at least one chunk,
#: so this bounds the chunks of a document made of many tiny sections or rows.
MAX_BLOCKS = 2_000
#: Markdown table cells, counted before parsing: markdown-it makes every cell of every row
#: (missing ones too) a token, so a wide header over many rows is a memory bomb.
MAX_TABLE_CELLS = 20_000
#: Each metadata field is stored on every chunk of its document.
MAX_FIELD_CHARS = {"title": 300, "lang": 35, "source": 1_000, "date": 40, "license": 300}

_REFERENCES = re.compile(r"(^|> )(Sources|References|資料來源|参考资料|參考資料)\b", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n?|\n")  # markdown-it's line endings
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_TAGS = [
    "script", "style", "nav", "footer", "aside", "form", "header", "noscript", "template",
    "iframe", "object", "svg",
]


class LoadError(Exception):
    """A file that cannot become a document; the message says why."""


@dataclass
class Block:
    section: str  # heading path, "H1 > H2"
    text: str


@dataclass
class Document:
    doc_id: str
    path: Path
    meta: dict[str, str]
    blocks: list[Block] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.meta["title"]

    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for key in REQUIRED:
            digest.update(f"{key}={self.meta.get(key, '')}\n".encode())
        for block in self.blocks:
            digest.update(f"{block.section}\n{block.text}\n\n".encode())
        return digest.hexdigest()


class _Blocks(list[Block]):
    """Blocks as a loader finds them, refusing the document the moment it passes a limit
    (so a huge file is abandoned early, not parsed to the end). Bibliographies list every
    keyword of the document and answer nothing, so they are dropped here and not counted
    (the front matter's `source` still names where facts come from)."""

    def __init__(self) -> None:
        super().__init__()
        self.chars = 0

    def add(self, section: str, text: str) -> None:
        if not text.strip() or _REFERENCES.search(section):
            return
        self.chars += len(unicodedata.normalize("NFKC", text))
        if self.chars > MAX_TEXT_CHARS:
            raise LoadError(f"more than {MAX_TEXT_CHARS:,} characters of text; split it into smaller files")
        if len(self) >= MAX_BLOCKS:
            raise LoadError(
                f"more than {MAX_BLOCKS:,} paragraphs, list items and table rows; split it into smaller files"
            )
        self.append(Block(section, text))


def display_name(relative: str) -> str:
    """A file name fit for a report and for JSON: bytes that are not UTF-8 (kept by Python as
    surrogates) and control characters are shown escaped, e.g. ``bad-\\xff-name.md``."""
    text = os.fsencode(relative).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def _valid_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _resolve(path: Path) -> Path | None:
    """The real path, or None for a broken symlink or a symlink loop."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return None


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def scan(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Loadable files under root, in a stable order, and what was refused before reading it
    as (display name, reason).

    Dot-files and dot-directories (``.git/``, ``.obsidian/``) are skipped without a word.
    Symlinked directories are never walked (those inside the corpus are walked where they
    really are). A symlinked file is read only if it resolves inside the resolved corpus
    directory to a regular, non-hidden file, and once: a file reached twice is read at its
    own path. Names that are not valid UTF-8 are refused (they cannot be stored).
    """
    base = root.resolve()
    refused: list[tuple[str, str]] = []
    chosen: dict[Path, tuple[Path, bool]] = {}  # real path -> (path under root, is a symlink)

    def refuse(path: Path, reason: str) -> None:
        refused.append((display_name(path.relative_to(root).as_posix()), reason))

    def unlisted(err: OSError) -> None:
        refuse(Path(err.filename), f"cannot list this directory: {err.strerror}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted):
        here = Path(dirpath)
        walk = []
        for name in sorted(dirnames):
            sub = here / name
            if name.startswith("."):
                continue
            if not _valid_utf8(name):
                refuse(sub, "directory name is not valid UTF-8; rename it (nothing in it was read)")
            elif sub.is_symlink():
                target = _resolve(sub)
                if target is None or not target.is_relative_to(base):
                    refuse(sub, "symlink to a directory outside the corpus directory; not followed")
            else:
                walk.append(name)
        dirnames[:] = walk
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or path.suffix.lower() not in SUFFIXES:
                continue
            if not _valid_utf8(name):
                refuse(path, "file name is not valid UTF-8; rename it")
                continue
            link = path.is_symlink()
            target = _resolve(path)
            if target is None:
                refuse(path, "broken symlink" if link else "cannot be read")
            elif not target.is_relative_to(base):
                refuse(path, "symlink to a file outside the corpus directory; not read")
            elif _hidden(target.relative_to(base)):
                refuse(path, "symlink to a hidden file; not read")
            elif not stat.S_ISREG(target.stat().st_mode):
                refuse(path, "not a regular file")
            elif target not in chosen or (chosen[target][1] and not link):
                chosen[target] = (path, link)
    return sorted(path for path, _ in chosen.values()), refused


def discover(root: Path) -> list[Path]:
    """Every loadable file under the corpus root, in a stable order (see :func:`scan`)."""
    return scan(root)[0]


def _read_bytes(path: Path, root: Path) -> bytes:
    """The file's bytes, read only from inside the corpus and never past its size limit."""
    real = _resolve(path)
    if real is None or not real.is_relative_to(root.resolve()):
        raise LoadError("resolves outside the corpus directory; not read")
    limit = MAX_PDF_BYTES if path.suffix.lower() == ".pdf" else MAX_FILE_BYTES
    try:
        # `real` has no symlinks left: O_NOFOLLOW refuses one swapped in since, and O_NONBLOCK
        # keeps a FIFO swapped in from blocking the open (fstat then refuses it).
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise LoadError(f"cannot be read: {err.strerror}") from err
    with open(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("not a regular file")
        data = handle.read(limit + 1) if info.st_size <= limit else b""
    if info.st_size > limit or len(data) > limit:
        raise LoadError(f"larger than {limit // (1024 * 1024)} MB; split it into smaller files")
    return data


def _decode(data: bytes) -> str:
    if not data.strip():
        raise LoadError("empty file")
    if b"\x00" in data[:8192]:
        raise LoadError("binary content (NUL bytes) in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LoadError(f"not valid UTF-8 (byte {err.start})") from err


def _inline_text(token) -> str:
    """Plain text of an inline token: markup (**, `, links) dropped, breaks as spaces."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _heading_path(stack: list[tuple[int, str]]) -> str:
    return " > ".join(text for _, text in stack)


def _table_cells_bound(body: str) -> int:
    """An upper bound on the table cells markdown-it would make, without parsing: a table ends
    at a blank line and has the columns of its widest line, so each run of non-blank lines
    containing a ``|`` can hold at most lines x (pipes + 1) cells.  Lines are split as
    markdown-it splits them, and only spaces and tabs make a line blank (markdown-it ends a
    table on a few more), so the runs are never shorter than its tables."""
    total = lines = widest = 0
    for line in [*_NEWLINES.split(body), ""]:
        if line.strip(" \t"):
            lines += 1
            widest = max(widest, line.count("|"))
            continue
        if widest:
            total += lines * (widest + 1)
        lines = widest = 0
    return total


@lru_cache(maxsize=1)
def _markdown_parser() -> Any:
    """CommonMark with tables, built once: parsing keeps no state in the parser object."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def _markdown_blocks(body: str) -> list[Block]:
    """Headings, paragraphs, list items and table rows via markdown-it."""
    if _table_cells_bound(body) > MAX_TABLE_CELLS:
        raise LoadError(f"tables with more than {MAX_TABLE_CELLS:,} cells; split the table or the file")
    tokens = _markdown_parser().parse(body)
    blocks = _Blocks()
    stack: list[tuple[int, str]] = []
    row: list[str] = []
    header: list[str] = []
    in_head = False
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            level = int(token.tag[1:])
            title = _inline_text(tokens[index + 1])
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
        elif token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and tokens[index - 1].type in ("th_open", "td_open"):
            row.append(_inline_text(token))
        elif token.type == "tr_close":
            if in_head:
                header = row
            elif any(row):
                blocks.add(_heading_path(stack), row_text(header, row))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            blocks.add(_heading_path(stack), _inline_text(token))
        elif token.type in ("fence", "code_block"):
            blocks.add(_heading_path(stack), token.content.strip())
    return blocks


def _plain_blocks(text: str, section: str = "", blocks: _Blocks | None = None) -> _Blocks:
    blocks = _Blocks() if blocks is None else blocks
    for paragraph in text.replace("\r\n", "\n").split("\n\n"):
        blocks.add(section, " ".join(paragraph.split()))
    return blocks


@lru_cache(maxsize=1)
def _front_matter_handler() -> Any:
    """python-frontmatter's YAML handler with a loader that refuses aliases.

    A YAML alias (``*name``) repeats a node by reference: nine levels of nine aliases are a
    "billion laughs" of a few hundred bytes that expands to gigabytes once turned into text.
    Front matter has no use for aliases, so the first one refuses the file before anything
    is built (an anchor alone is harmless and allowed).
    """
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise _AliasRefused(self.peek_event().anchor)
            return super().compose_node(parent, index)

    class Handler(YAMLHandler):
        def load(self, fm: str, **kwargs: object) -> Any:
            return yaml.load(fm, Loader=NoAliasLoader)  # a SafeLoader: no Python objects

    return Handler()


class _AliasRefused(Exception):
    def __init__(self, anchor: str) -> None:
        super().__init__(anchor)
        self.anchor = anchor


def _front_matter(text: str) -> tuple[dict, str]:
    import frontmatter
    import yaml

    handler = _front_matter_handler()
    try:
        # YAML front matter through the alias-refusing handler; other kinds (JSON) as detected.
        post = frontmatter.loads(text, handler=handler) if handler.detect(text) else frontmatter.loads(text)
    except _AliasRefused as err:
        raise LoadError(f"front matter uses a YAML alias (*{err.anchor}); aliases are not allowed") from None
    except RecursionError:
        raise LoadError("front matter is nested too deeply") from None
    except (yaml.YAMLError, ValueError) as err:
        raise LoadError(f"broken front matter: {str(err).splitlines()[0]}") from err
    return dict(post.metadata), post.content


def _load_markdown(data: bytes) -> tuple[dict, list[Block]]:
    meta, body = _front_matter(_decode(data))
    return meta, _markdown_blocks(body)


def _load_text(data: bytes) -> tuple[dict, list[Block]]:
    meta, body = _front_matter(_decode(data))
    return meta, _plain_blocks(body)


def _is_hidden_element(tag: Any) -> bool:
    """Elements a reader never sees: ``hidden``, ``aria-hidden="true"``, inline display:none."""
    return (
        tag.has_attr("hidden")
        or str(tag.get("aria-hidden", "")).strip().lower() == "true"
        or bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))
    )


def _load_html(data: bytes) -> tuple[dict, list[Block]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data), "html.parser")
    meta: dict[str, str] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for tag in soup.find_all("meta"):
        name, content = tag.get("name"), tag.get("content")
        if name in REQUIRED and content:
            meta[name] = content.strip()
    if soup.html and soup.html.get("lang"):
        meta.setdefault("lang", soup.html["lang"])
    # Page chrome and text a reader never sees (hidden, templates, no-script fallbacks) would
    # be quoted in answers as if it were the page.
    for tag in [*soup(_HIDDEN_TAGS), *soup.find_all(_is_hidden_element)]:
        if not tag.decomposed:
            tag.decompose()
    blocks = _Blocks()
    stack: list[tuple[int, str]] = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "pre"]):
        text = " ".join(element.get_text(" ").split())
        if not text:
            continue
        if element.name.startswith("h"):
            level = int(element.name[1])
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
        else:
            blocks.add(_heading_path(stack), text)
    return meta, blocks


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns about damage it works around ("EOF marker not found"), which would
    reach stderr as stray lines naming no file; the file's fate is reported in `skipped`."""
    logger = logging.getLogger("pypdf")
    handler, propagate = logging.NullHandler(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _load_pdf(data: bytes) -> tuple[dict, list[Block]]:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import PyPdfError

    meta: dict[str, str] = {}
    blocks = _Blocks()
    deadline = time.thread_time() + MAX_PDF_SECONDS

    def on_time(*_: object) -> None:
        """Called by pypdf before every operator, inside form XObjects too."""
        if time.thread_time() > deadline:
            raise LoadError(f"took more than {MAX_PDF_SECONDS:.0f} s of CPU to read; not indexed")

    with _quiet_pypdf(), apply_configuration(**_PYPDF_LIMITS):
        try:
            reader = PdfReader(io.BytesIO(data))
            if len(reader.pages) > MAX_PDF_PAGES:
                raise LoadError(f"more than {MAX_PDF_PAGES:,} pages; split it into smaller files")
            if reader.metadata and reader.metadata.title:
                meta["title"] = str(reader.metadata.title)
            for number, page in enumerate(reader.pages, start=1):
                on_time()
                _plain_blocks(page.extract_text(visitor_operand_before=on_time) or "", f"p. {number}", blocks)
        except LoadError:
            raise
        # pypdf reports damage with its own errors and, on some inputs, with whatever the
        # broken structure trips (KeyError, TypeError, zlib.error, ...): all mean "unreadable".
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as err:
            raise LoadError(f"unreadable PDF: {str(err) or type(err).__name__}") from err
    return meta, blocks


_LOADERS = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
}


def _metadata(meta: dict, path: Path, root: Path, blocks: list[Block]) -> dict[str, str]:
    """The five stored fields, gaps filled so every chunk has full metadata; other front
    matter keys are ignored. Each field is stored on every chunk, hence the length caps."""
    clean: dict[str, str] = {}
    for key in REQUIRED:
        value = meta.get(key)
        text = "" if value is None else str(value).strip()
        if len(text) > MAX_FIELD_CHARS[key]:
            raise LoadError(
                f"`{key}` is {len(text):,} characters long; at most {MAX_FIELD_CHARS[key]:,} allowed"
            )
        if text:
            clean[key] = text
    clean.setdefault("title", path.stem[: MAX_FIELD_CHARS["title"]])
    if "lang" not in clean:  # guessed only when missing (setdefault would guess for every file)
        clean["lang"] = detect_lang(" ".join(b.text for b in blocks[:20]))
    clean.setdefault("source", path.relative_to(root).as_posix()[: MAX_FIELD_CHARS["source"]])
    clean.setdefault("date", dt.date.fromtimestamp(path.stat().st_mtime).isoformat())
    clean.setdefault("license", "unknown")
    return clean


def load(path: Path, root: Path) -> Document:
    """Load one file (a path :func:`scan` returned) within the limits above."""
    meta, blocks = _LOADERS[path.suffix.lower()](_read_bytes(path, root))
    if not blocks:
        raise LoadError("no text found")
    doc_id = path.relative_to(root).with_suffix("").as_posix()
    return Document(doc_id=doc_id, path=path, meta=_metadata(meta, path, root, blocks), blocks=list(blocks))

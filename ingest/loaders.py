"""Turn files of any supported format into :class:`Document` blocks.

Each loader returns the document's front matter and its text as blocks
(heading path + paragraph) so the splitter never has to re-discover structure.
A file that cannot be read raises :class:`LoadError` naming the reason; the
pipeline reports it and goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.kb.glossary import row_text
from bot.text import detect_lang

SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}
REQUIRED = ("title", "lang", "source", "date", "license")
MAX_BYTES = 20 * 1024 * 1024
_REFERENCES = re.compile(r"(^|> )(Sources|References|資料來源|参考资料|參考資料)\b", re.IGNORECASE)


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


def _read_text(path: Path) -> str:
    data = path.read_bytes()
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


def _markdown_blocks(body: str) -> list[Block]:
    """Headings, paragraphs, list items and table rows via markdown-it."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    blocks: list[Block] = []
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
                blocks.append(Block(_heading_path(stack), row_text(header, row)))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            text = _inline_text(token)
            if text:
                blocks.append(Block(_heading_path(stack), text))
        elif token.type in ("fence", "code_block") and token.content.strip():
            blocks.append(Block(_heading_path(stack), token.content.strip()))
    return blocks


def _plain_blocks(text: str) -> list[Block]:
    paragraphs = [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n")]
    return [Block("", p) for p in paragraphs if p]


def _front_matter(path: Path) -> tuple[dict, str]:
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(_read_text(path))
    except yaml.YAMLError as err:
        raise LoadError(f"broken front matter: {str(err).splitlines()[0]}") from err
    return dict(post.metadata), post.content


def _load_markdown(path: Path) -> tuple[dict, list[Block]]:
    meta, body = _front_matter(path)
    return meta, _markdown_blocks(body)


def _load_text(path: Path) -> tuple[dict, list[Block]]:
    meta, body = _front_matter(path)
    return meta, _plain_blocks(body)


def _load_html(path: Path) -> tuple[dict, list[Block]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text(path), "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "aside", "form", "header"]):
        tag.decompose()
    meta: dict[str, str] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for tag in soup.find_all("meta"):
        name, content = tag.get("name"), tag.get("content")
        if name in REQUIRED and content:
            meta[name] = content.strip()
    if soup.html and soup.html.get("lang"):
        meta.setdefault("lang", soup.html["lang"])
    blocks: list[Block] = []
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
            blocks.append(Block(_heading_path(stack), text))
    return meta, blocks


def _load_pdf(path: Path) -> tuple[dict, list[Block]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        meta: dict[str, str] = {}
        if reader.metadata and reader.metadata.title:
            meta["title"] = str(reader.metadata.title)
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            for block in _plain_blocks(page.extract_text() or ""):
                blocks.append(Block(f"p. {number}", block.text))
    except (PdfReadError, ValueError, KeyError, OSError) as err:
        raise LoadError(f"unreadable PDF: {err}") from err
    return meta, blocks


_LOADERS = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
}


def load(path: Path, root: Path) -> Document:
    """Load one file; front matter gaps are filled so every chunk has full metadata."""
    if path.stat().st_size > MAX_BYTES:
        raise LoadError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    meta, blocks = _LOADERS[path.suffix.lower()](path)
    # Bibliographies list every keyword of the document and answer nothing: keep them out
    # of the index (the front matter's `source` still names where facts come from).
    blocks = [b for b in blocks if b.text.strip() and not _REFERENCES.search(b.section)]
    if not blocks:
        raise LoadError("no text found")
    clean = {k: str(v).strip() for k, v in meta.items() if v is not None}
    clean.setdefault("title", path.stem)
    clean.setdefault("lang", detect_lang(" ".join(b.text for b in blocks[:20])))
    clean.setdefault("source", path.relative_to(root).as_posix())
    clean.setdefault(
        "date", dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    )
    clean.setdefault("license", "unknown")
    doc_id = path.relative_to(root).with_suffix("").as_posix()
    return Document(doc_id=doc_id, path=path, meta=clean, blocks=blocks)


def discover(root: Path) -> list[Path]:
    """Every loadable file under the corpus root, in a stable order."""
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    )

"""Ingest safety (issue 14): corpus files are untrusted input.

Nothing outside the corpus is read, a hostile file is refused by name with a reason and
the run goes on, and every document is bounded by the limits in ``ingest.loaders``.
Loaders are exercised on real files. Three tests run a child process: two under a cap on
its address space (a real MemoryError; and an alias bomb that, should the guard regress,
fails in seconds instead of eating gigabytes), one to see the CLI's real stderr.
"""

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from bot.kb import store
from bot.settings import ROOT
from ingest import loaders
from ingest.loaders import LoadError, load
from ingest.pipeline import Summary, load_corpus, run
from tests.conftest import CORPUS, cli_env

GOOD = (
    "---\ntitle: Good note\nlang: en\nsource: test\ndate: 2026-01-01\nlicense: CC0\n---\n\n"
    "# Repo\n\nRepo haircuts cap the leverage of the basis trade.\n"
)


def _loaded(root: Path) -> tuple[list[str], dict[str, str]]:
    summary = Summary()
    docs = load_corpus(root, summary)
    return [d.doc_id for d in docs], {s["file"]: s["reason"] for s in summary.skipped}


def _front(**fields: str) -> str:
    values = {"title": "T", "lang": "en", "source": "test", "date": "2026-01-01", "license": "CC0", **fields}
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in values.items()) + "---\n\n"


def _pdf(pages: list[str], *, xref_shift: int = 0) -> bytes:
    """A real, minimal PDF with one line of Helvetica text per page; ``xref_shift`` damages the
    startxref pointer, which pypdf repairs while logging about it."""
    font = 3 + 2 * len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects = {
        1: "<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>",
        font: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects[3 + 2 * i] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects[4 + 2 * i] = f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream"
    out, offsets = b"%PDF-1.4\n", {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offsets[n]:010d} 00000 n \n" for n in sorted(objects)).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref + xref_shift}\n%%EOF\n".encode()
    return out


def _pdf_drawing_one_stream(pages: int, operators: int) -> bytes:
    """A few KB of PDF whose every page draws the same content stream of `operators` no-ops."""
    stream = zlib.compress(b"BT /F1 12 Tf (x) Tj ET\n" + b"0 0 Td\n" * operators)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    }
    for i in range(pages):
        objects[5 + i] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>"
        )
    out, offsets = b"%PDF-1.4\n", {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in sorted(objects))
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


# -- 1. symlinks and hidden directories ---------------------------------------------------------


def test_symlinks_out_of_the_corpus_are_refused_by_name(tmp_path, corpus_copy):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("DISCORD_TOKEN=zebra-secret-value", encoding="utf-8")
    (outside / "notes.md").write_text(GOOD.replace("Good note", "Outside note"), encoding="utf-8")
    (corpus_copy / "passwd.txt").symlink_to("/etc/passwd")
    (corpus_copy / "env.md").symlink_to(outside / "secret.txt")
    (corpus_copy / "relative.md").symlink_to(Path("..") / "outside" / "notes.md")
    (corpus_copy / "ext").symlink_to(outside, target_is_directory=True)
    (corpus_copy / "dangling.md").symlink_to(corpus_copy / "missing.md")
    (corpus_copy / "loop.md").symlink_to(corpus_copy / "loop.md")

    ids, skipped = _loaded(corpus_copy)
    assert sorted(ids) == ["basis-trade-article.zh-Hant", "en-regulation", "glossary"]
    for name in ("passwd.txt", "env.md", "relative.md"):
        assert "outside the corpus" in skipped[name]
    assert "directory outside the corpus" in skipped["ext"]
    assert skipped["dangling.md"] == "broken symlink" and skipped["loop.md"] == "broken symlink"
    assert len(skipped) == 6  # nothing under ext/ was looked at


def test_the_index_never_holds_what_a_symlink_points_at(make_settings, corpus_copy, model, tmp_path):
    (tmp_path / "dotenv").write_text("LLM_API_KEY=zebra-secret-value\n\nmore zebra text", encoding="utf-8")
    (corpus_copy / "env.txt").symlink_to(tmp_path / "dotenv")
    settings = make_settings(corpus_dir=corpus_copy)
    summary = run(settings, model_factory=lambda: model)
    assert summary.documents == 3 and [s["file"] for s in summary.skipped] == ["env.txt"]
    collection, _ = store.open_active(settings)
    assert not any("zebra" in text for text in store.all_chunks(collection)["documents"])


def test_a_symlink_inside_the_corpus_is_read_once(corpus_copy):
    (corpus_copy / "sub").mkdir()
    (corpus_copy / "sub" / "note.md").write_text(GOOD, encoding="utf-8")
    (corpus_copy / "alias.md").symlink_to("en-regulation.md")  # the real file wins
    (corpus_copy / "mirror").symlink_to("sub", target_is_directory=True)  # not walked
    (corpus_copy / ".private.md").write_text(GOOD, encoding="utf-8")
    (corpus_copy / "peek.md").symlink_to(".private.md")

    ids, skipped = _loaded(corpus_copy)
    assert sorted(ids) == ["basis-trade-article.zh-Hant", "en-regulation", "glossary", "sub/note"]
    assert skipped == {"peek.md": "symlink to a hidden file; not read"}


def test_a_symlink_to_a_file_only_it_reaches_is_read_under_its_own_name(corpus_copy):
    (corpus_copy / "drafts").mkdir()
    (corpus_copy / "drafts" / "note.md.bak").write_text(GOOD, encoding="utf-8")  # not a corpus suffix
    (corpus_copy / "note.md").symlink_to(Path("drafts") / "note.md.bak")
    ids, skipped = _loaded(corpus_copy)
    assert "note" in ids and not skipped


def test_dot_directories_and_dot_files_are_skipped(corpus_copy):
    for folder in (".git", ".obsidian", "sub/.trash"):
        (corpus_copy / folder).mkdir(parents=True)
        (corpus_copy / folder / "page.md").write_text(GOOD, encoding="utf-8")
    (corpus_copy / ".draft.md").write_text(GOOD, encoding="utf-8")
    ids, skipped = _loaded(corpus_copy)
    assert sorted(ids) == ["basis-trade-article.zh-Hant", "en-regulation", "glossary"] and not skipped


def test_fifo_named_like_a_document_does_not_block(corpus_copy):
    os.mkfifo(corpus_copy / "pipe.md")
    ids, skipped = _loaded(corpus_copy)
    assert len(ids) == 3 and skipped == {"pipe.md": "not a regular file"}


# -- 2. YAML alias bomb; every per-file failure stays with its file -----------------------------


def _alias_bomb() -> str:
    """The classic "billion laughs": nine levels of nine aliases, 9**9 strings from ~400 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
    return "---\n" + "\n".join(lines) + "\ntitle: *i\nlang: en\n---\n\nA body under the bomb.\n"


_CHILD = """
import json, resource, sys
from pathlib import Path
limit = int(sys.argv[2]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from ingest.pipeline import Summary, load_corpus
summary = Summary()
docs = load_corpus(Path(sys.argv[1]), summary)
print(json.dumps({"docs": [d.doc_id for d in docs], "skipped": summary.skipped}))
"""


def _load_in_child(root: Path, limit_mb: int) -> dict:
    """load_corpus in a child process whose address space is capped at limit_mb."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(limit_mb)],
        cwd=ROOT, env=cli_env(root, root.parent / "data"), capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    return json.loads(out.stdout)


def test_yaml_alias_bomb_is_refused_up_front(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "bomb.md").write_text(_alias_bomb(), encoding="utf-8")
    (root / "good.md").write_text(GOOD, encoding="utf-8")
    assert len(_alias_bomb().encode()) < 500
    # 1 GiB of address space: without the guard the bomb's expansion fails here (MemoryError)
    # in seconds, instead of taking 6 GB, and the reason below would not name the alias.
    result = _load_in_child(root, limit_mb=1024)
    assert result["docs"] == ["good"]
    assert result["skipped"] == [
        {"file": "bomb.md", "reason": "front matter uses a YAML alias (*a); aliases are not allowed"}
    ]


def test_anchors_without_aliases_are_harmless_and_accepted(tmp_path):
    path = tmp_path / "anchor.md"
    path.write_text(_front(title="&t Anchored title") + "Body text here.\n", encoding="utf-8")
    assert load(path, tmp_path).title == "Anchored title"


def test_a_real_memory_error_stays_with_its_file(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    # One-letter paragraphs: under the size cap, but markdown-it needs ~500 MB of tokens for
    # them, more than the child's 350 MB of address space: a genuine MemoryError mid-parse.
    (root / "a-tiny-paragraphs.md").write_text("a\n\n" * 330_000, encoding="utf-8")
    (root / "b-good.md").write_text(GOOD, encoding="utf-8")
    result = _load_in_child(root, limit_mb=350)
    assert result["docs"] == ["b-good"]  # loaded after the failure: the memory came back
    assert result["skipped"] == [{"file": "a-tiny-paragraphs.md", "reason": "ran out of memory reading it"}]


def test_deeply_nested_front_matter_is_refused_not_fatal(tmp_path):
    (tmp_path / "deep.md").write_text("---\ntitle: " + "[" * 50_000 + "]" * 50_000 + "\n---\nBody.\n")
    (tmp_path / "deep.txt").write_text('---\n{"title": ' + "[" * 50_000 + "]" * 50_000 + "}\n---\nBody.\n")
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    ids, skipped = _loaded(tmp_path)
    assert ids == ["good"]
    assert skipped == {"deep.md": "front matter is nested too deeply", "deep.txt": "front matter is nested too deeply"}


# -- 3. file names that are not UTF-8 ------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_reported_and_the_run_goes_on(make_settings, corpus_copy, model):
    bad = os.path.join(os.fsencode(corpus_copy), b"bad-\xff\xfe-name.md")
    with open(bad, "wb") as handle:
        handle.write(GOOD.encode())
    os.makedirs(os.path.join(os.fsencode(corpus_copy), b"dir-\xff"))
    with open(os.path.join(os.fsencode(corpus_copy), b"dir-\xff", b"inner.md"), "wb") as handle:
        handle.write(GOOD.encode())
    settings = make_settings(corpus_dir=corpus_copy)
    summary = run(settings, model_factory=lambda: model)
    assert summary.documents == 3
    reasons = {s["file"]: s["reason"] for s in json.loads(summary.to_json())["skipped"]}
    assert reasons == {
        "dir-\\xff": "directory name is not valid UTF-8; rename it (nothing in it was read)",
        "bad-\\xff\\xfe-name.md": "file name is not valid UTF-8; rename it",
    }


def test_display_name_escapes_control_characters():
    assert loaders.display_name("two\nlines.md") == "two\\nlines.md"
    assert loaders.display_name("基差.md") == "基差.md"


# -- 4. limits -----------------------------------------------------------------------------------


def test_the_real_corpus_is_well_inside_every_limit():
    ids, skipped = _loaded(CORPUS)
    assert len(ids) == 6 and not skipped


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("big.md", b"a" * (loaders.MAX_FILE_BYTES + 1), "larger than 1 MB"),
        ("big.html", b"<p>a</p>" * (loaders.MAX_FILE_BYTES // 8 + 1), "larger than 1 MB"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * loaders.MAX_PDF_BYTES, "larger than 10 MB"),
        ("long.txt", ("Repo haircuts cap leverage. " * 9_000).encode(), "more than 250,000 characters"),
        # 60,000 ligatures are 180 KB but 1,080,000 characters once normalised (and in tokens).
        ("ligatures.txt", ("\ufdfa" * 60_000).encode(), "more than 250,000 characters"),
        ("rows.md", ("".join(f"Paragraph {i}.\n\n" for i in range(loaders.MAX_BLOCKS + 1))).encode(), "paragraphs"),
        ("sections.md", "".join(f"# H{i}\n\nText {i}.\n\n" for i in range(2_001)).encode(), "paragraphs"),
    ],
)
def test_documents_over_a_limit_are_refused_with_the_limit_named(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    ids, skipped = _loaded(tmp_path)
    assert not ids and reason in skipped[name]


def test_a_document_just_inside_the_limits_is_accepted(tmp_path):
    body = "".join(f"## Part {i}\n\nRepo haircut note {i}.\n\n" for i in range(loaders.MAX_BLOCKS))
    (tmp_path / "many.md").write_text(_front() + body, encoding="utf-8")
    (tmp_path / "long.txt").write_text("Margin calls force sales. " * 9_500, encoding="utf-8")
    ids, skipped = _loaded(tmp_path)
    assert sorted(ids) == ["long", "many"] and not skipped


def test_a_wide_table_is_refused_before_markdown_it_builds_its_cells(tmp_path):
    # markdown-it fills every column of every row, pipe or not: 300 columns x 4,000 one-letter
    # rows would be 1.2 million cell tokens (gigabytes); the bound refuses it unparsed.
    header = "|" + "|".join(f"column {i}" for i in range(300)) + "|\n|" + "-|" * 300 + "\n"
    (tmp_path / "wide.md").write_text(_front() + header + "a\n" * 4_000, encoding="utf-8")
    rows = "| term | 中文 | note |\n|---|---|---|\n" + "".join(f"| t{i} | 詞{i} | n{i} |\n" for i in range(1_500))
    (tmp_path / "glossary-like.md").write_text(_front() + rows, encoding="utf-8")
    ids, skipped = _loaded(tmp_path)
    assert ids == ["glossary-like"]
    assert skipped == {"wide.md": "tables with more than 20,000 cells; split the table or the file"}


def test_table_cell_bound_counts_rows_times_the_widest_line():
    assert loaders._table_cells_bound("|a|b|\n|-|-|\n|1|2|\n\nprose\n\n|x|\n") == 3 * 4 + 1 * 3
    assert loaders._table_cells_bound("no tables here\n\njust text") == 0
    # U+2028 does not end a line for markdown-it and an ideographic space does not blank one:
    # one run of 4 lines, 6 pipes wide.
    assert loaders._table_cells_bound("|a|b|\u2028|c|d|\n|-|\n\u3000\na\n") == 4 * 7


@pytest.mark.parametrize(
    ("field", "length", "ok"),
    [("title", 300, True), ("title", 200_000, False), ("source", 1_000, True), ("source", 1_001, False),
     ("lang", 36, False), ("license", 301, False)],
)
def test_front_matter_fields_are_capped(tmp_path, field, length, ok):
    path = tmp_path / "doc.md"
    path.write_text(_front(**{field: "x" * length}) + "Body text.\n", encoding="utf-8")
    if ok:
        assert len(load(path, tmp_path).meta[field]) == length
    else:
        with pytest.raises(LoadError, match=rf"`{field}` is {length:,} characters long; at most"):
            load(path, tmp_path)


def test_html_title_is_capped_too(tmp_path):
    (tmp_path / "page.html").write_text(f"<title>{'t' * 400}</title><p>Body.</p>", encoding="utf-8")
    with pytest.raises(LoadError, match="`title` is 400 characters"):
        load(tmp_path / "page.html", tmp_path)


def test_pdf_page_limit(tmp_path):
    (tmp_path / "long.pdf").write_bytes(_pdf(["p"] * (loaders.MAX_PDF_PAGES + 1)))
    with pytest.raises(LoadError, match="more than 1,000 pages"):
        load(tmp_path / "long.pdf", tmp_path)


def test_a_pdf_whose_pages_share_one_huge_stream_is_stopped(tmp_path, monkeypatch):
    # Each page costs pypdf ~0.3-1 s; 1,000 such pages (150 KB) would take a quarter of an hour.
    # Twenty pages and a 1-second budget show the budget at work without the wait.
    (tmp_path / "loop.pdf").write_bytes(_pdf_drawing_one_stream(20, 100_000))
    monkeypatch.setattr(loaders, "MAX_PDF_SECONDS", 1.0)
    with pytest.raises(LoadError, match="took more than 1 s of CPU to read"):
        load(tmp_path / "loop.pdf", tmp_path)


def test_a_pdf_content_stream_over_pypdfs_tightened_parsing_budget_is_refused(tmp_path):
    (tmp_path / "dense.pdf").write_bytes(_pdf_drawing_one_stream(1, 600_000))
    with pytest.raises(LoadError, match="unreadable PDF: Reached maximum number of tokens per stream"):
        load(tmp_path / "dense.pdf", tmp_path)


# -- 5. HTML text a reader never sees ------------------------------------------------------------


def test_html_hidden_text_is_not_indexed(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html lang='en'><head><title>Page</title></head><body>"
        "<h1>Repo</h1><p>Visible paragraph about repo haircuts.</p>"
        "<p style='color: red; display : none'>styled-none</p>"
        "<p style='visibility:hidden'>styled-invisible</p>"
        "<div hidden><p>hidden-attribute</p></div>"
        "<p>Shown <span aria-hidden='true'>aria-hidden-icon</span>text.</p>"
        "<noscript><p>noscript-fallback</p></noscript>"
        "<template><p>template-content</p></template>"
        "<p aria-hidden='false'>aria-visible</p>"
        "</body></html>",
        encoding="utf-8",
    )
    text = " ".join(b.text for b in load(tmp_path / "page.html", tmp_path).blocks)
    assert "Visible paragraph about repo haircuts." in text and "Shown text." in text and "aria-visible" in text
    for hidden in ("styled-none", "styled-invisible", "hidden-attribute", "aria-hidden-icon", "noscript", "template"):
        assert hidden not in text


# -- 6. PDFs: pypdf's own complaints never reach stderr; the file is named -----------------------


def test_pdf_damage_is_reported_by_name_and_pypdf_stays_quiet(tmp_path, caplog):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "repaired.pdf").write_bytes(_pdf(["Repo haircuts cap leverage."], xref_shift=7))
    ids, skipped = _loaded(tmp_path)
    assert ids == ["repaired"]  # pypdf repairs the bad startxref pointer
    assert list(skipped) == ["broken.pdf"] and skipped["broken.pdf"].startswith("unreadable PDF: ")
    # Without the guard pypdf's warnings ("EOF marker not found", "incorrect startxref
    # pointer") propagate to the root logger: pytest's capture would hold them here.
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]


def test_ingest_json_prints_nothing_stray_on_stderr(tmp_path, capfd):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.md").write_text(GOOD, encoding="utf-8")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (root / "repaired.pdf").write_bytes(_pdf(["Repo haircuts cap leverage."], xref_shift=7))
    with open(os.path.join(os.fsencode(root), b"bad-\xff\xfe-name.md"), "wb") as handle:
        handle.write(GOOD.encode())
    # The child inherits this process's stdout and stderr, which capfd captures at the fd level.
    code = subprocess.call(
        [sys.executable, "-m", "ingest", "--json"], cwd=ROOT, env=cli_env(root, tmp_path / "data"), timeout=300
    )
    out, err = capfd.readouterr()
    assert code == 0 and err == ""
    summary = json.loads(out)
    assert summary["documents"] == 2
    assert {s["file"] for s in summary["skipped"]} == {"broken.pdf", "bad-\\xff\\xfe-name.md"}

"""Incremental ingestion on a real Chroma in a temp dir with the real model."""

import json
import subprocess
import sys

import pytest

from bot.errors import StoreError
from bot.kb import store
from ingest.pipeline import run
from tests.conftest import cli_env

ROOT = store.__file__.rsplit("/bot/", 1)[0]


class CountingModel:
    """The real model, counting calls, so a test can prove it was never used."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __call__(self):
        self.calls += 1
        return self.model


def _chunks_by_doc(settings):
    collection, _ = store.open_active(settings)
    metas = store.all_chunks(collection)["metadatas"]
    out = {}
    for meta in metas:
        out.setdefault(meta["doc_id"], []).append(meta)
    return out


def test_first_run_then_no_change_embeds_nothing(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    first = run(settings, model_factory=lambda: model)
    assert first.documents == 3 and first.added == 3 and first.embedded == first.chunks > 0
    counting = CountingModel(model)
    second = run(settings, model_factory=counting)
    assert (second.added, second.updated, second.removed, second.embedded) == (0, 0, 0, 0)
    assert counting.calls == 0
    assert second.chunks == first.chunks


def test_edit_replaces_exactly_that_documents_chunks(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    before = _chunks_by_doc(settings)
    path = corpus_copy / "en-regulation.md"
    text = path.read_text(encoding="utf-8").replace(
        "\n## Sources", "\nA brand-new closing paragraph about margin.\n\n## Sources", 1
    )
    path.write_text(text, encoding="utf-8")
    summary = run(settings, model_factory=lambda: model)
    assert (summary.added, summary.updated, summary.removed) == (0, 1, 0)
    assert 1 <= summary.embedded <= 2  # the new paragraph (and at most its overlap neighbour)
    after = _chunks_by_doc(settings)
    assert {m["content_hash"] for m in after["glossary"]} == {m["content_hash"] for m in before["glossary"]}
    assert any({"brand", "brandnew"} <= set(m["tokens"].split()) for m in after["en-regulation"])


def test_bibliography_sections_are_not_indexed(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    path = corpus_copy / "en-regulation.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA zebra citation line.\n", encoding="utf-8")
    run(settings, model_factory=lambda: model)
    assert not any("zebra" in m["tokens"] for m in _chunks_by_doc(settings)["en-regulation"])


def test_deleted_document_chunks_are_removed(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    (corpus_copy / "en-regulation.md").unlink()
    counting = CountingModel(model)
    summary = run(settings, model_factory=counting)
    assert summary.removed == 1 and summary.embedded == 0 and counting.calls == 0
    assert "en-regulation" not in _chunks_by_doc(settings)
    client = store.connect(settings)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    state = store.read_state(client, settings)
    # The replaced index stays for readers still on it, until the next change drops it.
    assert {n for n in names if not n.endswith("__meta")} == {state.active, state.previous}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("binary.txt", b"\x00\x01\x02PK\x03\x04" * 50, "binary"),
        ("latin1.md", "caf\xe9 na\xefve".encode("latin-1"), "UTF-8"),
        ("broken-front.md", b"---\ntitle: [unclosed\n---\nbody\n", "front matter"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("blank.html", b"<html><body><script>x()</script></body></html>", "no text"),
    ],
)
def test_broken_files_are_reported_and_skipped(make_settings, corpus_copy, model, name, content, reason):
    settings = make_settings(corpus_dir=corpus_copy)
    (corpus_copy / name).write_bytes(content)
    summary = run(settings, model_factory=lambda: model)
    assert summary.documents == 3
    assert [s["file"] for s in summary.skipped] == [name]
    assert reason.lower() in summary.skipped[0]["reason"].lower()


def test_html_and_text_documents_are_loaded(make_settings, corpus_copy, model):
    (corpus_copy / "note.html").write_text(
        "<html lang='en'><head><title>Repo note</title><meta name='source' content='test'></head>"
        "<body><nav>menu</nav><h1>Repo</h1><p>Repo haircuts cap leverage at about one over h.</p></body></html>",
        encoding="utf-8",
    )
    (corpus_copy / "plain.txt").write_text("第一段。\n\n第二段說明附買回。", encoding="utf-8")
    settings = make_settings(corpus_dir=corpus_copy)
    summary = run(settings, model_factory=lambda: model)
    assert summary.documents == 5 and not summary.skipped
    docs = _chunks_by_doc(settings)
    assert docs["note"][0]["title"] == "Repo note" and docs["note"][0]["section"] == "Repo"
    assert docs["plain"][0]["lang"] == "zh-Hant"


def test_chunk_metadata_schema(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    for metas in _chunks_by_doc(settings).values():
        for meta in metas:
            assert set(store.CHUNK_FIELDS) <= set(meta)
            assert meta["title"] and meta["lang"] and meta["source"] and meta["license"]


def test_index_of_another_model_is_refused(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    client = store.connect(settings)
    state = store.read_state(client, settings)
    state.model = "some-other-model"
    store.write_state(client, settings, state)
    with pytest.raises(StoreError, match="--rebuild"):
        run(settings, model_factory=lambda: model)
    with pytest.raises(StoreError, match="--rebuild"):
        store.open_active(settings)
    rebuilt = run(settings, rebuild=True, model_factory=lambda: model)
    assert rebuilt.embedded == rebuilt.chunks
    store.open_active(settings)


def test_corrupted_index_directory_names_the_fix(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    for path in settings.chroma_path.rglob("*.sqlite3"):
        path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="--rebuild"):
        store.open_active(settings)
    summary = run(settings, rebuild=True, model_factory=lambda: model)
    assert summary.chunks > 0
    store.open_active(settings)


def test_cli_json_summary(make_settings, corpus_copy, tmp_path):
    env = cli_env(corpus_copy, tmp_path / "cli-data")
    out = subprocess.run(
        [sys.executable, "-m", "ingest", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert set(summary) == {"documents", "chunks", "added", "updated", "removed", "embedded", "seconds", "skipped"}
    assert summary["documents"] == 3 and summary["embedded"] == summary["chunks"]


def test_a_second_concurrent_ingest_is_refused(make_settings, corpus_copy, model):
    from filelock import FileLock

    settings = make_settings(corpus_dir=corpus_copy)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(settings.data_dir / "ingest.lock"), pytest.raises(StoreError, match="Another ingest"):
        run(settings, model_factory=lambda: model)
    assert run(settings, model_factory=lambda: model).chunks > 0  # free again afterwards


def _stored(settings):
    collection, _ = store.open_active(settings)
    got = collection.get(include=["documents", "metadatas", "embeddings"])
    return got["ids"], got["documents"], got["metadatas"], got["embeddings"]


def _prepared(settings):
    from ingest.pipeline import Summary, load_corpus, prepare

    return [c for doc in load_corpus(settings.corpus_dir, Summary()) for c in prepare(doc, settings)]


def test_batched_embedding_stores_every_chunk_once_in_corpus_order(make_settings, corpus_copy, model, monkeypatch):
    """Many small model calls and adds: same rows, same order, same vectors as one bare encode
    of the chunk texts."""
    import numpy as np

    from bot.kb.embeddings import encode
    from ingest import pipeline

    monkeypatch.setattr(pipeline, "EMBED_BATCH", 5)
    monkeypatch.setattr(pipeline, "ADD_BATCH", 7)
    settings = make_settings(corpus_dir=corpus_copy)
    calls = []
    summary = run(settings, model_factory=lambda: model, progress=calls.append)
    chunks = _prepared(settings)
    ids, documents, metadatas, vectors = _stored(settings)
    assert len(chunks) > 20 and summary.embedded == summary.chunks == len(chunks)
    assert calls == sorted(calls) and calls[-1] == len(chunks) and len(calls) > len(chunks) // 5
    assert ids == [c.id for c in chunks]
    assert documents == [c.text for c in chunks]
    assert metadatas == [dict(c.metadata) for c in chunks]
    expected = np.asarray(encode(model, [c.embed_text for c in chunks]), dtype=np.float32)
    # Chroma's cosine index hands back its own re-normalised copy: equal to float32 rounding.
    assert np.allclose(np.asarray(vectors, dtype=np.float32), expected, rtol=0, atol=1e-6)


def test_an_edit_keeps_old_vectors_and_corpus_order(make_settings, corpus_copy, model, monkeypatch):
    """Reused chunks before, between and after the new ones still go in corpus order, and keep
    the vectors the last run stored."""
    import numpy as np

    from ingest import pipeline

    monkeypatch.setattr(pipeline, "EMBED_BATCH", 3)
    monkeypatch.setattr(pipeline, "ADD_BATCH", 4)
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    old = dict(zip(*(_stored(settings)[i] for i in (0, 3))))
    path = corpus_copy / "en-regulation.md"
    text = path.read_text(encoding="utf-8")
    first_paragraph = next(p for p in text.split("\n\n") if p and not p.startswith(("---", "#")))
    path.write_text(text.replace(first_paragraph, first_paragraph + " A zebra margin call.", 1), encoding="utf-8")
    summary = run(settings, model_factory=lambda: model)
    ids, _, _, vectors = _stored(settings)
    assert ids == [c.id for c in _prepared(settings)]
    kept = [cid for cid in ids if cid in old]
    assert 0 < summary.embedded == len(ids) - len(kept)
    assert ids[0] in old and ids[-1] in old  # new chunks sit between reused ones
    for cid, vector in zip(ids, vectors):
        if cid in old:
            assert np.allclose(vector, old[cid], rtol=0, atol=1e-6)


class _FailingAdds:
    """A chunk collection whose second add fails the way a store does."""

    def __init__(self, collection):
        self.collection, self.adds = collection, 0

    def add(self, **records):
        self.adds += 1
        if self.adds == 2:
            raise Exception("disk I/O error")  # chromadb's bare Exception for what it cannot map
        self.collection.add(**records)


def _failing_create(real_create, where):
    def create(*args, **kwargs):
        if where == "create":  # runs on the store thread, beside the splitting and embedding
            raise Exception("disk I/O error")
        return _FailingAdds(real_create(*args, **kwargs))

    return create


@pytest.mark.parametrize("where", ["create", "add"])
def test_a_failed_write_leaves_the_old_index_serving(make_settings, corpus_copy, model, monkeypatch, where):
    from ingest import pipeline

    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    before = store.read_state(store.connect(settings), settings)
    (corpus_copy / "extra.md").write_text(
        "---\ntitle: Extra\nlang: en\nsource: test\ndate: 2026-12-01\nlicense: CC0\n---\n# Extra\n\n"
        + "\n\n".join(f"Paragraph {i} about repo haircuts and margin number {i}." for i in range(40)),
        encoding="utf-8",
    )
    real_create = store.create_chunk_collection
    monkeypatch.setattr(pipeline, "ADD_BATCH", 10)
    monkeypatch.setattr(store, "create_chunk_collection", _failing_create(real_create, where))
    with pytest.raises(StoreError, match="disk I/O error"):
        run(settings, model_factory=lambda: model)
    assert store.read_state(store.connect(settings), settings) == before
    store.open_active(settings)

    monkeypatch.setattr(store, "create_chunk_collection", real_create)
    summary = run(settings, model_factory=lambda: model)
    assert summary.added == 1 and "extra" in _chunks_by_doc(settings)


def test_a_new_store_reads_as_empty_until_the_first_flip(make_settings):
    """The pointer collection is created early; until the flip readers still see no index."""
    settings = make_settings()
    client = store.connect(settings, create=True)
    store.ensure_pointer_collection(client, settings)
    store.ensure_pointer_collection(client, settings)
    assert store.read_state(client, settings) == store.IndexState()
    with pytest.raises(StoreError, match="no index yet"):
        store.open_active(settings)
    state = store.IndexState(active="kb__x", model="usem3", manifest="m", docs={"a": "1"})
    store.write_state(client, settings, state)
    store.ensure_pointer_collection(client, settings)  # never overwrites a real pointer
    assert store.read_state(client, settings) == state


def test_new_token_rules_retokenise_without_re_embedding(make_settings, corpus_copy, model, monkeypatch):
    """A jieba or CC-CEDICT upgrade changes question tokens, so stored chunk tokens must follow;
    the vectors do not depend on them and are reused."""
    import ingest.pipeline as pipeline
    from bot.kb import tokens

    settings = make_settings(corpus_dir=corpus_copy)
    first = run(settings, model_factory=lambda: model)
    # a "new segmenter": its fingerprint and its tokens both differ
    monkeypatch.setattr(tokens, "fingerprint", lambda: "another-segmenter")
    monkeypatch.setattr(pipeline, "tokenize", lambda text, memo=None: [*tokens.tokenize(text, memo), "newsegmenter"])
    counting = CountingModel(model)
    again = run(settings, model_factory=counting)
    assert again.chunks == first.chunks and again.embedded == 0
    stored = [meta for metas in _chunks_by_doc(settings).values() for meta in metas]
    assert stored and all("newsegmenter" in meta["tokens"].split() for meta in stored)

"""Incremental ingestion: load, split, embed what changed, swap the index in.

Chunk ids are content hashes, so an unchanged chunk keeps its id and its
vector is copied rather than re-embedded; when nothing changed at all the
model is never loaded.  A new collection is built aside and the pointer is
flipped at the end, so a run killed half-way leaves the old index serving.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from bot.errors import StoreError, UserError
from bot.kb import store, tokens
from bot.kb.embeddings import count_tokens, encode_array, load_model
from bot.kb.tokens import tokenize
from bot.settings import Settings
from ingest.loaders import Document, LoadError, display_name, load, scan
from ingest.splitter import split_blocks

# Bump when splitting, tokenising, the chunk metadata or the collection's settings change, so
# old indexes are redone.
PIPELINE_VERSION = 4  # 3: jieba knows CC-CEDICT headwords (bot/kb/tokens.py); 4: exact vector search (store.EF_SEARCH)
#: Chunks per model call (the model packs them into its own token-budgeted micro-batches).
EMBED_BATCH = 64
#: Most chunks in one Chroma add.
ADD_BATCH = 1000


@dataclass
class Summary:
    documents: int = 0
    chunks: int = 0
    added: int = 0  # documents new to the index
    updated: int = 0  # documents whose content changed
    removed: int = 0  # documents no longer in the corpus
    embedded: int = 0  # chunks whose vectors were computed in this run
    seconds: float = 0.0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def line(self) -> str:
        text = (
            f"{self.documents} documents, {self.chunks} chunks: {self.added} added, "
            f"{self.updated} updated, {self.removed} removed; {self.embedded} chunks embedded "
            f"in {self.seconds:.2f} s"
        )
        if self.skipped:
            text += f"; {len(self.skipped)} skipped"
        return text

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass
class PreparedChunk:
    id: str
    text: str
    embed_text: str
    metadata: store.ChunkMeta


def chunk_id(doc_id: str, section: str, text: str) -> str:
    return hashlib.sha256(f"{doc_id}\x00{section}\x00{text}".encode()).hexdigest()[:32]


def prepare(doc: Document, settings: Settings, memo: dict[str, list[str]] | None = None) -> list[PreparedChunk]:
    """Split a document and attach the store's metadata schema to every chunk.

    ``memo`` is :func:`tokenize`'s, shared by one build's documents (same tokens, less work).
    """

    def counter(texts: list[str]) -> list[int]:
        return count_tokens(texts, settings.embedding_model)

    out = []
    for chunk in split_blocks(
        doc.blocks, counter, settings.chunk_tokens, settings.chunk_overlap_sentences
    ):
        heading = chunk.section or doc.title
        embed_text = f"{heading}\n{chunk.text}"
        metadata = store.ChunkMeta(
            doc_id=doc.doc_id,
            title=doc.title,
            section=chunk.section,
            lang=doc.meta["lang"],
            source=doc.meta["source"],
            date=doc.meta["date"],
            license=doc.meta["license"],
            position=chunk.position,
            content_hash=hashlib.sha256(chunk.text.encode()).hexdigest()[:16],
            tokens=" ".join(tokenize(embed_text, memo)),
        )
        out.append(PreparedChunk(chunk_id(doc.doc_id, chunk.section, chunk.text), chunk.text, embed_text, metadata))
    return out


def _manifest(doc_hashes: dict[str, str], settings: Settings) -> str:
    """What the index was built from: documents, chunking, model and the BM25 tokens' rules and
    libraries.  Equal means nothing to do, decided before any splitting or tokenising; a new
    jieba or CC-CEDICT re-tokenises every chunk (vectors are reused, nothing is re-embedded)."""
    digest = hashlib.sha256(
        f"{PIPELINE_VERSION}|{settings.embedding_model}|{settings.chunk_tokens}|"
        f"{settings.chunk_overlap_sentences}|{tokens.fingerprint()}".encode()
    )
    for doc_id, doc_hash in sorted(doc_hashes.items()):
        digest.update(f"{doc_id}={doc_hash}\n".encode())
    return digest.hexdigest()


def load_corpus(root: Path, summary: Summary) -> list[Document]:
    """Every readable document under root; anything refused is in summary.skipped by name.

    Whatever goes wrong with one file stays with that file (MemoryError and RecursionError
    included): it is reported and the run goes on.  The report is written after the except
    clause, when the failed load's objects have been released.
    """
    paths, refused = scan(root)
    summary.skipped.extend({"file": name, "reason": reason} for name, reason in refused)
    docs = []
    for path in paths:
        reason = None
        try:
            docs.append(load(path, root))
        except LoadError as err:
            reason = str(err)
        except MemoryError:
            reason = "ran out of memory reading it"
        except Exception as err:  # noqa: BLE001 - one bad file must not abort the run
            reason = f"{type(err).__name__}: {err}".strip().splitlines()[0][:300]
        if reason is not None:
            summary.skipped.append({"file": display_name(path.relative_to(root).as_posix()), "reason": reason})
    return docs


def run(
    settings: Settings,
    *,
    rebuild: bool = False,
    model_factory: Callable[[], Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Bring the index in line with the corpus; see module docstring for guarantees.

    One run at a time: two runs flipping the pointer and dropping each other's collections
    could leave it naming a deleted one.  A file lock covers one data directory; against a
    Chroma server (where runs on other machines have other data directories) the store's
    lease covers every run.  A store failure (a timeout, a vanished server) ends as a
    one-line :class:`StoreError`.
    """
    if not settings.corpus_dir.is_dir():
        raise UserError(f"Corpus directory {settings.corpus_dir} does not exist.")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / "ingest.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise StoreError("Another ingest is running on this index; try again when it has finished.") from None
    try:
        return _run(settings, rebuild, model_factory, progress)
    except Exception as err:
        if isinstance(err, UserError) or not store.is_store_failure(err):
            raise
        raise store.store_error(err, settings) from err
    finally:
        lock.release()


def _run(
    settings: Settings,
    rebuild: bool,
    model_factory: Callable[[], Any] | None,
    progress: Callable[[int], None] | None,
) -> Summary:
    started = time.perf_counter()
    summary = Summary()
    # Store set-up (opening a store, creating collections) waits on fsync with the GIL mostly
    # released; one worker thread does it, in order, while this thread reads, splits and embeds.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-store") as store_io:
        # A rebuild splits everything whatever the index says, so it reads and splits while the
        # store opens (~20 fsyncs for a new one); an incremental run opens it here before any
        # splitting, as the answer may be "nothing to do".
        opening = store_io.submit(_connect_for_ingest, settings, rebuild) if rebuild else None
        docs = load_corpus(settings.corpus_dir, summary)
        doc_hashes = {doc.doc_id: doc.content_hash() for doc in docs}
        summary.documents = len(docs)
        manifest = _manifest(doc_hashes, settings)
        chunks = _prepare_all(docs, settings) if rebuild else None
        client = opening.result() if opening is not None else _connect_for_ingest(settings, rebuild)

        with store.ingest_lease(client, settings) as lease:
            current = store.read_state(client, settings)
            state = store.IndexState() if rebuild else current
            if not rebuild and state.active:
                store.check_compatible(state, settings)
            old_docs = state.docs if state.active else {}
            summary.added = sum(1 for d in doc_hashes if d not in old_docs)
            summary.updated = sum(1 for d, h in doc_hashes.items() if d in old_docs and old_docs[d] != h)
            summary.removed = sum(1 for d in old_docs if d not in doc_hashes)

            old = _get(client, state.active) if state.active else None
            if old is not None and state.manifest == manifest:
                summary.chunks = old.count()
                _drop_orphans(client, settings, keep={state.active, state.previous}, lease=lease)
                summary.seconds = round(time.perf_counter() - started, 3)
                return summary

            name = f"{store.chunk_collection_prefix(settings)}{time.strftime('%Y%m%d%H%M%S')}_{manifest[:8]}"
            # The collection the last flip replaced has had a whole run's time for its readers to
            # move on; the one serving now is kept until the *next* change.
            creating = store_io.submit(_new_collection, client, settings, name, {current.active}, lease)
            if chunks is None:
                chunks = _prepare_all(docs, settings)
            summary.chunks = len(chunks)
            reused = (  # read on the store thread, after the set-up queued ahead of it
                store_io.submit(_reuse_vectors, old, [c.id for c in chunks]).result() if old is not None else {}
            )
            vectors = _embed(chunks, reused, summary, settings, model_factory, progress)
            new = creating.result()
            # One add per ADD_BATCH chunks, in corpus order, after embedding: adds interleaved
            # with embedding were measured slower.  The add releases the GIL, but its work runs
            # in Chroma's own threads on the cores the model already keeps busy, and every add
            # has a fixed cost (~15-20 ms) of its own.
            for start in range(0, len(chunks), ADD_BATCH):
                part = chunks[start : start + ADD_BATCH]
                new.add(
                    ids=[c.id for c in part],
                    embeddings=_rows(vectors[c.id] for c in part),
                    documents=[c.text for c in part],
                    metadatas=[c.metadata for c in part],
                )
            store.write_state(
                client,
                settings,
                store.IndexState(
                    active=name,
                    model=settings.embedding_model,
                    manifest=manifest,
                    docs=doc_hashes,
                    previous=current.active if current.active != name else None,
                ),
                lease=lease,
            )
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _prepare_all(docs: list[Document], settings: Settings) -> list[PreparedChunk]:
    """Every document's chunks; a paragraph repeated inside one section is one chunk (same id)."""
    memo: dict[str, list[str]] = {}  # this build's only: the next build segments afresh
    return list({c.id: c for doc in docs for c in prepare(doc, settings, memo)}.values())


def _new_collection(client: Any, settings: Settings, name: str, keep: set[str | None], lease: Any) -> Any:
    """Drop replaced collections, then create the new chunk collection (and the pointer
    collection of a new store, so the flip is one upsert)."""
    _drop_orphans(client, settings, keep=keep, lease=lease)
    _drop_if_exists(client, name)
    new = store.create_chunk_collection(client, name, settings.embedding_model)
    store.ensure_pointer_collection(client, settings)
    return new


def _embed(
    chunks: list[PreparedChunk],
    reused: dict[str, Any],
    summary: Summary,
    settings: Settings,
    model_factory: Callable[[], Any] | None,
    progress: Callable[[int], None] | None,
) -> dict[str, Any]:
    """Vectors for every chunk: the reused ones, and the new ones embedded EMBED_BATCH at a time."""
    vectors = dict(reused)
    todo = [c for c in chunks if c.id not in reused]
    if not todo:
        return vectors
    model = model_factory() if model_factory else load_model(settings.embedding_model, settings.embedding_threads)
    for start in range(0, len(todo), EMBED_BATCH):
        part = todo[start : start + EMBED_BATCH]
        for chunk, vector in zip(part, encode_array(model, [c.embed_text for c in part])):
            vectors[chunk.id] = vector
        summary.embedded += len(part)
        if progress:
            progress(summary.embedded)
    return vectors


def _rows(vectors: Iterable[Any]) -> Any:
    """One float32 matrix (Chroma turns a list of lists back into arrays row by row)."""
    import numpy as np

    return np.asarray(list(vectors), dtype=np.float32)


def _connect_for_ingest(settings: Settings, rebuild: bool) -> Any:
    """Open the store; on --rebuild a damaged local directory is cleared first."""
    try:
        client = store.connect(settings, create=True)
        store.read_state(client, settings)
        return client
    except StoreError:
        if not rebuild or settings.chroma_host:
            raise
    from chromadb.api.client import SharedSystemClient

    shutil.rmtree(settings.chroma_path, ignore_errors=True)
    SharedSystemClient.clear_system_cache()  # forget the handle on the damaged files
    return store.connect(settings, create=True)


def _get(client: Any, name: str) -> Any:
    """The collection, or None when it does not exist (any other failure is raised)."""
    try:
        return client.get_collection(name, embedding_function=None)
    except Exception as err:
        if store.is_missing(err):
            return None
        raise


def _drop_if_exists(client: Any, name: str) -> None:
    if _get(client, name) is not None:
        client.delete_collection(name)


def _reuse_vectors(old: Any, ids: list[str]) -> dict[str, Any]:
    if old is None or not ids:
        return {}
    found: dict[str, list[float]] = {}
    for start in range(0, len(ids), 1000):
        got = old.get(ids=ids[start : start + 1000], include=["embeddings"])
        for cid, vector in zip(got["ids"], got["embeddings"]):
            found[cid] = vector
    return found


def _drop_orphans(client: Any, settings: Settings, keep: set[str | None], lease: Any = None) -> None:
    """Remove chunk collections not in ``keep`` (replaced indexes, leftovers of killed runs),
    then the segment directories local Chroma leaves on disk for dropped collections."""
    prefix = store.chunk_collection_prefix(settings)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    doomed = [n for n in names if n.startswith(prefix) and n not in keep and n != store.meta_name(settings)]
    if doomed and lease is not None:
        lease.verify()
    for name in doomed:
        try:
            client.delete_collection(name)
        except Exception as err:
            if not store.is_missing(err):
                raise
    store.remove_orphan_segments(settings)

"""The one definition of the vector store, shared by ingestion and retrieval.

Layout: a small pointer collection ``<name>__meta`` holds one record naming the
*active* chunk collection plus the model and schema that built it.  Ingestion
builds a new chunk collection aside and then flips the pointer, so a run
killed half-way leaves the previous index serving.  Vectors are always
supplied by us: Chroma's default embedding function (a download) is never used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from bot.errors import StoreError
from bot.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

SCHEMA_VERSION = 1
REBUILD_HINT = "run `python -m ingest --rebuild`"

#: The pointer collection is ``<COLLECTION><META_SUFFIX>``; chunk collections are
#: ``<COLLECTION>__<build stamp>``.
META_SUFFIX = "__meta"


class ChunkMeta(TypedDict):
    """Metadata every chunk carries: ingest writes it, retrieval and the answerers read it.

    Chroma metadata values must be scalars, so the BM25 tokens are one space-joined string.
    """

    doc_id: str
    title: str
    section: str
    lang: str
    source: str
    date: str
    license: str
    position: int
    content_hash: str
    tokens: str


CHUNK_FIELDS: tuple[str, ...] = tuple(ChunkMeta.__annotations__)


@dataclass
class IndexState:
    """What the pointer record says about the active index."""

    active: str | None = None
    model: str | None = None
    schema: int = SCHEMA_VERSION
    manifest: str = ""
    docs: dict[str, str] = field(default_factory=dict)  # doc_id -> document hash


def meta_name(settings: Settings) -> str:
    """The pointer collection's name."""
    return f"{settings.collection}{META_SUFFIX}"


def chunk_collection_prefix(settings: Settings) -> str:
    """Every chunk collection this index ever built starts with this."""
    return f"{settings.collection}__"


def describe_location(settings: Settings) -> str:
    if settings.chroma_host:
        return f"Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"local Chroma at {settings.chroma_path}"


def connect(settings: Settings, *, create: bool = False) -> ClientAPI:
    """A Chroma client: a `chroma run` server when CHROMA_HOST is set, else embedded.

    Raises :class:`StoreError` with the fix when the store cannot be reached.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_host:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
            return client
        if not create and not settings.chroma_path.exists():
            raise StoreError(f"No index at {settings.chroma_path}; run `python -m ingest` first.")
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as err:  # chromadb raises many unrelated types for "unreachable"
        raise StoreError(
            f"Cannot open the {describe_location(settings)} ({type(err).__name__}: {err}); "
            f"is it running? A damaged local index can be rebuilt: {REBUILD_HINT}."
        ) from err


def read_state(client: ClientAPI, settings: Settings) -> IndexState:
    """The pointer record, or an empty state when nothing was ever built."""
    try:
        meta = client.get_or_create_collection(meta_name(settings), embedding_function=None)
        got = meta.get(ids=["state"], include=["metadatas"])
    except Exception as err:
        raise StoreError(
            f"The index in the {describe_location(settings)} is unreadable ({err}); {REBUILD_HINT}."
        ) from err
    if not got["ids"]:
        return IndexState()
    record = got["metadatas"][0] or {}
    try:
        return IndexState(
            active=record.get("active"),
            model=record.get("model"),
            schema=int(record.get("schema", 0)),
            manifest=str(record.get("manifest", "")),
            docs=json.loads(record.get("docs", "{}")),
        )
    except (TypeError, ValueError) as err:
        raise StoreError(f"The index pointer record is damaged ({err}); {REBUILD_HINT}.") from err


def write_state(client: ClientAPI, settings: Settings, state: IndexState) -> None:
    """Flip the pointer: one upsert, so readers see the old or the new index, never half."""
    meta = client.get_or_create_collection(meta_name(settings), embedding_function=None)
    meta.upsert(
        ids=["state"],
        embeddings=[[0.0]],
        documents=[""],
        metadatas=[
            {
                "active": state.active or "",
                "model": state.model or "",
                "schema": state.schema,
                "manifest": state.manifest,
                "docs": json.dumps(state.docs, ensure_ascii=False, sort_keys=True),
            }
        ],
    )


def check_compatible(state: IndexState, settings: Settings) -> None:
    """Refuse to mix vectors from two models or read an index of another schema."""
    if state.schema != SCHEMA_VERSION:
        raise StoreError(
            f"The index was built by schema version {state.schema}, this code reads "
            f"version {SCHEMA_VERSION}; {REBUILD_HINT}."
        )
    if state.model and state.model != settings.embedding_model:
        raise StoreError(
            f"The index was built with the embedding model {state.model!r} but "
            f"EMBEDDING_MODEL is {settings.embedding_model!r}; vectors of two models "
            f"cannot be mixed: {REBUILD_HINT}."
        )


def create_chunk_collection(client: ClientAPI, name: str, model: str) -> Collection:
    return client.create_collection(
        name,
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"model": model, "schema": SCHEMA_VERSION},
    )


def open_active(settings: Settings, client: ClientAPI | None = None) -> tuple[Collection, IndexState]:
    """The collection the bot should answer from; :class:`StoreError` if there is none."""
    client = client or connect(settings)
    state = read_state(client, settings)
    if not state.active:
        raise StoreError(
            f"The {describe_location(settings)} has no index yet; run `python -m ingest`."
        )
    check_compatible(state, settings)
    try:
        return client.get_collection(state.active, embedding_function=None), state
    except Exception as err:
        raise StoreError(
            f"The active index collection {state.active!r} is missing ({err}); {REBUILD_HINT}."
        ) from err


def all_chunks(collection: Collection, batch: int = 5000) -> dict[str, list[Any]]:
    """Every chunk's id, text and metadata (no vectors), paged to bound memory."""
    out: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": []}
    offset = 0
    while True:
        got = collection.get(include=["documents", "metadatas"], limit=batch, offset=offset)
        if not got["ids"]:
            return out
        for key in out:
            out[key].extend(got[key])
        offset += len(got["ids"])

"""The one definition of the vector store, shared by ingestion and retrieval.

Layout: a small pointer collection ``<name>__meta`` holds one record naming the
*active* chunk collection (and the *previous* one) plus the model and schema that
built it.  Ingestion builds a new chunk collection aside and then flips the
pointer, so a run killed half-way leaves the previous index serving.  The
replaced collection is kept until the next run that changes the index, so
readers still holding it keep answering; a reader that meets a dropped
collection re-reads the pointer (see ``Retriever._dense``).  Vectors are always
supplied by us: Chroma's default embedding function (a download) is never used.

Server mode (``CHROMA_HOST``):

- every HTTP call is bounded by ``STORE_TIMEOUT_S`` (chromadb 1.5.9 builds its
  ``httpx.Client`` with ``timeout=None``, so a paused server blocked a question
  for as long as it stayed paused);
- ingests on different machines do not share a file lock, so a run also takes a
  *lease*: a record in the ``__meta`` collection with an owner id and an expiry,
  renewed while the run lasts.  Chroma has no transactions; the lease is taken
  with ``add`` (which ignores an id that already exists, so of two writers the
  first wins), then read back after a short settle delay, and the pointer flip
  and every drop verify it again.  Residual race: a run stalled for longer than
  the lease lifetime (``LEASE_TTL_S``) between its last check and its write can
  still write after another run took the expired lease over; machines whose
  clocks differ by more than that lifetime can misjudge expiry.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from bot.errors import StoreError
from bot.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
REBUILD_HINT = "run `python -m ingest --rebuild`"

#: The pointer collection is ``<COLLECTION><META_SUFFIX>``; chunk collections are
#: ``<COLLECTION>__<build stamp>``.
META_SUFFIX = "__meta"

#: Ingest lease (server mode): lifetime, renewal period and the pause before reading it back.
LEASE_TTL_S = 60.0
LEASE_RENEW_S = 15.0
LEASE_SETTLE_S = 0.25
LEASE_ID = "lease"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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
    previous: str | None = None  # the collection the last flip replaced, kept for lagging readers


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


# -- errors ---------------------------------------------------------------


def short(text: str, limit: int = 120) -> str:
    """``text`` as one line of at most ``limit`` characters, markup removed: an HTML error page
    from a proxy or a stray web server must not flood a chat message or a terminal."""
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def timeout_message(settings: Settings) -> str:
    return (
        f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} did not answer within "
        f"{settings.store_timeout_s:g} s; it may be hung or overloaded (raise STORE_TIMEOUT_S if it is "
        "only slow)."
    )


def is_store_failure(err: BaseException) -> bool:
    """True for what Chroma or its HTTP transport raise when the store misbehaves, False for bugs.

    chromadb raises a bare ``Exception(response.text)`` for an HTTP error it cannot map, hence
    the exact-type check.
    """
    import httpx
    from chromadb.errors import ChromaError

    return isinstance(err, ChromaError | httpx.HTTPError) or type(err) is Exception


def is_timeout(err: BaseException) -> bool:
    import httpx

    return isinstance(err, httpx.TimeoutException)


def is_missing(err: BaseException) -> bool:
    """A collection that was dropped (by a newer ingest) or never existed."""
    from chromadb.errors import NotFoundError

    return isinstance(err, NotFoundError)


def store_error(err: BaseException, settings: Settings) -> StoreError:
    """The one-line :class:`StoreError` for a failure :func:`is_store_failure` accepts."""
    import httpx

    where = describe_location(settings)
    if is_timeout(err):
        return StoreError(timeout_message(settings))
    if isinstance(err, httpx.TransportError):
        return StoreError(f"Cannot reach the {where} ({short(str(err)) or type(err).__name__}); is it running?")
    if is_missing(err):
        return StoreError(f"The index in the {where} changed while it was read ({short(str(err))}); ask again.")
    return StoreError(
        f"The knowledge base is unavailable right now ({where}: {type(err).__name__}: {short(str(err))}); "
        "please try again shortly."
    )


# -- connecting -----------------------------------------------------------


def connect(settings: Settings, *, create: bool = False) -> ClientAPI:
    """A Chroma client: a `chroma run` server when CHROMA_HOST is set, else embedded.

    Raises :class:`StoreError` with the fix when the store cannot be reached.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        _preflight(settings)
        return _http_client(settings, chroma_settings)
    try:
        if not create and not settings.chroma_path.exists():
            raise StoreError(f"No index at {settings.chroma_path}; run `python -m ingest` first.")
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as err:  # chromadb raises many unrelated types for a damaged directory
        raise StoreError(
            f"Cannot open the {describe_location(settings)} ({type(err).__name__}: {short(str(err))}); "
            f"a damaged local index can be rebuilt: {REBUILD_HINT}."
        ) from err


def _preflight(settings: Settings) -> None:
    """One bounded heartbeat before chromadb's client (whose constructor makes unbounded calls),
    which also tells "not running", "hung" and "not a Chroma server" apart in one short line."""
    import httpx
    from chromadb.api.base_http_client import BaseHTTPClient

    base = BaseHTTPClient.resolve_url(
        chroma_server_host=settings.chroma_host or "",
        chroma_server_http_port=settings.chroma_port,
        default_api_path="/api/v2",
    )
    where = f"{settings.chroma_host}:{settings.chroma_port}"
    try:
        response = httpx.get(f"{base}/heartbeat", timeout=settings.store_timeout_s)
    except httpx.TimeoutException as err:
        raise StoreError(timeout_message(settings)) from err
    except httpx.HTTPError as err:
        raise StoreError(
            f"Cannot reach the Chroma server at {where} ({short(str(err)) or type(err).__name__}); "
            "is it running?"
        ) from err
    try:
        alive = response.status_code == 200 and "nanosecond heartbeat" in response.json()
    except ValueError:  # not JSON
        alive = False
    if not alive:
        kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
        raise StoreError(
            f"The server at {where} is not a Chroma server (HTTP {response.status_code} "
            f"{response.reason_phrase}, {kind}: {short(response.text, 60)!r}); check CHROMA_HOST and CHROMA_PORT."
        )


def _http_client(settings: Settings, chroma_settings: Any) -> ClientAPI:
    """chromadb's HttpClient with every later request bounded by STORE_TIMEOUT_S.

    chromadb 1.5.9 offers no timeout setting (``chromadb/api/fastapi.py`` builds
    ``httpx.Client(timeout=None)``) and its constructor already makes three requests, so it runs
    in a daemon thread we stop waiting for, and the timeout is then set on its httpx client.
    """
    import chromadb
    import httpx

    built: dict[str, Any] = {}

    def build() -> None:
        try:
            built["client"] = chromadb.HttpClient(
                host=settings.chroma_host or "", port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as err:  # noqa: BLE001 - re-raised in the caller's thread below
            built["error"] = err

    worker = threading.Thread(target=build, name="chroma-connect", daemon=True)
    worker.start()
    worker.join(settings.store_timeout_s)
    if worker.is_alive():
        raise StoreError(timeout_message(settings))
    if "error" in built:
        err = built["error"]
        raise StoreError(
            f"Cannot open the {describe_location(settings)} ({type(err).__name__}: {short(str(err))}); "
            "is it running?"
        ) from err
    client = built["client"]
    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):  # a chromadb upgrade moved it: fail loudly, never unbounded
        raise RuntimeError("cannot bound chromadb's HTTP timeout: its client has no httpx session")
    session.timeout = httpx.Timeout(settings.store_timeout_s)
    return client


# -- the pointer record ---------------------------------------------------


def _meta(client: ClientAPI, settings: Settings, *, create: bool) -> Collection | None:
    """The pointer collection; None when it does not exist and ``create`` is False."""
    if create:
        return client.get_or_create_collection(meta_name(settings), embedding_function=None)
    try:
        return client.get_collection(meta_name(settings), embedding_function=None)
    except Exception as err:
        if is_missing(err):
            return None
        raise


def read_state(client: ClientAPI, settings: Settings) -> IndexState:
    """The pointer record, or an empty state when nothing was ever built (readers never create)."""
    try:
        meta = _meta(client, settings, create=False)
        got = meta.get(ids=["state"], include=["metadatas"]) if meta is not None else {"ids": []}
    except StoreError:
        raise
    except Exception as err:
        if settings.chroma_host and is_store_failure(err):
            raise store_error(err, settings) from err
        raise StoreError(
            f"The index in the {describe_location(settings)} is unreadable ({short(str(err))}); {REBUILD_HINT}."
        ) from err
    if not got["ids"]:
        return IndexState()
    record = got["metadatas"][0] or {}
    try:
        return IndexState(
            active=record.get("active") or None,
            model=record.get("model") or None,
            schema=int(record.get("schema", 0)),
            manifest=str(record.get("manifest", "")),
            docs=json.loads(record.get("docs", "{}")),
            previous=record.get("previous") or None,
        )
    except (TypeError, ValueError) as err:
        raise StoreError(f"The index pointer record is damaged ({err}); {REBUILD_HINT}.") from err


def write_state(client: ClientAPI, settings: Settings, state: IndexState, lease: Lease | None = None) -> None:
    """Flip the pointer: one upsert, so readers see the old or the new index, never half.

    With a ``lease`` (server mode) the flip happens only while this run still holds it.
    """
    meta = _meta(client, settings, create=True)
    assert meta is not None
    if lease is not None:
        lease.verify()
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
                "previous": state.previous or "",
            }
        ],
    )


def ensure_pointer_collection(client: ClientAPI, settings: Settings) -> None:
    """Create the pointer collection now if it is missing, so the flip is only its upsert.

    Creating it in a new local store costs a few fsyncs; an ingest does it from its store
    thread while it splits and embeds instead of at the flip.
    """
    _meta(client, settings, create=True)


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


#: HNSW search beam (``ef_search``; Chroma's default is 100).  Chroma keeps a collection below
#: its ``sync_threshold`` (1000) in its log and builds the HNSW graph from it, with threads, in
#: each process that opens it, so the graph, and what an approximate search misses, differed
#: from one process to the next (measured: 4-10 of 190-350 questions per process lost one of
#: their 60 nearest chunks; set B's b-111 ranked its passage 1st or 3rd by process).  A beam that
#: can hold every vector visits every reachable one: exact and the same in every process for
#: collections up to this size, and its cost grows with the collection, not with this number.
#: (Set at creation: ``modify`` reaches a process's already-open segment only after a restart.)
EF_SEARCH = 100_000


def create_chunk_collection(client: ClientAPI, name: str, model: str) -> Collection:
    return client.create_collection(
        name,
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
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
        if not is_missing(err) and settings.chroma_host and is_store_failure(err):
            raise store_error(err, settings) from err
        raise StoreError(
            f"The active index collection {state.active!r} is missing ({short(str(err))}); {REBUILD_HINT}."
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


# -- the ingest lease (server mode) ---------------------------------------


class Lease:
    """This run's claim on the index in a Chroma server, renewed by a daemon thread.

    Take it with :func:`ingest_lease`; :meth:`verify` before every write that others would see.
    """

    def __init__(self, meta: Collection, settings: Settings, ttl: float, renew_every: float) -> None:
        self.meta = meta
        self.settings = settings
        self.ttl = ttl
        self.renew_every = renew_every
        self.owner = uuid.uuid4().hex
        self.holder = f"{socket.gethostname()} pid {os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _record(self) -> dict[str, Any]:
        now = time.time()
        return {"owner": self.owner, "holder": self.holder, "taken": now, "expires": now + self.ttl}

    def current(self) -> dict[str, Any] | None:
        """The lease record in the store now (whoever holds it), or None."""
        got = self.meta.get(ids=[LEASE_ID], include=["metadatas"])
        return (got["metadatas"][0] or {}) if got["ids"] else None

    def _refused(self, record: dict[str, Any]) -> StoreError:
        until = time.strftime("%H:%M:%S", time.localtime(float(record.get("expires", 0))))
        return StoreError(
            f"Another ingest is running on this index ({record.get('holder', '?')} holds the lease on the "
            f"{describe_location(self.settings)} until {until}, renewed while it runs); try again when it has finished."
        )

    def acquire(self, settle: float) -> None:
        """Take the lease, or take over an expired one; :class:`StoreError` if someone holds it."""
        for _ in range(2):
            record = self.current()
            if record is not None and record.get("owner") != self.owner:
                if float(record.get("expires", 0)) > time.time():
                    raise self._refused(record)
                # Expired (its owner crashed): delete only that lease, not one a rival just took.
                self.meta.delete(ids=[LEASE_ID], where={"owner": str(record.get("owner", ""))})
            # ``add`` ignores an existing id, so when two runs race here the first one wins.
            self.meta.add(ids=[LEASE_ID], embeddings=[[0.0]], documents=[""], metadatas=[self._record()])
            time.sleep(settle)  # let a rival's write that raced ours land before we read back
            record = self.current()
            if record is not None and record.get("owner") == self.owner:
                self._thread = threading.Thread(target=self._renew_loop, name="ingest-lease", daemon=True)
                self._thread.start()
                return
            if record is not None:
                raise self._refused(record)
        raise StoreError(
            f"Could not take the ingest lease on the {describe_location(self.settings)} "
            "(it changed hands twice); try again."
        )

    def verify(self) -> None:
        """Raise :class:`StoreError` unless this run still holds an unexpired lease."""
        record = self.current()
        if record is None or record.get("owner") != self.owner:
            holder = record.get("holder", "?") if record else "nobody"
            raise StoreError(
                f"This ingest lost its lease on the {describe_location(self.settings)} (now held by {holder}); "
                "the index was left as it was: run `python -m ingest` again."
            )
        if float(record.get("expires", 0)) <= time.time():
            raise StoreError(
                f"This ingest's lease on the {describe_location(self.settings)} expired (it could not renew "
                "it in time); the index was left as it was: run `python -m ingest` again."
            )

    def renew(self) -> None:
        """Push the expiry forward while this run still owns the lease."""
        record = self.current()
        if record is None or record.get("owner") != self.owner:
            self._stop.set()  # lost: verify() will say so at the next write
            return
        self.meta.upsert(ids=[LEASE_ID], embeddings=[[0.0]], documents=[""], metadatas=[self._record()])

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                self.renew()
            except Exception as err:
                if not is_store_failure(err):
                    raise
                # The server is slow or away: try again next period; verify() catches an expiry.
                log.warning("could not renew the ingest lease: %s", short(str(err)))

    def release(self) -> None:
        """Stop renewing and delete the lease if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.store_timeout_s + 1)
        try:
            self.meta.delete(ids=[LEASE_ID], where={"owner": self.owner})
        except Exception as err:
            if not is_store_failure(err):
                raise
            # It expires on its own within LEASE_TTL_S; do not hide the run's own outcome.
            log.warning("could not release the ingest lease (it expires by itself): %s", short(str(err)))


@contextmanager
def ingest_lease(
    client: ClientAPI,
    settings: Settings,
    *,
    ttl: float = LEASE_TTL_S,
    renew_every: float = LEASE_RENEW_S,
    settle: float = LEASE_SETTLE_S,
) -> Iterator[Lease | None]:
    """Hold the index's ingest lease for the block (server mode); None in local mode, where the
    data directory's file lock already covers every process that can open the index."""
    if not settings.chroma_host:
        yield None
        return
    meta = _meta(client, settings, create=True)
    assert meta is not None
    lease = Lease(meta, settings, ttl, renew_every)
    lease.acquire(settle)
    try:
        yield lease
    finally:
        lease.release()


# -- disk -----------------------------------------------------------------


def remove_orphan_segments(settings: Settings) -> list[str]:
    """Delete segment directories under ``DATA_DIR/chroma`` that Chroma no longer references.

    chromadb 1.5.9's ``delete_collection`` removes a collection from its SQLite catalogue but
    leaves the HNSW directory (``<segment uuid>/``) on disk (chroma-core/chroma#5259), so every
    replaced index leaked one.  Only UUID-named directories absent from the ``segments`` table
    are removed; the directory is listed before the table is read, so a segment created in
    between is never a candidate.  Call it only under the ingest lock.  Local mode only.
    """
    root = settings.chroma_path
    database = root / "chroma.sqlite3"
    if settings.chroma_host or not database.is_file():
        return []
    candidates = [path for path in root.iterdir() if path.is_dir() and _UUID.match(path.name)]
    if not candidates:
        return []
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
            live = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error as err:  # schema changed or locked: leaving files is safe, guessing is not
        log.warning("segment clean-up skipped: cannot read %s (%s)", database, err)
        return []
    removed = []
    for path in candidates:
        if path.name not in live:
            shutil.rmtree(path)
            removed.append(path.name)
    return removed

"""The store module on its own, against a real local Chroma in a temp dir.

Server-mode behaviour (timeouts, the ingest lease, foreign servers) is drilled against a real
`chroma run` in tests/kb/test_chroma_server.py.
"""

import logging
import sqlite3
import uuid
from contextlib import closing

import pytest

from bot.errors import StoreError
from bot.kb import store


def _names(client) -> list[str]:
    return sorted(c if isinstance(c, str) else c.name for c in client.list_collections())


def _segment_dirs(settings) -> set[str]:
    return {p.name for p in settings.chroma_path.iterdir() if p.is_dir()}


def test_short_makes_an_html_error_page_one_short_line():
    page = (
        "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title><style>body { color: red }</style>"
        "<script>track()</script></head>\n<body><h1>Bad&nbsp;Gateway</h1>\n"
        + "<p>The upstream server did not respond.</p>\n" * 200
        + "</body></html>"
    )
    line = store.short(page)
    assert line.startswith("502 Bad Gateway Bad Gateway The upstream server did not respond.")
    assert "\n" not in line and "<" not in line and "color" not in line and "track" not in line
    assert len(line) == 120 and line.endswith("…")
    assert store.short("  plain\n  text  ") == "plain text"


def test_store_error_lines_for_what_chromadb_raises(make_settings):
    import httpx
    from chromadb.errors import NotFoundError

    settings = make_settings(chroma_host="10.0.0.7", chroma_port=8001, store_timeout_s=4)
    # chromadb raises a bare Exception(response.text) for an HTTP error it cannot map.
    proxy_page = Exception("<html><body>" + "<p>upstream timed out</p>" * 300 + "</body></html>")
    cases = [
        (httpx.ReadTimeout("timed out"), "The Chroma server at 10.0.0.7:8001 did not answer within 4 s; "),
        (httpx.ConnectError("[Errno 111] Connection refused"), "Cannot reach the Chroma server at 10.0.0.7:8001 "),
        (NotFoundError("Collection [x] does not exist."), "The index in the Chroma server at 10.0.0.7:8001 changed"),
        (proxy_page, "The knowledge base is unavailable right now (Chroma server at 10.0.0.7:8001: Exception: "),
    ]
    for err, start in cases:
        assert store.is_store_failure(err)
        message = str(store.store_error(err, settings))
        assert message.startswith(start), message
        assert "\n" not in message and "<" not in message and len(message) < 260, message
    # A bug is not a store failure: callers re-raise it instead of dressing it up as one.
    assert not store.is_store_failure(TypeError("unsupported operand"))
    assert not store.is_store_failure(KeyError("ids"))


def test_a_reader_creates_nothing_and_is_told_to_ingest(make_settings):
    settings = make_settings()
    client = store.connect(settings, create=True)
    assert store.read_state(client, settings) == store.IndexState()
    assert _names(client) == []  # reading the pointer did not create the pointer collection
    with pytest.raises(StoreError, match=r"has no index yet; run `python -m ingest`\.$"):
        store.open_active(settings, client)


def test_pointer_round_trip_names_active_and_previous(make_settings):
    settings = make_settings()
    client = store.connect(settings, create=True)
    store.create_chunk_collection(client, "basis_trade__one", "usem3")
    state = store.IndexState(active="basis_trade__one", model="usem3", manifest="m", docs={"a": "h"},
                             previous="basis_trade__zero")
    store.write_state(client, settings, state)
    assert store.read_state(client, settings) == state
    collection, read = store.open_active(settings, client)
    assert collection.name == "basis_trade__one" and read.previous == "basis_trade__zero"


def test_open_active_names_a_missing_collection(make_settings):
    settings = make_settings()
    client = store.connect(settings, create=True)
    store.write_state(client, settings, store.IndexState(active="basis_trade__gone", model="usem3"))
    with pytest.raises(StoreError, match=r"'basis_trade__gone' is missing .*--rebuild"):
        store.open_active(settings, client)


def test_local_mode_needs_no_lease(make_settings):
    settings = make_settings()
    client = store.connect(settings, create=True)
    with store.ingest_lease(client, settings) as lease:
        assert lease is None  # the data directory's file lock covers local mode
    assert _names(client) == []


def test_orphan_segment_directories_are_removed_and_live_ones_kept(make_settings):
    settings = make_settings()
    client = store.connect(settings, create=True)
    keep = store.create_chunk_collection(client, "basis_trade__keep", "usem3")
    drop = store.create_chunk_collection(client, "basis_trade__drop", "usem3")
    for collection in (keep, drop):
        collection.add(ids=[f"c{i}" for i in range(20)], embeddings=[[float(i), 1.0, 0.5] for i in range(20)])
    with_both = _segment_dirs(settings)
    client.delete_collection("basis_trade__drop")
    assert _segment_dirs(settings) == with_both  # what chromadb 1.5.9 leaves behind (chroma#5259)
    stranger = settings.chroma_path / "not-a-segment"
    stranger.mkdir()

    removed = store.remove_orphan_segments(settings)
    assert len(removed) == 1 and uuid.UUID(removed[0])
    assert _segment_dirs(settings) == with_both - set(removed) | {"not-a-segment"}  # only UUID dirs go
    assert store.remove_orphan_segments(settings) == []
    # The live collection is untouched and still answers.
    got = keep.query(query_embeddings=[[3.0, 1.0, 0.5]], n_results=1, include=["distances"])
    assert got["ids"] == [["c3"]]


def test_segment_cleanup_does_nothing_when_the_catalogue_is_unreadable(make_settings, caplog):
    settings = make_settings()
    settings.chroma_path.mkdir(parents=True)
    orphan = settings.chroma_path / str(uuid.uuid4())
    orphan.mkdir()
    (settings.chroma_path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="bot.kb.store"):
        assert store.remove_orphan_segments(settings) == []
    assert orphan.is_dir()  # unsure what Chroma references: leave everything
    assert "segment clean-up skipped" in caplog.text


def test_server_mode_never_touches_local_files(make_settings):
    local = make_settings()
    local.chroma_path.mkdir(parents=True)
    with closing(sqlite3.connect(local.chroma_path / "chroma.sqlite3")) as db:
        db.execute("CREATE TABLE segments (id TEXT PRIMARY KEY)")
        db.commit()
    orphan = local.chroma_path / str(uuid.uuid4())
    orphan.mkdir()
    server = make_settings(chroma_host="127.0.0.1")
    assert store.remove_orphan_segments(server) == []
    assert orphan.is_dir()
    assert store.remove_orphan_segments(local) == [orphan.name]  # the same directory in local mode

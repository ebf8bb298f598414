"""Server mode: a real `chroma run` on 127.0.0.1, ingest and search through CHROMA_HOST.

Also the fault drills: the server dies during questions, hangs (SIGSTOP), comes back empty,
or the port is taken by some other web server; the user gets one clear line each time, and
answers resume once the server is back, without rebuilding the engine.  And the ingest lease
that keeps two machines' ingests from wrecking one server's index.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.answering.engine import Engine
from bot.errors import StoreError
from bot.kb import store
from bot.kb.glossary import load
from bot.kb.retrieval import Retriever
from bot.settings import ROOT
from ingest.pipeline import run
from tests.conftest import cli_env

CHROMA = Path(sys.executable).parent / "chroma"
QUESTION = "什麼是保證金螺旋?"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(proc: subprocess.Popen, port: int, what: str) -> subprocess.Popen:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{what} did not start within 30 s")


def _start(path: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return _wait_for_port(proc, port, "chroma run")


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(timeout=10)


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    proc = _start(tmp_path / "server-data", port)
    state = {"proc": proc, "port": port, "path": tmp_path / "server-data"}
    yield state
    if state["proc"].poll() is None:
        os.kill(state["proc"].pid, signal.SIGCONT)  # a drill may have left it stopped
        _stop(state["proc"])


@pytest.fixture
def server_settings(server, make_settings, corpus_copy):
    return make_settings(corpus_dir=corpus_copy, chroma_host="127.0.0.1", chroma_port=server["port"])


def _bounded(call, guard: float = 120.0):
    """Run ``call`` in a thread; fail the test (instead of hanging it) if it blocks past ``guard``.

    Returns (exception or None, seconds taken)."""
    outcome: dict = {}

    def target():
        started = time.monotonic()
        try:
            call()
        except Exception as err:
            outcome["error"] = err
        outcome["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(guard)
    assert not worker.is_alive(), f"the call was still blocked after {guard} s"
    return outcome.get("error"), outcome["seconds"]


def test_ingest_and_search_through_chroma_host(server_settings, model):
    settings = server_settings
    summary = run(settings, model_factory=lambda: model)
    assert summary.embedded == summary.chunks > 0
    assert not (settings.data_dir / "chroma").exists()  # nothing written locally
    again = run(settings, model_factory=lambda: model)
    assert again.embedded == 0
    hits = Retriever(settings, model, load(settings.corpus_dir)).search("什麼是道德風險?", 3)
    assert hits and "道德風險" in " ".join(h.text for h in hits)


def test_server_killed_during_questions_then_back(server, server_settings, model):
    settings = server_settings
    run(settings, model_factory=lambda: model)
    engine = Engine(settings, Retriever(settings, model, load(settings.corpus_dir)))
    assert engine.ask(QUESTION).grounded

    _stop(server["proc"])
    with pytest.raises(StoreError, match=r"Cannot reach the Chroma server at 127\.0\.0\.1:\d+ .*is it running\?"):
        engine.ask(QUESTION)

    server["proc"] = _start(server["path"], server["port"])
    answer = engine.ask(QUESTION)
    assert answer.grounded and answer.sources


def test_dead_server_at_start_is_a_clear_error(make_settings, corpus_copy):
    settings = make_settings(corpus_dir=corpus_copy, chroma_host="127.0.0.1", chroma_port=_free_port())
    with pytest.raises(StoreError, match=r"Chroma server at 127\.0\.0\.1"):
        Retriever.build(settings)


def test_hung_server_fails_the_question_within_the_timeout_then_recovers(server, server_settings, model):
    """SIGSTOP: the server accepts connections (the kernel does) but never answers."""
    run(server_settings, model_factory=lambda: model)
    settings = server_settings.model_copy(update={"store_timeout_s": 2})
    retriever = Retriever(settings, model, load(settings.corpus_dir))
    assert retriever.search(QUESTION)

    pid = server["proc"].pid
    os.kill(pid, signal.SIGSTOP)
    try:
        error, seconds = _bounded(lambda: retriever.search(QUESTION))
        assert isinstance(error, StoreError), error
        assert str(error).startswith(f"The Chroma server at 127.0.0.1:{server['port']} did not answer within 2 s;")
        print(f"\nhung server: the question failed after {seconds:.2f} s (STORE_TIMEOUT_S=2)")
        # Opening the store (a reload, a bot starting) and an ingest are bounded too.
        error, seconds = _bounded(lambda: Retriever.build(settings))
        assert isinstance(error, StoreError) and "did not answer within 2 s" in str(error), error
        print(f"hung server: opening the store failed after {seconds:.2f} s")
        error, seconds = _bounded(lambda: run(settings, model_factory=lambda: model))
        assert isinstance(error, StoreError) and "did not answer within 2 s" in str(error), error
    finally:
        os.kill(pid, signal.SIGCONT)

    hits = retriever.search(QUESTION)  # the same retriever, no rebuild
    assert hits and any("保證金" in h.text for h in hits)


def test_server_restarted_empty_says_run_ingest(server, server_settings, model, tmp_path):
    settings = server_settings
    run(settings, model_factory=lambda: model)
    retriever = Retriever(settings, model, load(settings.corpus_dir))
    assert retriever.search(QUESTION)

    _stop(server["proc"])
    server["proc"] = _start(tmp_path / "empty-server-data", server["port"])
    for _ in range(2):  # says so every time, not "try again shortly"
        with pytest.raises(StoreError) as caught:
            retriever.search(QUESTION)
        assert str(caught.value) == (
            f"The Chroma server at 127.0.0.1:{server['port']} has no index yet; run `python -m ingest`."
        )

    run(settings, model_factory=lambda: model)
    assert retriever.search(QUESTION)  # finds the new index by itself


@pytest.fixture
def foreign_http_server(tmp_path):
    """A real web server that is not Chroma, answering every path with a large HTML page."""
    port = _free_port()
    script = (
        "import http.server, sys\n"
        "PAGE = ('<!DOCTYPE html><html><head><title>Intranet</title><style>body{color:red}</style></head><body>'"
        " + '<p>Welcome to the intranet portal.</p>' * 500 + '</body></html>').encode()\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200)\n"
        "        self.send_header('Content-Type', 'text/html; charset=utf-8')\n"
        "        self.send_header('Content-Length', str(len(PAGE)))\n"
        "        self.end_headers()\n"
        "        self.wfile.write(PAGE)\n"
        "    do_POST = do_GET\n"
        "    def log_message(self, *args):\n"
        "        pass\n"
        "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(proc, port, "http.server")
    yield port
    _stop(proc)


def test_a_web_server_that_is_not_chroma_is_one_short_line(foreign_http_server, make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy, chroma_host="127.0.0.1", chroma_port=foreign_http_server)
    for attempt in (lambda: Retriever.build(settings), lambda: run(settings, model_factory=lambda: model)):
        with pytest.raises(StoreError) as caught:
            attempt()
        message = str(caught.value)
        assert message.startswith(f"The server at 127.0.0.1:{foreign_http_server} is not a Chroma server (HTTP 200")
        assert "check CHROMA_HOST and CHROMA_PORT" in message
        assert "\n" not in message and "<" not in message and len(message) < 250, message


# -- the ingest lease -------------------------------------------------------


def _lease_record(settings):
    meta = store.connect(settings).get_collection(store.meta_name(settings))
    got = meta.get(ids=[store.LEASE_ID], include=["metadatas"])
    return got["metadatas"][0] if got["ids"] else None


def _assert_index_intact(settings, chunks: int) -> None:
    client = store.connect(settings)
    state = store.read_state(client, settings)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    assert state.active in names, f"the pointer names a missing collection: {state.active} not in {names}"
    assert client.get_collection(state.active).count() == chunks


def test_two_ingests_from_two_machines_one_is_refused(server, server_settings, corpus_copy, tmp_path):
    """Two `python -m ingest` processes with different DATA_DIRs (the file lock cannot see the
    other) against one server: exactly one is refused and the index is whole."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ingest", "--json"], cwd=ROOT,
            env=cli_env(corpus_copy, tmp_path / f"machine-{name}", CHROMA_HOST="127.0.0.1",
                        CHROMA_PORT=str(server["port"])),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    codes = [proc.returncode for proc in procs]
    assert sorted(codes) == [0, 2], outputs
    won, lost = (outputs[0], outputs[1]) if codes[0] == 0 else (outputs[1], outputs[0])
    refusal = lost[1].strip()
    assert refusal.startswith("error: Another ingest is running on this index (") and "\n" not in refusal, refusal
    summary = json.loads(won[0])
    assert summary["chunks"] > 0
    _assert_index_intact(server_settings, summary["chunks"])
    assert _lease_record(server_settings) is None  # released by the winner


def test_a_held_lease_refuses_and_an_expired_one_is_taken_over(server_settings, make_settings, model, tmp_path):
    settings = server_settings
    first = run(settings, model_factory=lambda: model)
    other_machine = settings.model_copy(update={"data_dir": tmp_path / "other-machine"})
    client = store.connect(settings)
    state = store.read_state(client, settings)

    with store.ingest_lease(client, settings) as lease:
        assert lease is not None and _lease_record(settings)["owner"] == lease.owner
        with pytest.raises(StoreError, match=r"^Another ingest is running on this index \(.* pid \d+ holds the lease"):
            run(other_machine, rebuild=True, model_factory=lambda: model)
    assert store.read_state(client, settings) == state  # the refused run changed nothing
    assert _lease_record(settings) is None

    # A crashed owner's lease (expired, never released) is taken over.
    meta = client.get_collection(store.meta_name(settings))
    meta.add(ids=[store.LEASE_ID], embeddings=[[0.0]], documents=[""],
             metadatas=[{"owner": "crashed", "holder": "gone pid 1", "taken": 0.0, "expires": time.time() - 1}])
    again = run(other_machine, rebuild=True, model_factory=lambda: model)
    assert again.chunks == first.chunks
    assert _lease_record(settings) is None
    _assert_index_intact(settings, first.chunks)


def test_the_lease_is_renewed_while_a_long_run_lasts(server_settings):
    settings = server_settings
    client = store.connect(settings)
    with store.ingest_lease(client, settings, ttl=1.5, renew_every=0.3, settle=0.05) as lease:
        taken = _lease_record(settings)["expires"]
        time.sleep(3.0)  # twice the lifetime: without renewal it would have expired
        lease.verify()
        assert _lease_record(settings)["expires"] > taken + 1.0
        rival = store.Lease(client.get_collection(store.meta_name(settings)), settings, 1.5, 0.3)
        with pytest.raises(StoreError, match="Another ingest is running"):
            rival.acquire(settle=0.05)


def test_the_pointer_flip_checks_the_lease(server_settings, model):
    settings = server_settings
    run(settings, model_factory=lambda: model)
    client = store.connect(settings)
    before = store.read_state(client, settings)
    with store.ingest_lease(client, settings, settle=0.05) as lease:
        # Another run took the lease over (this one stalled past its expiry).
        lease.meta.upsert(ids=[store.LEASE_ID], embeddings=[[0.0]], documents=[""],
                          metadatas=[{"owner": "rival", "holder": "elsewhere pid 7", "taken": time.time(),
                                      "expires": time.time() + 60}])
        flipped = store.IndexState(active="basis_trade__bogus", model=before.model, manifest="x")
        with pytest.raises(StoreError, match=r"lost its lease .*elsewhere pid 7.*left as it was"):
            store.write_state(client, settings, flipped, lease=lease)
    assert store.read_state(client, settings) == before
    assert _lease_record(settings)["owner"] == "rival"  # release() leaves someone else's lease alone

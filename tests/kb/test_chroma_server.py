"""Server mode: a real `chroma run` on 127.0.0.1, ingest and search through CHROMA_HOST.

Also the fault drill: the server dies during questions, the user gets a clear
error, and answers resume once it is back, without rebuilding the engine.
"""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.answering.engine import Engine
from bot.errors import StoreError
from bot.kb.glossary import load
from bot.kb.retrieval import Retriever
from ingest.pipeline import run

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(path: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chroma run did not start within 30 s")


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
        _stop(state["proc"])


def test_ingest_and_search_through_chroma_host(server, make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy, chroma_host="127.0.0.1", chroma_port=server["port"])
    summary = run(settings, model_factory=lambda: model)
    assert summary.embedded == summary.chunks > 0
    assert not (settings.data_dir / "chroma").exists()  # nothing written locally
    again = run(settings, model_factory=lambda: model)
    assert again.embedded == 0
    hits = Retriever(settings, model, load(corpus_copy)).search("什麼是道德風險?", 3)
    assert hits and "道德風險" in " ".join(h.text for h in hits)


def test_server_killed_during_questions_then_back(server, make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy, chroma_host="127.0.0.1", chroma_port=server["port"])
    run(settings, model_factory=lambda: model)
    engine = Engine(settings, Retriever(settings, model, load(corpus_copy)))
    assert engine.ask("什麼是保證金螺旋?").grounded

    _stop(server["proc"])
    with pytest.raises(StoreError, match="unavailable"):
        engine.ask("什麼是保證金螺旋?")

    server["proc"] = _start(server["path"], server["port"])
    answer = engine.ask("什麼是保證金螺旋?")
    assert answer.grounded and answer.sources


def test_dead_server_at_start_is_a_clear_error(make_settings, corpus_copy):
    settings = make_settings(corpus_dir=corpus_copy, chroma_host="127.0.0.1", chroma_port=_free_port())
    with pytest.raises(StoreError, match=r"Chroma server at 127\.0\.0\.1"):
        Retriever.build(settings)

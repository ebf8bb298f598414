"""Fault drill: questions keep being answered while ingests swap the index underneath them,
in this process (`/reindex`) and from another process (`python -m ingest`)."""

import subprocess
import sys
import threading
import time

from bot.kb import retrieval, store
from bot.kb.glossary import load
from bot.kb.retrieval import Retriever
from bot.settings import ROOT
from ingest.pipeline import run
from tests.conftest import cli_env

QUESTION = "什麼是道德風險?"


def _note(n: int) -> str:
    return (
        f"---\ntitle: Swap note {n}\nlang: en\nsource: test\ndate: 2026-11-26\nlicense: CC0\n---\n"
        f"# Swap note {n}\n\nThe quokka{n} desk tracks repo haircuts of {n + 2} percent on cash Treasuries.\n"
    )


def test_four_threads_searching_through_three_swaps_never_fail(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    retriever = Retriever(settings, model, load(corpus_copy))
    stop = threading.Event()
    lock = threading.Lock()
    answered, failures = [0], []

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                hits = retriever.search(QUESTION, 3)
            except Exception as err:
                with lock:
                    failures.append(f"{type(err).__name__}: {err}")
                continue
            with lock:
                if hits and "道德風險" in " ".join(h.text for h in hits):
                    answered[0] += 1
                else:
                    failures.append(f"no answer: {[h.chunk_id for h in hits]}")

    threads = [threading.Thread(target=keep_asking, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        for n in range(3):
            (corpus_copy / f"note-{n}.md").write_text(_note(n), encoding="utf-8")
            run(settings, model_factory=lambda: model)
            if n == 0:
                retriever.reload()  # what /reindex does; after that nobody tells the readers
            # The second and third runs drop the collection the readers still hold.
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    seconds = time.monotonic() - started
    print(f"\nswap drill: {answered[0]} searches answered, {len(failures)} failed, 3 ingests in {seconds:.1f} s")
    assert failures == []
    assert answered[0] > 0
    state = store.read_state(store.connect(settings), settings)
    assert retriever.index.state.active in (state.active, state.previous)  # one that still exists


def _ingest_elsewhere(corpus, data) -> None:
    done = subprocess.run([sys.executable, "-m", "ingest", "--json"], cwd=ROOT, env=cli_env(corpus, data),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def test_after_ingests_by_another_process_the_next_question_is_answered(
    make_settings, corpus_copy, model, monkeypatch
):
    """The reader is never told (pointer check off): the second ingest drops the collection it
    reads, and its next question re-reads the pointer instead of failing."""
    monkeypatch.setattr(retrieval, "POINTER_CHECK_S", float("inf"))
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    retriever = Retriever(settings, model, load(corpus_copy))
    assert retriever.search(QUESTION, 3)
    for n in range(2):  # the second ingest drops the collection this process is reading
        (corpus_copy / f"note-{n}.md").write_text(_note(n), encoding="utf-8")
        _ingest_elsewhere(corpus_copy, settings.data_dir)
        hits = retriever.search(QUESTION, 3)  # no error, no "try again"
        assert hits and "道德風險" in " ".join(h.text for h in hits)
    # It moved to the index the other process built, and finds what that index added.
    assert retriever.index.state.active == store.read_state(store.connect(settings), settings).active
    assert any("quokka1" in h.text for h in retriever.search("quokka1 desk repo haircuts", 3))


def test_an_ingest_elsewhere_is_noticed_by_the_pointer_check(make_settings, corpus_copy, model, monkeypatch):
    """The replaced collection is kept, so nothing fails; the reader still moves to the new index."""
    monkeypatch.setattr(retrieval, "POINTER_CHECK_S", 0.0)
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    retriever = Retriever(settings, model, load(corpus_copy))
    before = retriever.index.state.active
    (corpus_copy / "note-0.md").write_text(_note(0), encoding="utf-8")
    _ingest_elsewhere(corpus_copy, settings.data_dir)
    assert retriever.search(QUESTION, 3)  # answered from the snapshot it started on
    now = store.read_state(store.connect(settings), settings)
    assert now.previous == before != now.active == retriever.index.state.active
    assert any("quokka0" in h.text for h in retriever.search("quokka0 desk repo haircuts", 3))

"""Fault drill: an ingest killed with SIGKILL half-way leaves the previous index serving,
and the next ingest completes and cleans up after the dead one."""

import signal
import subprocess
import sys
import time

import pytest

from bot.kb import store
from bot.kb.glossary import load
from bot.kb.retrieval import Retriever
from bot.settings import ROOT
from ingest.pipeline import run
from tests.conftest import cli_env


def _big_document(n: int) -> str:
    lines = ["---", "title: Synthetic drill document", "lang: en", "source: test", "date: 2026-11-26",
             "license: CC0", "---", "# Drill", ""]
    for i in range(n):
        lines += [f"## Section {i}", f"Paragraph {i} talks about repo haircut number {i * 7} and leverage {i % 50}x. "
                  f"It also mentions margin calls in scenario {i}.", ""]
    return "\n".join(lines)


def _building(settings, old: str) -> bool:
    """True once the child has created its new collection (the build-aside phase)."""
    names = [c if isinstance(c, str) else c.name for c in store.connect(settings).list_collections()]
    return any(n not in (old, f"{settings.collection}__meta") for n in names)


# When to kill: during start-up, the moment the new collection appears, and 1 s into the build.
@pytest.mark.parametrize(("wait_for_build", "extra"), [(False, 0.5), (True, 0.0), (True, 1.0)])
def test_sigkill_half_way_keeps_the_old_index(make_settings, corpus_copy, model, wait_for_build, extra):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    before = store.read_state(store.connect(settings), settings)
    before_count = store.connect(settings).get_collection(before.active).count()

    (corpus_copy / "drill.md").write_text(_big_document(1500), encoding="utf-8")
    env = cli_env(corpus_copy, settings.data_dir)
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while wait_for_build and proc.poll() is None and time.monotonic() < deadline:
        if _building(settings, before.active):
            break
        time.sleep(0.02)
    time.sleep(extra)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if wait_for_build:
        assert killed, "the ingest finished before the drill could kill it"

    # Whatever the moment of death, a complete index answers: the old one, or (killed after
    # the pointer flip) the new one with every chunk of the drill document in it.
    client = store.connect(settings)
    state = store.read_state(client, settings)
    if state.active != before.active:
        assert client.get_collection(state.active).count() >= before_count + 1500
    if wait_for_build and extra == 0.0:  # killed as the build began: seconds before any flip
        assert state.active == before.active
    hits = Retriever(settings, model, load(corpus_copy)).search("什麼是道德風險?", 3)
    assert hits and "道德風險" in " ".join(h.text for h in hits)

    summary = run(settings, model_factory=lambda: model)
    assert summary.documents == 4
    client = store.connect(settings)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    final = store.read_state(client, settings)
    # The dead run's half-built collection is gone; what is left is the index serving now and
    # the one it replaced (kept for readers until the next change).
    assert final.previous == before.active != final.active
    assert {n for n in names if not n.endswith("__meta")} == {final.active, before.active}

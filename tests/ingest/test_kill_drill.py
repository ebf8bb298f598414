"""Fault drill: an ingest killed with SIGKILL half-way leaves the previous index serving,
and the next ingest completes and cleans up after the dead one."""

import signal
import subprocess
import sys
import time

import pytest

from bot import store
from bot.glossary import load
from bot.retrieval import Retriever
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


@pytest.mark.parametrize("kill_after", [1.0, 4.0, 7.0])
def test_sigkill_half_way_keeps_the_old_index(make_settings, corpus_copy, model, kill_after):
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    before = store.read_state(store.connect(settings), settings)

    (corpus_copy / "drill.md").write_text(_big_document(1500), encoding="utf-8")
    env = cli_env(corpus_copy, settings.data_dir)
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(kill_after)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    # Whatever the moment of death, some complete index answers.
    state = store.read_state(store.connect(settings), settings)
    assert state.active in (before.active, state.active)
    if proc.returncode == -signal.SIGKILL:
        assert state.active == before.active
    hits = Retriever(settings, model, load(corpus_copy)).search("什麼是道德風險?", 3)
    assert hits and "道德風險" in " ".join(h.text for h in hits)

    summary = run(settings, model_factory=lambda: model)
    assert summary.documents == 4
    client = store.connect(settings)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    assert sorted(n for n in names if not n.endswith("__meta")) == [store.read_state(client, settings).active]

"""Replaced indexes leave no files behind: chromadb 1.5.9 keeps the HNSW directory of a
deleted collection (chroma-core/chroma#5259), so the pipeline removes the unreferenced ones."""

import sqlite3
import subprocess
import sys
from contextlib import closing

from bot.kb import store
from bot.settings import ROOT
from ingest.pipeline import run
from tests.conftest import cli_env


def _segment_dirs(settings) -> set[str]:
    return {p.name for p in settings.chroma_path.iterdir() if p.is_dir()}


def _vector_segments(settings) -> set[str]:
    """The HNSW segments Chroma's catalogue references (the only segments with a directory)."""
    with closing(sqlite3.connect(f"file:{settings.chroma_path / 'chroma.sqlite3'}?mode=ro", uri=True)) as db:
        return {row[0] for row in db.execute("SELECT id FROM segments WHERE scope = 'VECTOR'")}


def test_five_ingest_cycles_leave_only_live_segment_directories(make_settings, corpus_copy, model):
    settings = make_settings(corpus_dir=corpus_copy)
    for cycle in range(5):
        (corpus_copy / "cycle.md").write_text(
            f"---\ntitle: Cycle {cycle}\nlang: en\nsource: test\ndate: 2026-11-26\nlicense: CC0\n---\n"
            f"# Cycle {cycle}\n\nIn cycle {cycle} the basis widened by {cycle + 3} basis points.\n",
            encoding="utf-8",
        )
        if cycle == 3:
            (corpus_copy / "en-regulation.md").unlink()
        run(settings, model_factory=lambda: model)
        client = store.connect(settings)
        state = store.read_state(client, settings)
        names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
        assert sorted(names) == sorted({store.meta_name(settings), state.active, state.previous} - {None})
        assert _segment_dirs(settings) == _vector_segments(settings), f"cycle {cycle}"
    print(f"\nafter 5 cycles: {len(_segment_dirs(settings))} segment directories for {len(names)} live collections")
    assert len(_segment_dirs(settings)) == len(names) == 3  # pointer, active, previous

    # A fresh process opens the cleaned directory and answers from it.
    probe = (
        "from bot.kb import store; from bot.settings import Settings; s = Settings(); "
        "c, state = store.open_active(s); "
        "v = c.get(limit=1, include=['embeddings'])['embeddings'][0]; "
        "print(c.count(), len(c.query(query_embeddings=[v], n_results=3)['ids'][0]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=cli_env(corpus_copy, settings.data_dir),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    count, found = map(int, done.stdout.split())
    assert count > 0 and found == 3

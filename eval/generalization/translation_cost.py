"""What the CC-CEDICT bridge costs: one-off loads, and per question on a warm index.

    PYTHONPATH=. CORPUS_DIR=corpus DATA_DIR=data .venv/bin/python eval/generalization/translation_cost.py

Prints figures only (no assertion): the dictionary parse, jieba's start with and without the
dictionary's words, ingest-side tokenising of every chunk, and the warm search with and without
translation (p50 / p95 over the dev questions).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.cli.evaluate import load_cases
from bot.kb import retrieval
from bot.kb.embeddings import load_model
from bot.kb.glossary import load as load_glossary
from bot.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


def child(code: str) -> float:
    """Seconds a fresh interpreter spends on ``code`` (imports excluded)."""
    out = subprocess.run(
        [sys.executable, "-c", f"import time;{code.split(';')[0]};t=time.perf_counter();{code.split(';', 1)[1]};"
         "print(time.perf_counter()-t)"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return float(out.stdout.split()[-1])


def percentiles(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"p50 {statistics.median(ms):.1f} ms  p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms"


def main() -> None:
    print(f"dictionary parse (fresh process): {child('from bot.kb import dictionary;dictionary.load()'):.2f} s")
    print(f"jieba start with CC-CEDICT words: {child('from bot.kb import tokens;tokens._jieba()'):.2f} s "
          "(includes the dictionary parse)")
    print(f"jieba start alone:               {child('import jieba;jieba.setLogLevel(60);jieba.initialize()'):.2f} s")
    settings = get_settings()
    r = retrieval.Retriever(settings, load_model(), load_glossary(settings.corpus_dir))
    texts = r.index.texts
    from bot.kb.tokens import tokenize

    tokenize("预热")  # jieba's start is measured above
    start = time.perf_counter()
    for text in texts:
        tokenize(text)
    spent = time.perf_counter() - start
    print(f"tokenising {len(texts)} chunks (ingest side, warm): {spent:.2f} s, {len(texts) / spent:.0f} chunks/s")
    questions = [c["q"] for c in load_cases(ROOT / "eval" / "dev.jsonl") if c["kind"] in ("retrieval", "oos")]
    for q in questions[:5]:
        r.search(q)  # warm
    for translate in (False, True):
        retrieval.TRANSLATE = translate
        lexical, search = [], []
        for q in questions:
            t0 = time.perf_counter()
            query = r._build_query(r.index, r.glossary, r.dictionary, q)
            r._lexical(r.index, query)
            lexical.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r.search(q)
            search.append(time.perf_counter() - t0)
        label = "with translation   " if translate else "without translation"
        print(f"{label}: query terms + BM25 {percentiles(lexical)};  whole search {percentiles(search)}")


if __name__ == "__main__":
    main()

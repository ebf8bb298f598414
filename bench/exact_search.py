"""`python -m bench.exact_search`: what the exact vector search (``store.EF_SEARCH``) costs by size.

A real Chroma collection in a temp dir per size, once with Chroma's default beam (100) and once
with ``EF_SEARCH``; random 512-d vectors (the bundled model's width), 100 queries of 60 results
(``Settings().candidates``), and the share of those queries whose 60 results are not the exact
60 nearest.  Writes ``bench/exact_search-results.json``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.run import load_average, machine
from bot.kb.store import EF_SEARCH
from bot.settings import Settings

SIZES = (200, 1_800, 18_000)
QUERIES = 100
OUT = Path(__file__).with_name("exact_search-results.json")


def measure(size: int, ef: int, client, rng: np.random.Generator) -> dict[str, float]:
    vectors = rng.normal(size=(size, 512)).astype(np.float32)
    queries = rng.normal(size=(QUERIES, 512)).astype(np.float32)
    k = min(Settings().candidates, size)
    col = client.create_collection(
        f"size{size}-ef{ef}", configuration={"hnsw": {"space": "cosine", "ef_search": ef}}, embedding_function=None
    )
    for start in range(0, size, 5000):
        part = range(start, min(size, start + 5000))
        col.add(ids=[str(i) for i in part], embeddings=vectors[start : start + len(part)])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    col.query(query_embeddings=[queries[0]], n_results=k)  # the graph loads on the first query
    times, inexact = [], 0
    for query in queries:
        started = time.perf_counter()
        got = col.query(query_embeddings=[query], n_results=k)
        times.append(time.perf_counter() - started)
        exact = {str(i) for i in np.argsort(-(unit @ query))[:k]}
        inexact += set(got["ids"][0]) != exact
    return {
        "p50_ms": round(1000 * float(np.percentile(times, 50)), 2),
        "p95_ms": round(1000 * float(np.percentile(times, 95)), 2),
        "inexact_share": inexact / QUERIES,
    }


def main() -> None:
    import chromadb

    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(tmp, settings=chromadb.Settings(anonymized_telemetry=False))
        for size in SIZES:
            for ef in (100, EF_SEARCH):
                row = {"chunks": size, "ef_search": ef, **measure(size, ef, client, rng)}
                rows.append(row)
                print(f"{size:>7} chunks  ef_search {ef:>7}  p50 {row['p50_ms']:6.2f} ms  "
                      f"p95 {row['p95_ms']:6.2f} ms  inexact {row['inexact_share']:.0%}", flush=True)
    described = {**machine(), "load_avg_end": load_average()}
    OUT.write_text(json.dumps({"machine": described, "rows": rows}, indent=2) + "\n")
    print(f"Written to {OUT}")


if __name__ == "__main__":
    main()

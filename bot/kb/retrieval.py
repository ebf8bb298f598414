"""Hybrid retrieval shared by the bot, the CLI, eval and the bench.

Dense (the bundled USE model in Chroma) and BM25 (jieba/stemmed tokens stored
at ingest) each rank candidates; reciprocal-rank fusion merges them.  The
question is first expanded with the glossary's other-language terms, which is
what lets an English question find the Chinese article.  A relevance floor
returns nothing rather than noise for questions the corpus cannot answer.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from bot.errors import InputError, StoreError
from bot.kb import store
from bot.kb.embeddings import encode, load_model
from bot.kb.glossary import GLOSSARY_DOC, Glossary
from bot.kb.glossary import load as load_glossary
from bot.kb.tokens import tokenize
from bot.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass
class Hit:
    rank: int
    score: float
    text: str
    title: str
    source: str
    lang: str
    chunk_id: str
    section: str
    dense: float = 0.0
    bm25: float = 0.0

    def public(self) -> dict[str, Any]:
        """The fields `search --json` promises."""
        data = asdict(self)
        data.pop("dense")
        data.pop("bm25")
        data["score"] = round(self.score, 6)
        return data


@dataclass(frozen=True)
class Index:
    """One consistent view of the active index; reloads swap the whole object at once."""

    collection: Any
    state: store.IndexState
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    position: dict[str, int]
    bm25: Any
    idf: dict[str, float]

    @classmethod
    def open(cls, settings: Settings) -> Index:
        """Open the active collection and build BM25 from the tokens stored with each chunk."""
        import bm25s

        collection, state = store.open_active(settings)
        chunks = store.all_chunks(collection)
        corpus = [(meta.get("tokens") or "").split() for meta in chunks["metadatas"]]
        bm25 = None
        if corpus:
            bm25 = bm25s.BM25(method="lucene")
            bm25.index(corpus, show_progress=False)
        frequency: Counter[str] = Counter(token for tokens in corpus for token in set(tokens))
        n = len(corpus)
        return cls(
            collection=collection,
            state=state,
            ids=chunks["ids"],
            texts=chunks["documents"],
            metas=chunks["metadatas"],
            position={cid: i for i, cid in enumerate(chunks["ids"])},
            bm25=bm25,
            idf={t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()},
        )


class Retriever:
    """Model, collection and BM25 index, loaded once per process by :meth:`build`.

    Thread-safe: each search reads one :class:`Index` snapshot, and :meth:`reload`
    replaces the snapshot in a single assignment.
    """

    def __init__(self, settings: Settings, model: SentenceTransformer, glossary: Glossary) -> None:
        self.settings = settings
        self.model = model
        self.glossary = glossary
        self.index = Index.open(settings)

    @classmethod
    def build(cls, settings: Settings) -> Retriever:
        """The factory `main` calls once; opens the store before paying for the model."""
        store.open_active(settings)  # fail fast with the fix before the slow model load
        model = load_model(settings.embedding_model, settings.embedding_threads)
        return cls(settings, model, load_glossary(settings.corpus_dir))

    def reload(self) -> None:
        """Serve whatever index the pointer names now, and the glossary the corpus holds now
        (after a re-index, an ingest by another process, or a server restart)."""
        self.index = Index.open(self.settings)
        self.glossary = load_glossary(self.settings.corpus_dir)

    def idf(self, token: str) -> float:
        """How rare a token is in the corpus (0 for unknown tokens)."""
        return self.index.idf.get(token, 0.0)

    @property
    def size(self) -> int:
        return len(self.index.ids)

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> list[Hit]:
        question = validate_question(question, self.settings.max_question_chars)
        k = k or self.settings.top_k
        index = self.index
        on_topic = bool(self.glossary.matches(question))
        expansion = self.glossary.expand(question) if mode != "dense" else []
        dense = self._dense(index, question) if mode != "bm25" else {}
        # The question-level gate: no glossary term and nothing close in meaning means
        # off-topic ("best pizza in New York" shares words, not a subject, with the corpus).
        nearest = max(dense.values(), default=0.0)
        if mode != "bm25" and not on_topic and nearest < self.settings.min_dense_without_terms:
            return []
        lexical = self._lexical(index, question, expansion) if mode != "dense" else {}
        return self._fuse(index, dense, lexical, k)

    # -- the two rankers -------------------------------------------------
    def _dense(self, index: Index, question: str) -> dict[int, float]:
        """Cosine ranking of the question as asked (measured: expansion only hurt it)."""
        vector = encode(self.model, [question])[0]
        n = min(self.settings.candidates, len(index.ids))
        if n == 0:
            return {}
        try:
            got = index.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        except Exception as err:  # server gone, collection swapped: reopen on the next call
            log.warning("vector query failed", exc_info=True)
            self._recover()
            raise StoreError(
                f"The knowledge base is unavailable right now ({store.describe_location(self.settings)}); "
                "please try again shortly."
            ) from err
        return {
            index.position[cid]: 1.0 - dist
            for cid, dist in zip(got["ids"][0], got["distances"][0])
            if cid in index.position
        }

    def _lexical(self, index: Index, question: str, expansion: list[str]) -> dict[int, float]:
        if index.bm25 is None:
            return {}
        tokens = tokenize(question) + tokenize(" ".join(expansion))
        if not tokens:
            return {}
        scores = index.bm25.get_scores(tokens)
        n = min(self.settings.candidates, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}

    def _fuse(self, index: Index, dense: dict[int, float], lexical: dict[int, float], k: int) -> list[Hit]:
        s = self.settings
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, i in enumerate(sorted(ranking, key=lambda i: -ranking[i])):
                # Glossary rows name every form of a term, so expansion over-matches them.
                weight = s.glossary_weight if index.metas[i].get("doc_id") == GLOSSARY_DOC else 1.0
                fused[i] = fused.get(i, 0.0) + weight / (s.rrf_k + rank + 1)
        # The floor: a passage must be close in meaning or share enough rare words.
        relevant = [
            i for i in fused
            if dense.get(i, 0.0) >= s.min_dense_score or lexical.get(i, 0.0) >= s.min_bm25_score
        ]
        relevant.sort(key=lambda i: -fused[i])
        hits = []
        for rank, i in enumerate(relevant[:k], start=1):
            meta = index.metas[i]
            hits.append(
                Hit(
                    rank=rank,
                    score=fused[i],
                    text=index.texts[i],
                    title=meta.get("title", ""),
                    source=meta.get("source", ""),
                    lang=meta.get("lang", ""),
                    chunk_id=index.ids[i],
                    section=meta.get("section", ""),
                    dense=dense.get(i, 0.0),
                    bm25=lexical.get(i, 0.0),
                )
            )
        return hits

    def _recover(self) -> None:
        try:
            self.reload()
        except StoreError:
            pass  # still down; the next question tries again


def validate_question(question: str, max_chars: int) -> str:
    """Empty or oversized input is the user's to fix, with a one-line reason."""
    text = (question or "").strip()
    if not text:
        raise InputError("Please type a question. 請輸入問題。")
    if len(text) > max_chars:
        raise InputError(f"That message is too long ({len(text)} characters; the limit is {max_chars}).")
    return text

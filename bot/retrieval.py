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
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from bot import store
from bot.errors import InputError, StoreError
from bot.glossary import GLOSSARY_DOC, Glossary
from bot.glossary import load as load_glossary
from bot.lexical import tokenize
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


class Retriever:
    """Model, collection and BM25 index, loaded once per process by :meth:`build`."""

    def __init__(self, settings: Settings, model: SentenceTransformer, glossary: Glossary) -> None:
        self.settings = settings
        self.model = model
        self.glossary = glossary
        self._lock = threading.Lock()
        self._collection: Any = None
        self.state: store.IndexState | None = None
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.metas: list[dict[str, Any]] = []
        self._bm25: Any = None
        self._idf: dict[str, float] = {}
        self._position: dict[str, int] = {}
        self.reload()

    @classmethod
    def build(cls, settings: Settings) -> Retriever:
        """The factory `main` calls once; opens the store before paying for the model."""
        from bot.embeddings import load_model

        store.open_active(settings)  # fail fast with the fix before the slow model load
        model = load_model(settings.embedding_model, settings.embedding_threads)
        return cls(settings, model, load_glossary(settings.corpus_dir))

    def reload(self) -> None:
        """(Re)open the active index and rebuild BM25 from the tokens stored with each chunk."""
        import bm25s

        collection, state = store.open_active(self.settings)
        chunks = store.all_chunks(collection)
        corpus = [(meta.get("tokens") or "").split() for meta in chunks["metadatas"]]
        bm25 = None
        if corpus:
            bm25 = bm25s.BM25(method="lucene")
            bm25.index(corpus, show_progress=False)
        frequency: Counter[str] = Counter(token for tokens in corpus for token in set(tokens))
        n = len(corpus)
        idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
        with self._lock:
            self._collection, self.state = collection, state
            self.ids, self.texts, self.metas = chunks["ids"], chunks["documents"], chunks["metadatas"]
            self._position = {cid: i for i, cid in enumerate(self.ids)}
            self._bm25, self._idf = bm25, idf

    def idf(self, token: str) -> float:
        """How rare a token is in the corpus (0 for unknown tokens)."""
        return self._idf.get(token, 0.0)

    @property
    def size(self) -> int:
        return len(self.ids)

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> list[Hit]:
        question = validate_question(question, self.settings.max_question_chars)
        k = k or self.settings.top_k
        on_topic = bool(self.glossary.matches(question))
        expansion = self.glossary.expand(question) if mode != "dense" else []
        dense = self._dense(question) if mode != "bm25" else {}
        # The question-level gate: no glossary term and nothing close in meaning means
        # off-topic ("best pizza in New York" shares words, not a subject, with the corpus).
        if mode != "bm25" and not on_topic and max(dense.values(), default=0.0) < self.settings.min_dense_without_terms:
            return []
        lexical = self._lexical(question, expansion) if mode != "dense" else {}
        return self._fuse(dense, lexical, k, mode)

    # -- the two rankers -------------------------------------------------
    def _dense(self, question: str) -> dict[int, float]:
        """Cosine ranking of the question as asked (measured: expansion only hurt it)."""
        from bot.embeddings import encode

        vector = encode(self.model, [question])[0]
        n = min(self.settings.candidates, self.size)
        if n == 0:
            return {}
        try:
            got = self._collection.query(
                query_embeddings=[vector], n_results=n, include=["distances"]
            )
        except Exception as err:  # server gone, collection swapped: reopen on the next call
            log.warning("vector query failed", exc_info=True)
            self._recover()
            raise StoreError(
                f"The knowledge base is unavailable right now ({store.describe_location(self.settings)}); "
                "please try again shortly."
            ) from err
        position = self._position
        return {
            position[cid]: 1.0 - dist
            for cid, dist in zip(got["ids"][0], got["distances"][0])
            if cid in position
        }

    def _lexical(self, question: str, expansion: list[str]) -> dict[int, float]:
        if self._bm25 is None:
            return {}
        tokens = tokenize(question) + tokenize(" ".join(expansion))
        if not tokens:
            return {}
        scores = self._bm25.get_scores(tokens)
        n = min(self.settings.candidates, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}

    def _fuse(self, dense: dict[int, float], lexical: dict[int, float], k: int, mode: Mode) -> list[Hit]:
        s = self.settings
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, index in enumerate(sorted(ranking, key=lambda i: -ranking[i])):
                # Glossary rows name every form of a term, so expansion over-matches them.
                weight = s.glossary_weight if self.metas[index].get("doc_id") == GLOSSARY_DOC else 1.0
                fused[index] = fused.get(index, 0.0) + weight / (s.rrf_k + rank + 1)
        # The floor: a passage must be close in meaning or share enough rare words.
        relevant = [
            i for i in fused
            if dense.get(i, 0.0) >= s.min_dense_score or lexical.get(i, 0.0) >= s.min_bm25_score
        ]
        relevant.sort(key=lambda i: -fused[i])
        hits = []
        for rank, index in enumerate(relevant[:k], start=1):
            meta = self.metas[index]
            hits.append(
                Hit(
                    rank=rank,
                    score=fused[index],
                    text=self.texts[index],
                    title=meta.get("title", ""),
                    source=meta.get("source", ""),
                    lang=meta.get("lang", ""),
                    chunk_id=self.ids[index],
                    section=meta.get("section", ""),
                    dense=dense.get(index, 0.0),
                    bm25=lexical.get(index, 0.0),
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

"""The answering engine: one chat message in, one short cited answer out.

Knows nothing of Discord.  Arithmetic goes to the calculator and finance
helpers, knowledge questions to retrieval, and a question can use both.  With
an LLM backend a tool-calling agent writes the answer; without one (the
default) the embedded answerer does, and it is also the fallback when the
backend fails.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from bot.answering import extractive as embedded
from bot.answering import intents
from bot.answering.agent import build_chat_model, run_agent, search_tool
from bot.calc import router as calc_router
from bot.calc.tools import get_tools
from bot.errors import BackendError, CalcError
from bot.kb import store
from bot.kb.embeddings import KNOWN_MODELS
from bot.kb.glossary import Glossary, Term
from bot.kb.retrieval import Hit, Retriever, validate_question
from bot.settings import Settings
from bot.text import Lang, detect_lang, to_script

QUOTE_CHARS = 120
class Source(BaseModel):
    title: str
    source: str
    quote: str
    chunk_id: str


class ToolCall(BaseModel):
    name: str
    input: Any
    output: str


class Answer(BaseModel):
    answer: str
    grounded: bool
    sources: list[Source] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    language: Lang = "en"
    notice: str | None = None

    def render_text(self) -> str:
        lines = [self.answer]
        if self.notice:
            lines.insert(0, f"({self.notice})")
        for number, source in enumerate(self.sources, start=1):
            lines.append(f"[{number}] {source.title}: 「{source.quote}」")
        return "\n".join(lines)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _source(hit: Hit, sentence: str | None = None) -> Source:
    return Source(title=hit.title, source=hit.source, quote=_quote(sentence or hit.text), chunk_id=hit.chunk_id)


class Engine:
    """Built once per process by :meth:`build`; thread-safe for concurrent questions."""

    def __init__(self, settings: Settings, retriever: Retriever, chat_model: Any | None = None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.chat_model = chat_model

    @classmethod
    def build(cls, settings: Settings, chat_model: Any | None = None) -> Engine:
        model = chat_model if chat_model is not None else build_chat_model(settings)
        return cls(settings, Retriever.build(settings), model)

    @property
    def glossary(self) -> Glossary:
        return self.retriever.glossary

    # -- answering -------------------------------------------------------
    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        """Answer one message; ``history`` is the conversation so far as (role, text) pairs."""
        question = validate_question(question, self.settings.max_question_chars)
        lang = detect_lang(question)
        if intents.wants_live_data(question):
            return Answer(answer=intents.NO_LIVE_DATA[lang], grounded=False, language=lang)

        calc_text, calls = self._calculate(question)
        calc_text = to_script(calc_text, lang)
        needs_kb = not calls or intents.wants_knowledge(question)
        if calls and not needs_kb:
            return self._finish(Answer(answer=calc_text, grounded=calls[0].name != "error", tool_calls=calls, language=lang), question)

        notice = None
        if self.chat_model is not None:
            try:
                return self._finish(self._ask_llm(question, history or [], lang), question)
            except BackendError as err:
                notice = f"{err} Answered offline instead."
        result = self._ask_embedded(question, history or [], lang)
        if calls:
            result.answer = calc_text + "\n\n" + result.answer
            result.tool_calls = calls + result.tool_calls
            result.grounded = result.grounded or calls[0].name != "error"
        result.notice = notice
        return self._finish(result, question)

    def _finish(self, result: Answer, question: str) -> Answer:
        if intents.wants_advice(question):
            result.answer += "\n" + intents.DISCLAIMER[result.language]
        return result

    def _calculate(self, question: str) -> tuple[str, list[ToolCall]]:
        call = calc_router.route(question)
        if call is None:
            return "", []
        try:
            text = calc_router.run(call).text
        except CalcError as err:
            return str(err), [ToolCall(name="error", input={"tool": call.tool, **call.args}, output=str(err))]
        return text, [ToolCall(name=call.tool, input=call.args, output=text)]

    def _retrieval_query(self, question: str, history: list[tuple[str, str]]) -> str:
        """Short follow-ups ("那2025年呢?") borrow the previous question's topic."""
        previous = [text for role, text in history if role == "user"]
        short = len(question) < 12 if detect_lang(question) != "en" else len(question.split()) < 5
        return f"{previous[-1]} {question}" if previous and short else question

    def _ask_embedded(self, question: str, history: list[tuple[str, str]], lang: Lang) -> Answer:
        hits = self.retriever.search(self._retrieval_query(question, history))
        quotes = embedded.select_quotes(question, hits, self.glossary, lang, self.retriever.idf)
        if not quotes:
            return Answer(answer=embedded.NOT_FOUND[lang], grounded=False, language=lang)
        text, cited = embedded.compose(question, lang, quotes, self.glossary)
        first_quote = {}
        for quote in quotes:
            first_quote.setdefault(quote.hit.chunk_id, quote.sentence)
        sources = [_source(hit, first_quote.get(hit.chunk_id)) for hit in cited]
        call = ToolCall(
            name="search_knowledge_base",
            input={"query": question},
            output=", ".join(h.chunk_id for h in hits),
        )
        return Answer(answer=text, grounded=True, sources=sources, tool_calls=[call], language=lang)

    def _ask_llm(self, question: str, history: list[tuple[str, str]], lang: Lang) -> Answer:
        seen: dict[str, Hit] = {}

        def search(query: str) -> list[dict[str, Any]]:
            out = []
            for hit in self.retriever.search(query):
                seen.setdefault(hit.chunk_id, hit)
                number = list(seen).index(hit.chunk_id) + 1
                out.append({"n": number, "chunk_id": hit.chunk_id, "title": hit.title, "text": hit.text})
            return out

        turns = history[-2 * self.settings.discord_history_turns :] if history else []
        messages = [*turns, ("user", question)]
        result = run_agent(
            self.chat_model, [search_tool(search), *get_tools()], messages, self.settings.llm_timeout_s
        )
        cited_numbers = {int(n) for n in re.findall(r"\[(\d+)\]", result.text)}
        hits = list(seen.values())
        used = [h for i, h in enumerate(hits, start=1) if i in cited_numbers] or hits
        return Answer(
            answer=result.text,
            grounded=bool(used),
            sources=[_source(h) for h in used],
            tool_calls=[ToolCall(**call) for call in result.tool_calls],
            language=lang,
        )

    # -- the rest of what the bot offers ---------------------------------
    def define(self, term: str) -> Term | None:
        return self.glossary.define(term)

    def documents(self) -> list[dict[str, Any]]:
        """What the knowledge base holds: one row per document."""
        counts = Counter(meta.get("doc_id") for meta in self.retriever.index.metas)
        rows: dict[str, dict[str, Any]] = {}
        for meta in self.retriever.index.metas:
            doc = meta.get("doc_id", "")
            rows.setdefault(
                doc,
                {"doc_id": doc, "title": meta.get("title", ""), "lang": meta.get("lang", ""),
                 "source": meta.get("source", ""), "date": meta.get("date", ""), "chunks": counts[doc]},
            )
        return sorted(rows.values(), key=lambda row: row["doc_id"])

    def about(self) -> dict[str, Any]:
        s = self.settings
        backend = "embedded extractive answerer" if self.chat_model is None else f"{s.llm_provider}:{s.llm_model}"
        return {
            "model": f"{s.embedding_model} ({KNOWN_MODELS.get(s.embedding_model, '?')})",
            "documents": len({m.get('doc_id') for m in self.retriever.index.metas}),
            "chunks": self.retriever.size,
            "store": store.describe_location(s),
            "backend": backend,
            "glossary_terms": len(self.glossary),
        }

    def reload(self) -> None:
        """Serve the index the pointer names now, and the glossary the corpus holds now
        (after an ingest, by this process or another)."""
        self.retriever.reload()

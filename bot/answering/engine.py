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
from bot.calc.evaluator import evaluate as calculate
from bot.calc.leverage import DEFAULT_MOVES, whatif_table, whatif_text
from bot.calc.tools import get_tools
from bot.errors import BackendError, CalcError
from bot.kb import store
from bot.kb.embeddings import KNOWN_MODELS
from bot.kb.glossary import Glossary, Term
from bot.kb.retrieval import Hit, Retriever, validate_question
from bot.settings import Settings
from bot.text import CJK_CHARS, Lang, detect_lang, fold, to_script, to_simplified, warm_up

QUOTE_CHARS = 120
#: Passages the embedded answerer reads sentences from (retrieval's own top_k is for display and eval).
CANDIDATE_PASSAGES = 10


class Source(BaseModel):
    title: str
    source: str
    quote: str
    chunk_id: str
    section: str = ""
    #: The answer text already quotes this passage, so a sources line names it without the quote.
    quoted: bool = False

    def cite(self) -> str:
        """"Title › section", plus the quote only when the answer does not already hold it."""
        section = self.section.split(" > ")[-1] if self.section else ""
        name = f"{self.title} › {section}" if section and section != self.title else self.title
        return name if self.quoted or not self.quote else f"{name}: 「{self.quote}」"


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
            lines.append(f"[{number}] {source.cite()}")
        return "\n".join(lines)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _source(hit: Hit, sentence: str | None = None, quoted: bool = False) -> Source:
    return Source(
        title=hit.title, source=hit.source, quote=_quote(sentence or hit.text), chunk_id=hit.chunk_id,
        section=hit.section, quoted=quoted,
    )


# ------------------------------------------------------------------ turns

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_MONTH = re.compile(
    r"(?<!\d)\d{1,2}\s*月|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b",
    re.IGNORECASE,
)


def names_topic(question: str, glossary: Glossary) -> bool:
    """The message names its own subject: a glossary term, a year, or enough words of its own."""
    if glossary.matches(question) or _YEAR.search(question):
        return True
    if detect_lang(question) == "en":
        words = [w for w in re.findall(r"[a-z]+", question.lower()) if w not in _EN_FILLER]
        return len(words) >= 3
    return len(re.sub(r"[\s?？!！,，。.呢嗎吗那麼么啊的了是什麼么為什为何怎麼样樣誰谁說说]", "", question)) >= 6


_EN_FILLER = frozenset(
    ["a", "an", "the", "and", "so", "then", "but", "also", "what", "whats", "s", "about", "how", "why", "who", "when", "which", "is", "are", "was", "were", "it", "that", "this", "they", "them", "those", "these", "does", "do", "did", "can", "could", "would", "will", "be", "been", "bad", "good", "big", "much", "many", "happen", "happened", "mean", "caps", "cap"]
)


def conversation_turn(question: str, history: list[tuple[str, str]], glossary: Glossary) -> tuple[str, bool]:
    """(the question to answer, continues) for one message of a conversation.

    A message that names its own topic and does not point back stands alone and
    borrows nothing.  A continuation ("那2025年呢?", "why was that bad?", "and what
    caps it?") borrows the previous user turn: a year or term of the same kind
    replaces the previous one ("2020年3月…發生什麼事?" + "那2025年呢?" → "2025年…發生什麼事?"),
    anything else is added to it.
    """
    previous = [text for role, text in history if role == "user"]
    if not previous:
        return question, False
    if not intents.continues(question) and names_topic(question, glossary):
        return question, False
    last = previous[-1]
    new_years = _YEAR.findall(question)
    if new_years and _YEAR.search(last):
        swapped = _YEAR.sub(new_years[0], last, count=1)
        rest = _YEAR.sub("", question)
        own = intents.question_intent(rest)
        return (f"{rest.strip()} {swapped}" if own not in ("other", "definition") else swapped), True
    new_terms = glossary.matches(question)
    old_terms = glossary.matches(last)
    if new_terms and old_terms:
        folded = fold(last)
        for form in sorted(old_terms[0].all_forms, key=len, reverse=True):
            at = folded.find(fold(form))
            if at >= 0:
                return last[:at] + new_terms[0].zh_hant[0] + last[at + len(form):], True
    return f"{question} {last}", True


class Engine:
    """Built once per process by :meth:`build`; thread-safe for concurrent questions."""

    def __init__(self, settings: Settings, retriever: Retriever, chat_model: Any | None = None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.chat_model = chat_model

    @classmethod
    def build(cls, settings: Settings, chat_model: Any | None = None) -> Engine:
        model = chat_model if chat_model is not None else build_chat_model(settings)
        warm_up()  # script converters load now, not under the first question
        return cls(settings, Retriever.build(settings), model)

    @property
    def glossary(self) -> Glossary:
        return self.retriever.glossary

    # -- answering -------------------------------------------------------
    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        """Answer one message; ``history`` is the conversation so far as (role, text) pairs."""
        question = validate_question(question, self.settings.max_question_chars)
        history = history or []
        lang = _lang_in_context(question, history)
        if intents.wants_live_data(question) or intents.asks_live_value(question):
            return Answer(answer=intents.NO_LIVE_DATA[lang], grounded=False, language=lang)
        if intents.is_greeting(question):
            return Answer(answer=intents.HELP[lang], grounded=False, language=lang)

        calc_text, calls = self._calculate(question)
        calc_text = embedded.in_script(calc_text, lang)
        needs_kb = not calls or intents.wants_knowledge(question)
        if calls and not needs_kb:
            return self._finish(Answer(answer=calc_text, grounded=calls[0].name != "error", tool_calls=calls, language=lang), question)

        asked = _knowledge_part(question) if calls else question
        asked, continued = conversation_turn(asked, history, self.glossary)
        notice = None
        if self.chat_model is not None:
            try:
                turns = history if continued else []
                return self._finish(self._ask_llm(asked if continued else question, turns, lang), question)
            except BackendError as err:
                notice = f"{err} Answered offline instead."
        result = self._ask_embedded(asked, lang)
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
        """What ``calc`` would compute, for every part: several moves give a what-if table,
        several haircuts one line each, and a bare expression the router misses still runs."""
        call = calc_router.route(question)
        table = self._move_table(question, call)
        if table is not None:
            return table
        if call is None:
            return self._bare_expression(question)
        calls = [call]
        if call.tool == "leverage_from_haircut":
            calls += [
                calc_router.CalcCall(call.tool, {"haircut": p / 100}, call.chinese)
                for p in _percents(question)[1:]
                if p > 0 and abs(p / 100 - call.args["haircut"]) > 1e-12
            ]
        elif call.tool == "loss_from_move" and "equity" not in call.args:
            equity = _probe_equity(question)
            if equity is not None:
                calls = [calc_router.CalcCall(call.tool, {**call.args, "equity": equity}, call.chinese)]
        texts, tool_calls = [], []
        for number, one in enumerate(calls):
            try:
                text = calc_router.run(one).text
            except CalcError as err:
                texts.append(str(err))
                tool_calls.append(ToolCall(name="error", input={"tool": one.tool, **one.args}, output=str(err)))
                continue
            texts.append(text if number == 0 else text.splitlines()[0])  # the working is shown once
            tool_calls.append(ToolCall(name=one.tool, input=one.args, output=text))
        return "\n\n".join(texts), tool_calls

    def _move_table(self, question: str, call: calc_router.CalcCall | None) -> tuple[str, list[ToolCall]] | None:
        """Equity and leverage with several price moves (or "what-if table"): the /leverage table."""
        moves = _moves(question)
        if len(moves) < 2 and not intents.wants_move_table(question):
            return None
        if call is not None and call.tool not in ("loss_from_move", "position_size"):
            return None
        args = dict(call.args) if call is not None else {}
        if "equity" not in args or "leverage" not in args:
            probed = _probe_position(question)
            if probed is None:
                return None
            args = {**probed, **{k: v for k, v in args.items() if k in ("equity", "leverage")}}
        if len(moves) < 2:
            moves = list(DEFAULT_MOVES)
        chinese = detect_lang(question) != "en"
        try:
            rows = whatif_table(args["equity"], args["leverage"], moves)
        except CalcError as err:
            return str(err), [ToolCall(name="error", input={"tool": "whatif_table", **args}, output=str(err))]
        position = args["equity"] * args["leverage"]
        head = (
            f"本金 {_fmt(args['equity'])}、{_fmt(args['leverage'])} 倍槓桿,部位 {_fmt(position)};"
            f"價格每變動 x%,本金約變動 {_fmt(args['leverage'])} × x%:"
            if chinese
            else f"Equity {_fmt(args['equity'])} at {_fmt(args['leverage'])}x is a position of {_fmt(position)}; "
            f"a price move of x% changes equity by about {_fmt(args['leverage'])} × x%:"
        )
        text = f"{head}\n```\n{whatif_text(rows, chinese)}\n```"
        inputs = {"equity": args["equity"], "leverage": args["leverage"], "moves": moves}
        return text, [ToolCall(name="whatif_table", input=inputs, output=text)]

    def _bare_expression(self, question: str) -> tuple[str, list[ToolCall]]:
        """Arithmetic the router does not pick up ("5bp of 1.2bn") but `calc` computes."""
        if len(re.findall(r"\d+(?:\.\d+)?", question)) < 2 or intents.wants_knowledge(question):
            return "", []
        try:
            text = calculate(question).text
        except CalcError:
            return "", []
        return text, [ToolCall(name="calculator", input={"expression": question}, output=text)]

    def _ask_embedded(self, question: str, lang: Lang) -> Answer:
        intent = intents.question_intent(question)
        hits = self._candidates(question, intent)
        quotes = embedded.select_quotes(
            question, hits, self.glossary, lang, self.retriever.idf, intent=intent, following=self._following,
            translated=self.retriever.bridged_tokens(question),
        )
        if not quotes:
            return Answer(answer=embedded.NOT_FOUND[lang], grounded=False, language=lang)
        text, cited = embedded.compose(question, lang, quotes, self.glossary)
        first_quote: dict[str, str] = {}
        for quote in quotes:
            first_quote.setdefault(quote.hit.chunk_id, quote.sentence)
        sources = [_source(hit, first_quote.get(hit.chunk_id), quoted=True) for hit in cited]
        call = ToolCall(
            name="search_knowledge_base",
            input={"query": question, "intent": intent},
            output=", ".join(h.chunk_id for h in hits),
        )
        return Answer(answer=text, grounded=True, sources=sources, tool_calls=[call], language=lang)

    def _candidates(self, question: str, intent: str) -> list[Hit]:
        """Passages to answer from: the question's own hits, plus the glossary row of the term a
        definition asks about, a search for each side of a comparison, and the term alone (its
        forms in every script) when the question as typed finds nothing."""
        k = max(self.settings.top_k, CANDIDATE_PASSAGES)
        hits = self.retriever.search(question, k=k)
        extra: list[str] = []
        terms = self.glossary.matches(question)
        if intent == "compare":
            years = list(dict.fromkeys(_YEAR.findall(question)))
            if len(years) >= 2:
                for year in years[:2]:
                    others = [y for y in years if y != year]
                    extra.append(re.sub("|".join(others), " ", question))
            elif len(terms) >= 2:
                extra += [" ".join(t.all_forms) for t in terms[:2]]
        if terms and not hits:
            extra.append(" ".join(terms[0].all_forms))
        seen = {hit.chunk_id for hit in hits}
        if terms and intent == "definition":
            row = self._glossary_hit(terms[0])
            if row is not None and row.chunk_id not in seen:
                seen.add(row.chunk_id)
                row.rank = len(hits) + 1
                hits.append(row)
        for query in extra:
            for hit in self.retriever.search(query, k=self.settings.top_k):
                if hit.chunk_id not in seen:
                    seen.add(hit.chunk_id)
                    hit.rank = len(hits) + 1
                    hits.append(hit)
        return hits

    def _glossary_hit(self, term: Term) -> Hit | None:
        """The glossary row of a term, as a passage of its own (rows are down-weighted in search)."""
        index = self.retriever.index
        wanted = f"zh-Hant: {' / '.join(term.zh_hant)} ·"
        for i, text in enumerate(index.texts):
            for line in text.splitlines():
                if line.startswith(wanted):
                    m = index.metas[i]
                    return Hit(rank=1, score=0.0, text=line, title=m.get("title", ""), source=m.get("source", ""),
                               lang=m.get("lang", ""), chunk_id=index.ids[i], section=m.get("section", ""))
        return None

    def _following(self, hit: Hit, count: int = 4) -> list[Hit]:
        """The next passages of the hit's document, for quoting a list that runs on."""
        index = self.retriever.index
        at = index.position.get(hit.chunk_id)
        if at is None:
            return []
        meta = index.metas[at]
        doc, position = meta.get("doc_id"), meta.get("position")
        if position is None:
            return []
        rows = {
            m.get("position"): i for i, m in enumerate(index.metas)
            if m.get("doc_id") == doc and isinstance(m.get("position"), int)
        }
        out = []
        for step in range(1, count + 1):
            i = rows.get(position + step)
            if i is None:
                break
            m = index.metas[i]
            out.append(Hit(rank=hit.rank, score=0.0, text=index.texts[i], title=m.get("title", ""),
                           source=m.get("source", ""), lang=m.get("lang", ""), chunk_id=index.ids[i],
                           section=m.get("section", "")))
        return out

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
        intent = intents.question_intent(question)
        hint = f"\n\n(The question asks for: {intents.INTENT_HINTS[intent]}.)" if intent in intents.INTENT_HINTS else ""
        messages = [*turns, ("user", question + hint)]
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


# ------------------------------------------------------------ calculator help

# Possessive runs and a number that starts only where no digit precedes it: linear on long
# digit runs (measured by bench/hostile.py: 87 ms -> 0.03 ms on "20" * 500).
_PERCENT = re.compile(r"([-+−]?+)\s*+(?<![\d.])(\d++(?:\.\d++)?+)\s*+(?:%|percent|pct)", re.IGNORECASE)
_RANGE = re.compile(
    r"(?<![\d.])(\d++(?:\.\d++)?+)\s*+%?+\s*+(?:to|至|到|~|-|–)\s*+[-−]?+\s*+(\d++(?:\.\d++)?+)\s*+%",
    re.IGNORECASE,
)
_UP = re.compile(r"\b(?:up|rise|rises|gain|gains)\b|漲|涨|上漲|上涨", re.IGNORECASE)


def _percents(question: str) -> list[float]:
    return [float(m.group(2)) for m in _PERCENT.finditer(question)]


def _moves(question: str) -> list[float]:
    """Price moves in percent, negative for drops (the default): "跌0.5% 1% 2%", "-0.25% to -5%"."""
    span = _RANGE.search(question)
    sign = 1.0 if _UP.search(question) and not re.search(r"跌|drop|fall|down|decline|lose|虧|亏", question) else -1.0
    if span:
        low, high = sorted((float(span.group(1)), float(span.group(2))))
        inside = {abs(m) for m in DEFAULT_MOVES if low <= abs(m) <= high}
        return [sign * m for m in sorted(inside | {low, high})]
    found = list(dict.fromkeys(_percents(question)))
    return [sign * m for m in found]


def _without_percents(question: str) -> str:
    return _RANGE.sub(" ", _PERCENT.sub(" ", question))


def _probe_position(question: str) -> dict[str, float] | None:
    """Equity and leverage from the message, read by the router as a position-size question."""
    chinese = detect_lang(question) != "en"
    probe = _without_percents(question) + (" 部位多大?" if chinese else " how big is the position?")
    call = calc_router.route(probe)
    if call is not None and call.tool == "position_size":
        return {"equity": call.args["equity"], "leverage": call.args["leverage"]}
    return None


def _probe_equity(question: str) -> float | None:
    found = _probe_position(question)
    return found["equity"] if found else None


def _lang_in_context(question: str, history: list[tuple[str, str]]) -> Lang:
    """The asker's script; a follow-up in characters both scripts share ("那2025年呢?")
    keeps the script of the previous user turn."""
    lang = detect_lang(question)
    if lang == "en":
        return lang
    cjk = "".join(re.findall(f"[{CJK_CHARS}]", question))
    if to_simplified(cjk) == cjk and to_script(cjk, "zh-Hant") == cjk:
        previous = [text for role, text in history if role == "user"]
        if previous and detect_lang(previous[-1]) != "en":
            return detect_lang(previous[-1])
    return lang


def _knowledge_part(question: str) -> str:
    """The part of a compound message that asks for an explanation, for retrieval."""
    parts = [p.strip() for p in re.split(r"[?？;；]|\band\b(?= (?:at|with|what|how|if))", question) if p and p.strip()]
    wanted = [p for p in parts if intents.wants_knowledge(p) and not re.search(r"\d", p)]
    return wanted[0] if wanted else question


def _fmt(value: float) -> str:
    from bot.calc.evaluator import format_number

    return format_number(value)

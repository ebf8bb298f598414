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
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from bot.answering import extractive as embedded
from bot.answering import intents
from bot.answering.agent import build_chat_model, run_agent, search_tool
from bot.calc import router as calc_router
from bot.calc.tools import get_tools
from bot.errors import BackendError
from bot.kb import store
from bot.kb.dictionary import shorthand
from bot.kb.embeddings import KNOWN_MODELS
from bot.kb.glossary import Glossary, Term
from bot.kb.retrieval import Hit, Index, Retriever, validate_question
from bot.settings import Settings
from bot.text import Lang, detect_lang, fold, script_neutral, warm_up

QUOTE_CHARS = 120
#: Passages the embedded answerer reads sentences from (retrieval's own top_k is for display and eval).
CANDIDATE_PASSAGES = 24
#: Sentences each half of a definition-plus-why/how question keeps (see :meth:`Engine._ask_embedded`).
COMPOUND_QUOTES = 2


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
#: A year with its month, as a follow-up swaps it in: "2025年4月", "april 2025", "2025-04".
_MONTH_YEAR = re.compile(
    r"(?<!\d)(?:19|20)\d\d\s*年\s*\d{1,2}\s*月|(?<!\d)(?:19|20)\d\d-\d\d(?!\d)"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d\d(?!\d)",
    re.IGNORECASE,
)


def names_topic(question: str, glossary: Glossary) -> bool:
    """The message names its own subject: a glossary term, a year, or enough words of its own."""
    if glossary.matches(question) or _YEAR.search(question):
        return True
    if detect_lang(question) == "en":
        words = [w for w in re.findall(r"[a-z]+", question.lower()) if w not in _EN_FILLER]
        return len(words) >= 3
    return len(_ZH_FILLER.sub("", re.sub(r"\s", "", question))) >= 6


#: Question words and particles, which name no subject ("是哪個法院判的 哪天" names only 法院判).
_ZH_FILLER = re.compile(r"[?？!！,，。.呢嗎吗那麼么啊的了是什麼么為什为何怎麼样樣誰谁說说哪個个些裡里會会這这有沒没嘛喔哦呀吧]")


#: How a definition question asks ("…是什么意思", "what does … mean"), taken out to see what is left.
_MEANING = re.compile(
    r"(?:是)?(?:什麼|什么|啥)(?:意思)?|的?意思|定義|定义|指的是|是指|是"
    r"|\bwhat(?:'s| is| are| does| do)?\b|\bmean(?:s|ing)?\b|\bdefine\b|\bdefinition\b|\bof\b",
    re.IGNORECASE,
)


def _defines_own(question: str) -> bool:
    """A definition question with a subject of its own, however short ("基差是什么意思", "what
    does dv01 mean"), where "什麼意思?" asks about what was just said."""
    if intents.question_intent(question) != "definition":
        return False
    return _leaves_words(_MEANING.sub(" ", question), drop_zh_filler=False)


def _leaves_words(rest: str, drop_zh_filler: bool) -> bool:
    """``rest`` (a message with its cues taken out) still holds an English word past the filler,
    or two Chinese characters (past the question words and particles, with ``drop_zh_filler``)."""
    words = [w for w in re.findall(r"[a-z0-9]+", rest.lower()) if w not in _EN_FILLER]
    chinese = "".join(re.findall(r"[\u4e00-\u9fff]", rest))
    return bool(words) or len(_ZH_FILLER.sub("", chinese) if drop_zh_filler else chinese) >= 2


_DIGIT = re.compile(r"\d")

_EN_FILLER = frozenset(
    ["a", "an", "the", "and", "so", "then", "but", "also", "what", "whats", "s", "about", "how", "why", "who", "when", "which", "is", "are", "was", "were", "it", "that", "this", "they", "them", "those", "these", "does", "do", "did", "can", "could", "would", "will", "be", "been", "bad", "good", "big", "much", "many", "happen", "happened", "mean", "caps", "cap"]
)


#: What is left of "那淨基差呢" or "what about the haircut?" once its term is taken out.
_BARE = re.compile(r"(?:[\s那麼么呢嗎吗啊的?？!！,，。.]|\b(?:what|how) about\b|\b(?:and|the|then|so)\b)*", re.IGNORECASE)


def _bare(question: str, terms: list[Term]) -> bool:
    """The message names its terms and nothing else: no question of its own."""
    rest = fold(question)
    for form in sorted((fold(f) for term in terms for f in term.all_forms), key=len, reverse=True):
        rest = rest.replace(form, " ")
    return _BARE.fullmatch(rest) is not None


def conversation_turn(question: str, history: list[tuple[str, str]], glossary: Glossary) -> tuple[str, bool]:
    """(the question to answer, continues) for one message of a conversation.

    A message that names its own topic and does not point back stands alone and
    borrows nothing.  A continuation ("那2025年呢?", "why was that bad?", "and what
    caps it?") borrows the previous user turn as that turn was answered (a chain of
    follow-ups keeps the topic its first message named): a year or term of the same kind
    replaces the previous one ("2020年3月…發生什麼事?" + "那2025年呢?" → "2025年…發生什麼事?"),
    anything else is added to it ("那跟2020年比呢" keeps both years).
    """
    last: str | None = None
    for text in (text for role, text in history if role == "user"):
        resolved, continued = _resolve(text, last, glossary)
        # "为什么会这样?" asked about the turn before it: the next follow-up is about that turn too
        if not continued or _own_words(text):
            last = resolved
    return _resolve(question, last, glossary)


def _own_words(question: str) -> bool:
    """Something is left of the message once its pointing back and its question words are
    taken out ("那它要靠哪三個前提" → 前提; "为什么会这样?" → nothing)."""
    return _leaves_words(intents.without_pointers(question), drop_zh_filler=True)


def _resolve(question: str, last: str | None, glossary: Glossary) -> tuple[str, bool]:
    """:func:`conversation_turn` against the previous turn's resolved question ``last``."""
    if last is None:
        return question, False
    if not intents.continues(question) and (names_topic(question, glossary) or _defines_own(question)):
        return question, False
    question = shorthand(question)  # "那25年4月呢" names 2025
    new_years = _YEAR.findall(question)
    if new_years and _YEAR.search(last):
        rest = _YEAR.sub("", question)
        own = intents.question_intent(rest)
        if own == "compare":
            return f"{question} {last}", True
        span = _MONTH_YEAR.search(question)
        if span and _MONTH_YEAR.search(last):  # "那25年4月呢" after 2020年3月: the month too
            swapped = _MONTH_YEAR.sub(lambda _: span.group(0), last, count=1)
        else:
            swapped = _YEAR.sub(new_years[0], last, count=1)
        return (f"{rest.strip()} {swapped}" if own not in ("other", "definition") else swapped), True
    new_terms = glossary.matches(question)
    old_terms = glossary.matches(last)
    # Only a message that is just the term swaps it in ("那淨基差呢"); one that asks something of
    # the last turn's subject ("how much leverage do these funds use?", "那它跟回購有什麼關係?")
    # adds to it.
    if new_terms and old_terms and _bare(question, new_terms):
        folded = fold(last)
        for form in sorted(old_terms[0].all_forms, key=len, reverse=True):
            at = folded.find(fold(form))
            if at >= 0:
                said = new_terms[0].english[0] if detect_lang(question) == "en" else new_terms[0].zh_hant[0]
                return last[:at] + said + last[at + len(form):], True
    return f"{question} {last}", True


class Engine:
    """Built once per process by :meth:`build`; thread-safe for concurrent questions."""

    def __init__(self, settings: Settings, retriever: Retriever, chat_model: Any | None = None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.chat_model = chat_model
        self._layout: _Layout | None = None

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
        if intents.wants_forecast(question):
            return Answer(answer=intents.NO_FORECAST[lang], grounded=False, language=lang)
        if intents.is_greeting(question):
            neutral = lang != "en" and script_neutral(question) and not history
            return Answer(answer=intents.HELP["neutral" if neutral else lang], grounded=False, language=lang)
        if intents.is_thanks(question):
            return Answer(answer=intents.THANKS[lang], grounded=False, language=lang)

        computed = calc_router.compute(question, lang=lang)  # what `calc` computes, every part of it
        if not computed.calls and history and _DIGIT.search(question):
            # "那100倍呢?" after "本金1000萬、50倍槓桿,部位多大?", "max lev if its 5%" after a haircut
            resolved, continued = conversation_turn(question, history, self.glossary)
            if continued:
                computed = calc_router.compute(resolved, lang=lang)
        calls = [ToolCall(name=c.name, input=c.input, output=c.output) for c in computed.calls]
        calc_text = embedded.in_script(computed.text, lang)
        needs_kb = not calls or intents.wants_knowledge(question)
        if calls and not needs_kb:
            return self._finish(Answer(answer=calc_text, grounded=calls[0].name != "error", tool_calls=calls, language=lang), question)

        asked = _knowledge_part(question) if calls else question
        own = asked
        asked, continued = conversation_turn(own, history, self.glossary)
        if continued and not intents.continues(own) and _own_words(own) and not self.retriever.search(own):
            # "明天会下雨吗" after a question about the Fed: a message with words of its own that does
            # not point back is about something else when the corpus knows nothing of it alone
            asked, continued = own, False
        notice = None
        if self.chat_model is not None:
            try:
                turns = history if continued else []
                return self._finish(self._ask_llm(asked if continued else question, turns, lang), question)
            except BackendError as err:
                notice = f"{err} Answered offline instead."
        # "why was that bad?" asks for consequences past what was just said; "who said that?" and
        # "why did that happen?" are often answered by it (measured: not repeating those lost answers)
        explains = continued and embedded.asks_why_it_matters(asked)
        said = next((text for role, text in reversed(history) if role == "assistant"), "") if explains else ""
        result = self._ask_embedded(asked, lang, said)
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

    def _ask_embedded(self, question: str, lang: Lang, said: str = "") -> Answer:
        """The offline answer; ``said`` is the answer a follow-up continues (it is not repeated).

        A definition asked together with a why or a how ("what is a repo haircut and why does it
        matter?", 淨基差是什麼?怎麼算) is answered as both: the definition's best sentences, then
        those of the why/how that do not repeat them (asked as one, the why won and the
        definition was lost).
        """
        parts = intents.compound(question)
        kinds = intents.asks(question) if parts is None else ()
        if len(kinds) == 2:
            # two kinds of fact asked (哪天宣布的 第一次减了多少): the best sentence for the first,
            # then the best ones for the second that say something new (measured: putting a yes/no
            # last, or keeping only second sentences with half the first one's topic, lost 4 answers)
            intent = "amount" if "amount" in kinds else kinds[0]  # a figure is checked against other sources
            hits = self._candidates(question, kinds[0])
            first = self._select(question, hits, lang, said, kinds[0])[:1]
            shown = [quote.sentence for quote in first]
            rest = self._select(question, hits, lang, " ".join([said, *shown]), kinds[1])
            rest = [q for q in rest if q.sentence not in shown and not embedded.restates(q.sentence, shown)]
            quotes = [*first, *rest[:COMPOUND_QUOTES]]
        elif parts is None:
            intent, hits, quotes = self._quotes(question, lang, said)
        else:
            _, defining, first = self._quotes(parts[0], lang, said)
            first = first[:COMPOUND_QUOTES]
            shown = [quote.sentence for quote in first]  # in answer order: the said text is deterministic
            intent, hits, rest = self._quotes(parts[1], lang, " ".join([said, *shown]))
            # the why/how's own sentences: not those shown, nor another wording of the definition
            rest = [q for q in rest if q.sentence not in shown and not embedded.defines(q.sentence, parts[0], self.glossary)]
            quotes = [*first, *rest[:COMPOUND_QUOTES]]
            seen = {hit.chunk_id for hit in hits}
            hits = [*hits, *(hit for hit in defining if hit.chunk_id not in seen)]
        if not quotes:
            return Answer(answer=embedded.NOT_FOUND[lang], grounded=False, language=lang)
        # a how-much answer names the figure other top passages give for the same quantity
        others = hits[: self.settings.top_k] if intent == "amount" else ()
        text, cited = embedded.compose(question, lang, quotes, self.glossary, others, intent=intent)
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

    def _quotes(self, question: str, lang: Lang, said: str) -> tuple[str, list[Hit], list[embedded.Quote]]:
        """(intent, candidate passages, the sentences that answer) for one question."""
        intent = intents.question_intent(question)
        hits = self._candidates(question, intent)
        return intent, hits, self._select(question, hits, lang, said, intent)

    def _select(self, question: str, hits: list[Hit], lang: Lang, said: str, intent: str) -> list[embedded.Quote]:
        """The sentences of ``hits`` that answer ``question`` read as a question of ``intent``."""
        return embedded.select_quotes(
            question, hits, self.glossary, lang, self.retriever.idf, intent=intent, following=self._following,
            groups=self.retriever.query_groups(question), said=said, document=self._document,
            names=self.retriever.names(question),
        )

    def _candidates(self, question: str, intent: str) -> list[Hit]:
        """Passages to answer from: the question's own hits, plus the glossary row of the term a
        definition asks about, a search for each side of a comparison, and the term alone (its
        forms in every script) when the question as typed finds nothing."""
        k = max(self.settings.top_k, CANDIDATE_PASSAGES)
        hits = self.retriever.search(question, k=k)
        sides: list[str] = []  # searched by BM25 alone: the question itself passed the gate
        terms = self.glossary.matches(question)
        if intent == "compare" and hits:
            years = list(dict.fromkeys(_YEAR.findall(question)))
            if len(years) >= 2:
                for year in years[:2]:
                    others = [y for y in years if y != year]
                    sides.append(re.sub("|".join(others), " ", question))
            elif len(terms) >= 2:
                sides += [" ".join(t.all_forms) for t in terms[:2]]
        extra = [(self.retriever.lexical_search, side) for side in sides]
        if terms and not hits:
            extra.append((self.retriever.search, " ".join(terms[0].all_forms)))
        seen = {hit.chunk_id for hit in hits}
        if terms and intent == "definition":
            row = self._glossary_hit(terms[0])
            if row is not None and row.chunk_id not in seen:
                seen.add(row.chunk_id)
                row.rank = len(hits) + 1
                hits.append(row)
        for search, query in extra:
            for hit in search(query, k=self.settings.top_k):
                if hit.chunk_id not in seen:
                    seen.add(hit.chunk_id)
                    hit.rank = len(hits) + 1
                    hits.append(hit)
        return hits

    def _index_layout(self) -> _Layout:
        """The :class:`_Layout` of the snapshot the retriever serves now (rebuilt after a reload)."""
        index = self.retriever.index
        layout = self._layout
        if layout is None or layout.index is not index:
            layout = self._layout = _Layout.of(index)  # one assignment: a racing question builds its own
        return layout

    def _glossary_hit(self, term: Term) -> Hit | None:
        """The glossary row of a term, as a passage of its own (rows are down-weighted in search)."""
        layout = self._index_layout()
        wanted = f"{_ROW_MARK}{' / '.join(term.zh_hant)} ·"
        for i, line in layout.rows:
            if line.startswith(wanted):
                return Hit.of(layout.index, i, rank=1, text=line)
        return None

    def _document(self, hit: Hit) -> embedded.Document | None:
        """The whole document a hit comes from, as the answerer reads it (see :class:`_Layout`)."""
        return self._index_layout().documents.get(hit.doc_id)

    def _following(self, hit: Hit, count: int = 4) -> list[Hit]:
        """The next passages of the hit's document, for quoting a list that runs on."""
        layout = self._index_layout()
        index = layout.index
        at = index.position.get(hit.chunk_id)
        if at is None:
            return []
        meta = index.metas[at]
        doc, position = meta.get("doc_id"), meta.get("position")
        if position is None:
            return []
        rows = layout.positions.get(doc, {})
        out = []
        for step in range(1, count + 1):
            i = rows.get(position + step)
            if i is None:
                break
            out.append(Hit.of(index, i, rank=hit.rank))
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


@dataclass(frozen=True)
class _Layout:
    """What the engine looks up in one index snapshot, read once per snapshot rather than by a
    scan of every chunk per question: the lines that may be glossary rows (chunk, line) in
    chunk order, each document's chunks by position, and each document's words (its chunks'
    BM25 tokens and folded text, which the answerer asks whether a document is about the question)."""

    index: Index
    rows: tuple[tuple[int, str], ...]
    positions: dict[Any, dict[int, int]]
    documents: dict[str, embedded.Document]

    @classmethod
    def of(cls, index: Index) -> _Layout:
        rows = tuple(
            (i, line) for i, text in enumerate(index.texts) for line in text.splitlines() if line.startswith(_ROW_MARK)
        )
        positions: dict[Any, dict[int, int]] = {}
        chunks: dict[str, list[int]] = {}
        for i, meta in enumerate(index.metas):
            if isinstance(meta.get("position"), int):
                positions.setdefault(meta.get("doc_id"), {})[meta["position"]] = i
            chunks.setdefault(meta.get("doc_id", ""), []).append(i)
        documents = {
            doc: embedded.Document.of(
                frozenset(t for i in members for t in (index.metas[i].get("tokens") or "").split()),
                "\n".join(index.texts[i] for i in members),
            )
            for doc, members in chunks.items()
        }
        return cls(index, rows, positions, documents)


#: How a glossary row starts (:meth:`Engine._glossary_hit` looks for one term's row).
_ROW_MARK = "zh-Hant: "


def _lang_in_context(question: str, history: list[tuple[str, str]]) -> Lang:
    """The asker's script; a follow-up in characters both scripts share ("那2025年呢?")
    keeps the script of the previous user turn."""
    lang = detect_lang(question)
    if lang == "en":
        return lang
    if script_neutral(question):
        previous = [text for role, text in history if role == "user"]
        if previous and detect_lang(previous[-1]) != "en":
            return detect_lang(previous[-1])
    return lang


def _knowledge_part(question: str) -> str:
    """The part of a compound message that asks for an explanation, for retrieval."""
    parts = [p.strip() for p in re.split(r"[?？;；]|\band\b(?= (?:at|with|what|how|if))", question) if p and p.strip()]
    wanted = [p for p in parts if intents.wants_knowledge(p) and not re.search(r"\d", p)]
    return wanted[0] if wanted else question


"""Practice questions built from what the bot already holds: the glossary, the corpus and the calculator.

A learner in a finance Discord needs to practise, not only ask.  Every question comes from a
source the bot can cite: a glossary row, a corpus sentence (with its document), or a calculator
formula (with its working).  Generation is deterministic for a seed, so a quiz can be replayed and
tested, and knows nothing of Discord.

Each candidate is *checked before it is asked* (:func:`check`), and a candidate that fails is
dropped, never repaired:

* ``answer_once``: the right answer is among the choices exactly once (choices are distinct by
  meaning, not only by spelling: "2020 年 3 月" and "March 2020" are the same date);
* ``distractor_true``: no wrong choice is also true — a glossary term whose note also fits or that
  shares a form with the answer, a date or amount that a near-identical corpus sentence states, a
  number too close to the true result;
* ``unsupported``: the source supports the answer — the cloze sentence is in the index and the
  answer fills its blank exactly, the glossary row holds the term and its note, the calculator
  recomputes the answer.
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.calc import formulas
from bot.calc.evaluator import format_number
from bot.calc.prices import format_32nds, parse_32nds
from bot.kb.glossary import GLOSSARY_DOC, Glossary, Term
from bot.kb.glossary import load as load_glossary
from bot.kb.retrieval import Index
from bot.kb.tokens import tokenize
from bot.settings import Settings
from bot.text import Lang, cjk_ratio, fold, split_sentences, to_script, to_simplified

LANGS: tuple[Lang, ...] = ("zh-Hant", "zh-Hans", "en")
CHOICES = 4
BLANK = "＿＿＿"
#: Question families a member can ask for (`/quiz topic`); each holds kinds.
TOPICS: dict[str, tuple[str, ...]] = {
    "terms": ("term_meaning", "meaning_term", "term_english", "english_term"),
    "facts": ("fact",),
    "numbers": ("wipeout", "haircut", "position", "price32"),
}
CHECKS = ("answer_once", "distractor_true", "unsupported")
#: Kinds that need Chinese notes (the glossary's notes are zh-Hant only).
_ZH_ONLY = {"term_meaning", "meaning_term"}
_EN_ONLY = {"english_term"}
MAX_TRIES = 40
SIMILAR_SENTENCE = 0.5  # token Jaccard at which two corpus sentences say the same thing
SIMILAR_NOTE = 0.5  # character-bigram Jaccard at which two glossary notes say the same thing

#: What kind of thing each glossary term is, keyed by its first English form: wrong choices are
#: drawn from the same kind, so "haircut" is asked against "margin" and "DV01", not against "Fed".
TERM_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ["Federal Reserve", "Federal Reserve Bank of New York", "Securities and Exchange Commission",
         "Bank for International Settlements", "Financial Stability Board", "Bank of England", "regulator",
         "Treasury Secretary", "Scott Bessent", "primary dealer", "hedge fund", "leveraged funds",
         "pension fund"], "institution"),
    **dict.fromkeys(
        ["Standing Repo Facility", "System Open Market Account", "central clearing", "dealer rule",
         "quantitative tightening", "bond purchases", "tariff"], "policy"),
    **dict.fromkeys(
        ["cash", "futures", "Treasury securities", "interest rate swap", "repo", "reverse repo",
         "cheapest-to-deliver", "delivery option", "collateral", "long end", "global capital markets"],
        "instrument"),
    **dict.fromkeys(
        ["swap spread", "haircut", "margin", "leverage", "equity", "position", "yield", "basis point",
         "DV01", "conversion factor", "implied repo rate", "gross basis", "net basis", "carry",
         "bid-ask spread", "liquidity"], "measure"),
    **dict.fromkeys(["basis trade", "swap-spread trade", "arbitrage", "double leverage", "convergence"], "trade"),
    **dict.fromkeys(
        ["margin call", "margin spiral", "deleveraging", "moral hazard", "systemic risk", "dash for cash",
         "sell-off", "chain reaction"], "stress"),
}

#: Names that can stand for each other in a sentence although their rows differ: a cloze with
#: one as the answer cannot offer the other as a wrong choice ("…衝擊＿＿＿、退休基金與銀行":
#: 避險基金 and 槓桿基金 are both true).  Rows that name each other in their notes are caught
#: without a list (the New York Fed's note names the Fed).
OVERLAPPING: frozenset[frozenset[str]] = frozenset(
    frozenset(pair) for pair in [
        ("hedge fund", "leveraged funds"),
        *(("regulator", name) for name in ("Securities and Exchange Commission", "Federal Reserve",
                                           "Federal Reserve Bank of New York", "Bank of England",
                                           "Financial Stability Board", "Bank for International Settlements")),
    ]
)

_T = {
    "term_meaning": {"zh": "「{term}」({english})是什麼意思?"},
    "meaning_term": {"zh": "哪個詞彙的意思是:「{note}」?"},
    "term_english": {"zh": "「{term}」的英文是?", "en": "What is the English term for 「{term}」?"},
    "english_term": {"en": "Which Chinese term (繁體 / 简体) means “{english}”?"},
    "fact": {"zh": "填空:「{stem}」", "en": "Fill in the blank: “{stem}”"},
    "wipeout": {
        "zh": "槓桿 {lev} 倍的部位,價格反向變動多少會讓本金歸零(爆倉)?",
        "en": "A position runs at {lev}x leverage. What adverse price move wipes out the equity?",
    },
    "haircut": {
        "zh": "附買回折價率(haircut)為 {h}% 時,最高槓桿是多少?",
        "en": "With a {h}% repo haircut, what is the most leverage repo financing allows?",
    },
    "position": {
        "zh": "本金 {equity}、槓桿 {lev} 倍,部位有多大?",
        "en": "With {equity} of equity at {lev}x leverage, how large is the position?",
    },
    "price32": {
        "zh": "公債報價 {quote}(以 32 分之一報價)換成小數是多少?",
        "en": "A Treasury is quoted at {quote} (points and 32nds). What is that in decimal?",
    },
}
_CALC_SOURCE = {"zh": "計算機:{name}", "en": "calculator: {name}"}


def _zh(lang: Lang) -> bool:
    return lang != "en"


def _say(kind: str, lang: Lang, **values: Any) -> str:
    """A prompt in the member's script: zh templates are written in zh-Hant and converted."""
    templates = _T[kind]
    template = templates["zh" if _zh(lang) and "zh" in templates else "en"]
    text = template.format(**values)
    return to_simplified(text) if lang == "zh-Hans" else text


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; ``public()`` is what the CLI prints and Discord shows."""

    kind: str
    lang: Lang
    prompt: str
    choices: tuple[str, ...]
    answer: int
    explanation: str
    source: str
    #: Canonical meaning of each choice (a term, a date, a number), for the checks.
    keys: tuple[str, ...] = ()
    #: What the checks verify against: the term rows, the sentence, or the formula and its input.
    basis: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def answer_text(self) -> str:
        return self.choices[self.answer]

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "lang": self.lang,
            "question": self.prompt,
            "choices": list(self.choices),
            "answer": self.answer,
            "explanation": self.explanation,
            "source": self.source,
        }


@dataclass(frozen=True)
class Sentence:
    """A quotable corpus sentence and where it came from."""

    text: str
    lang: str  # "zh" or "en"
    title: str
    source: str
    date: str
    chunk: int  # position in the index, to re-read it
    tokens: frozenset[str]

    def cite(self) -> str:
        parts = [self.title, self.date]
        head = " · ".join(p for p in parts if p)
        source = self.source if len(self.source) <= 160 else self.source[:159] + "…"
        return f"{head} — {source}" if source and source != self.title else head


@dataclass(frozen=True)
class Value:
    """A date, an amount or a name inside a sentence: its span, canonical key and kind."""

    start: int
    end: int
    key: str
    kind: str  # "date", "day", "money", "name"
    style: str = ""  # how to write alternatives alike: "sp" (spaced zh), "en", a term kind for names

    def text(self, sentence: str) -> str:
        return sentence[self.start : self.end]


# ------------------------------------------------------------------ values in text

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_ZH_DATE = re.compile(r"(\d{4})( ?)年 ?(\d{1,2}) ?月(?: ?(\d{1,2}) ?日)?")
_EN_DATE = re.compile(rf"\b(?:(\d{{1,2}}) )?({'|'.join(_MONTHS)}) (\d{{4}})\b")
_ZH_MONEY = re.compile(r"(\d[\d,]*(?:\.\d+)?)( ?)(兆|億)美元")
_EN_MONEY = re.compile(r"\$(\d+(?:\.\d+)?) (trillion|billion)\b")
_SCALE = {"兆": 1e12, "億": 1e8, "trillion": 1e12, "billion": 1e9}
#: Amounts below this are worked examples ("本金 1,000 萬美元"), not facts worth asking.
MIN_FACT_AMOUNT = 1e10


def _money_key(amount: float) -> str:
    return f"money:{amount:.6g}"


def find_values(sentence: str, lang: str, glossary: Glossary) -> list[Value]:
    """Dates, money amounts and institution names a cloze can blank out."""
    found: list[Value] = []
    if lang == "zh":
        for m in _ZH_DATE.finditer(sentence):
            y, sp, mo, d = m.group(1), m.group(2), int(m.group(3)), m.group(4)
            key = f"date:{y}-{mo:02d}" + (f"-{int(d):02d}" if d else "")
            found.append(Value(m.start(), m.end(), key, "day" if d else "date", "sp" if sp else ""))
        for m in _ZH_MONEY.finditer(sentence):
            amount = float(m.group(1).replace(",", "")) * _SCALE[m.group(3)]
            if amount >= MIN_FACT_AMOUNT:
                found.append(Value(m.start(), m.end(), _money_key(amount), "money", "sp" if m.group(2) else ""))
    else:
        for m in _EN_DATE.finditer(sentence):
            d, month, y = m.group(1), _MONTHS.index(m.group(2)) + 1, m.group(3)
            key = f"date:{y}-{month:02d}" + (f"-{int(d):02d}" if d else "")
            found.append(Value(m.start(), m.end(), key, "day" if d else "date", "en"))
        for m in _EN_MONEY.finditer(sentence):
            amount = float(m.group(1)) * _SCALE[m.group(2)]
            if amount >= MIN_FACT_AMOUNT:
                found.append(Value(m.start(), m.end(), _money_key(amount), "money", "en"))
    for term in glossary.matches(sentence):
        if term_kind(term) != "institution":
            continue
        forms = term.english if lang == "en" else term.zh_hant
        for form in sorted(forms, key=len, reverse=True):
            start = _find_word(sentence, form)
            if start >= 0:
                found.append(Value(start, start + len(form), f"term:{term.english[0]}", "name", "institution"))
                break
    # No overlapping spans: keep the longer one.
    found.sort(key=lambda v: (v.start, -(v.end - v.start)))
    kept: list[Value] = []
    for value in found:
        if not kept or value.start >= kept[-1].end:
            kept.append(value)
    return kept


def _find_word(sentence: str, form: str) -> int:
    """Where a form occurs as a whole word (ASCII forms) or anywhere (Chinese forms)."""
    if not form.isascii():
        return sentence.find(form)
    m = re.search(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", sentence)
    return m.start() if m else -1


def render_value(key: str, kind: str, style: str, lang: Lang) -> str:
    """Write a date or amount key the way the sentence writes its own (same spacing, same units)."""
    body = key.split(":", 1)[1]
    if kind in ("date", "day"):
        parts = [int(p) for p in body.split("-")]
        if style == "en":
            text = f"{_MONTHS[parts[1] - 1]} {parts[0]}"
            return f"{parts[2]} {text}" if len(parts) == 3 else text
        sp = " " if style == "sp" else ""
        text = f"{parts[0]}{sp}年{sp}{parts[1]}{sp}月"
        return text + (f"{sp}{parts[2]}{sp}日" if len(parts) == 3 else "")
    if kind == "money":
        amount = float(body)
        if style == "en":
            unit, scale = ("trillion", 1e12) if amount >= 1e12 else ("billion", 1e9)
            return f"${format_number(amount / scale)} {unit}"
        sp = " " if style == "sp" else ""
        unit, scale = ("兆", 1e12) if amount >= 1e12 else ("億", 1e8)
        text = f"{format_number(amount / scale)}{sp}{unit}美元"
        return to_simplified(text) if lang == "zh-Hans" else text
    raise ValueError(kind)


def term_kind(term: Term) -> str:
    return TERM_KINDS.get(term.english[0] if term.english else "", "other")


def _term_form(term: Term, lang: Lang) -> str:
    if lang == "zh-Hans":
        return (term.zh_hans or term.zh_hant)[0]
    return (term.zh_hant or term.zh_hans)[0]


def _term_label(term: Term, lang: Lang) -> str:
    """"折價率 (haircut)": the term in the member's script with its English."""
    english = term.english[0] if term.english else ""
    zh = _term_form(term, "zh-Hans" if lang == "zh-Hans" else "zh-Hant")
    return f"{zh} ({english})" if english else zh


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\W", "", fold(text))
    return {text[i : i + 2] for i in range(len(text) - 1)}


def jaccard(a: Iterable[Any], b: Iterable[Any]) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a or b else 0.0


def _num(value: float, decimals: int = 6) -> str:
    return format_number(round(value, decimals))


# ------------------------------------------------------------------ the bank


class QuizBank:
    """The question material of one index: glossary terms and citable sentences, built once.

    Build it from an engine with :meth:`from_engine`; rebuild after a re-index.
    """

    def __init__(self, glossary: Glossary, texts: Sequence[str], metas: Sequence[dict[str, Any]]) -> None:
        self.glossary = glossary
        self.terms = [t for t in glossary.terms if t.english and (t.zh_hant or t.zh_hans) and t.note]
        self.chunks = list(texts)
        self.sentences: list[Sentence] = []
        seen: set[str] = set()
        for position, (text, meta) in enumerate(zip(texts, metas)):
            if meta.get("doc_id") == GLOSSARY_DOC:
                continue
            for sentence in split_sentences(text):
                sentence = " ".join(sentence.split())
                if sentence in seen or not 20 <= len(sentence) <= 260:
                    continue
                seen.add(sentence)
                lang = "zh" if cjk_ratio(sentence) > 0.5 else "en" if cjk_ratio(sentence) == 0 else ""
                if not lang:
                    continue
                self.sentences.append(
                    Sentence(sentence, lang, str(meta.get("title", "")), str(meta.get("source", "")),
                             str(meta.get("date", "")), position, frozenset(_content_tokens(sentence)))
                )
        self.sentences.sort(key=lambda s: (s.lang, s.title, s.chunk, s.text))
        self.values = {id(s): find_values(s.text, s.lang, glossary) for s in self.sentences}
        #: Every value key each language's corpus states, by kind, with the style it was written in.
        self.pool: dict[tuple[str, str], list[str]] = {}
        for s in self.sentences:
            for v in self.values[id(s)]:
                keys = self.pool.setdefault((s.lang, v.kind), [])
                if v.key not in keys:
                    keys.append(v.key)
        self.clozes = [(s, v) for s in self.sentences for v in self.values[id(s)]]

    @classmethod
    def from_engine(cls, engine: Any) -> QuizBank:
        index = engine.retriever.index
        return cls(engine.glossary, index.texts, index.metas)

    @classmethod
    def from_settings(cls, settings: Settings) -> QuizBank:
        """Straight from the active index and the corpus glossary: no embedding model to load."""
        index = Index.open(settings)
        return cls(load_glossary(settings.corpus_dir), index.texts, index.metas)

    # -- generation ------------------------------------------------------
    def kinds_for(self, lang: Lang, topic: str | None = None) -> dict[str, list[str]]:
        """The kinds a member in this script can get, by family."""
        families = {topic: TOPICS[topic]} if topic else TOPICS
        out: dict[str, list[str]] = {}
        for family, kinds in families.items():
            usable = [
                k for k in kinds
                if not (k in _ZH_ONLY and lang == "en") and not (k in _EN_ONLY and lang != "en")
                and not (k == "fact" and not self._clozes_for(lang))
                and not (k in TOPICS["terms"] and len(self.terms) < CHOICES)
            ]
            if usable:
                out[family] = usable
        return out

    def _clozes_for(self, lang: Lang) -> list[tuple[Sentence, Value]]:
        wanted = "en" if lang == "en" else "zh"
        return [(s, v) for s, v in self.clozes if s.lang == wanted]

    def propose(self, kind: str, lang: Lang, rng: random.Random) -> Question:
        """One unchecked candidate of a kind: wrong choices drawn naively, the checks judge."""
        return _BUILDERS[kind](self, lang, rng)

    def attempts(
        self, n: int, *, seed: int, lang: Lang | None = None, topic: str | None = None
    ) -> Iterable[tuple[Question, list[str]]]:
        """Every candidate tried while making ``n`` questions, with the checks it failed.

        ``lang=None`` cycles through the three scripts (for measuring); a failed or repeated
        candidate is replaced by a new one of the same kind and script.
        """
        if topic is not None and topic not in TOPICS:
            raise ValueError(topic)
        rng = random.Random(seed)
        asked: set[str] = set()
        made = 0
        while made < n:
            script = lang or LANGS[made % len(LANGS)]
            families = self.kinds_for(script, topic)
            if not families:
                return
            kind = rng.choice(families[rng.choice(sorted(families))])
            for _ in range(MAX_TRIES):
                question = self.propose(kind, script, rng)
                failed = check(question, self)
                if not failed and question.prompt in asked:
                    failed = ["repeat"]
                yield question, failed
                if not failed:
                    asked.add(question.prompt)
                    break
            made += 1

    def generate(
        self, n: int, *, seed: int, lang: Lang | None = None, topic: str | None = None
    ) -> list[Question]:
        """``n`` checked questions, the same ones for the same seed, script and topic."""
        return [q for q, failed in self.attempts(n, seed=seed, lang=lang, topic=topic) if not failed]

    def measure(self, n: int, *, seed: int, lang: Lang | None = None) -> dict[str, Any]:
        """How the checks judged the candidates behind ``n`` questions: the figures the README quotes."""
        tried = 0
        rejected: Counter[str] = Counter()
        rejected_by_kind: Counter[str] = Counter()
        by_kind_check: Counter[tuple[str, str]] = Counter()
        tried_by_kind: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        langs: Counter[str] = Counter()
        for question, failed in self.attempts(n, seed=seed, lang=lang):
            tried += 1
            tried_by_kind[question.kind] += 1
            if failed:
                rejected_by_kind[question.kind] += 1
                rejected.update(failed)
                by_kind_check.update((question.kind, name) for name in failed)
            else:
                kinds[question.kind] += 1
                langs[question.lang] += 1
        failed_any = sum(rejected_by_kind.values())
        failed_checks = failed_any - rejected["repeat"] if "repeat" in rejected else failed_any
        return {
            "questions": sum(kinds.values()),
            "candidates": tried,
            "rejected": failed_any,
            "rejected_share": round(failed_any / tried, 3) if tried else 0.0,
            #: Without repeats (a fine question already asked in this quiz): what the checks refused.
            "rejected_by_checks_share": round(failed_checks / tried, 3) if tried else 0.0,
            "rejected_by_check": {name: rejected.get(name, 0) for name in (*CHECKS, "repeat")},
            "rejected_share_by_kind": {
                kind: round(rejected_by_kind[kind] / tried_by_kind[kind], 3) for kind in sorted(tried_by_kind)
            },
            "rejections_by_kind_and_check": {
                kind: {name: by_kind_check[kind, name] for name in (*CHECKS, "repeat") if by_kind_check[kind, name]}
                for kind in sorted(tried_by_kind)
            },
            "kinds": dict(sorted(kinds.items())),
            "langs": dict(sorted(langs.items())),
        }


_CACHE_LOCK = threading.Lock()
_CACHE: list[tuple[Any, QuizBank]] = []


def bank_for(engine: Any) -> QuizBank:
    """The bank of the index the engine serves now; rebuilt once after a re-index swaps it."""
    index = engine.retriever.index
    with _CACHE_LOCK:
        if _CACHE and _CACHE[0][0] is index:
            return _CACHE[0][1]
        bank = QuizBank.from_engine(engine)
        _CACHE[:] = [(index, bank)]
        return bank


def parse_lang(value: str | None) -> Lang | None:
    """"zh-Hant", "zh-hans", "en" (any case) as a script; ``None`` for anything else."""
    wanted = (value or "").strip().lower()
    return next((lang for lang in LANGS if lang.lower() == wanted), None)


def _content_tokens(sentence: str) -> list[str]:
    """Words that say what a sentence is about: no numbers, so two dates of one event compare equal."""
    return [t for t in tokenize(sentence) if not any(ch.isdigit() for ch in t)]


def _finish(
    rng: random.Random,
    kind: str,
    lang: Lang,
    prompt: str,
    right: tuple[str, str],
    wrong: Sequence[tuple[str, str]],
    explanation: str,
    source: str,
    basis: dict[str, Any],
) -> Question:
    """Shuffle the right choice in among (up to three) wrong ones."""
    options = [right, *wrong[: CHOICES - 1]]
    rng.shuffle(options)
    return Question(
        kind=kind,
        lang=lang,
        prompt=prompt,
        choices=tuple(text for text, _ in options),
        answer=options.index(right),
        explanation=explanation,
        source=source,
        keys=tuple(key for _, key in options),
        basis=basis,
    )


# ------------------------------------------------------------------ glossary kinds


def _term_pick(bank: QuizBank, rng: random.Random) -> tuple[Term, list[Term]]:
    """A term and three others of the same kind (any kind when its own is too small)."""
    term = rng.choice(bank.terms)
    same = [t for t in bank.terms if t is not term and term_kind(t) == term_kind(term)]
    if len(same) < CHOICES - 1:
        same = [t for t in bank.terms if t is not term]
    return term, rng.sample(same, CHOICES - 1)


def _note(term: Term, lang: Lang) -> str:
    return to_simplified(term.note) if lang == "zh-Hans" else term.note


def _glossary_source(lang: Lang) -> str:
    return "詞彙表 Glossary" if lang != "zh-Hans" else "词汇表 Glossary"


def _glossary_question(bank: QuizBank, kind: str, lang: Lang, rng: random.Random) -> Question:
    term, others = _term_pick(bank, rng)

    def key(t: Term) -> str:
        return f"term:{t.english[0]}"

    if kind == "term_meaning":
        prompt = _say(kind, lang, term=_term_form(term, lang), english=term.english[0])
        right, wrong = (_note(term, lang), key(term)), [(_note(t, lang), key(t)) for t in others]
    elif kind == "meaning_term":
        prompt = _say(kind, lang, note=_note(term, lang))
        right, wrong = (_term_label(term, lang), key(term)), [(_term_label(t, lang), key(t)) for t in others]
    elif kind == "term_english":
        shown = " / ".join(term.zh_hans if lang == "zh-Hans" else term.zh_hant) if lang != "en" else \
            " / ".join(dict.fromkeys([*term.zh_hant, *term.zh_hans]))
        prompt = _say(kind, lang, term=shown)
        right, wrong = (term.english[0], key(term)), [(t.english[0], key(t)) for t in others]
    else:  # english_term
        prompt = _say(kind, lang, english=" / ".join(term.english))

        def both(t: Term) -> str:
            hant, hans = _term_form(t, "zh-Hant"), _term_form(t, "zh-Hans")
            return hant if hant == hans else f"{hant} / {hans}"

        right, wrong = (both(term), key(term)), [(both(t), key(t)) for t in others]
    label = _term_label(term, lang if lang != "en" else "zh-Hant")
    explanation = f"{label}: {_note(term, lang)}"
    if lang == "en":
        explanation = f"{term.english[0]} = {' / '.join(term.zh_hant)} (简体 {' / '.join(term.zh_hans)}): {term.note}"
    return _finish(rng, kind, lang, prompt, right, wrong, explanation, _glossary_source(lang),
                   {"term": term, "others": others})


# ------------------------------------------------------------------ facts


def _fact_question(bank: QuizBank, kind: str, lang: Lang, rng: random.Random) -> Question:
    sentence, value = rng.choice(bank._clozes_for(lang))
    answer_text = value.text(sentence.text)
    stem = sentence.text[: value.start] + BLANK + sentence.text[value.end :]
    wrong: list[tuple[str, str]] = []
    if value.kind == "name":
        term = _term_by_key(bank, value.key)
        others = [t for t in bank.terms if term_kind(t) == "institution" and t is not term]
        for other in rng.sample(others, min(len(others), CHOICES - 1)):
            # Written as the sentence is (zh-Hans sentences are converted from zh-Hant), so the
            # right choice does not stand out by its vocabulary.
            form = other.english[0] if lang == "en" else _term_form(other, "zh-Hant")
            form = to_simplified(form) if lang == "zh-Hans" else form
            wrong.append((form, f"term:{other.english[0]}"))
    else:
        pool = [k for k in bank.pool.get((sentence.lang, value.kind), []) if k != value.key]
        picks = rng.sample(pool, min(len(pool), CHOICES - 1))
        while len(picks) < CHOICES - 1:  # a thin pool: nearby years
            year = int(value.key.split(":")[1][:4]) + rng.choice((-2, -1, 1, 2))
            candidate = f"date:{year}{value.key[9:]}" if value.kind != "money" else _money_key(
                float(value.key.split(":")[1]) * rng.choice((0.5, 2, 3)))
            if candidate not in picks and candidate != value.key:
                picks.append(candidate)
        wrong = [(render_value(k, value.kind, value.style, lang), k) for k in picks]
    shown = to_simplified if lang == "zh-Hans" else (lambda text: text)
    prompt = _say("fact", lang, stem=shown(stem))
    return _finish(
        rng, kind, lang, prompt, (shown(answer_text), value.key), wrong,
        shown(sentence.text), shown(sentence.cite()), {"sentence": sentence, "value": value, "stem": stem},
    )


# ------------------------------------------------------------------ numbers


def _calc_explanation(working: formulas.Working, lang: Lang) -> str:
    return to_script(working.text, lang) if lang != "en" else working.text


def _calc_source(name: str, lang: Lang) -> str:
    text = _CALC_SOURCE["zh" if _zh(lang) else "en"].format(name=name)
    return to_simplified(text) if lang == "zh-Hans" else text


def _numbers(kind: str, value: float, wrong: Iterable[float], render: Callable[[float], str]) -> tuple[
    tuple[str, str], list[tuple[str, str]]
]:
    def key(v: float) -> str:
        return f"{kind}:{v:.12g}"

    return (render(value), key(value)), [(render(v), key(v)) for v in wrong]


def _money_text(amount: float, lang: Lang) -> str:
    if lang == "en":
        for scale, unit in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
            if amount >= scale:
                return f"${format_number(round(amount / scale, 6))} {unit}"
        return f"${format_number(amount)}"
    for scale, unit in ((1e12, "兆"), (1e8, "億"), (1e4, "萬")):
        if amount >= scale:
            text = f"{format_number(round(amount / scale, 6))} {unit}美元"
            return to_simplified(text) if lang == "zh-Hans" else text
    return f"{format_number(amount)} 美元"


def _calc_question(bank: QuizBank, kind: str, lang: Lang, rng: random.Random) -> Question:
    zh = _zh(lang)
    times = "倍" if zh else "x"

    def lev_text(v: float) -> str:
        return f"{_num(v, 2)} {times}" if zh else f"{_num(v, 2)}x"

    if kind == "wipeout":
        lev = rng.choice((3, 4, 5, 8, 10, 12.5, 15, 20, 25, 30, 40, 50, 60, 75, 80, 100))
        working = formulas.wipeout_move(lev, chinese=zh)
        # Wrong formulas: leverage read as a percent, the margin-call move, a doubled or halved
        # equity slice, the position's survivors' share.
        wrong = [lev * 1.0, formulas.margin_call_move(lev, 0.5 / lev).value, 200 / lev, 50 / lev, 100 - 100 / lev]
        rng.shuffle(wrong)
        right, wrong_choices = _numbers(kind, working.value, wrong, lambda v: f"{_num(v, 2)}%")
        prompt, args = _say(kind, lang, lev=_num(lev)), {"leverage": lev}
    elif kind == "haircut":
        pct = rng.choice((0.5, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12.5, 20, 25))
        working = formulas.leverage_from_haircut(pct / 100, chinese=zh)
        wrong = [float(pct), 100 - pct, 100 / pct - 1, 10 / pct, 200 / pct]
        rng.shuffle(wrong)
        right, wrong_choices = _numbers(kind, working.value, wrong, lev_text)
        prompt, args = _say(kind, lang, h=_num(pct)), {"haircut": pct / 100}
    elif kind == "position":
        equity = rng.choice((1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8))
        lev = rng.choice((5, 10, 20, 25, 50))
        working = formulas.position_size(equity, lev, chinese=zh)
        wrong = [formulas.equity_needed(equity, lev).value, equity * lev / 100, equity * (lev + 1), equity * lev * 10]
        rng.shuffle(wrong)
        right, wrong_choices = _numbers(kind, working.value, wrong, lambda v: _money_text(v, lang))
        prompt = _say(kind, lang, equity=_money_text(equity, lang), lev=_num(lev))
        args = {"equity": equity, "leverage": lev}
    else:  # price32
        whole, ticks = rng.randint(95, 125), rng.randint(0, 31)
        plus = rng.random() < 0.3
        quote = format_32nds(whole + (ticks + (0.5 if plus else 0)) / 32)
        value = parse_32nds(quote)
        wrong = [whole + ticks / 100, whole + (ticks + (0.5 if plus else 0)) / 64, whole + ticks / 32 + (1 / 32 if not plus else 0)]
        rng.shuffle(wrong)
        right, wrong_choices = _numbers(kind, value, wrong, _num)
        step = f"{whole} + {ticks}{'.5' if plus else ''}/32 = {_num(value)}"
        explanation = (f"{quote} = {step}" + (" (「+」= 半個 1/32)" if zh else " (“+” is half a 32nd)"))
        prompt = _say(kind, lang, quote=quote)
        return _finish(rng, kind, lang, prompt, right, wrong_choices,
                       to_simplified(explanation) if lang == "zh-Hans" else explanation,
                       _calc_source("parse_32nds", lang), {"formula": "parse_32nds", "args": {"text": quote}})
    name = {"wipeout": "wipeout_move", "haircut": "leverage_from_haircut", "position": "position_size"}[kind]
    return _finish(rng, kind, lang, prompt, right, wrong_choices, _calc_explanation(working, lang),
                   _calc_source(name, lang), {"formula": name, "args": args})


_BUILDERS: dict[str, Callable[[QuizBank, Lang, random.Random], Question]] = {
    **{kind: (lambda bank, lang, rng, kind=kind: _glossary_question(bank, kind, lang, rng)) for kind in TOPICS["terms"]},
    "fact": lambda bank, lang, rng: _fact_question(bank, "fact", lang, rng),
    **{kind: (lambda bank, lang, rng, kind=kind: _calc_question(bank, kind, lang, rng)) for kind in TOPICS["numbers"]},
}


# ------------------------------------------------------------------ the checks


def check(question: Question, bank: QuizBank) -> list[str]:
    """The checks this question fails (empty: it may be asked)."""
    failed = []
    if not _answer_once(question):
        failed.append("answer_once")
    family = next(name for name, kinds in TOPICS.items() if question.kind in kinds)
    wrong_true, supported = {
        "terms": _check_terms, "facts": _check_fact, "numbers": _check_numbers,
    }[family](question, bank)
    if wrong_true:
        failed.append("distractor_true")
    if not supported:
        failed.append("unsupported")
    return failed


def _answer_once(q: Question) -> bool:
    """Exactly one choice means the answer, and no two choices mean or read the same."""
    if len(q.choices) != CHOICES or len(q.keys) != CHOICES or not 0 <= q.answer < CHOICES:
        return False
    shown = [" ".join(fold(c).split()) for c in q.choices]
    right = q.keys[q.answer]
    return q.keys.count(right) == 1 and len(set(q.keys)) == CHOICES and len(set(shown)) == CHOICES


def _check_terms(q: Question, bank: QuizBank) -> tuple[bool, bool]:
    term: Term = q.basis["term"]
    others: list[Term] = q.basis["others"]
    forms = {fold(f) for f in term.all_forms}
    note_pairs = _bigrams(term.note)
    about_meaning = q.kind in ("term_meaning", "meaning_term")
    also_true = False
    for other in others:
        # A shared form makes a translation true twice (本金 is a zh-Hans form of two rows).
        shares_form = bool(forms & {fold(f) for f in other.all_forms})
        # When the question is about meaning, a note that names the other term (or is named by
        # it) fits both, and so does a near-identical note.  A translation is still unique then
        # (the English for 套利 is not "basis trade", though 基差交易's note says 套利), unless the
        # two rows name each other: 財政部長 ↔ 貝森特.
        names_other = other in bank.glossary.matches(term.note)
        named_by = term in bank.glossary.matches(other.note)
        mentions = (names_other or named_by) if about_meaning else (names_other and named_by)
        similar = about_meaning and jaccard(note_pairs, _bigrams(other.note)) >= SIMILAR_NOTE
        also_true = also_true or shares_form or mentions or similar
    # Supported: the glossary (as loaded now) holds this row, and the right choice comes from it.
    row = bank.glossary.define(term.english[0])
    right = fold(q.answer_text)
    supported = row == term and any(
        right == fold(text) for text in (
            _note(term, q.lang), _term_label(term, q.lang), term.english[0],
            " / ".join(dict.fromkeys([_term_form(term, "zh-Hant"), _term_form(term, "zh-Hans")])),
        )
    ) and q.keys[q.answer] == f"term:{term.english[0]}"
    return also_true, supported


def _check_fact(q: Question, bank: QuizBank) -> tuple[bool, bool]:
    sentence: Sentence = q.basis["sentence"]
    value: Value = q.basis["value"]
    stem: str = q.basis["stem"]
    original = value.text(sentence.text)
    # Supported: the sentence is in the index chunk it came from, the blank is unambiguous, and
    # the right choice fills the blank back into exactly that sentence.
    in_index = sentence.text in " ".join(bank.chunks[sentence.chunk].split())
    unambiguous = stem.count(BLANK) == 1 and sentence.text.count(original) == 1
    refilled = fold(stem.replace(BLANK, q.answer_text)) == fold(sentence.text)
    supported = in_index and unambiguous and refilled and q.keys[q.answer] == value.key
    # Also true: a wrong choice stated by this sentence elsewhere, or by a sentence that says
    # the same thing (same words, other numbers): "On 19 March …" vs "On 23 March …".
    wrong = {k for i, k in enumerate(q.keys) if i != q.answer}
    own = {v.key for v in bank.values[id(sentence)]}
    also_true = bool(wrong & own)
    if value.kind == "name":  # another name that could fill the same blank
        term = _term_by_key(bank, value.key)
        for key in wrong:
            other = _term_by_key(bank, key)
            also_true = also_true or other is None or term is None or _related(bank, term, other)
    for other in bank.sentences:
        if other is sentence or other.lang != sentence.lang:
            continue
        if jaccard(sentence.tokens, other.tokens) >= SIMILAR_SENTENCE and wrong & {
            v.key for v in bank.values[id(other)]
        }:
            also_true = True
            break
    return also_true, supported


def _term_by_key(bank: QuizBank, key: str) -> Term | None:
    return next((t for t in bank.terms if f"term:{t.english[0]}" == key), None)


def _related(bank: QuizBank, a: Term, b: Term) -> bool:
    """Two names that can stand for each other: listed, or one's note names the other."""
    return (
        frozenset((a.english[0], b.english[0])) in OVERLAPPING
        or b in bank.glossary.matches(a.note)
        or a in bank.glossary.matches(b.note)
    )


def _check_numbers(q: Question, bank: QuizBank) -> tuple[bool, bool]:
    name, args = q.basis["formula"], q.basis["args"]
    truth = parse_32nds(args["text"]) if name == "parse_32nds" else formulas.FORMULAS[name](**args).value
    values = [float(k.split(":", 1)[1]) for k in q.keys]
    supported = math.isclose(values[q.answer], truth, rel_tol=1e-9, abs_tol=1e-9)
    # A wrong number within half a percent of the truth cannot be told from it; prices, whose
    # readings differ by a few hundredths, within a quarter of a 32nd.
    close = {"abs_tol": 1 / 128} if name == "parse_32nds" else {"rel_tol": 5e-3}
    also_true = any(
        math.isclose(v, truth, **close) for i, v in enumerate(values) if i != q.answer
    ) or any(not math.isfinite(v) or v <= 0 for v in values)
    return also_true, supported

"""Figures in answer sentences: when sources disagree, say so; when a fact is "now", say when.

Why: the answerer quotes a few sentences from different documents.  When two of them state
different figures for the same quantity (leverage 50x vs 100x, a basis-trade size of $400-500bn
vs $650bn), quoting both without comment leaves the reader to notice, and picking one hides
the other.  :func:`conflicts` finds such pairs and :func:`render` writes one line naming each
figure with its citation, source and date.  :func:`as_of` dates "now / currently / 目前" facts
with the document's date, since "currently more than $1 trillion" is only true as of then.

Low false positives come first (a fake "sources differ" is worse than a missed one), so two
figures are compared only when all of these hold:

- same kind (leverage / money / bp / percent) and currency, from different documents;
- same *measure*: the quantity word nearest the figure (basis-trade size, futures positions,
  purchases, yield, spread, ...) from a small bilingual lexicon; a figure with no known measure
  is never compared, nor a leverage figure next to "haircut"/"cap" with one that is not;
- the same tenor (10-year vs 30-year), frequency (a day, a week, a month, a year) and
  direction (rise vs fall, when both say);
- the same year (a figure whose sentence names no year is compared only with another such;
  one that says "now" takes its document's year and month, so the vocus article's "目前 …
  超過1兆美元" is an April 2025 figure), and the same months when both name some;
- neither is hypothetical (worked examples, "if", "at 50x leverage, ...", arithmetic with "=");
- the two value intervals (a range "400-500bn", a bound "over $1 trillion", or a point) are
  more than :data:`TOLERANCE` apart, and not more than :data:`MAX_RATIO` apart (a factor of ten
  says two different quantities more often than two estimates of one).

Every pattern is a :func:`bot.calc.evaluator.guarded` pattern, written without nested
quantifiers (possessive, bounded repeats): matching is linear in the text, and the time limit is
the backstop.  A pattern that still times out makes :func:`extract` return nothing rather than
fail an answer.  Pure Python: no model, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from bot.calc.evaluator import guarded
from bot.errors import CalcError
from bot.text import cjk_ratio, detect_lang, split_sentences, to_script

if TYPE_CHECKING:
    from bot.kb.retrieval import Hit

__all__ = [
    "MAX_FIGURES",
    "MAX_RATIO",
    "TOLERANCE",
    "Conflict",
    "Figure",
    "Side",
    "as_of",
    "attribution",
    "conflicts",
    "doc_label",
    "extract",
    "figure_text",
    "format_date",
    "question_kinds",
    "render",
]

Kind = Literal["leverage", "money", "bp", "percent"]

#: Two figures disagree when their intervals are further apart than this share of the smaller.
TOLERANCE = 0.10
#: ... and not more than this factor apart (then they are more likely different quantities).
MAX_RATIO = 10.0
#: A sentence stating more figures than this is a table or junk: the rest are not read.
MAX_FIGURES = 40
#: At most this many differing figures are named in one line.
MAX_SIDES = 3


@dataclass(frozen=True)
class Figure:
    """One quantity stated in a sentence.

    ``value``/``high`` are normalised (USD or the stated currency for money, times for leverage,
    basis points for bp and percentage points, percent for percent); a single figure has
    ``high == value``.  ``bound`` is ``"="`` (a point, "about", "up to"), ``">"`` ("over", "超過",
    "or more") or ``"<"`` ("under", "不到").  The remaining fields are what :func:`conflicts`
    compares: the measure word nearest the figure, every lexicon tag of the sentence, the time,
    tenor, frequency and direction the sentence (or the figure's clause) names.
    """

    kind: Kind
    value: float
    high: float
    unit: str  # "USD", "GBP", "EUR", "" (money, currency unknown), "x", "bp", "%"
    text: str
    span: tuple[int, int]
    bound: str = "="
    qualifier: str = ""  # "about" or "up to" as written (for display; both compare as a point)
    measure: str | None = None
    subject: str = ""  # the words of the figure's clause, without the figure
    tags: frozenset[str] = frozenset()
    year: int | None = None  # None: the sentence names no year; 0: none that is this figure's
    months: frozenset[int] = frozenset()
    relative: bool = False  # the sentence says now / currently / 目前 ...
    tenors: frozenset[int] = frozenset()
    frequency: str | None = None
    direction: frozenset[str] = frozenset()
    hypothetical: bool = False

    @property
    def interval(self) -> tuple[float, float]:
        """The values the figure allows: a point, a range, or a half-open bound."""
        if self.bound == ">":
            return (self.value, math.inf)
        if self.bound == "<":
            return (0.0, self.high)
        return (self.value, self.high)


@dataclass(frozen=True)
class Side:
    """One figure of a conflict, with the quote and the hit it came from."""

    figure: Figure
    sentence: str
    hit: Hit
    attribution: str = ""  # a source named in the sentence itself ("Bloomberg, 19 March 2020")


@dataclass(frozen=True)
class Conflict:
    """Figures for one quantity that differ between documents (at least two sides)."""

    kind: Kind
    measure: str
    sides: tuple[Side, ...] = field(default_factory=tuple)


# ------------------------------------------------------------------ text form

# Length-preserving folding, so spans found on the folded text index the original sentence:
# full-width ASCII to ASCII, ideographic space to space, dashes to "-", letters to lower case.
_FOLD_TABLE = {code: chr(code - 0xFEE0).lower() for code in range(0xFF01, 0xFF5F)}
_FOLD_TABLE.update({0x3000: " ", 0x2013: "-", 0x2014: "-", 0x2212: "-"})
_FOLD_TABLE.update({code: chr(code + 32) for code in range(ord("A"), ord("Z") + 1)})


def _fold(text: str) -> str:
    return text.translate(_FOLD_TABLE)


# ---------------------------------------------------------------- the grammar

_NUM = r"(?:\d{1,3}+(?:,\d{3}+(?!\d))++|\d++)(?:\.\d++)?+"
_SCALE_EN = r"(?:trillion|billion|million|thousand|tn|bn|mn|mm|k|m|b)(?![a-z])"
_SCALE_CJK = rf"[兆億亿萬万千]{{1,2}}+(?:\s{{0,2}}+{_NUM}\s{{0,2}}+[億亿萬万千])?+"
_UNIT = (
    rf"{_SCALE_EN}|{_SCALE_CJK}"
    r"|(?:x|×)(?![a-z])(?!\s{0,2}+\d)|times(?![a-z])|倍"
    r"|(?:bps|bp|basis points?)(?![a-z])|個基點|个基点|基點|基点"
    r"|percentage points?(?![a-z])|個百分點|个百分点|百分點|百分点"
    r"|%|(?:percent|per cent)(?![a-z])"
)
_PREFIX = r"us\$|\$|£|€|usd ?"
_SUFFIX = r"美元|美金|英鎊|英镑|歐元|欧元|(?:us dollars|dollars?|usd)(?![a-z])|元"
_SEP = r"\s{0,2}+(?:-|~|to(?= )|至|到)\s{0,2}+"
_FIGURE = guarded(
    rf"(?P<cur1>{_PREFIX})?+(?<![0-9a-z.,])(?P<num1>{_NUM})(?:\s{{0,2}}+(?P<unit1>{_UNIT}))?+"
    rf"(?:(?P<sep>{_SEP})(?P<cur2>{_PREFIX})?+(?P<num2>{_NUM})(?:\s{{0,2}}+(?P<unit2>{_UNIT}))?+)?+"
    rf"(?:\s{{0,2}}+(?P<suffix>{_SUFFIX}))?+"
)
_YEAR = guarded(r"(?<![0-9a-z.,$])(?:19|20)\d\d(?![0-9])")
_MONTH_EN = guarded(
    r"(?<![a-z])(?:january|february|march|april|june|july|august|september|sept|october|november|december"
    r"|(?<=\d )may|may(?= \d))(?![a-z])"
)
_MONTH_ZH = guarded(r"(?<![0-9.])(1[0-2]|[1-9]) ?月")
_TENOR = guarded(r"(?<![0-9.])(\d{1,2}) ?(?:-year|-yr| year| 年期|年期)(?![a-z])")
_SEGMENT_END = guarded(r"[，、；;:：]|,(?!\d)|\s(?:while|but|whereas)\s")
_RELATIVE = guarded(
    r"(?<![a-z])(?:now|currently|at present|presently|today|this year|this month|so far|to date)(?![a-z])"
    r"|目前|(?<![出表體体實实展呈])現在|(?<![出表體体實实展呈])现在|當前|当前|今年|本月|現時|现时|眼下"
)
_HAS_DATE = guarded(r"(?<![0-9a-z.,$])(?:19|20)\d\d(?![0-9])|截至|截止|(?<![a-z])as of(?![a-z])")
_HYPOTHETICAL = guarded(
    r"(?<![a-z])(?:hypothetical|suppose|assum|if|for example|for instance|e\.g\.|would|example)(?![a-z])"
    r"|假設|假设|假如|如果|若|示例|例如|舉例|举例|時,|时,|下,|=|^at \$?\d"
)
_ATTRIBUTION = guarded(
    r"\((?P<paren>[^(),]{2,50}+,[^()]{0,60}?(?:19|20)\d\d[^()]{0,12}+)\)"
    r"|(?<![a-z])according to (?P<per>[a-z][a-z&.' -]{1,40}+)"
    r"|^(?P<lead>[a-z][a-z&.' ]{1,40}?) (?:also )?(?:estimated?|estimates|reported|put|found|said)(?![a-z])"
    r"|^(?:[^,，。]{0,16}+,)?(?P<zhlead>[^,，。]{2,40}?)(?:估計|估计|指出|報導|报道|表示)"
)
_NOT_NAMES = frozenset({"the", "a", "an", "this", "that", "these", "those", "it", "they", "some", "many", "most"})
_PAREN = guarded(r"[(（][^()（）]{0,40}+[)）]")

# Bilingual measure lexicon: tag -> forms (English lower-case, matched from a word start;
# Chinese in both scripts).  A form may be a bounded regex fragment.
_LEXICON: dict[str, tuple[str, ...]] = {
    "leverage": ("leverag", "levered", "槓桿", "杠杆"),
    "cap": ("caps?(?![a-z])", "capped", "limit", "haircut", "上限", "折價率", "折价率", "折扣率"),
    "futures": ("futures positions?", "期貨空頭", "期货空头", "期貨部位", "期货部位", "期貨頭寸", "期货头寸"),
    "basis": ("basis trades?", "basis-trade", "basis positions?", "basis exposure", "基差"),
    "announce": ("announc", "宣布", "宣佈", "公布", "公佈"),
    "purchase": ("bought", "buy", "purchas", "購買", "购买", "購債", "购债", "買回", "买回", "買進", "买进",
                 "買入", "买入"),
    "balance": ("balance sheet", "資產負債表", "资产负债表"),
    "auction": ("auction", "issuance", "標售", "标售", "拍賣", "拍卖"),
    "volume": ("volume", "turnover", "成交", "交易量"),
    "operation": ("operation", "offering", "操作"),
    "capital": ("capital", "資本", "资本"),
    "price": ("prices?(?![a-z])", "ounce", "價格", "价格", "盎司", "金價", "金价"),
    "loss": ("loss", "損失", "损失", "虧損", "亏损"),
    "equity": ("equity", "本金"),
    "spread": ("spread", "價差", "价差", "利差"),
    "yield": ("yield", "殖利率", "收益率"),
    "rate": ("rates?(?![a-z])", "利率", "sofr", "libor"),
    "share": ("share of", "made up", "accounts? for", "accounted for", "占", "佔"),
    "tariff": ("tariff", "dut(?:y|ies)(?![a-z])", "關稅", "关税"),
    "ratio": ("ratio", "requirement", "比率"),
    "index": ("index", "指數", "指数"),
    "move": ("moves?(?![a-z])", "變動", "变动"),
}
_TAGS = guarded(
    "|".join(
        f"(?P<{tag}>" + "|".join(f"(?<![a-z]){form}" if form[0].isascii() else form for form in forms) + ")"
        for tag, forms in _LEXICON.items()
    )
)
#: Which tag names the quantity, by kind, most specific first.
_MEASURES: dict[str, tuple[str, ...]] = {
    "money": ("futures", "basis", "announce", "purchase", "balance", "auction", "volume", "operation", "capital", "price",
              "loss", "equity"),
    "bp": ("spread", "yield", "rate"),
    "percent": ("cap", "tariff", "share", "ratio", "spread", "yield", "rate", "capital", "index", "loss", "move"),
}
_FREQUENCY = guarded(
    r"(?P<day>(?<![a-z])(?:a day|per day|each day|daily|single-day|one-day)(?![a-z])|每日|每天|單日|单日)"
    r"|(?P<week>(?<![a-z])(?:a week|per week|weekly|week)(?![a-z])|一週|一周|每週|每周|單週|单周|週內|周内"
    r"|星期(?![一二三四五六日天]))"
    r"|(?P<month>(?<![a-z])(?:a month|per month|monthly)(?![a-z])|每月|每個月|每个月|單月|单月)"
    r"|(?P<year>(?<![a-z])(?:a year|per year|annual|annually)(?![a-z])|每年|全年)"
)
_DIRECTION = guarded(
    r"(?P<up>(?<![a-z])(?:ris(?:e|es|ing)(?![a-z])|rose|jump|climb|surg|spik|increas)|升|漲|涨|攀|飆|飙|跳)"
    r"|(?P<down>(?<![a-z])(?:fell|fall|drop|declin|decreas)|跌|降|下滑|回落)"
)
_KIND_CUES = {
    "leverage": guarded(r"(?<![a-z])(?:leverag|levered|times(?![a-z]))|槓桿|杠杆|倍"),
    "money": guarded(
        r"(?<![a-z])(?:how big|how large|size|big|large|billion|trillion|dollar|worth|exposure|amount)|\$"
        r"|規模|规模|多大|金額|金额|美元|億|亿|兆|曝險|曝险|多少錢|多少钱"
    ),
    "bp": guarded(
        r"(?<![a-z])(?:basis points?|bps?(?![a-z])|ris(?:e|es|ing)(?![a-z])|rose|jump|climb|fell|fall|drop|move"
        r"|chang)|基點|基点|升|漲|涨|跌|幅"
    ),
    "percent": guarded(
        r"(?<![a-z])(?:percent|share|rate|yield|ratio|proportion)|%|比例|占比|佔比|百分|殖利率|收益率|比率|利率"
    ),
}
_ALL_KINDS = frozenset(_KIND_CUES)

_SCALES = {
    "trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6,
    "mm": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3,
    "兆": 1e12, "億": 1e8, "亿": 1e8, "萬": 1e4, "万": 1e4, "千": 1e3,
}
_CJK_SCALES = "兆億亿萬万千"
_CURRENCIES = {
    "us$": "USD", "$": "USD", "usd": "USD", "£": "GBP", "€": "EUR", "美元": "USD", "美金": "USD",
    "英鎊": "GBP", "英镑": "GBP", "歐元": "EUR", "欧元": "EUR", "us dollars": "USD", "dollar": "USD",
    "dollars": "USD", "元": "",
}
_LOWER = ("more than", "over", "above", "exceeding", "in excess of", "at least", "超過", "超过", "逾", "多於",
          "多于", "突破", "升破", "高於", "高于")
_LOWER_AFTER = ("or more", "or even more", "plus", "甚至更高", "以上", "或更多", "或更高")
_UPPER = ("less than", "under", "below", "fewer than", "不到", "低於", "低于", "未滿", "未满")
_UPPER_AFTER = ("以下", "以內", "以内")
_APPROX = ("about", "around", "roughly", "approximately", "nearly", "almost", "some", "close to", "約", "约", "近",
           "將近", "将近", "接近")
_UP_TO = ("up to", "as high as", "as much as", "最高", "高達", "高达", "最多", "可達", "可达")
_APPROX_AFTER = ("左右", "上下")
_FROM = ("from", "由", "從", "从")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


_SEQUENCE = ("later", "then", "in the future", "afterwards", "之後", "之后", "未來", "未来")
_GENERIC_AFTER = ("價", "价", "price", " price", "value", " value", "市價", "市价")


def _relative(folded: str) -> bool:
    """Does the sentence say "now" about the time it was written?  Not the "now" of a sequence
    ("buying the bond now and delivering it later") nor a definition's "current price"
    ("以目前價格買進債券")."""
    for m in _RELATIVE.finditer(folded):
        word, after = m.group(), folded[m.end() : m.end() + 7]
        if word == "now" and any(w in folded for w in _SEQUENCE):
            continue
        if after.lstrip("的 ").startswith(_GENERIC_AFTER) or after.startswith(_GENERIC_AFTER):
            continue
        return True
    return False


def _kind_of(unit: str | None) -> tuple[Kind | None, float]:
    """The kind a unit word names, and its factor to the normalised value (CJK scales: 1)."""
    if not unit:
        return None, 1.0
    if unit[0] in _CJK_SCALES:
        return "money", 1.0
    if unit in _SCALES:
        return "money", _SCALES[unit]
    if unit in ("x", "×", "times", "倍"):
        return "leverage", 1.0
    if unit.startswith(("bp", "basis")) or "基" in unit:
        return "bp", 1.0
    if unit.startswith("percentage") or "百分" in unit:
        return "bp", 100.0
    return "percent", 1.0


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _scaled(number: float, unit: str | None) -> float:
    """The number times its unit: 1兆2000億 = 1e12 + 2000e8; 4,000 億 = 4e11; 5bn = 5e9."""
    if not unit:
        return number
    if unit[0] in _CJK_SCALES:
        head = 2 if unit[1:2] and unit[1] in _CJK_SCALES else 1  # 萬億 = 1e12, 千億 = 1e11
        rest = unit[head:].strip()
        value = number * math.prod(_SCALES[ch] for ch in unit[:head])
        if rest and rest[-1] in _SCALES:
            value += _number(rest[:-1].strip()) * _SCALES[rest[-1]]
        return value
    return number * _kind_of(unit)[1]


def _has_word(text: str, words: Iterable[str], *, at_end: bool) -> bool:
    """Whether ``text`` (the words before a figure, or after it) holds one of ``words``.

    Before a figure (``at_end``) a word counts anywhere in the window; after it, only at the
    start.  English words must stand alone ("over", not "moreover").
    """
    for word in words:
        if not word.isascii():
            if (word in text) if at_end else text.startswith(word):
                return True
        elif at_end:
            if f" {word} " in f" {text} ":
                return True
        elif text.startswith(word) and not text[len(word):len(word) + 1].isalpha():
            return True
    return False


def _bound(folded: str, start: int, end: int) -> tuple[str, str]:
    """("=", ">" or "<"; "", "about" or "up to") from the words just before and after the figure."""
    before = folded[max(0, start - 24):start]
    for index in range(len(before) - 1, -1, -1):  # only the words since the last number or clause mark
        if before[index].isdigit() or before[index] in ",;、。":
            before = before[index + 1:]
            break
    before = " ".join(before.split())
    after = folded[end:end + 14].lstrip()
    if _has_word(before, _UP_TO, at_end=True):
        approx = "up to"
    elif _has_word(before, _APPROX, at_end=True) or _has_word(after, _APPROX_AFTER, at_end=False):
        approx = "about"
    else:
        approx = ""
    if _has_word(before, _LOWER, at_end=True) or _has_word(after, _LOWER_AFTER, at_end=False):
        return ">", approx
    if _has_word(before, _UPPER, at_end=True) or _has_word(after, _UPPER_AFTER, at_end=False):
        return "<", approx
    return "=", approx


@dataclass(frozen=True)
class _Context:
    """What one sentence says around its figures (computed once per sentence)."""

    tags: list[tuple[int, str]]
    years: list[tuple[int, int]]
    months: list[tuple[int, int]]
    segments: list[tuple[int, int]]
    tenors: frozenset[int]
    frequencies: list[tuple[int, int, str]]
    direction: frozenset[str]
    relative: bool
    hypothetical: bool


def _month(word: str) -> int:
    return 9 if word == "sept" else _MONTHS.index(word) + 1


def _context(folded: str, spans: list[tuple[int, int]]) -> _Context:
    def inside(pos: int) -> bool:
        return any(a <= pos < b for a, b in spans)

    years = []
    for m in _YEAR.finditer(folded):
        if inside(m.start()):
            continue
        before, after = folded[max(0, m.start() - 7):m.start()].rstrip(), folded[m.end():m.end() + 5].lstrip()
        since = "since" in folded[max(0, m.start() - 12) : m.start()] or before.endswith("自")
        styled = folded[m.end() : m.end() + 1] == "-" and folded[m.end() + 1 : m.end() + 2].isalpha()
        if since or styled or after.startswith(("年以來", "年以来", "以來", "以来")):
            continue  # "its worst week since 2001", "a 2020-style test": not when the fact is
        years.append((m.start(), int(m.group())))
    months = [(m.start(), _month(m.group())) for m in _MONTH_EN.finditer(folded)]
    months += [(m.start(), int(m.group(1))) for m in _MONTH_ZH.finditer(folded) if not inside(m.start())]
    cuts = [m.start() for m in _SEGMENT_END.finditer(folded) if not inside(m.start())]
    bounds = [0, *cuts, len(folded)]
    return _Context(
        tags=[(m.start(), m.lastgroup or "") for m in _TAGS.finditer(folded)],
        years=years,
        months=months,
        segments=[(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)],
        tenors=frozenset(int(m.group(1)) for m in _TENOR.finditer(folded)),
        frequencies=[(m.start(), m.end(), m.lastgroup or "") for m in _FREQUENCY.finditer(folded)],
        direction=frozenset(m.lastgroup or "" for m in _DIRECTION.finditer(folded)),
        relative=_relative(folded),
        hypothetical=bool(_HYPOTHETICAL.search(folded)),
    )


def _segment(ctx: _Context, start: int) -> tuple[int, int]:
    return next(((a, b) for a, b in ctx.segments if a <= start < b), ctx.segments[-1])


def _nearest(items: list[tuple[int, int]], start: int, end: int) -> int | None:
    if not items:
        return None
    return min(items, key=lambda item: min(abs(item[0] - start), abs(item[0] - end)))[1]


def _time(ctx: _Context, seg: tuple[int, int], start: int, end: int) -> tuple[int | None, frozenset[int]]:
    """The year and months a figure is about: those of its own clause, else of the nearest
    clause before it that names one ("2020 年 3 月，摩根大通……估計……6,500 億美元").  A year
    named only after the figure's clause may date something else ("…约300亿美元，……远小于
    2020年危机时的购债"); the year is then 0, which is never compared."""
    local = [(p, y) for p, y in ctx.years if seg[0] <= p < seg[1]]
    earlier = [(p, y) for p, y in ctx.years if p < seg[0]]
    if local:
        year: int | None = _nearest(local, start, end)
    elif earlier:
        year = max(earlier)[1]
    else:
        year = 0 if ctx.years else None
    months = frozenset(mo for p, mo in ctx.months if seg[0] <= p < seg[1])
    if not months:
        before = [p for p, _ in ctx.months if p < seg[0]]
        if before:
            last = _segment(ctx, max(before))
            months = frozenset(mo for p, mo in ctx.months if last[0] <= p < last[1])
    return year, months


def _frequency(ctx: _Context, span: tuple[int, int], spans: list[tuple[int, int]]) -> str | None:
    """"a day" / "每日" belongs to the nearest figure of its clause, or of the sentence when its
    clause has none: in "£65 billion (up to £5 billion a day)" only £5 billion is a daily
    amount, in "…突破5%，一週升幅超過40個基點" only the 40 bp, and in "In the week of 7–11 April
    2025, the 10-year yield rose about 50 basis points" the one figure is a weekly move."""

    def gap(a: tuple[int, int], b: tuple[int, int]) -> int:
        return max(a[0] - b[1], b[0] - a[1], 0)

    for start, end, name in ctx.frequencies:
        seg = _segment(ctx, start)
        owners = [s for s in spans if seg[0] <= s[0] < seg[1]] or spans  # its clause's figures first
        if min(owners, key=lambda s: gap(s, (start, end))) == span:
            return name
    return None


def _measure(kind: Kind, ctx: _Context, seg: tuple[int, int]) -> str | None:
    """The quantity a figure measures: the most specific tag of its clause, else of its sentence."""
    every = {tag for _, tag in ctx.tags}
    if kind == "leverage":
        return "cap" if "cap" in every else "leverage" if "leverage" in every else None
    local = {tag for pos, tag in ctx.tags if seg[0] <= pos < seg[1]}
    for pool in (local, every):
        for tag in _MEASURES[kind]:
            if tag in pool:
                return tag
    return None


def extract(sentence: str) -> list[Figure]:
    """The quantities a sentence states: leverage, money, basis points and percentages.

    Bare numbers (years, prices such as 101.00, counts) are not figures: a figure needs a unit
    or a currency.  If a pattern hits its time limit (hostile input) the answer is no figures
    rather than a failed answer.
    """
    try:
        return _extract(sentence)
    except CalcError:
        return []


@lru_cache(maxsize=8192)
def _quoted_figures(sentence: str) -> tuple[Figure, ...]:
    """:func:`extract` for :func:`conflicts`, remembered per sentence: answers quote the same
    sentences again and again, and a figure is frozen.  A time-out raises, so it is never
    remembered (a sentence that timed out under load is read afresh next time)."""
    return tuple(_extract(sentence))


def _extract(sentence: str) -> list[Figure]:
    folded = _fold(sentence)
    raw: list[tuple[int, int, Kind, float, float, str]] = []
    pos = 0
    while pos < len(folded) and len(raw) < MAX_FIGURES:
        m = _FIGURE.search(folded, pos)
        if m is None:
            break
        found, pos = _read(m, folded)
        if found:
            raw.append(found)
    if not raw:
        return []
    spans = [(a, b) for a, b, *_ in raw]
    ctx = _context(folded, spans)
    every_tag = frozenset(tag for _, tag in ctx.tags)
    figures = []
    for start, end, kind, low, high, unit in raw:
        seg = _segment(ctx, start)
        bound, qualifier = _bound(folded, start, end)
        year, months = _time(ctx, seg, start, end)
        subject = f"{sentence[seg[0]:start]} {sentence[end:seg[1]]}".strip(" ,，、；;:：。.")
        figures.append(
            Figure(
                kind=kind,
                value=low,
                high=high,
                unit=unit,
                text=sentence[start:end],
                span=(start, end),
                bound=bound,
                qualifier=qualifier,
                measure=_measure(kind, ctx, seg),
                subject=" ".join(subject.split())[:80],
                tags=every_tag,
                year=year,
                months=months,
                relative=ctx.relative,
                tenors=ctx.tenors,
                frequency=_frequency(ctx, (start, end), spans),
                direction=ctx.direction,
                hypothetical=ctx.hypothetical,
            )
        )
    return figures


def _read(m: Any, folded: str) -> tuple[tuple[int, int, Kind, float, float, str] | None, int]:
    """One match of the grammar as a figure (start, end, kind, low, high, currency/unit) or None,
    and where to search next (after the first number when the second one was not its range)."""
    unit1, unit2 = m.group("unit1"), m.group("unit2")
    kind1, kind2 = _kind_of(unit1)[0], _kind_of(unit2)[0]
    second = m.group("num2") is not None
    ranged = second and not (unit1 and not unit2) and not (kind1 and kind2 and kind1 != kind2)
    if ranged and folded[max(0, m.start() - 6):m.start()].rstrip().endswith(_FROM):
        ranged = False  # "from 2% to 4%" is a change, not a range
    if ranged:
        unit, kind = unit2 or unit1, kind2 or kind1
        low, high = _scaled(_number(m.group("num1")), unit1 or unit), _scaled(_number(m.group("num2")), unit)
        cur, end = m.group("cur1") or m.group("cur2") or m.group("suffix"), m.end()
    else:
        unit, kind = unit1, kind1
        low = high = _scaled(_number(m.group("num1")), unit1)
        end = m.end("unit1") if unit1 else m.end("num1")
        cur = m.group("cur1")
        if not second and m.group("suffix"):
            cur, end = cur or m.group("suffix"), m.end()
    next_pos = max(end, m.start() + 1)
    currency = _CURRENCIES.get(cur.strip(), "") if cur else None
    if kind is None:
        if currency is None:
            return None, next_pos
        kind = "money"
    if kind == "money":
        if currency is None and unit in ("m", "b", "k", "千"):
            return None, next_pos  # "5 m" is not money without a currency
        symbol = currency or ""
    else:
        symbol = {"leverage": "x", "bp": "bp", "percent": "%"}[kind]
    low, high = min(low, high), max(low, high)
    return (m.start(), end, kind, low, high, symbol), next_pos


# ---------------------------------------------------------------- conflicts


def _doc(hit: Hit) -> tuple[str, str]:
    return (hit.title, hit.source)


def _year_month(date: str) -> tuple[int | None, int | None]:
    parts = date.strip()[:10].split("-")
    if not parts or len(parts[0]) != 4 or not parts[0].isdigit():
        return None, None
    month = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12 else None
    return int(parts[0]), month


def _when(side: Side) -> tuple[int | None, frozenset[int]]:
    """The year and months a figure is about: as stated, else its document's when it says "now";
    a month with no year ("10月一度突破4.2%") is of the last year its passage names before it,
    and of the document's year only when the passage names none (a review dated 2023 of the
    2022 hikes writes "10月" for October 2022)."""
    figure, hit = side.figure, side.hit
    year, months = figure.year, figure.months
    doc_year, doc_month = _year_month(hit.date)
    if year is None and figure.relative:
        year = doc_year
    elif year is None and months:
        year = passage_year(hit.section, hit.text, side.sentence) or doc_year
    if not months and figure.relative and figure.year is None and doc_month:
        months = frozenset({doc_month})
    return year, months


@lru_cache(maxsize=4096)
def passage_year(section: str, text: str, sentence: str) -> int | None:
    """The last year a passage's heading and text name before ``sentence`` (anywhere in the
    text when the sentence is not found as written); read once per sentence, as
    :func:`_example_text` is per chunk, since every pair of compared figures asks again."""
    at = text.find(sentence)
    before = f"{section}\n{text[: at if at >= 0 else len(text)]}"
    try:
        years = [int(m.group()) for m in _YEAR.finditer(_fold(before))]
    except CalcError:
        return None
    return years[-1] if years else None


def question_kinds(question: str) -> frozenset[str]:
    """The kinds of figure a question asks about (all four when it names none)."""
    folded = _fold(question)
    try:
        kinds = frozenset(kind for kind, pattern in _KIND_CUES.items() if pattern.search(folded))
    except CalcError:
        return _ALL_KINDS
    return kinds or _ALL_KINDS


def _question_tags(question: str) -> set[str]:
    try:
        return {m.lastgroup or "" for m in _TAGS.finditer(_fold(question))}
    except CalcError:
        return set()


def _comparable(a: Side, b: Side) -> bool:
    """Two figures that state the same quantity, in different documents."""
    return _doc(a.hit) != _doc(b.hit) and _same_quantity(a, b)


def _same_quantity(a: Side, b: Side) -> bool:
    """Same kind, measure, currency, tenor, frequency, direction and time."""
    fa, fb = a.figure, b.figure
    if fa.kind != fb.kind or fa.measure != fb.measure:
        return False
    if fa.unit != fb.unit and fa.unit and fb.unit:
        return False
    if fa.tenors != fb.tenors or fa.frequency != fb.frequency:
        return False
    if fa.direction and fb.direction and fa.direction != fb.direction:
        return False
    (ya, ma), (yb, mb) = _when(a), _when(b)
    if ya == 0 or yb == 0 or (ya is None) != (yb is None):
        return False  # a dated figure and an undated one may be about different years
    if ya is not None and yb is not None and ya != yb:
        return False
    return not (ma and mb and ma != mb)


def _differ(a: Figure, b: Figure, tolerance: float = TOLERANCE) -> bool:
    """Materially different: the intervals are more than ``tolerance`` apart, but within
    :data:`MAX_RATIO` (further apart they are more likely two different quantities)."""
    (alo, ahi), (blo, bhi) = a.interval, b.interval
    if ahi * (1 + tolerance) < blo:
        near, far = ahi, blo
    elif bhi * (1 + tolerance) < alo:
        near, far = bhi, alo
    else:
        return False
    return near > 0 and far / near <= MAX_RATIO


_EXAMPLE_WORDS = ("hypothetical", "worked example", "示例", "假設", "假设", "例題", "例题")


def _example_hit(hit: Hit) -> bool:
    """A worked example's chunk: its figures are parameters, not claims about the market."""
    return _example_text(hit.section, hit.text)


@lru_cache(maxsize=4096)
def _example_text(section: str, text: str) -> bool:
    """:func:`_example_hit` of a chunk, read once per chunk (the same chunks are quoted again and again)."""
    folded = _fold(f"{section}\n{text}")
    return any(word in folded for word in _EXAMPLE_WORDS)


def attribution(sentence: str, span: tuple[int, int] | None = None) -> str:
    """A source the sentence names itself for a figure: "Bloomberg, 19 March 2020" from
    "(Bloomberg, 19 March 2020)", "Barth and Kahn" from "according to Barth and Kahn".

    The first one after the figure's ``span`` wins (sources follow what they support), else
    the last one before it; "" when the sentence names none.
    """
    try:
        names = _sources_named(sentence)
    except CalcError:
        return ""
    if not names:
        return ""
    if span is None:
        return names[0][1]
    after = [name for start, name in names if start >= span[1]]
    before = [name for start, name in names if start < span[0]]
    return after[0] if after else before[-1] if before else ""


@lru_cache(maxsize=8192)
def _sources_named(sentence: str) -> tuple[tuple[int, str], ...]:
    """Every source the sentence names, (where, name) in order: read once per quoted sentence,
    not once per figure and answer.  A time-out raises, so it is never remembered."""
    found = list(_ATTRIBUTION.finditer(_fold(sentence)))
    names = []
    for m in found:
        group = next(g for g in ("paren", "per", "lead", "zhlead") if m.group(g))
        start, end = m.span(group)
        if group in ("per", "lead") and not sentence[start].isupper():
            continue  # "according to a March 2024 note": no name
        if group == "lead" and (len(sentence[start:end].split()) > 4 or sentence[start:end].split()[0].lower() in _NOT_NAMES):
            continue  # "The seed article also noted estimates ...": a description, not a name
        text = sentence[start:end].replace("，", ",").strip(" .;")
        if group == "zhlead":  # "摩根大通（JPMorgan）策略師" -> "摩根大通策略師"
            text = _PAREN.sub("", text).strip()
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if parts:
            names.append((start, ", ".join(parts[-2:])))
    return tuple(names)


def conflicts(
    question: str,
    quotes: list[tuple[str, Hit]],
    *,
    more: bool = False,
    tolerance: float = TOLERANCE,
) -> list[Conflict]:
    """Figures for one quantity that differ between the documents an answer quotes.

    ``quotes`` are the (sentence, hit) pairs the answer shows; with ``more``, the other
    sentences of those hits are read too.  A figure counts when its kind is one the question
    asks about and its sentence shares a measure tag with the question.  One :class:`Conflict`
    per group of comparable figures; its sides are ordered by first appearance, one per
    document and differing value, at most :data:`MAX_SIDES`.
    """
    pairs = list(quotes)
    if more:
        seen = {sentence for sentence, _ in pairs}
        for hit in {id(h): h for _, h in quotes}.values():
            for sentence in split_sentences(hit.text):
                if sentence not in seen:
                    seen.add(sentence)
                    pairs.append((sentence, hit))
    # The question is read only once a quote states a figure that could count: most state none.
    asked: tuple[frozenset[str], set[str]] | None = None
    found: list[Side] = []
    for sentence, hit in pairs:
        try:
            every = _quoted_figures(sentence)
        except CalcError:
            every = ()  # as extract(): no figures rather than a failed answer
        stated = [f for f in every if not f.hypothetical and f.measure is not None]
        if not stated or _example_hit(hit):
            continue
        if asked is None:
            asked = question_kinds(question), _question_tags(question)
        kinds, wanted = asked
        for figure in stated:
            if figure.kind in kinds and figure.tags & wanted:
                found.append(Side(figure, sentence, hit, attribution(sentence, figure.span)))
    groups: list[list[Side]] = []
    for i, a in enumerate(found):
        for b in found[i + 1:]:
            if not (_comparable(a, b) and _differ(a.figure, b.figure, tolerance)):
                continue
            # The same disagreement met again (another document repeating one of the figures)
            # joins the group that has it; a new differing value from a new document is added.
            group = next((g for g in groups if all(_same_quantity(s, c) for s in (a, b) for c in g)), None)
            if group is None:
                groups.append([a, b])
                continue
            for side in (a, b):
                new_doc = all(_doc(side.hit) != _doc(c.hit) for c in group)
                new_value = all(_differ(side.figure, c.figure, tolerance) for c in group)
                if new_doc and new_value and len(group) < MAX_SIDES:
                    group.append(side)
    return [
        Conflict(kind=g[0].figure.kind, measure=g[0].figure.measure or "", sides=tuple(sorted(g, key=found.index)))
        for g in groups
    ]


# ------------------------------------------------------------------ writing

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_WORDS = {
    "zh-Hant": {"about": "約", "up to": "最高", "over": "超過", "under": "不到", "bp": "個基點", "differ": "來源說法不一", "vs": "與",
                "USD": "美元", "GBP": "英鎊", "EUR": "歐元", "億": "億", "萬": "萬"},
    "zh-Hans": {"about": "约", "up to": "最高", "over": "超过", "under": "不到", "bp": "个基点", "differ": "来源说法不一", "vs": "与",
                "USD": "美元", "GBP": "英镑", "EUR": "欧元", "億": "亿", "萬": "万"},
}


def format_date(date: str, lang: str) -> str:
    """A document date for the reader: "2025-04" as "April 2025" / "2025 年 4 月" ("" if unreadable)."""
    year, month = _year_month(date)
    if year is None:
        return ""
    if lang == "en":
        return f"{_EN_MONTHS[month - 1]} {year}" if month else str(year)
    return f"{year} 年 {month} 月" if month else f"{year} 年"


def _num(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _scale(value: float, lang: str) -> tuple[str, str]:
    """A money amount as (number, scale word) in the reader's script: (400, "bn"), ("4,000", "億")."""
    if lang == "en":
        steps = ((1e12, "tn"), (1e9, "bn"), (1e6, "m"))
    else:
        words = _WORDS[lang]
        steps = ((1e12, "兆"), (1e8, words["億"]), (1e4, words["萬"]))
    for factor, name in steps:
        if value >= factor:
            return _num(value / factor), name
    return _num(value), ""


def figure_text(figure: Figure, lang: str) -> str:
    """A figure written for the reader: "about $400–500bn", "約 4,000 億至 5,000 億美元", "50 倍"."""
    zh = _WORDS.get(lang)
    single = figure.high == figure.value
    if figure.kind == "money":
        (low, low_scale), (high, high_scale) = _scale(figure.value, lang), _scale(figure.high, lang)
        if zh is None:
            symbol = {"USD": "$", "GBP": "£", "EUR": "€"}.get(figure.unit, "")
            if single:
                text = f"{symbol}{low}{low_scale}"
            elif low_scale == high_scale:
                text = f"{symbol}{low}–{high}{high_scale}"
            else:
                text = f"{symbol}{low}{low_scale}–{high}{high_scale}"
        else:
            text = f"{low} {low_scale}".strip()
            if not single:
                text += f"至 {high} {high_scale}".rstrip()
            text += zh.get(figure.unit, "")
    else:
        number = _num(figure.value) if single else f"{_num(figure.value)}–{_num(figure.high)}"
        if zh is None:
            text = number + {"leverage": "x", "bp": "bp", "percent": "%"}[figure.kind]
        else:
            text = number + {"leverage": " 倍", "bp": " " + zh["bp"], "percent": "%"}[figure.kind]
    word = {">": "over", "<": "under"}.get(figure.bound, figure.qualifier)
    if not word:
        return text
    return f"{word if zh is None else zh[word]} {text}"


def _in_script(text: str, lang: str) -> str:
    """Chinese text in the reader's script, converting only what is in the other script."""
    if lang == "zh-Hans":
        return to_script(text, "zh-Hans")
    if lang == "zh-Hant" and detect_lang(text) == "zh-Hans":
        return to_script(text, "zh-Hant")
    return text


def _compiled(hit: Hit) -> bool:
    """The document is the project's own, "written from" the sources it names: its date is when
    it was written, not when any figure in it was published."""
    return "written from" in (hit.source or "")


def doc_label(hit: Hit) -> str:
    """A short name for a hit's document: its source's first part ("vocus"), else its title's."""
    source = (hit.source or "").strip()
    first = source.split(",")[0].split("(")[0].strip()
    if first and len(first) <= 40 and not _compiled(hit):
        return first
    title = (hit.title or "").strip().strip('"')
    for mark in (":", "："):
        if mark in title[4:]:
            title = title[: title.index(mark, 4)]
    return title if len(title) <= 48 else title[:47].rstrip() + "…"


def render(conflict: Conflict, lang: str, cite: Callable[[Hit], int]) -> str:
    """One line naming each differing figure with its citation, source and date.

    en: "Sources differ: 50x [1] (vocus, April 2025) vs 100x [3] (FEDS Notes, March 2024)."
    zh: "來源說法不一:50 倍 [1](vocus,2025 年 4 月)與 100 倍 [3](…)。"
    The source is the one the sentence itself names, when it names one with a date; else the
    document's label and date (``Hit.date``; for a document the project compiled, the date the
    figure is of), after the name the sentence gives without a date ("Barth and Kahn; …").
    """
    zh = _WORDS.get(lang)
    comma = ", " if zh is None else ","
    parts = []
    for side in conflict.sides:
        named = side.attribution
        if named and any(ch.isdigit() for ch in named):
            where = named
        else:
            date = format_date(side.hit.date, lang)
            if _compiled(side.hit):  # "Barth and Kahn; 2020", not the note's 2026
                year, months = _when(side)
                if year is not None:
                    month = f"-{min(months):02d}" if len(months) == 1 else ""
                    date = format_date(f"{year}{month}", lang)
            label = doc_label(side.hit)
            if zh is not None and len(label.split()) >= 3 and cjk_ratio(label) < 0.3:
                label = ""  # an English title in a Chinese line: the [n] source names it
            where = comma.join(p for p in (label, date) if p)
            where = f"{named}; {where}" if named else where
        if zh is None:
            parts.append(f"{figure_text(side.figure, lang)} [{cite(side.hit)}] ({where})")
        else:
            parts.append(f"{figure_text(side.figure, lang)} [{cite(side.hit)}]({_in_script(where, lang)})")
    if zh is None:
        return "Sources differ: " + " vs ".join(parts) + "."
    return f"{zh['differ']}:" + zh["vs"].join(parts) + "。"


# ------------------------------------------------------------------- as of

_END_MARKS = frozenset("。！？；!?;.…")
_CLOSERS = frozenset("」』”’\"）)]")


def as_of(sentence: str, date: str, lang: str) -> str:
    """The sentence dated by its document when it says "now" and names no date of its own.

    ("目前估計市場上仍有超過1兆美元的基差交易部位。", "2025-04", "zh-Hant") ->
    "目前估計市場上仍有超過1兆美元的基差交易部位(截至 2025 年 4 月)。"; in English the note is
    " (as of April 2025)" before the full stop.  Anything else comes back unchanged.  Call it
    before the citation is appended.
    """
    written = format_date(date, lang)
    if not written:
        return sentence
    try:
        if not _undated_now(sentence):
            return sentence
    except CalcError:
        return sentence
    body = sentence.rstrip()
    end = len(body)
    while end and (body[end - 1] in _END_MARKS or body[end - 1] in _CLOSERS or body[end - 1].isspace()):
        end -= 1
    mark = next((i for i, ch in enumerate(body[end:]) if ch in _END_MARKS), None)
    cut = len(body) if mark is None else end + mark
    note = f" (as of {written})" if lang == "en" else f"(截至 {written})"
    return body[:cut].rstrip() + note + body[cut:]


@lru_cache(maxsize=8192)
def _undated_now(sentence: str) -> bool:
    """The sentence says "now" and names no date (what :func:`as_of` dates): read once per quoted
    sentence.  A time-out raises, so it is never remembered."""
    folded = _fold(sentence)
    return _relative(folded) and not _HAS_DATE.search(folded)

"""Send chat messages that ask for a number to the calculator, without an LLM.

Routing is deliberately conservative: a message is routed only when it holds
real numbers to compute (a leverage plus an amount, a haircut percentage, a
bare arithmetic expression...).  Knowledge questions, and numbers that are
only years ("what happened in March 2020?"), return ``None`` so the answering
engine takes them.  All patterns run over :func:`bot.calc.evaluator.normalise`
output (NFKC, lower case), so full-width, Traditional and Simplified input
meet the same regexes.

Every pattern is compiled with :func:`_rx` (a time-limited ``regex`` pattern,
see :class:`bot.calc.evaluator.GuardedPattern`) and must stay linear in the
message length, because messages are hostile: a run of spaces or digits is
read once (possessive ``*+``/``++``), no two adjacent parts can share the same
characters, an alternation never lists a word that is two of its other words
(是多少 = 是 + 多少), and a number starts only where no digit precedes it.
``python -m bench.hostile`` checks this; add new patterns the same way.
Numbers may use e-notation (``1e2x`` is 100x), as in the evaluator.

Every front end computes through one entry point, :func:`compute` (``python -m bot calc``,
``ask``, the terminal chat, Discord's ``/calc`` and its questions): :func:`plan` turns a
message into its calls (several haircuts one call each, several moves or "what-if table"
the what-if table, a loss with the equity read from the message, a bare expression the
patterns miss), and :func:`compute` runs them into one text and the tool calls behind it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.calc import desk, leverage, prices
from bot.calc import futures as fut
from bot.calc.evaluator import (
    AMOUNT_PATTERN,
    GuardedPattern,
    check_magnitude,
    evaluate,
    guarded,
    normalise,
    parse_amount,
)
from bot.calc.formulas import FORMULAS, Working
from bot.errors import CalcError
from bot.text import Lang, detect_lang, has_cjk, to_script

__all__ = ["VARIATION_MARGIN", "WHATIF", "CalcCall", "Computed", "ToolRecord", "compute", "plan", "route", "run"]

#: Calls a plan may hold besides the registered formulas.
WHATIF = "whatif_table"
VARIATION_MARGIN = "variation_margin"

MAX_MESSAGE = 1000


@dataclass(frozen=True)
class CalcCall:
    """A routed request: which tool to run with which arguments, and the reply language."""

    tool: str
    args: dict[str, Any] = field(hash=False)
    chinese: bool = False



# ---------------------------------------------------------------- patterns

_rx = guarded  # every pattern below: linear by construction, time-limited as a backstop

#: A number as the router reads it: digits, decimals, e-notation (as the evaluator).
_NUM = r"\d++(?:\.\d++)?+(?:e[+-]?+\d{1,4}+(?!\d))?+"
#: Where a number may start: not inside another number or its exponent ("1e2x" is 100x, not 2x).
_NUM_START = r"(?<![\d.])(?<!\de)(?<!\de[+-])"


def _kw(*words: str) -> GuardedPattern:
    """Keywords; ASCII words need word edges, Chinese ones do not."""
    parts = [rf"(?<![a-z]){re.escape(w)}" if w[0].isascii() and w[0].isalpha() else re.escape(w) for w in words]
    return _rx("|".join(parts))


_LEVERAGE_RES = (
    _rx(rf"{_NUM_START}(?<!\d,)({_NUM})\s*+(?:x|倍|times)(?![a-z])(?!\s*+[\d(.])"),
    _rx(
        rf"(?:leverage|槓桿|杠杆)(?:\s*+(?:ratio|of|is|=|:|at|為|为|是|率|倍數|倍数))*+\s*+({_NUM})"
        r"(?![\d.]|\s*+(?:%|[萬万億亿兆]|bp|基|(?:k|mm|mn|m|bn|b|tn|million|billion|thousand|trillion)(?![a-z])))"
    ),
    _rx(rf"{_NUM_START}({_NUM})\s*+(?::|to)\s*+1(?![\d.])"),
)
_PERCENT_RE = _rx(rf"{_NUM_START}({_NUM})\s*+(?:%|percent|pct|個百分點|个百分点)")
_BP_RE = _rx(rf"{_NUM_START}({_NUM})\s*+(?:bps|bp|基點|基点)(?![a-z])")
_AMOUNT_RE = _rx(AMOUNT_PATTERN)
_NOT_MONEY_AFTER_RE = _rx(r"\s*+(?:年|月|日|天|號|号|days?|years?|months?|yrs?)")

_POSITION_KW = _kw("position", "exposure", "notional", "部位", "倉位", "仓位", "頭寸", "头寸", "規模", "规模")
_EQUITY_KW = _kw(
    "equity", "capital", "principal", "own money", "本金", "自有資金", "自有资金", "資本", "资本",
    "保證金", "保证金",
)
_ASK_POSITION = _kw("how big", "how large", "多大", "多少部位", "多少倉位", "多少仓位", "多少頭寸", "多少头寸")
_ASK_EQUITY = _kw(
    "how much equity", "how much capital", "how much money", "how much cash", "how much margin",
    "need", "要多少", "需要多少", "多少本金", "多少錢", "多少钱", "多少保證金", "多少保证金",
)
_ASK_ANY = _kw(
    "how", "what", "which", "?", "多少", "多大", "幾", "几", "怎麼算", "怎么算", "嗎", "吗", "計算", "计算",
)
_ASK_MOVE = _kw(
    "how much", "how far", "how big", "how large", "what drop", "what move", "what fall", "what decline",
    "what price", "what percent", "what %", "which", "多少", "幾", "几", "多大", "什麼價", "什么价",
)
_ASK_LEVERAGE = _kw("leverage", "槓桿", "杠杆", "倍", "how much", "how many", "max", "最多", "最高", "多少")
_ASK_VALUE = _kw(
    "what", "how much", "how many", "which", "max", "maximum", "多少", "幾", "几", "多大", "最多", "最高", "上限",
)
_ASK_RATIO = _kw("leverage", "槓桿", "杠杆", "幾倍", "几倍", "多少倍")
_HAIRCUT_KW = _kw("haircut", "折價率", "折价率", "折扣率", "扣減率", "扣减率", "折價", "折价")
_WIPE_KW = _kw(
    "wipe", "blow up", "blown up", "blows up", "liquidat", "go to zero", "goes to zero",
    "爆倉", "爆仓", "歸零", "归零", "清零", "斷頭", "断头", "爆掉",
)
_LOSS_KW = _kw("lose", "loss", "lost", "虧", "亏", "賠", "赔", "損失", "损失")
_MOVE_KW = _kw(
    "drop", "fall", "decline", "move", "down", "slide", "跌", "變動", "变动", "下滑", "回落", "波動", "波动",
)
_MARGIN_CALL_KW = _kw("margin call", "maintenance", "追繳", "追缴", "補倉", "补仓", "維持保證金", "维持保证金")
_DV01_KW = _kw("dv01", "pvbp", "bpv")
_FALL_KW = _kw("fall", "drop", "down", "decline", "lower", "下降", "下跌", "下行", "回落", "降")
_IRR_KW = _kw("implied repo", "irr", "隱含回購", "隐含回购", "隱含附買回", "隐含附买回")
_NET_BASIS_KW = _kw("net basis", "淨基差", "净基差")


def _labelled(*labels: str) -> GuardedPattern:
    """A number after a label ("cash 100.5", "期貨價格=110", "cf is 0.91").

    Each run of spaces is read once, after the word it follows: three adjacent optional
    ``\\s*`` (the old form) could share one run of spaces n³ ways.
    """
    alternatives = "|".join(re.escape(label) for label in labels)
    return _rx(
        rf"(?:{alternatives})\s*+(?:(?:price|價格|价格|價|价)\s*+)?(?:(?:=|:|is|of|at|為|为|是)\s*+)?(-?{_NUM})"
    )


_CASH_RE = _labelled("cash", "現貨", "现货", "spot")
_FUTURES_RE = _labelled("futures", "future", "期貨", "期货")
_CF_RE = _labelled("conversion factor", "cf", "轉換因子", "转换因子", "轉換係數", "转换系数")
_DAYS_RE = _rx(rf"{_NUM_START}({_NUM})\s*+(?:days?|天)")
_COUPON_RE = _labelled("coupon income", "coupon", "票息收入", "票息")
_GROSS_RE = _labelled("gross basis", "總基差", "总基差", "basis", "基差")
_CARRY_RE = _labelled("carry", "持有收益")

# Bare expressions: polite wrappers to strip, then a whitelist of what may remain.
_PREFIX_RE = _rx(
    r"^(?:(?:what(?:'s| is|s)|how much is|calc(?:ulate)?|compute|evaluate|please|pls|"
    r"請問|请问|請|请|幫我算|帮我算|幫忙算|帮忙算|算一下|算算|計算|计算|求)\s*+(?::\s*+)?)++"
)
# Trailing "= ?", "是多少", "等於多少"... Searched backwards from the end ((?r)), so a long
# run of these words is read once instead of once per starting point; no word is two others
# (是多少 is 是 + 多少, so it is not listed: listing both made the match 2^n ways).
_SUFFIX_RE = _rx(r"(?r)(?:\s*+(?:=|\?|!|\.|equals?+|等於|等于|多少|是|呢|嗎|吗))++$")
_EXPR_WORDS_RE = _rx(
    r"(?<![a-z])(?:sqrt|log10|log|ln|exp|abs|round|min|max)(?=\s*+\()"
    r"|(?<![a-z])(?:trillion|billion|million|thousand|tn|bn|mm|bps|bp|k|m|b|usd|dollars?|us)(?![a-z])"
    r"|(?<=[\d\s)])x(?=\s*+[\d(.])"
    r"|(?<=\d)e(?=[+-]?+\d)"  # the e of e-notation
)
_EXPR_CHARS_RE = _rx(r"^[\d\s.,+\-*/^%()$萬万億亿兆千百十基點点倍美元金]++$")
_HAS_OPERATOR_RE = _rx(
    r"(?:[\d)%萬万億亿兆千百kmbn.]|bps|bp|基點|基点)\s*+(?:\*\*|[+\-*/^])\s*+(?:[-+]\s*+)?[\d(.$a-z]|%\s*+[\d(.$]"
)
_FUNCTION_CALL_RE = _rx(r"(?<![a-z])(?:sqrt|log10|log|ln|exp|abs|round|min|max)\s*+\(")
_WORD_OPERATORS = tuple(
    (_rx(pattern), operator)
    for pattern, operator in (
        # "5個基點" is 5基點 and "3个百分点" is 3%; "1.2億的5個基點" is 1.2億 × 5bp
        (r"(?<=\d)\s*+(?:個|个)\s*+(?=基點|基点|百分點|百分点)", ""),
        (r"百分點|百分点", "%"),
        (rf"的\s*+(?={_NUM}\s*+(?:%|基點|基点|bps|bp)(?![a-z]))", " * "),
        (r"(?<![a-z])(?:of|times|multiplied by)(?![a-z])", "*"),
        (r"(?<![a-z])divided by(?![a-z])", "/"),
        (r"(?<![a-z])plus(?![a-z])", "+"),
        (r"(?<![a-z])minus(?![a-z])", "-"),
        (rf"的\s*+({_NUM})\s*+倍", r" * \1"),
        (r"乘以|乘上|乘", " * "),
        (r"除以", " / "),
        (r"加上|加", " + "),
        (r"減去|减去|減|减", " - "),
        (r"(?<=[\d\s)萬万億亿兆千百kmbn%])x(?=\s*+[\d(.])", " * "),
    )
)
_DATE_RE = _rx(
    r"^\d{4}\s*+[-/.]\s*+\d{1,2}\s*+[-/.]\s*+\d{1,2}$|^\d{1,2}\s*+/\s*+\d{1,2}\s*+/\s*+\d{2,4}$"
)
_DIGIT_RE = _rx(r"\d")
_SPACES_RE = _rx(r"\s++")


# ------------------------------------------------------------ extraction


@dataclass(frozen=True)
class _Found:
    value: float
    start: int
    end: int


class _Taken:
    """Characters already read as one kind of number, so no other reads them again.

    A mask of the message rather than a list of spans: a hostile message holds hundreds of
    numbers, and checking each against every span taken so far was quadratic.
    """

    def __init__(self, size: int, spans: Iterable[_Found] = ()) -> None:
        self.mask = bytearray(size)
        for span in spans:
            self.add(span)

    def overlaps(self, found: _Found) -> bool:
        return any(self.mask[found.start : found.end])

    def add(self, found: _Found) -> None:
        self.mask[found.start : found.end] = b"\x01" * (found.end - found.start)


def _leverages(s: str) -> list[_Found]:
    found: list[_Found] = []
    taken = _Taken(len(s))
    for pattern in _LEVERAGE_RES:
        for m in pattern.finditer(s):
            item = _Found(float(m.group(1)), m.start(), m.end())
            if not taken.overlaps(item):
                found.append(item)
                taken.add(item)
    return sorted(found, key=lambda f: f.start)


def _numbers(pattern: GuardedPattern, s: str) -> list[_Found]:
    return [_Found(float(m.group(1)), m.start(), m.end()) for m in pattern.finditer(s)]


#: The intents read at most the first two amounts; parsing every one of a hostile message's
#: hundreds would cost milliseconds each time.
_AMOUNTS_WANTED = 2


def _money(s: str, taken: _Taken) -> list[_Found]:
    """The first amounts of money: numbers that are not leverage, percents, bp, years or dates."""
    found: list[_Found] = []
    for m in _AMOUNT_RE.finditer(s):
        if len(found) == _AMOUNTS_WANTED:
            break
        text = m.group()
        item = _Found(0.0, m.start(), m.end())
        if taken.overlaps(item):
            continue
        if m.start() and s[m.start() - 1].isascii() and s[m.start() - 1].isalpha():
            continue  # "dv01", "t10"
        if _NOT_MONEY_AFTER_RE.match(s, m.end()):
            continue  # "2020年", "90 days"
        bare = text.replace(",", "").strip()
        if bare.isdigit() and 1900 <= int(bare) <= 2100:
            continue  # a year
        try:
            value = parse_amount(text)
        except CalcError:
            continue
        found.append(_Found(value, m.start(), m.end()))
    return found


def _distance(item: _Found, pattern: GuardedPattern, s: str) -> int | None:
    best = None
    for m in pattern.finditer(s):
        if m.end() <= item.start:
            gap = item.start - m.end()
        elif m.start() >= item.end:
            gap = m.start() - item.end
        else:
            gap = 0
        best = gap if best is None else min(best, gap)
    return best


def _role(amount: _Found, s: str) -> str | None:
    """Say "position" or "equity" when a keyword sits right next to the amount."""
    to_position = _distance(amount, _POSITION_KW, s)
    to_equity = _distance(amount, _EQUITY_KW, s)
    near = 8
    if to_position is not None and to_position <= near and (to_equity is None or to_position < to_equity):
        return "position"
    if to_equity is not None and to_equity <= near and (to_position is None or to_equity < to_position):
        return "equity"
    return None


def _amount_is_position(amount: _Found, s: str) -> bool:
    """Decide whether an amount names the position (else it is the equity)."""
    role = _role(amount, s)
    if role is not None:
        return role == "position"
    return bool(_ASK_EQUITY.search(s))


def _position_and_equity(first: _Found, second: _Found, s: str) -> tuple[float, float]:
    roles = (_role(first, s), _role(second, s))
    if roles == ("equity", "position") or (roles[0] is None and roles[1] == "position"):
        return second.value, first.value
    if roles == ("position", "equity") or (roles[0] == "position" and roles[1] is None):
        return first.value, second.value
    big, small = sorted((first.value, second.value), reverse=True)
    return big, small


def _first(pattern: GuardedPattern, s: str) -> float | None:
    m = pattern.search(s)
    return float(m.group(1)) if m else None


# ----------------------------------------------------------------- intents


def _finance_call(s: str) -> tuple[str, dict[str, Any]] | None:
    if not _ASK_ANY.search(s):
        return None
    leverages = _leverages(s)
    lever_taken = _Taken(len(s), leverages)
    percents = [p for p in _numbers(_PERCENT_RE, s) if not lever_taken.overlaps(p)]
    bps = _numbers(_BP_RE, s)
    money = _money(s, _Taken(len(s), leverages + percents + bps))
    lev = leverages[0].value if leverages else None

    if _DV01_KW.search(s) and bps and money:
        bp = bps[0].value
        falling = _FALL_KW.search(s[bps[0].start - 12 : bps[0].end + 12]) or _FALL_KW.search(s)
        return "dv01_pnl", {"dv01": money[0].value, "bp_move": -bp if falling else bp}

    basis = _basis_call(s)
    if basis:
        return basis

    if _HAIRCUT_KW.search(s):
        if not _ASK_VALUE.search(s):
            return None
        if percents and _ASK_LEVERAGE.search(s):
            return "leverage_from_haircut", {"haircut": percents[0].value / 100}
        if lev is not None and not percents:
            return "haircut_from_leverage", {"leverage": lev}
        return None

    if lev is None:
        if len(money) >= 2 and _ASK_RATIO.search(s):
            position, equity = _position_and_equity(money[0], money[1], s)
            return "leverage_ratio", {"position": position, "equity": equity}
        return None
    if _MARGIN_CALL_KW.search(s) and percents:
        return "margin_call_move", {"leverage": lev, "maintenance_margin": percents[0].value / 100}
    if percents and (_LOSS_KW.search(s) or _MOVE_KW.search(s) or _WIPE_KW.search(s)):
        args: dict[str, Any] = {"leverage": lev, "move_pct": percents[0].value}
        if money:
            args["equity"] = money[0].value
        return "loss_from_move", args
    if _WIPE_KW.search(s) and _ASK_MOVE.search(s):
        return "wipeout_move", {"leverage": lev}
    if money and (_POSITION_KW.search(s) or _EQUITY_KW.search(s)):
        amount = money[0]
        if _amount_is_position(amount, s):
            return "equity_needed", {"position": amount.value, "leverage": lev}
        return "position_size", {"equity": amount.value, "leverage": lev}
    return None


def _basis_call(s: str) -> tuple[str, dict[str, Any]] | None:
    if _NET_BASIS_KW.search(s):
        gross = _first(_GROSS_RE, s.replace("net basis", "").replace("淨基差", "").replace("净基差", ""))
        carry = _first(_CARRY_RE, s)
        if gross is not None and carry is not None:
            return "net_basis", {"gross_basis": gross, "carry": carry}
    cash, futures, cf = _first(_CASH_RE, s), _first(_FUTURES_RE, s), _first(_CF_RE, s)
    if cash is None or futures is None or cf is None:
        return None
    if _IRR_KW.search(s):
        days = _first(_DAYS_RE, s)
        if days is None:
            return None
        args: dict[str, Any] = {
            "cash_price": cash,
            "futures_price": futures,
            "conversion_factor": cf,
            "days": days,
        }
        coupon = _first(_COUPON_RE, s)
        if coupon is not None:
            args["coupon_income"] = coupon
        return "implied_repo_rate", args
    return "gross_basis", {"cash_price": cash, "futures_price": futures, "conversion_factor": cf}


def _expression(s: str) -> str | None:
    """The arithmetic in a message that is nothing but arithmetic, else None."""
    body = _PREFIX_RE.sub("", s.strip())
    body = _SUFFIX_RE.sub("", body).strip()
    for pattern, operator in _WORD_OPERATORS:
        body = pattern.sub(operator, body)
    body = _SPACES_RE.sub(" ", body).strip()
    if not body or not _DIGIT_RE.search(body) or _DATE_RE.match(body):
        return None
    residue = _EXPR_WORDS_RE.sub(" ", body)
    if not _EXPR_CHARS_RE.match(residue):
        return None
    if not (_HAS_OPERATOR_RE.search(body) or _FUNCTION_CALL_RE.search(body)):
        return None
    return body


# ------------------------------------------------- desk questions desk.py does not take

_CODES = r"tu|zt|3yr|z3n|fv|zf|ty|zn|tn|twe|us|zb|ub"
_TENORS = {"2": "TU", "5": "FV", "10": "TY", "30": "US"}
_VM_KW = _kw(
    "variation margin", "variation-margin", "mark to market", "mark-to-market", "marked to market",
    "變動保證金", "变动保证金", "逐日結算", "逐日结算", "逐日盯市", "每日結算", "每日结算",
)
#: A price-move word; group 1 English, group 2 Chinese (longer words first).
_VM_MOVE_RE = _rx(
    r"(?<![a-z])(fell|falls?+|dropped|drops?+|down|declined|declines?+|lower|lost|rose|rises?+|risen|up|gained|gains?+"
    r"|higher)(?![a-z])|(下跌了|下跌|跌了|跌|下滑|回落|上漲了|上涨了|上漲|上涨|上升了|上升|漲了|涨了|漲|涨)"
)
_VM_UP = frozenset(["rose", "rise", "rises", "risen", "up", "gained", "gain", "gains", "higher"])
_VM_GAP_RE = _rx(r"(?:\s{0,3}(?:by|of|about|約|约|了)(?![a-z]))?+\s{0,3}")
#: What follows a move word: 1又8/32 or "1 8/32", 8/32 or "8 32nds", a 32nds quote (1-08), ticks, points.
_Q_WHOLE_FRACTION_RE = _rx(
    r"(?<![\d.])(\d{1,3})(?:\s{1,2}|\s{0,2}(?:又|and|&)\s{0,2})(\d{1,2}(?:\.\d{1,3})?+)\s{0,2}/\s{0,2}32(?!\d)(?:nds?)?+"
)
_Q_FRACTION_RE = _rx(
    r"(?<![\d.])(\d{1,3}(?:\.\d{1,3})?+)\s{0,2}(?:/\s{0,2}32(?!\d)(?:nds?)?+|32nds|個32分之一|个32分之一)"
)
_Q_32NDS_RE = _rx(prices.PRICE_TOKEN)
_Q_TICKS_RE = _rx(rf"{_NUM_START}({_NUM})\s{{0,2}}(?:ticks?|跳|檔|档)(?![a-z])")
_Q_POINTS_RE = _rx(
    rf"{_NUM_START}({_NUM})(?!\s*+(?:%|percent|pct|bp|基|個|个|[萬万億亿兆]|contracts?|lots?|口|x(?![a-z])|倍))"
)
_VM_FROM_TO_RE = _rx(
    rf"(?:from|從|从)\s{{0,3}}({_NUM})\s{{0,3}}(?:to|->|→|至|到|跌到|跌至|漲到|涨到|升到|降到)\s{{0,3}}({_NUM})"
)
_VM_CONTRACTS_RE = _rx(
    rf"{_NUM_START}(\d{{1,7}}+)(?![\d.])\s{{0,3}}(?:(?<![a-z])(?:{_CODES})\s{{0,2}})?(?:contracts?|lots?|口|張|张|手)(?![a-z])"
)
_VM_CODE_RE = _rx(
    rf"(?<![a-z])({_CODES})(?=\s{{0,2}}(?:contracts?|futures?|lots?|期貨|期货|口|張|张|合約|合约))"
    rf"|(?:口|張|张)\s{{0,2}}({_CODES})(?![a-z])"
    r"|(?<!\d)(2|5|10|30)\s{0,1}(?:年期|-year|-yr)"
)
#: Settlement prices for an exchange-margin path: "settlements 1741, 1734.70, 1740", "結算價 111-08、111-24".
_SETTLE_RE = _rx(
    r"(?<![a-z])(?:daily settlements?|settlement prices?|settlements?|settles?|settled|closes?|closed|closing prices?"
    r"|(?:fell|falls|dropped|drops|rose|rises|moved|moves) to)(?![a-z])(?:\s{0,3}(?:at|of|are|were|is|on|:|=)(?![a-z]))?+"
    r"|(?:每日結算價|每日结算价|結算價|结算价|收盤價|收盘价|跌到|跌至|漲到|涨到|升到|降到)"
    r"(?:\s{0,3}(?:為|为|是|分別為|分别为|分別是|分别是|依次為|依次为|:|=))?+"
)
_LIST_NUM_RE = _rx(r"\s{0,3}\$?+(\d++(?:,\d{3}(?!\d))*+(?:\.\d++)?+)(?![\d%])")
_LIST_SEP_RE = _rx(r"\s{0,3}(?:,\s{0,3}then|,\s{0,3}and|,|、|;|/|and|then|→|->|和|及|然後|然后)(?![a-z])")
_MAX_SETTLEMENTS = 30
_CF_LABEL_RE = _rx(r"(?<![a-z])(?:conversion factor|cf)(?![a-z])|轉換因子|转换因子|轉換係數|转换系数")
_CTD_KW = _kw("cheapest", "ctd", "最便宜")
#: Accrued interest of one bond now and at delivery: "accrued 0.3679/0.8777", "應計利息 現在0.37、交割時0.88".
_ACCRUED_PAIR_RE = _rx(
    r"(?:accrued interest|accrued|應計利息|应计利息|應計|应计)"
    r"(?:\s{0,3}(?:now|today|at purchase|of|is|=|:|現在|现在|目前|買入時|买入时|為|为|是)(?![a-z]))*+"
    rf"\s{{0,3}}({_NUM})"
    r"(?:\s{0,3}(?:now|today|at purchase|現在|现在|買入時|买入时|/|,|、|;|and|then|→|->|to|和|及|at delivery"
    r"|交割時|交割时)(?![a-z]))++"
    rf"\s{{0,3}}({_NUM})"
)


def _quantity(s: str, at: int, code: str | None) -> float | None:
    """The size of a price move written at ``at``, in points: 1又8/32, 8/32, 1-08, 40 ticks, 1.25."""
    m = _Q_WHOLE_FRACTION_RE.match(s, at)
    if m:
        return int(m.group(1)) + float(m.group(2)) / 32
    m = _Q_FRACTION_RE.match(s, at)
    if m:
        return float(m.group(1)) / 32
    m = _Q_32NDS_RE.match(s, at)
    if m and int(m.group(2)) <= 31:
        return prices.parse_32nds(m.group())
    m = _Q_TICKS_RE.match(s, at)
    if m:
        return float(m.group(1)) * fut.contract(code or "TY").tick_points
    m = _Q_POINTS_RE.match(s, at)
    return float(m.group(1)) if m else None


def _futures_move(s: str, priced: str, code: str | None) -> float | None:
    """A signed futures price move in points: "from 112-16 to 111-08", "fell 1-08", "跌了1又8/32"."""
    m = _VM_FROM_TO_RE.search(priced)
    if m:
        return float(m.group(2)) - float(m.group(1))
    for word in _VM_MOVE_RE.finditer(s):
        gap = _VM_GAP_RE.match(s, word.end())
        size = _quantity(s, gap.end() if gap else word.end(), code)
        if size:
            up = word.group(1) in _VM_UP if word.group(1) else word.group(2)[0] in "上漲涨"
            return size if up else -size
    return None


def _futures_code(s: str) -> str | None:
    m = _VM_CODE_RE.search(s)
    if not m:
        return None
    if m.group(3):
        return _TENORS[m.group(3)]
    return fut.contract(m.group(1) or m.group(2)).code


def _variation_call(s: str, priced: str) -> tuple[str, dict[str, Any]] | None:
    """Variation margin of a futures move: "10 contracts, futures fell 1-08, variation margin?"."""
    if not _VM_KW.search(s):
        return None
    code = _futures_code(s)
    move = _futures_move(s, priced, code)
    if move is None:
        return None
    args: dict[str, Any] = {"move_points": move}
    count = _VM_CONTRACTS_RE.search(s)
    if count:
        args["contracts"] = float(count.group(1))
    if code:
        args["contract"] = code
    side = desk.side_words(s)
    if side:
        args["side"] = side
    return VARIATION_MARGIN, args


def _settlements(priced: str) -> list[float]:
    """The settlement prices listed after a label, in order (at most 30)."""
    label = _SETTLE_RE.search(priced)
    if not label:
        return []
    found: list[float] = []
    at = label.end()
    while len(found) < _MAX_SETTLEMENTS:
        m = _LIST_NUM_RE.match(priced, at)
        if not m:
            break
        found.append(float(m.group(1).replace(",", "")))
        sep = _LIST_SEP_RE.match(priced, m.end())
        if not sep:
            break
        at = sep.end()
    return found


def _blank(s: str, spans: list[Any]) -> str:
    """The text with the matched spans turned to spaces (same length, so positions still hold)."""
    out = list(s)
    for m in spans:
        out[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(out)


def _desk(s: str) -> tuple[str, dict[str, Any]] | None:
    """bot/calc/desk.py's call, plus what it does not read: cheapest to deliver by implied repo
    (a message naming only implied repo, days after a comma, each bond's accrued interest) and
    the settlement path of an exchange-margin account (variation margin day by day)."""
    if (_CTD_KW.search(s) or _IRR_KW.search(s)) and len(list(_CF_LABEL_RE.finditer(s))) >= 2:
        pairs = list(_ACCRUED_PAIR_RE.finditer(s))
        masked = _blank(s, pairs)
        found = desk.desk_call(masked if _CTD_KW.search(masked) else masked + " ctd?")
        if found and found[0] == "cheapest_to_deliver":
            args = dict(found[1])
            days = _first(_DAYS_RE, s)
            if "days" not in args and days:
                args["days"] = days
            if pairs:
                args["accrued_at_purchase"] = [float(m.group(1)) for m in pairs]
                args["accrued_at_delivery"] = [float(m.group(2)) for m in pairs]
            return found[0], args
    found = desk.desk_call(s)
    if found and found[0] == "futures_margin_call" and "settlements" not in found[1]:
        priced = desk.with_decimal_prices(s)
        path = _settlements(priced)
        if not path and _VM_KW.search(s):
            move = _futures_move(s, priced, found[1].get("contract"))
            path = [found[1]["price"] + move] if move is not None else []
        if path:
            return found[0], {**found[1], "settlements": path}
    return found


# ------------------------------------------------------------ planning: every part of a message

_PERCENT_MOVE_RE = _rx(rf"{_NUM_START}(\d++(?:\.\d++)?+)\s*+(?:%|percent|pct)")
_MOVE_RANGE_RE = _rx(
    r"(?<![\d.])(\d++(?:\.\d++)?+)\s*+%?+\s*+(?:to|至|到|~|-)\s*+-?+\s*+(\d++(?:\.\d++)?+)\s*+%"
)
_UP_RE = _rx(r"(?<![a-z])(?:up|rise|rises|gain|gains)(?![a-z])|漲|涨")
_DOWN_RE = _rx(r"跌|drop|fall|down|decline|lose|虧|亏")
_WHATIF_RE = _rx(
    r"(?<![a-z])(?:what[- ]if|table|scenarios?)(?![a-z])"
    r"|情況表|情况表|表格|試算表|试算表|各虧|各亏|各賠|各赔|分別|分别|各剩|情境"
)
_NUMBER_RUN_RE = _rx(r"(?<![\d.])\d++(?:\.\d++)?+")


def wants_whatif(s: str) -> bool:
    """The message asks for several price moves at once (a what-if table)."""
    return bool(_WHATIF_RE.search(s))


def _percents(s: str) -> list[float]:
    return [float(m.group(1)) for m in _PERCENT_MOVE_RE.finditer(s)]


def _moves(s: str) -> list[float]:
    """Price moves in percent, negative for drops (the default): "跌0.5% 1% 2%", "-0.25% to -5%"."""
    span = _MOVE_RANGE_RE.search(s)
    sign = 1.0 if _UP_RE.search(s) and not _DOWN_RE.search(s) else -1.0
    if span:
        low, high = sorted((float(span.group(1)), float(span.group(2))))
        inside = {abs(m) for m in leverage.DEFAULT_MOVES if low <= abs(m) <= high}
        return [sign * m for m in sorted(inside | {low, high})]
    return [sign * m for m in dict.fromkeys(_percents(s))]


def _probe_position(text: str, s: str) -> dict[str, float] | None:
    """Equity and leverage from the message, read as a position-size question."""
    bare = _MOVE_RANGE_RE.sub(" ", _PERCENT_RE.sub(" ", s))
    probe = bare + (" 部位多大?" if detect_lang(text) != "en" else " how big is the position?")
    call = route(probe)
    if call is not None and call.tool == "position_size":
        return {"equity": call.args["equity"], "leverage": call.args["leverage"]}
    return None


def _whatif(text: str, s: str, call: CalcCall | None) -> CalcCall | None:
    """Equity and leverage with several price moves (or "what-if table"): the /leverage table."""
    moves = _moves(s)
    if len(moves) < 2 and not wants_whatif(s):
        return None
    if call is not None and call.tool not in ("loss_from_move", "position_size"):
        return None
    args = dict(call.args) if call is not None else {}
    if "equity" not in args or "leverage" not in args:
        probed = _probe_position(text, s)
        if probed is None:
            return None
        args = {**probed, **{k: v for k, v in args.items() if k in ("equity", "leverage")}}
    if len(moves) < 2:
        moves = list(leverage.DEFAULT_MOVES)
    inputs = {"equity": args["equity"], "leverage": args["leverage"], "moves": moves}
    return CalcCall(WHATIF, inputs, detect_lang(text) != "en")


def _bare_expression(text: str, s: str) -> CalcCall | None:
    """Arithmetic the patterns do not pick up but the evaluator computes, as `calc` would."""
    if len(list(_NUMBER_RUN_RE.finditer(s))) < 2:
        return None
    try:
        evaluate(text)
    except CalcError:
        return None
    return CalcCall("calculator", {"expression": text.strip()}, has_cjk(text))


def plan(text: str) -> list[CalcCall]:
    """Every calculation a chat message asks for, in order; [] when it asks for none.

    Several moves ("跌0.5% 1% 2%", "-0.25% to -5%") or "what-if table" give one what-if
    call; several haircuts one call each ("2% ... and 4%?"); a loss from a move gets the
    equity the message names; a bare expression the patterns miss still runs.
    """
    if not text or len(text) > MAX_MESSAGE:
        return []
    call = route(text)
    s = normalise(text)
    table = _whatif(text, s, call)
    if table is not None:
        return [table]
    if call is None:
        bare = _bare_expression(text, s)
        return [bare] if bare is not None else []
    if call.tool == "leverage_from_haircut":
        more = [
            CalcCall(call.tool, {"haircut": p / 100}, call.chinese)
            for p in _percents(s)[1:]
            if p > 0 and abs(p / 100 - call.args["haircut"]) > 1e-12
        ]
        return [call, *more]
    if call.tool == "loss_from_move" and "equity" not in call.args:
        probed = _probe_position(text, s)
        if probed is not None:
            return [CalcCall(call.tool, {**call.args, "equity": probed["equity"]}, call.chinese)]
    return [call]


@dataclass(frozen=True)
class ToolRecord:
    """One call as the answer reports it: the tool (``error`` when it failed), its input and output."""

    name: str
    input: dict[str, Any]
    output: str


class Computed(NamedTuple):
    """What a message computes: the text to show and the calls behind it ([] when nothing)."""

    text: str
    calls: list[ToolRecord]

    @property
    def ok(self) -> bool:
        return any(call.name != "error" for call in self.calls)


def compute(text: str, *, strict: bool = False, lang: Lang | None = None) -> Computed:
    """Run a message's plan: the one calculator entry point for ``calc``, ``ask``, chat and Discord.

    The first call shows its working, later ones their summary line; a call that fails is
    its one-line error (tool ``error``).  ``strict`` (``calc``, ``/calc``) treats a message
    with no plan as an expression, and raises :class:`CalcError` when nothing computed.
    The text is in ``lang`` (default: the message's script).
    """
    calls = plan(text)
    if not calls:
        if not strict:
            return Computed("", [])
        calls = [CalcCall("calculator", {"expression": text}, has_cjk(text))]
    texts: list[str] = []
    records: list[ToolRecord] = []
    for number, call in enumerate(calls):
        try:
            out = run(call).text
        except CalcError as err:
            if strict and len(calls) == 1:
                raise
            texts.append(str(err))
            records.append(ToolRecord("error", {"tool": call.tool, **call.args}, str(err)))
            continue
        texts.append(out if number == 0 else out.splitlines()[0])  # the working is shown once
        records.append(ToolRecord(call.tool, dict(call.args), out))
    result = Computed("\n\n".join(texts), records)
    if strict and not result.ok:
        raise CalcError(texts[0])
    if (lang or detect_lang(text)) == "zh-Hans":
        result = Computed(to_script(result.text, "zh-Hans"), records)
    return result


# --------------------------------------------------------------------- API


def route(text: str) -> CalcCall | None:
    """Pick a calculator tool for a chat message, or None when it is not a calculation.

    Raises :class:`CalcError` only if a pattern runs out of time on a hostile message
    (none is known to: every pattern is linear), so a stuck match never holds a worker.
    """
    if not text or len(text) > MAX_MESSAGE:
        return None
    s = normalise(text)
    chinese = has_cjk(text)
    # Treasury-desk questions first (32nds, CF, CTD, accrued, hedges, exchange margin; bot/calc/desk.py):
    # "tick value of TY?" needs no digit.
    desk_found = _desk(s)
    priced = desk.with_decimal_prices(s) if _DIGIT_RE.search(s) else s  # "futures 93-08" is 93.25
    # Variation margin of a move before the desk's other readings ("TY down 40 ticks" is not a
    # question about the tick), after its exchange-margin account (which shows the daily path).
    variation = _variation_call(s, priced) if _VM_KW.search(s) else None
    if desk_found and (variation is None or desk_found[0] == "futures_margin_call"):
        return CalcCall(desk_found[0], desk_found[1], chinese)
    if variation:
        return CalcCall(variation[0], variation[1], chinese)
    if not _DIGIT_RE.search(s):
        return None
    found = _finance_call(priced) or _basis_call(priced)
    if found:
        tool, args = found
        return CalcCall(tool, desk.refine(tool, args, s), chinese)
    expression = _expression(s)
    if expression:
        return CalcCall("calculator", {"expression": expression}, chinese)
    return None


def run(call: CalcCall) -> Working:
    """Execute a routed call; the working is in Traditional Chinese when ``call.chinese``."""
    func = FORMULAS.get(call.tool) or _PLANNED.get(call.tool)
    if func is None:
        raise CalcError(f"Unknown calculator tool: {call.tool}")
    for value in call.args.values():
        if isinstance(value, float):
            check_magnitude(value)  # "1e308x" fails as evaluate("1e308") does
    try:
        return func(**call.args, chinese=call.chinese)
    except TypeError:
        raise CalcError(f"Wrong arguments for {call.tool}.") from None


#: What :func:`run` calls besides the registered formulas (shown in chat, not offered to the LLM agent).
_PLANNED: dict[str, Callable[..., Working]] = {
    WHATIF: leverage.whatif,
    VARIATION_MARGIN: leverage.variation_margin,
}

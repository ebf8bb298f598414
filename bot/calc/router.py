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
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.calc import desk
from bot.calc.evaluator import (
    AMOUNT_PATTERN,
    GuardedPattern,
    check_magnitude,
    guarded,
    normalise,
    parse_amount,
)
from bot.calc.formulas import FORMULAS, Working
from bot.errors import CalcError
from bot.text import has_cjk

__all__ = ["CalcCall", "route", "run"]

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
        r"(?![\d.]|\s*+(?:%|[萬万億亿兆]|bp|基))"
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
    r"[\d)%萬万億亿兆千百kmbn.]\s*+(?:\*\*|[+\-*/^])\s*+(?:[-+]\s*+)?[\d(.$a-z]|%\s*+[\d(.$]"
)
_FUNCTION_CALL_RE = _rx(r"(?<![a-z])(?:sqrt|log10|log|ln|exp|abs|round|min|max)\s*+\(")
_WORD_OPERATORS = tuple(
    (_rx(pattern), operator)
    for pattern, operator in (
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
    desk_found = desk.desk_call(s)
    if desk_found:
        return CalcCall(desk_found[0], desk_found[1], chinese)
    if not _DIGIT_RE.search(s):
        return None
    priced = desk.with_decimal_prices(s)  # "futures 93-08" is 93.25 where prices are talked about
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
    func = FORMULAS.get(call.tool)
    if func is None:
        raise CalcError(f"Unknown calculator tool: {call.tool}")
    for value in call.args.values():
        if isinstance(value, float):
            check_magnitude(value)  # "1e308x" fails as evaluate("1e308") does
    try:
        return func(**call.args, chinese=call.chinese)
    except TypeError:
        raise CalcError(f"Wrong arguments for {call.tool}.") from None

"""Route Treasury-desk questions (32nds, CF, CTD, accrued, invoice, hedges, margin) to formulas.

Called by :func:`bot.calc.router.route` before its leverage intents, on
:func:`bot.calc.evaluator.normalise` output, so English, Traditional and
Simplified meet the same patterns.  Every pattern is a guarded (time-limited)
``regex`` and linear by construction: bounded gaps (``{0,3}``, ``{0,20}?``) between
a label and its number, possessive runs of digits, and no two adjacent parts
that can read the same characters.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.calc import prices
from bot.calc.evaluator import AMOUNT_PATTERN, guarded, parse_amount
from bot.errors import CalcError

__all__ = ["desk_call", "price_context", "refine", "side_words", "with_decimal_prices"]

Call = tuple[str, dict[str, Any]]


_N = r"\d++(?:,\d{3}(?!\d))*+(?:\.\d++)?+"
_START = r"(?<![\d.])(?<!\d,)"
_GAP = r"[^\d\-+$]{0,24}?"  # a short run of words between a label and its number


def _kw(*words: str) -> Any:
    parts = []
    for w in words:
        escaped = re.escape(w)
        parts.append(rf"(?<![a-z]){escaped}(?![a-z])" if w[0].isascii() and w[0].isalpha() else escaped)
    return guarded("|".join(parts))


def _labelled(labels: str, value: str = _N) -> Any:
    return guarded(rf"(?:{labels}){_GAP}(-?+{value})")


def _to_float(text: str) -> float:
    return float(text.replace(",", ""))


# ------------------------------------------------------------------ keywords

_PRICE_CONTEXT = _kw(
    "price",
    "prices",
    "cash",
    "futures",
    "future",
    "spot",
    "quote",
    "quoted",
    "cf",
    "conversion factor",
    "basis",
    "ctd",
    "deliver",
    "invoice",
    "clean",
    "dirty",
    "tick",
    "ticks",
    "bought",
    "sold",
    "buy",
    "sell",
    "long",
    "short",
    "from",
    "entry",
    "exit",
    "tu",
    "fv",
    "ty",
    "tn",
    "us",
    "ub",
    "zn",
    "zb",
    "zf",
    "zt",
    "現貨",
    "现货",
    "期貨",
    "期货",
    "報價",
    "报价",
    "價格",
    "价格",
    "轉換因子",
    "转换因子",
    "基差",
    "淨價",
    "净价",
    "全價",
    "全价",
    "交割",
    "買",
    "买",
    "賣",
    "卖",
    "多頭",
    "多头",
    "空頭",
    "空头",
    "做多",
    "做空",
    "從",
    "从",
)
_TO_DECIMAL = _kw(
    "decimal",
    "decimals",
    "小數",
    "小数",
    "十進位",
    "十进制",
    "convert",
    "換算",
    "换算",
)
_TO_32NDS = guarded(
    rf"{_START}({_N})\s{{0,3}}(?:in|to|into|as|換成|换成|轉成|转成|轉換成|转换成|是幾|是几|=)\s{{0,3}}(?:32nds|32分|32分之|thirty-seconds)"
)
_CONTRACT = guarded(
    r"(?<![a-z])(tu|zt|3yr|z3n|fv|zf|ty|zn|tn|twe|us|zb|ub)(?![a-z])"
    r"|(2-year|2年期)|(5-year|5年期)|(10-year|10年期)|(30-year|30年期|t-bond|長債|长债)|(ultra bond|超長債|超长债)"
)
_PHRASE_CODES = {2: "TU", 3: "FV", 4: "TY", 5: "US", 6: "UB"}
_TICK = _kw(
    "tick",
    "ticks",
    "tick value",
    "tick size",
    "contract size",
    "specs",
    "spec",
    "跳動",
    "跳动",
    "最小變動",
    "最小变动",
    "每跳",
    "一跳",
    "規格",
    "规格",
    "合約規格",
    "合约规格",
)
_PNL = _kw(
    "pnl",
    "p&l",
    "profit",
    "loss",
    "make",
    "made",
    "lose",
    "gain",
    "損益",
    "损益",
    "賺",
    "赚",
    "賠",
    "赔",
    "盈虧",
    "盈亏",
    "虧",
    "亏",
)
_FROM_TO = guarded(
    rf"(?:from|從|从|at|在|於|于)?\s{{0,3}}{_START}({_N})\s{{0,3}}(?:to|->|→|至|到|漲到|涨到|跌到|升到|降到)\s{{0,3}}({_N})"
)
_CONTRACTS = guarded(
    rf"{_START}({_N})\s{{0,3}}(?:contracts?|lots?|口|張|张|份|(?:tu|fv|ty|tn|us|ub|zn|zb|zf|zt)(?![a-z]))"
)
_INITIAL = _labelled(r"initial margin|initial|初始保證金|初始保证金|原始保證金|原始保证金", AMOUNT_PATTERN)
_MAINTENANCE = _labelled(r"maintenance margin|maintenance|維持保證金|维持保证金", AMOUNT_PATTERN)
_SIZE = guarded(
    rf"{_START}({_N})\s{{0,3}}(?:(oz|ounces?|盎司|金衡盎司)|(pounds?|lbs?|磅)|(bushels?|蒲式耳)|(barrels?|桶))"
)
_CENTS = guarded(rf"{_START}({_N})\s{{0,3}}(?:cents?|¢|美分)")
_ENTRY = guarded(
    rf"(?:(?:price|at|價格|价格|價|价|為|为|買入|买入|賣出|卖出|buy|sell|bought|sold)\s{{0,3}})(?:of\s{{0,3}})?\$?+({_N})(?!\s{{0,3}}(?:oz|ounces?|盎司|pounds?|lbs?|磅|bushels?|蒲式耳|contracts?|口))"
)
_WITHDRAW = _labelled(r"withdraw|withdrawn|提領|提领|提取|取出", AMOUNT_PATTERN)
_DV01_KW = _kw("dv01", "pvbp", "bpv")
_DV01 = guarded(
    rf"(?:dv01|pvbp|bpv)(?:\s{{0,3}}(?:is|of|=|:|為|为|是|約|约|about|at))?+\s{{0,3}}(-?+)\s{{0,2}}({AMOUNT_PATTERN})"
)
_BP = guarded(rf"{_START}(-?+{_N})\s{{0,3}}(?:bps|bp|basis points?|個基點|个基点|基點|基点)(?![a-z])")
_RISE = _kw(
    "rise",
    "rises",
    "risen",
    "up",
    "increase",
    "increases",
    "higher",
    "climb",
    "jump",
    "上升",
    "上漲",
    "上涨",
    "升",
    "漲",
    "涨",
    "走高",
    "增加",
)
_FALL = _kw(
    "fall",
    "falls",
    "fell",
    "drop",
    "drops",
    "down",
    "decline",
    "declines",
    "lower",
    "下降",
    "下跌",
    "下行",
    "回落",
    "降",
    "跌",
    "走低",
    "減少",
    "减少",
)
_SHORT = _kw(
    "short", "shorts", "sold", "sell", "空頭", "空头", "做空", "空單", "空单", "賣出", "卖出", "沽空"
)
_LONG = _kw("long", "bought", "buy", "多頭", "多头", "做多", "多單", "多单", "買入", "买入")
_HOW_LONG = _kw("how long", "long term", "long-term")
_MARGIN_CALL_KW = _kw(
    "margin call", "追繳", "追缴", "補倉", "补仓", "maintenance", "維持保證金", "维持保证金"
)
_CF_KW = _kw("conversion factor", "cf", "轉換因子", "转换因子", "轉換係數", "转换系数")
_CF = _labelled(r"conversion factor|cf|轉換因子|转换因子|轉換係數|转换系数")
_FUTURES = _labelled(r"futures|future|期貨|期货|settlement price|結算價|结算价")
_COUPON = guarded(
    rf"(?:coupon|票息|票面利率|票面)\s{{0,3}}(?:rate\s{{0,3}})?(?:of|is|=|:|為|为|是)?\s{{0,3}}({_N})\s{{0,2}}%"
    rf"|{_START}({_N})\s{{0,2}}%\s{{0,3}}(?:coupon|票息|票面|的?債券|的?债券|bond|note|treasury)"
    rf"|{_START}({_N})\s{{0,2}}(?:%|厘)"
)
_YEARS = guarded(
    rf"{_START}(\d{{1,3}})\s{{0,3}}(?:years?|yrs?|年)(?!期)(?:\s{{0,3}}(?:and\s{{0,3}})?(?:零\s{{0,2}})?(\d{{1,2}})\s{{0,3}}(?:months?|個月|个月))?"
)
_ISO_DATE = guarded(
    r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)|(?<!\d)(\d{4})年(\d{1,2})月(\d{1,2})[日號号]"
)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_EN_DATE = guarded(
    rf"(?<![a-z\d])(\d{{1,2}})\s{{0,2}}({_MONTHS})[a-z]{{0,6}}\.?+,?+\s{{0,2}}(\d{{4}})(?!\d)"
    rf"|(?<![a-z])({_MONTHS})[a-z]{{0,6}}\.?+\s{{0,2}}(\d{{1,2}}),?+\s{{0,2}}(\d{{4}})(?!\d)"
)
_MONTH_YEAR = guarded(
    rf"(?<![a-z])({_MONTHS})[a-z]{{0,6}}\.?+\s{{0,2}}(\d{{4}})(?!\d)|(?<!\d)(\d{{4}})-(\d{{1,2}})(?![-\d/.])|(?<!\d)(\d{{4}})年(\d{{1,2}})月(?!\d)"
)
_DELIVERY = _kw("delivery", "deliver", "交割", "contract month", "合約月", "合约月")
_CTD_KW = _kw("cheapest", "ctd", "最便宜", "最便宜可交割", "cheapest-to-deliver")
_INVOICE_KW = _kw("invoice", "發票", "发票", "交割金額", "交割金额", "receive", "收到多少", "收取多少")
_ACCRUED_KW = _kw("accrued", "應計利息", "应计利息", "應計", "应计", "累計利息", "累计利息")
_ACCRUED = _labelled(r"accrued interest|accrued|應計利息|应计利息|應計|应计")
_DIRTY_KW = _kw(
    "dirty", "cash price", "full price", "invoice price", "全價", "全价", "含息", "現金價格", "现金价格"
)
_CLEAN = _labelled(r"quoted price|quoted|clean price|clean|quote|報價|报价|淨價|净价|price|價格|价格")
_YIELD_KW = _kw("yield", "ytm", "殖利率", "收益率", "到期收益")
_YIELD = guarded(
    rf"(?:yield|ytm|殖利率|收益率)\s{{0,3}}(?:of|at|is|=|:|為|为|是|在)?\s{{0,3}}({_N})\s{{0,2}}%|{_START}({_N})\s{{0,2}}%\s{{0,3}}(?:yield|ytm|殖利率|收益率)"
)
_ASK_PRICE = _kw("price", "worth", "價格", "价格", "價", "价", "值多少")
_FUT_DV01 = _labelled(
    r"futures dv01|futures'?s? dv01|期貨dv01|期货dv01|期貨的dv01|期货的dv01|per contract dv01|每口dv01"
)
_CTD_DV01 = _labelled(r"ctd dv01|ctd'?s? dv01|ctd的dv01|dv01 of the ctd|最便宜可交割債券的dv01")
_HEDGE_KW = _kw("hedge", "hedging", "避險", "避险", "對沖", "对冲", "套保")
_DURATION = _labelled(r"duration|存續期間|存续期间|久期|存續期|存续期")
_CTD_DURATION = _labelled(
    r"ctd duration|ctd'?s duration|duration of the ctd|ctd的存續期間|ctd的存续期间|ctd久期|ctd的久期|ctd存續期間"
)
_REPO_KW = _kw("repo", "回購", "回购", "附買回", "附买回")
_INTEREST_KW = _kw("interest", "cost", "利息", "成本", "多少錢", "多少钱", "pay", "付")
_IRR_KW = _kw("implied repo", "irr", "隱含回購", "隐含回购", "隱含附買回", "隐含附买回")
_PERCENT = guarded(rf"{_START}({_N})\s{{0,2}}(?:%|percent|pct)")
_DAYS = guarded(rf"{_START}({_N})\s{{0,3}}(?:days?|天)")
_AMOUNT = guarded(AMOUNT_PATTERN)
_DIGIT = guarded(r"\d")
_NUMBER = guarded(rf"(?<![\d.])({_N})")  # finditer never starts inside "10,000"


# ------------------------------------------------------------------ helpers


def price_context(s: str) -> bool:
    """True when the message talks about prices, so ``93-08`` means 93 8/32, not 93 − 8."""
    return bool(_PRICE_CONTEXT.search(s))


_RANGE_UNITS = set("x倍%天年月日個个週周bdwmy")


def with_decimal_prices(s: str) -> str:
    """The message with every valid 32nds quote written as a decimal (in a price context)."""
    found = prices.find_prices(s)
    if not found or not price_context(s):
        return s
    out, last = [], 0
    for start, end, value in found:
        if s[end : end + 3].lstrip()[:1] in _RANGE_UNITS:
            continue  # "20-30x", "10-15天", "5-10%": a range, not a price
        out.append(s[last:start])
        out.append(f"{value:.10g}")
        last = end
    out.append(s[last:])
    return "".join(out)


def side_words(s: str) -> str | None:
    """ "short" or "long" from the words in a message (空頭/做空, 多頭/做多 too), else None."""
    short = _SHORT.search(s)
    long_ = None if _HOW_LONG.search(s) else _LONG.search(s)
    if short and (not long_ or short.start() < long_.start()):
        return "short"
    if long_:
        return "long"
    return None


def _contract(s: str) -> str | None:
    m = _CONTRACT.search(s)
    if not m:
        return None
    if m.group(1):
        return m.group(1).upper()
    for index, code in _PHRASE_CODES.items():
        if m.group(index):
            return code
    return None


def _first(pattern: Any, s: str, group: int = 1) -> float | None:
    m = pattern.search(s)
    return _to_float(m.group(group)) if m else None


def _money_after(pattern: Any, s: str) -> float | None:
    m = pattern.search(s)
    if not m:
        return None
    try:
        return parse_amount(m.group(1))
    except CalcError:
        return None


def _given(args: dict[str, Any], **found: Any) -> dict[str, Any]:
    """``args`` plus each optional argument the message gave; one it did not (None, 0, "") keeps the tool's default."""
    args.update((key, value) for key, value in found.items() if value)
    return args


def _dates(s: str) -> list[tuple[int, date]]:
    """Every full date in the message (ISO, 2024年8月15日, 15 Aug 2024, Aug 15, 2024), in order."""
    months = _MONTHS.split("|")
    found: list[tuple[int, date]] = []
    for m in _ISO_DATE.finditer(s):
        y, mo, d = (
            (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        )
        _add_date(found, m.start(), int(y), int(mo), int(d))
    for m in _EN_DATE.finditer(s):
        if m.group(1):
            _add_date(found, m.start(), int(m.group(3)), months.index(m.group(2)) + 1, int(m.group(1)))
        else:
            _add_date(found, m.start(), int(m.group(6)), months.index(m.group(4)) + 1, int(m.group(5)))
    return sorted(found)


def _add_date(found: list[tuple[int, date]], start: int, year: int, month: int, day: int) -> None:
    try:
        found.append((start, date(year, month, day)))
    except ValueError:
        pass


def _month_year(s: str, taken: list[tuple[int, date]]) -> date | None:
    months = _MONTHS.split("|")
    for m in _MONTH_YEAR.finditer(s):
        if any(start <= m.start() <= start + 12 for start, _ in taken):
            continue
        try:
            if m.group(1):
                return date(int(m.group(2)), months.index(m.group(1)) + 1, 1)
            if m.group(3):
                return date(int(m.group(3)), int(m.group(4)), 1)
            return date(int(m.group(5)), int(m.group(6)), 1)
        except ValueError:
            continue
    return None


def _coupon(s: str) -> float | None:
    m = _COUPON.search(s)
    if not m:
        return None
    return _to_float(next(g for g in m.groups() if g))


def _all_numbers(s: str) -> list[tuple[int, int, float]]:
    return [(m.start(), m.end(), _to_float(m.group(1))) for m in _NUMBER.finditer(s)]


# ------------------------------------------------------------------- intents


def _price_conversion(s: str) -> Call | None:
    body = s.strip().rstrip("?=!. ")
    m = _TO_32NDS.search(s)
    if m:
        return "price_32nds", {"price": _to_float(m.group(1))}
    found = prices.find_prices(s)
    if len(found) != 1:
        return None
    start, end, _ = found[0]
    token = s[start:end].strip()
    rest = (s[:start] + s[end:]).strip()
    if prices.is_32nds(body) and ("+" in body or "'" in body or "’" in body):
        return "price_32nds", {"price": token}
    if rest and _TO_DECIMAL.search(s) and not _CF_KW.search(s) and len(rest) < 60:
        return "price_32nds", {"price": token}
    return None


def _specs(s: str) -> Call | None:
    code = _contract(s)
    if code and _TICK.search(s) and not _FROM_TO.search(s):
        return "contract_specs", {"contract": code}
    return None


def _pnl(s: str, decimal_s: str) -> Call | None:
    code = _contract(s)
    m = _FROM_TO.search(decimal_s)
    if not code or not m or not (_PNL.search(s) or _TICK.search(s)):
        return None
    args: dict[str, Any] = {
        "entry_price": _to_float(m.group(1)),
        "exit_price": _to_float(m.group(2)),
        "contract": code,
    }
    return "futures_pnl", _given(args, contracts=_first(_CONTRACTS, decimal_s), side=side_words(s))


def _exchange_margin(s: str, decimal_s: str) -> Call | None:
    initial, maintenance = _money_after(_INITIAL, decimal_s), _money_after(_MAINTENANCE, decimal_s)
    if initial is None or maintenance is None:
        return None
    size_m = _SIZE.search(decimal_s)
    cents = _CENTS.search(decimal_s)
    code = _contract(s)
    args: dict[str, Any] = {"initial_margin": initial, "maintenance_margin": maintenance}
    if cents:
        args["price"] = _to_float(cents.group(1))
    else:
        entry = _ENTRY.search(decimal_s)
        if entry is None:
            return None
        args["price"] = _to_float(entry.group(1))
    if size_m:
        size = _to_float(size_m.group(1))
        args["contract_size"] = size / 100 if cents else size
    elif code:
        args["contract"] = code
    else:
        return None
    return "futures_margin_call", _given(
        args,
        contracts=_first(_CONTRACTS, decimal_s),
        side=side_words(s),
        withdraw=_money_after(_WITHDRAW, decimal_s),
    )


def _dv01_pnl(s: str) -> Call | None:
    if not _DV01_KW.search(s) or _HEDGE_KW.search(s):
        return None
    bp_m = _BP.search(s)
    dv01_m = _DV01.search(s)
    if not bp_m or not dv01_m:
        return None
    try:
        dv01 = parse_amount(dv01_m.group(2))
    except CalcError:
        return None
    if dv01_m.group(1):
        dv01 = -dv01
    bp = _to_float(bp_m.group(1))
    if bp > 0:
        window = s[max(0, bp_m.start() - 15) : bp_m.end() + 15]
        fall = _FALL.search(window)
        rise = _RISE.search(window)
        if (fall and not rise) or (not rise and not fall and _FALL.search(s) and not _RISE.search(s)):
            bp = -bp
    return "dv01_pnl", _given({"dv01": dv01, "bp_move": bp}, side=side_words(s))


def _cf_list_bonds(s: str) -> tuple[list[float], list[float]]:
    """Bond prices and factors in "99.50 cf 1.0382, 143.50 cf 1.5188" form: each price is the
    last number before its CF label."""
    numbers = _all_numbers(s)
    cash, factors = [], []
    previous_end = 0
    for m in _CF.finditer(s):
        before = [n for n in numbers if previous_end <= n[0] and n[1] <= m.start()]
        if not before:
            break
        cash.append(before[-1][2])
        factors.append(_to_float(m.group(1)))
        previous_end = m.end()
    return cash, factors


def _ctd(s: str) -> Call | None:
    if not _CTD_KW.search(s):
        return None
    futures_m = _FUTURES.search(s)
    if not futures_m:
        return None
    rest = s[: futures_m.start()] + " " * (futures_m.end() - futures_m.start()) + s[futures_m.end() :]
    cash, factors = _cf_list_bonds(rest)
    if len(cash) < 2:
        return None
    args: dict[str, Any] = {
        "futures_price": _to_float(futures_m.group(1)),
        "cash_prices": cash,
        "conversion_factors": factors,
    }
    return "cheapest_to_deliver", _given(args, days=_first(_DAYS, s))


def _conversion_factor(s: str) -> Call | None:
    if not _CF_KW.search(s) or _FUTURES.search(s) or _CTD_KW.search(s):
        return None
    coupon = _coupon(s)
    if coupon is None:
        return None
    args = _given({"coupon_pct": coupon}, contract=_contract(s))
    dates = _dates(s)
    if dates:
        delivery = _month_year(s, dates)
        if delivery is None and len(dates) >= 2:
            delivery = min(d for _, d in dates)
        if delivery is None:
            return None
        args["maturity"] = max(d for _, d in dates).isoformat()
        args["delivery_month"] = f"{delivery.year}-{delivery.month:02d}"
        return "conversion_factor", args
    term = _YEARS.search(s)
    if term:
        args["years"] = int(term.group(1))
        args["months"] = int(term.group(2) or 0)
        return "conversion_factor", args
    return None


def _invoice(s: str) -> Call | None:
    if not _INVOICE_KW.search(s):
        return None
    futures, cf = _first(_FUTURES, s), _first(_CF, s)
    if futures is None or cf is None:
        return None
    args: dict[str, Any] = {
        "futures_price": futures,
        "conversion_factor": cf,
        "accrued": _first(_ACCRUED, s) or 0.0,
    }
    return "invoice_amount", _given(args, contract=_contract(s), contracts=_first(_CONTRACTS, s))


def _bond_dates(s: str) -> tuple[str, str] | None:
    dates = _dates(s)
    if len(dates) < 2:
        return None
    ordered = sorted(d for _, d in dates)
    return ordered[-1].isoformat(), ordered[0].isoformat()


def _accrued_or_dirty(s: str) -> Call | None:
    dirty = _DIRTY_KW.search(s)
    if not (_ACCRUED_KW.search(s) or dirty):
        return None
    if _IRR_KW.search(s) or _INVOICE_KW.search(s) or _FUTURES.search(s):
        return None
    clean = _first(_CLEAN, s)
    accrued = _first(_ACCRUED, s)
    if dirty and clean is not None and accrued is not None:
        return "dirty_price", {"clean_price": clean, "accrued": accrued}
    coupon = _coupon(s)
    dates = _bond_dates(s)
    if coupon is None or dates is None:
        return None
    maturity, settlement = dates
    if dirty and clean is not None:
        return "dirty_price", {
            "clean_price": clean,
            "coupon_pct": coupon,
            "maturity": maturity,
            "settlement": settlement,
        }
    return "accrued_interest", {"coupon_pct": coupon, "maturity": maturity, "settlement": settlement}


def _yield_or_price(s: str) -> Call | None:
    if not _YIELD_KW.search(s) or _FUTURES.search(s):
        return None
    dates = _bond_dates(s)
    if dates is None:
        return None
    maturity, settlement = dates
    y = _YIELD.search(s)
    coupon_m = _COUPON.search(s)
    if coupon_m is None:
        return None
    coupon = _to_float(next(g for g in coupon_m.groups() if g))
    if y and (y.start() != coupon_m.start()):
        yield_pct = _to_float(y.group(1) or y.group(2))
        if yield_pct != coupon or s.count("%") >= 2:
            return "bond_price", {
                "coupon_pct": coupon,
                "maturity": maturity,
                "settlement": settlement,
                "yield_pct": yield_pct,
            }
    clean = _first(_CLEAN, s)
    if clean is None:
        return None
    return "bond_yield", {
        "coupon_pct": coupon,
        "maturity": maturity,
        "settlement": settlement,
        "clean_price": clean,
    }


def _futures_dv01(s: str) -> Call | None:
    if not _DV01_KW.search(s) or _HEDGE_KW.search(s) or _BP.search(s):
        return None
    ctd = _first(_CTD_DV01, s)
    cf = _first(_CF, s)
    if ctd is None or cf is None:
        return None
    return "futures_dv01", {"ctd_dv01": ctd, "conversion_factor": cf}


def _hedge(s: str) -> Call | None:
    if not _HEDGE_KW.search(s):
        return None
    futures_dv01 = _first(_FUT_DV01, s)
    if futures_dv01 is not None:
        cut = _FUT_DV01.search(s)
        rest = s[: cut.start()] + " " * (cut.end() - cut.start()) + s[cut.end() :]  # type: ignore[union-attr]
        m = _DV01.search(rest)
        if m:
            try:
                return "hedge_ratio_dv01", {
                    "portfolio_dv01": parse_amount(m.group(2)),
                    "futures_dv01": futures_dv01,
                }
            except CalcError:
                return None
    ctd_m = _CTD_DURATION.search(s)
    durations = [m for m in _DURATION.finditer(s)]
    futures = _first(_FUTURES, s)
    if futures is None or not durations:
        return None
    if ctd_m:
        ctd_duration = _to_float(ctd_m.group(1))
        portfolio = [
            m
            for m in durations
            if not (ctd_m.start() <= m.start() < ctd_m.end()) and m.start() != ctd_m.start()
        ]
        portfolio = [m for m in portfolio if _to_float(m.group(1)) != ctd_duration or len(durations) > 1]
    elif len(durations) >= 2:
        ctd_duration = _to_float(durations[1].group(1))
        portfolio = durations[:1]
    else:
        return None
    if not portfolio:
        return None
    value = None
    for m in _AMOUNT.finditer(s):
        try:
            amount = parse_amount(m.group())
        except CalcError:
            continue
        if amount >= 10_000:
            value = amount
            break
    if value is None:
        return None
    args: dict[str, Any] = {
        "portfolio_value": value,
        "portfolio_duration": _to_float(portfolio[0].group(1)),
        "futures_price": futures,
        "ctd_duration": ctd_duration,
    }
    return "hedge_ratio_duration", _given(args, contract=_contract(s))


def _repo_interest(s: str) -> Call | None:
    if not _REPO_KW.search(s) or _IRR_KW.search(s) or not _INTEREST_KW.search(s):
        return None
    rate = _first(_PERCENT, s)
    days = _first(_DAYS, s)
    if rate is None or days is None:
        return None
    for m in _AMOUNT.finditer(s):
        if m.group().rstrip().endswith("%"):
            continue
        end = m.end()
        if s[end : end + 4].lstrip().startswith(("%", "day", "天", "percent")):
            continue
        try:
            principal = parse_amount(m.group())
        except CalcError:
            continue
        if principal >= 1000:
            return "repo_interest", {"principal": principal, "rate_pct": rate, "days": days}
    return None


def _implied_repo(s: str) -> Call | None:
    """Implied repo with accrued interest (or with the bond's coupon and dates)."""
    if not _IRR_KW.search(s):
        return None
    futures, cf = _first(_FUTURES, s), _first(_CF, s)
    clean = _first(
        guarded(
            rf"(?:cash|clean|現貨|现货|淨價|净价|ctd)(?:\s{{0,3}}(?:price|價格|价格|價|价))?+{_GAP}({_N})"
        ),
        s,
    )
    if futures is None or cf is None or clean is None:
        return None
    days = _first(_DAYS, s)
    accrued = [_to_float(m.group(1)) for m in _ACCRUED.finditer(s)]
    first = _ACCRUED.search(s)
    if len(accrued) == 1 and first and _DELIVERY.search(s):
        # "accrued 0.3679 at purchase and 0.8777 at delivery": the next number is the second
        later = [n for n in _all_numbers(s) if n[0] >= first.end() and n[2] != days]
        accrued += [later[0][2]] if later else []
    if len(accrued) >= 2 and days:
        return "implied_repo_rate", {
            "cash_price": clean,
            "futures_price": futures,
            "conversion_factor": cf,
            "days": days,
            "accrued_at_purchase": accrued[0],
            "accrued_at_delivery": accrued[1],
        }
    dates = _dates(s)
    coupon = _coupon(s)
    if len(dates) >= 3 and coupon is not None:
        ordered = sorted(d for _, d in dates)
        return "implied_repo_for_bond", {
            "coupon_pct": coupon,
            "maturity": ordered[-1].isoformat(),
            "clean_price": clean,
            "futures_price": futures,
            "conversion_factor": cf,
            "purchase_date": ordered[0].isoformat(),
            "delivery_date": ordered[1].isoformat(),
        }
    return None


_DAY_COUNT_KW = _kw(
    "day count",
    "days between",
    "how many days",
    "number of days",
    "year fraction",
    "幾天",
    "几天",
    "多少天",
    "天數",
    "天数",
    "計息天數",
    "计息天数",
)
_CONVENTION = guarded(r"(act/act|actual/actual|30/360|act/360|actual/360|act/365f?)(?![\d/])")


def _day_count(s: str) -> Call | None:
    if not _DAY_COUNT_KW.search(s) or _ACCRUED_KW.search(s):
        return None
    dates = _dates(s)
    if len(dates) != 2:
        return None
    args: dict[str, Any] = {"start": dates[0][1].isoformat(), "end": dates[1][1].isoformat()}
    if dates[1][1] < dates[0][1]:
        args = {"start": args["end"], "end": args["start"]}
    convention = _CONVENTION.search(s)
    if convention:
        args["convention"] = convention.group(1)
    return "day_count", args


def desk_call(s: str) -> Call | None:
    """A Treasury-desk formula and its arguments for a normalised message, or None."""
    spec = _specs(s)
    if spec:
        return spec
    if not _DIGIT.search(s):
        return None
    conversion = _price_conversion(s)
    if conversion:
        return conversion
    decimal_s = with_decimal_prices(s)
    for intent in (_exchange_margin, _pnl):
        found = intent(s, decimal_s)
        if found:
            return found
    for simple in (
        _dv01_pnl,
        _futures_dv01,
        _hedge,
        _ctd,
        _implied_repo,
        _invoice,
        _conversion_factor,
        _accrued_or_dirty,
        _yield_or_price,
        _repo_interest,
        _day_count,
    ):
        found = simple(decimal_s)
        if found:
            return found
    return None


def refine(tool: str, args: dict[str, Any], s: str) -> dict[str, Any]:
    """Add the side a message names (short/空頭/做空) to a leverage-model margin call."""
    if tool in ("margin_call_move", "margin_call_price") and "side" not in args and side_words(s) == "short":
        return {**args, "side": "short"}
    return args

"""Basis-trade arithmetic that shows its working, so answers can be checked by hand.

Conventions (kept the same everywhere so the bot never mixes them up):

* ``leverage`` is a multiple: 50 means 50x (position = 50 × equity).
* ``haircut`` and ``maintenance_margin`` are fractions: 0.02 means 2%.
* Arguments and results named ``*_pct`` / with unit ``"%"`` are percent
  numbers: 2 means 2%.  ``haircut_from_leverage`` returns a fraction (the
  mirror of :func:`leverage_from_haircut`'s input), with unit ``"fraction"``.
* Prices are in points per 100 of face value, as quoted for Treasuries.

Every function returns a :class:`Working` and raises :class:`CalcError` for
inputs that make no sense.  ``chinese=True`` writes the same working in
Traditional Chinese with 萬/億 amounts (the caller converts script).

Every formula is registered in :data:`FORMULAS` by the ``@formula`` decorator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.calc.evaluator import evaluate, format_number
from bot.errors import CalcError

#: Every formula by name, in the order tools are offered: the router calls them by name and
#: :mod:`bot.calc.tools` wraps each as a LangChain tool.  Adding a formula is adding one
#: ``@formula`` function with an ``Args:`` docstring.
FORMULAS: dict[str, Callable[..., Working]] = {}


def formula(func: Callable[..., Working]) -> Callable[..., Working]:
    FORMULAS[func.__name__] = func
    return func



@dataclass(frozen=True)
class Working:
    """A one-line answer plus the arithmetic behind it."""

    value: float
    summary: str
    steps: list[str]
    unit: str

    @property
    def text(self) -> str:
        """Summary and steps as one message, ready for chat."""
        return "\n".join([self.summary, *(f"• {step}" for step in self.steps)])


# ------------------------------------------------------------------ helpers


def as_number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CalcError(f"{name} must be a number.") from None
    if not math.isfinite(number):
        raise CalcError(f"{name} must be a finite number.")
    return number


def as_positive(name: str, value: Any) -> float:
    number = as_number(name, value)
    if number <= 0:
        raise CalcError(f"{name} must be greater than 0.")
    return number


def clean(value: float) -> float:
    """Round away binary noise (110 × 0.91 = 100.10000000000001)."""
    if not math.isfinite(value):
        raise CalcError("Number too large.")
    return float(f"{value:.12g}")


def _n(value: float, chinese: bool = False) -> str:
    return format_number(clean(value), chinese=chinese)


def _pct(fraction: float) -> str:
    """A fraction written as a percent with at most four decimals."""
    return f"{format_number(round(fraction * 100, 4))}%"


def _lang(chinese: bool, en: str, zh: str) -> str:
    return zh if chinese else en


# ------------------------------------------------------------- leverage


@formula
def calculator(expression: str, *, chinese: bool = False) -> Working:
    """Evaluate arithmetic safely; understands 萬/億/兆, k/m/bn, %, bp and full-width input.

    Args:
        expression: Arithmetic such as "1000萬 * 50", "3.5% * 250m" or "sqrt(2)".
    """
    result = evaluate(expression)
    shown = format_number(result.value, chinese=chinese or result.chinese_units)
    return Working(value=result.value, summary=f"{expression.strip()} = {shown}", steps=[], unit="")


@formula
def position_size(equity: float, leverage: float, *, chinese: bool = False) -> Working:
    """Position a given equity controls at a leverage (position = equity × leverage).

    Args:
        equity: Own money (equity) in currency units, e.g. 10000000.
        leverage: Leverage multiple, e.g. 50 for 50x.
    """
    equity = as_positive("Equity", equity)
    leverage = as_positive("Leverage", leverage)
    position = clean(equity * leverage)
    calc = f"{_n(equity, chinese)} × {_n(leverage)} = {_n(position, chinese)}"
    return Working(
        value=position,
        summary=_lang(chinese, f"Position = {calc}", f"部位 = {calc}"),
        steps=[
            _lang(chinese, "position = equity × leverage", "部位 = 本金 × 槓桿倍數"),
            calc,
        ],
        unit="amount",
    )


@formula
def equity_needed(position: float, leverage: float, *, chinese: bool = False) -> Working:
    """Own money needed to carry a position at a leverage (equity = position ÷ leverage).

    Args:
        position: Position size in currency units, e.g. 500000000.
        leverage: Leverage multiple, e.g. 25 for 25x.
    """
    position = as_positive("Position", position)
    leverage = as_positive("Leverage", leverage)
    equity = clean(position / leverage)
    calc = f"{_n(position, chinese)} ÷ {_n(leverage)} = {_n(equity, chinese)}"
    return Working(
        value=equity,
        summary=_lang(chinese, f"Equity needed = {calc}", f"所需本金 = {calc}"),
        steps=[
            _lang(chinese, "equity = position ÷ leverage", "本金 = 部位 ÷ 槓桿倍數"),
            calc,
        ],
        unit="amount",
    )


@formula
def leverage_ratio(position: float, equity: float, *, chinese: bool = False) -> Working:
    """Leverage actually run: position ÷ equity.

    Args:
        position: Position size in currency units, e.g. 600000000.
        equity: Own money (equity) in currency units, e.g. 15000000.
    """
    position = as_positive("Position", position)
    equity = as_positive("Equity", equity)
    leverage = clean(position / equity)
    calc = f"{_n(position, chinese)} ÷ {_n(equity, chinese)} = {_n(leverage)}"
    return Working(
        value=leverage,
        summary=_lang(chinese, f"Leverage = {calc}x", f"槓桿 = {calc} 倍"),
        steps=[
            _lang(chinese, "leverage = position ÷ equity", "槓桿倍數 = 部位 ÷ 本金"),
            calc,
        ],
        unit="x",
    )


def _haircut(value: Any) -> float:
    haircut = as_number("Haircut", value)
    if not 0 < haircut <= 1:
        raise CalcError("Haircut must be a fraction in (0, 1], e.g. 0.02 for 2%.")
    return haircut


@formula
def leverage_from_haircut(haircut: float, *, chinese: bool = False) -> Working:
    """Most leverage repo financing allows: the haircut is the equity slice (L = 1 ÷ h).

    Args:
        haircut: Haircut as a fraction, e.g. 0.02 for 2%.
    """
    haircut = _haircut(haircut)
    leverage = clean(1 / haircut)
    calc = f"1 ÷ {_pct(haircut)} = {_n(leverage)}"
    return Working(
        value=leverage,
        summary=_lang(chinese, f"Max leverage = {calc}x", f"最高槓桿 = {calc} 倍"),
        steps=[
            _lang(chinese, "leverage = 1 ÷ haircut", "槓桿倍數 = 1 ÷ 折價率(haircut)"),
            f"1 ÷ {_n(haircut)} = {_n(leverage)}",
            _lang(
                chinese,
                f"each 100 of bonds needs {_n(haircut * 100)} of own money",
                f"每 100 的債券需要自備 {_n(haircut * 100)}",
            ),
        ],
        unit="x",
    )


@formula
def haircut_from_leverage(leverage: float, *, chinese: bool = False) -> Working:
    """Haircut implied by a leverage (h = 1 ÷ L); the value is a fraction, 0.02 = 2%.

    Args:
        leverage: Leverage multiple, at least 1, e.g. 50 for 50x.
    """
    leverage = as_positive("Leverage", leverage)
    if leverage < 1:
        raise CalcError("Leverage must be at least 1 for a haircut.")
    haircut = clean(1 / leverage)
    calc = f"1 ÷ {_n(leverage)} = {_pct(haircut)}"
    return Working(
        value=haircut,
        summary=_lang(chinese, f"Haircut = {calc}", f"折價率 = {calc}"),
        steps=[
            _lang(chinese, "haircut = 1 ÷ leverage", "折價率 = 1 ÷ 槓桿倍數"),
            f"1 ÷ {_n(leverage)} = {_n(haircut)} = {_pct(haircut)}",
        ],
        unit="fraction",
    )


@formula
def loss_from_move(
    leverage: float,
    move_pct: float,
    equity: float | None = None,
    *,
    chinese: bool = False,
) -> Working:
    """Share of equity lost when prices move against a leveraged position.

    ``move_pct`` is the size of the adverse move in percent (its sign is
    ignored).  The value is the loss in percent of equity: leverage × move,
    so 2% at 50x is 100%, i.e. wiped out.  With ``equity`` the money amount is
    added to the working.

    Args:
        leverage: Leverage multiple, e.g. 50 for 50x.
        move_pct: Size of the adverse price move in percent, e.g. 2 for 2%.
        equity: Optional own money in currency units, to get the loss in money.
    """
    leverage = as_positive("Leverage", leverage)
    move = abs(as_number("Move", move_pct))
    loss_pct = clean(leverage * move)
    calc = f"{_n(leverage)} × {_n(move)}% = {_n(loss_pct)}%"
    steps = [
        _lang(
            chinese,
            "loss as % of equity = leverage × price move",
            "虧損佔本金比例 = 槓桿倍數 × 價格變動",
        ),
        calc,
    ]
    summary = _lang(chinese, f"Loss = {calc} of equity", f"虧損 = {calc} 的本金")
    if equity is not None:
        equity = as_positive("Equity", equity)
        money = clean(equity * loss_pct / 100)
        money_calc = f"{_n(equity, chinese)} × {_n(loss_pct)}% = {_n(money, chinese)}"
        steps.append(money_calc)
        summary += _lang(chinese, f" = {_n(money)}", f" = {_n(money, True)}")
    if loss_pct > 100:
        note = _lang(
            chinese,
            "more than the whole equity: wiped out, and the lender is exposed",
            "超過全部本金:爆倉,且貸方承擔缺口",
        )
    elif loss_pct == 100:
        note = _lang(chinese, "the whole equity: wiped out", "全部本金:爆倉")
    else:
        note = ""
    if note:
        summary += f" ({note})"
    return Working(value=loss_pct, summary=summary, steps=steps, unit="%")


@formula
def wipeout_move(leverage: float, *, chinese: bool = False) -> Working:
    """Adverse price move that erases all equity: 1 ÷ leverage (50x → 2%).

    Args:
        leverage: Leverage multiple, e.g. 50 for 50x.
    """
    leverage = as_positive("Leverage", leverage)
    move = 1 / leverage
    calc = f"1 ÷ {_n(leverage)} = {_pct(move)}"
    return Working(
        value=clean(move * 100),
        summary=_lang(
            chinese,
            f"Wipe-out move = {calc} against the position",
            f"爆倉跌幅 = {calc}",
        ),
        steps=[
            _lang(
                chinese,
                "equity is 1 ÷ leverage of the position, so a move that size erases it",
                "本金只佔部位的 1 ÷ 槓桿倍數,價格反向變動這麼多本金就歸零",
            ),
            f"1 ÷ {_n(leverage)} = {_n(move)} = {_pct(move)}",
        ],
        unit="%",
    )


def _margin_move(leverage: float, maintenance_margin: float) -> tuple[float, float, float]:
    leverage = as_positive("Leverage", leverage)
    mm = as_number("Maintenance margin", maintenance_margin)
    if not 0 <= mm < 1:
        raise CalcError("Maintenance margin must be a fraction in [0, 1), e.g. 0.01 for 1%.")
    initial = 1 / leverage
    if mm >= initial:
        raise CalcError(
            f"Maintenance margin {_pct(mm)} is not below the initial margin "
            f"{_pct(initial)} (1 ÷ {_n(leverage)}): the call would be immediate."
        )
    return leverage, mm, (initial - mm) / (1 - mm)


@formula
def margin_call_move(
    leverage: float, maintenance_margin: float, *, chinese: bool = False
) -> Working:
    """Adverse move (percent) at which equity ÷ position falls to the maintenance margin.

    Start: equity = P ÷ L.  After a move m the equity is P ÷ L − P·m and the
    position is worth P·(1 − m); solving (1/L − m) ÷ (1 − m) = mm gives
    m = (1/L − mm) ÷ (1 − mm).

    Args:
        leverage: Leverage multiple, e.g. 50 for 50x.
        maintenance_margin: Maintenance margin as a fraction, e.g. 0.01 for 1%.
    """
    leverage, mm, move = _margin_move(leverage, maintenance_margin)
    initial = 1 / leverage
    return Working(
        value=clean(move * 100),
        summary=_lang(
            chinese,
            f"Margin call after a {_pct(move)} adverse move",
            f"價格反向變動 {_pct(move)} 時觸發追繳保證金",
        ),
        steps=[
            _lang(
                chinese,
                "margin after a move m = (1/L − m) ÷ (1 − m); set it equal to the maintenance margin",
                "變動 m 後的保證金比例 = (1/L − m) ÷ (1 − m),令其等於維持保證金",
            ),
            "m = (1/L − mm) ÷ (1 − mm)",
            f"({_n(initial)} − {_n(mm)}) ÷ (1 − {_n(mm)}) = {_n(move)} = {_pct(move)}",
        ],
        unit="%",
    )


@formula
def margin_call_price(
    price: float, leverage: float, maintenance_margin: float, *, chinese: bool = False
) -> Working:
    """Price at which a long position gets a margin call: price × (1 − m).

    Args:
        price: Entry price of the long position, e.g. 100.
        leverage: Leverage multiple, e.g. 50 for 50x.
        maintenance_margin: Maintenance margin as a fraction, e.g. 0.01 for 1%.
    """
    price = as_positive("Price", price)
    _, _, move = _margin_move(leverage, maintenance_margin)
    trigger = clean(price * (1 - move))
    calc = f"{_n(price)} × (1 − {_pct(move)}) = {_n(trigger)}"
    return Working(
        value=trigger,
        summary=_lang(chinese, f"Margin call price = {calc}", f"追繳保證金價格 = {calc}"),
        steps=[
            _lang(
                chinese,
                "adverse move m = (1/L − mm) ÷ (1 − mm) = " + _pct(move),
                "反向變動 m = (1/L − mm) ÷ (1 − mm) = " + _pct(move),
            ),
            calc,
        ],
        unit="price",
    )


# ---------------------------------------------------------------- basis


@formula
def gross_basis(
    cash_price: float, futures_price: float, conversion_factor: float, *, chinese: bool = False
) -> Working:
    """Cash bond price minus what the futures pay for it: cash − futures × CF.

    Args:
        cash_price: Cash bond price in points per 100, e.g. 100.5.
        futures_price: Futures price in points, e.g. 110.
        conversion_factor: The bond's conversion factor, e.g. 0.91.
    """
    cash = as_positive("Cash price", cash_price)
    futures = as_positive("Futures price", futures_price)
    cf = as_positive("Conversion factor", conversion_factor)
    invoice = clean(futures * cf)
    basis = clean(cash - invoice)
    return Working(
        value=basis,
        summary=_lang(
            chinese,
            f"Gross basis = {_n(cash)} − {_n(futures)} × {_n(cf)} = {_n(basis)}",
            f"總基差 = {_n(cash)} − {_n(futures)} × {_n(cf)} = {_n(basis)}",
        ),
        steps=[
            _lang(
                chinese,
                "gross basis = cash price − futures price × conversion factor",
                "總基差 = 現貨價格 − 期貨價格 × 轉換因子",
            ),
            f"{_n(futures)} × {_n(cf)} = {_n(invoice)}",
            f"{_n(cash)} − {_n(invoice)} = {_n(basis)}",
        ],
        unit="points",
    )


@formula
def carry(coupon_income: float, financing_cost: float, *, chinese: bool = False) -> Working:
    """What holding the bond earns: coupon income − repo financing cost.

    Args:
        coupon_income: Coupon income over the holding period, in points.
        financing_cost: Repo financing cost over the same period, in points.
    """
    income = as_number("Coupon income", coupon_income)
    cost = as_number("Financing cost", financing_cost)
    value = clean(income - cost)
    calc = f"{_n(income)} − {_n(cost)} = {_n(value)}"
    return Working(
        value=value,
        summary=_lang(chinese, f"Carry = {calc}", f"持有收益(carry) = {calc}"),
        steps=[
            _lang(chinese, "carry = coupon income − financing cost", "carry = 票息收入 − 融資成本"),
            calc,
        ],
        unit="points",
    )


@formula
def net_basis(gross_basis: float, carry: float, *, chinese: bool = False) -> Working:
    """Basis left after carry: gross basis − carry (what the trade really earns).

    Args:
        gross_basis: Gross basis in points.
        carry: Carry in points (coupon income − financing cost).
    """
    gross = as_number("Gross basis", gross_basis)
    carry_value = as_number("Carry", carry)
    value = clean(gross - carry_value)
    calc = f"{_n(gross)} − {_n(carry_value)} = {_n(value)}"
    return Working(
        value=value,
        summary=_lang(chinese, f"Net basis = {calc}", f"淨基差 = {calc}"),
        steps=[
            _lang(chinese, "net basis = gross basis − carry", "淨基差 = 總基差 − carry"),
            calc,
        ],
        unit="points",
    )


@formula
def implied_repo_rate(
    cash_price: float,
    futures_price: float,
    conversion_factor: float,
    days: float,
    coupon_income: float = 0.0,
    *,
    chinese: bool = False,
) -> Working:
    """Financing rate at which buying cash and delivering into futures breaks even.

    Simple interest, ACT/360: ((futures × CF + coupon income) ÷ cash − 1) ×
    360 ÷ days, as a percent.  Accrued interest is not modelled; pass full
    (dirty) prices and include accrued in ``coupon_income`` for precision.

    Args:
        cash_price: Cash bond price in points per 100.
        futures_price: Futures price in points.
        conversion_factor: The bond's conversion factor.
        days: Days until delivery.
        coupon_income: Coupon received until delivery, in points (default 0).
    """
    cash = as_positive("Cash price", cash_price)
    futures = as_positive("Futures price", futures_price)
    cf = as_positive("Conversion factor", conversion_factor)
    days = as_positive("Days", days)
    income = as_number("Coupon income", coupon_income)
    invoice = clean(futures * cf)
    period = clean((invoice + income) / cash - 1)
    rate = clean(period * 360 / days)
    return Working(
        value=clean(rate * 100),
        summary=_lang(
            chinese,
            f"Implied repo rate = {_pct(rate)} (simple, ACT/360)",
            f"隱含回購利率 = {_pct(rate)}(單利,ACT/360)",
        ),
        steps=[
            _lang(
                chinese,
                "IRR = ((futures × CF + coupon income) ÷ cash − 1) × 360 ÷ days",
                "隱含回購利率 = ((期貨 × 轉換因子 + 票息收入) ÷ 現貨 − 1) × 360 ÷ 天數",
            ),
            f"{_n(futures)} × {_n(cf)} = {_n(invoice)}",
            f"({_n(invoice)} + {_n(income)}) ÷ {_n(cash)} − 1 = {_n(period)}",
            f"{_n(period)} × 360 ÷ {_n(days)} = {_n(rate)} = {_pct(rate)}",
        ],
        unit="%",
    )


@formula
def dv01_pnl(dv01: float, bp_move: float, *, chinese: bool = False) -> Working:
    """P&L of a long bond position for a yield change: −DV01 × bp.

    Sign: ``bp_move`` > 0 means yields rise, which makes a long position lose
    (prices fall).  Pass a negative DV01 for a net short position.

    Args:
        dv01: Money gained or lost per 1bp yield change, e.g. 50000.
        bp_move: Yield change in basis points; positive means yields rise.
    """
    dv01 = as_number("DV01", dv01)
    bp = as_number("Yield move (bp)", bp_move)
    pnl = clean(-dv01 * bp)
    shown = _n(dv01, chinese)
    minus_dv01 = f"−({shown})" if dv01 < 0 else f"−{shown}"
    calc = f"{minus_dv01} × {_n(bp)}bp = {_n(pnl, chinese)}"
    return Working(
        value=pnl,
        summary=_lang(chinese, f"P&L = {calc}", f"損益 = {calc}"),
        steps=[
            _lang(
                chinese,
                "P&L ≈ −DV01 × yield change in bp (long bonds lose when yields rise)",
                "損益 ≈ −DV01 × 殖利率變動(基點);殖利率上升時多頭虧損",
            ),
            calc,
        ],
        unit="amount",
    )

"""Basis-trade arithmetic that shows its working, so answers can be checked by hand.

Conventions (kept the same everywhere so the bot never mixes them up):

* ``leverage`` is a multiple: 50 means 50x (position = 50 × equity).
* ``haircut`` and ``maintenance_margin`` are fractions: 0.02 means 2%.
* Arguments and results named ``*_pct`` / with unit ``"%"`` are percent
  numbers: 2 means 2%.  ``haircut_from_leverage`` returns a fraction (the
  mirror of :func:`leverage_from_haircut`'s input), with unit ``"fraction"``.
* Prices are in points per 100 of face value, as quoted for Treasuries; price
  arguments also take 32nds quotes ("99-16+", see :mod:`bot.calc.prices`).
* Treasury-futures rules live in :mod:`bot.calc.futures` (pure Python) and bond
  maths in :mod:`bot.calc.bonds` (QuantLib, imported only when called).
* Margin has two models and every answer names its own: the leverage-and-haircut
  view (:func:`margin_call_move`, maintenance re-marked on current value) and
  exchange margin in fixed dollars per contract (:func:`futures_margin_call`).

Every function returns a :class:`Working` and raises :class:`CalcError` for
inputs that make no sense.  ``chinese=True`` writes the same working in
Traditional Chinese with 萬/億 amounts (the caller converts script).

Every formula is registered in :data:`FORMULAS` by the ``@formula`` decorator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.calc import bonds, prices
from bot.calc import futures as fut
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


#: One text in English and in Traditional Chinese, picked by ``_lang(chinese, *pair)``.
Bilingual = tuple[str, str]


def _working(
    chinese: bool,
    value: float,
    unit: str,
    *,
    name: Bilingual,
    rule: Bilingual,
    calc: str,
    after: Bilingual = ("", ""),
    steps: Sequence[str] | None = None,
) -> Working:
    """The shape most formulas share, written once: "<name> = <calc><after>", then the rule in words.

    ``steps`` are the lines after the rule; by default the ``calc`` line alone.
    """
    return Working(
        value=value,
        summary=f"{_lang(chinese, *name)} = {calc}{_lang(chinese, *after)}",
        steps=[_lang(chinese, *rule), *(steps if steps is not None else [calc])],
        unit=unit,
    )


# ------------------------------------------------------------- leverage


@formula
def calculator(expression: str, *, chinese: bool = False) -> Working:
    """Evaluate arithmetic safely; understands 萬/億/兆, k/m/bn, %, bp and full-width input.

    Args:
        expression: Arithmetic such as "1000萬 * 50", "3.5% * 250m" or "sqrt(2)".
    """
    text = expression.strip()
    quote = prices.is_32nds(text)
    if quote and ("+" in text or "'" in text):
        return price_32nds(text, chinese=chinese)  # "99-16+" has no arithmetic reading
    result = evaluate(expression)
    shown = format_number(result.value, chinese=chinese or result.chinese_units)
    steps = []
    if quote:
        as_price = prices.parse_32nds(text)
        steps.append(_lang(chinese, f"as a 32nds price: {_n(as_price)}", f"若為32分位報價: {_n(as_price)}"))
    return Working(value=result.value, summary=f"{text} = {shown}", steps=steps, unit="")


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
    return _working(
        chinese,
        position,
        "amount",
        name=("Position", "部位"),
        rule=("position = equity × leverage", "部位 = 本金 × 槓桿倍數"),
        calc=calc,
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
    return _working(
        chinese,
        equity,
        "amount",
        name=("Equity needed", "所需本金"),
        rule=("equity = position ÷ leverage", "本金 = 部位 ÷ 槓桿倍數"),
        calc=calc,
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
    return _working(
        chinese,
        leverage,
        "x",
        name=("Leverage", "槓桿"),
        rule=("leverage = position ÷ equity", "槓桿倍數 = 部位 ÷ 本金"),
        calc=calc,
        after=("x", " 倍"),
    )


def _haircut(value: Any) -> float:
    haircut = as_number("Haircut", value)
    if not 0 <= haircut <= 1:
        raise CalcError("Haircut must be a fraction in [0, 1], e.g. 0.02 for 2%.")
    return haircut


@formula
def leverage_from_haircut(haircut: float, *, chinese: bool = False) -> Working:
    """Most leverage repo financing allows: the haircut is the equity slice (L = 1 ÷ h).

    A 0% haircut sets no cap (the answer says so, value ``inf``).

    Args:
        haircut: Haircut as a fraction, e.g. 0.02 for 2%; 0 means no haircut.
    """
    haircut = _haircut(haircut)
    if haircut == 0:
        return Working(
            value=math.inf,
            summary=_lang(
                chinese,
                "No cap from the haircut; margin and the lender's limits still apply",
                "折價率不設槓桿上限;保證金與貸方的額度限制仍然適用",
            ),
            steps=[
                _lang(
                    chinese,
                    "leverage = 1 ÷ haircut has no finite value at 0%: the repo lender finances the whole bond",
                    "槓桿倍數 = 1 ÷ 折價率,折價率為0%時沒有上限:回購貸方融資整張債券",
                )
            ],
            unit="x",
        )
    leverage = clean(1 / haircut)
    return _working(
        chinese,
        leverage,
        "x",
        name=("Max leverage", "最高槓桿"),
        rule=("leverage = 1 ÷ haircut", "槓桿倍數 = 1 ÷ 折價率(haircut)"),
        calc=f"1 ÷ {_pct(haircut)} = {_n(leverage)}",
        after=("x", " 倍"),
        steps=[
            f"1 ÷ {_n(haircut)} = {_n(leverage)}",
            _lang(
                chinese,
                f"each 100 of bonds needs {_n(haircut * 100)} of own money",
                f"每 100 的債券需要自備 {_n(haircut * 100)}",
            ),
        ],
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
    return _working(
        chinese,
        haircut,
        "fraction",
        name=("Haircut", "折價率"),
        rule=("haircut = 1 ÷ leverage", "折價率 = 1 ÷ 槓桿倍數"),
        calc=f"1 ÷ {_n(leverage)} = {_pct(haircut)}",
        steps=[f"1 ÷ {_n(leverage)} = {_n(haircut)} = {_pct(haircut)}"],
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
    return _working(
        chinese,
        clean(move * 100),
        "%",
        name=("Wipe-out move", "爆倉跌幅"),
        rule=(
            "equity is 1 ÷ leverage of the position, so a move that size erases it",
            "本金只佔部位的 1 ÷ 槓桿倍數,價格反向變動這麼多本金就歸零",
        ),
        calc=f"1 ÷ {_n(leverage)} = {_pct(move)}",
        after=(" against the position", ""),
        steps=[f"1 ÷ {_n(leverage)} = {_n(move)} = {_pct(move)}"],
    )


_LONG_WORDS = ("long", "buy", "bought", "多", "多頭", "做多", "買", "买")
_SHORT_WORDS = ("short", "sell", "sold", "空", "空頭", "做空", "賣", "卖")


def side_of(value: Any) -> str:
    """ "long" or "short" from the words people use (多頭/做多/空頭/做空 too)."""
    text = str(value).strip().lower()
    if text in _LONG_WORDS or text in ("多头", "long position"):
        return "long"
    if text in _SHORT_WORDS or text in ("空头", "short position"):
        return "short"
    raise CalcError("Side must be long or short.")


def _side_name(side: str, chinese: bool) -> str:
    return _lang(chinese, side, "多頭" if side == "long" else "空頭")


_LEVERAGE_MODEL = (
    "model: leverage and haircut (maintenance re-marked as a share of the position's current value, "
    "as a repo lender does; for exchange margin in fixed dollars per contract use futures_margin_call)",
    "模型:槓桿與折價率(維持保證金按部位現值的比例重新計算,如回購貸方;"
    "交易所按每口固定金額計的保證金請用 futures_margin_call)",
)


def _margin_move(
    leverage: float, maintenance_margin: float, side: str = "long"
) -> tuple[float, float, float]:
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
    if side == "short":
        return leverage, mm, (initial - mm) / (1 + mm)
    return leverage, mm, (initial - mm) / (1 - mm)


@formula
def margin_call_move(
    leverage: float, maintenance_margin: float, side: str = "long", *, chinese: bool = False
) -> Working:
    """Adverse move (percent) at which equity ÷ position value falls to the maintenance margin.

    Leverage-and-haircut model.  Long: after a fall m the equity is P ÷ L − P·m
    and the position is worth P·(1 − m), so m = (1/L − mm) ÷ (1 − mm).  Short: the
    adverse move is a rise, the position is worth P·(1 + m), so m = (1/L − mm) ÷ (1 + mm).

    Args:
        leverage: Leverage multiple, e.g. 50 for 50x.
        maintenance_margin: Maintenance margin as a fraction of position value, e.g. 0.01 for 1%.
        side: "long" (default) or "short".
    """
    side = side_of(side)
    leverage, mm, move = _margin_move(leverage, maintenance_margin, side)
    initial = 1 / leverage
    sign = "−" if side == "long" else "+"
    direction = _lang(chinese, "fall" if side == "long" else "rise", "下跌" if side == "long" else "上漲")
    return Working(
        value=clean(move * 100),
        summary=_lang(
            chinese,
            f"Margin call after a {_pct(move)} {direction} ({side})",
            f"{_side_name(side, True)}在價格{direction} {_pct(move)} 時觸發追繳保證金",
        ),
        steps=[
            _lang(chinese, *_LEVERAGE_MODEL),
            _lang(
                chinese,
                f"margin after a move m = (1/L − m) ÷ (1 {sign} m); set it equal to the maintenance margin",
                f"變動 m 後的保證金比例 = (1/L − m) ÷ (1 {sign} m),令其等於維持保證金",
            ),
            f"m = (1/L − mm) ÷ (1 {sign} mm)",
            f"({_n(initial)} − {_n(mm)}) ÷ (1 {sign} {_n(mm)}) = {_n(move)} = {_pct(move)}",
        ],
        unit="%",
    )


@formula
def margin_call_price(
    price: float | str,
    leverage: float,
    maintenance_margin: float,
    side: str = "long",
    *,
    chinese: bool = False,
) -> Working:
    """Price that triggers a margin call in the leverage model: long price × (1 − m), short × (1 + m).

    Args:
        price: Entry price, decimal or 32nds ("99-16"), e.g. 100.
        leverage: Leverage multiple, e.g. 50 for 50x.
        maintenance_margin: Maintenance margin as a fraction of position value, e.g. 0.01 for 1%.
        side: "long" (default) or "short".
    """
    price = prices.as_price("Price", price)
    side = side_of(side)
    _, _, move = _margin_move(leverage, maintenance_margin, side)
    sign = "−" if side == "long" else "+"
    trigger = clean(price * (1 - move) if side == "long" else price * (1 + move))
    calc = f"{_n(price)} × (1 {sign} {_pct(move)}) = {_n(trigger)}"
    return _working(
        chinese,
        trigger,
        "price",
        name=(f"Margin call price ({side})", f"{_side_name(side, True)}追繳保證金價格"),
        rule=_LEVERAGE_MODEL,
        calc=calc,
        steps=[
            _lang(
                chinese,
                f"adverse move m = (1/L − mm) ÷ (1 {sign} mm) = " + _pct(move),
                f"反向變動 m = (1/L − mm) ÷ (1 {sign} mm) = " + _pct(move),
            ),
            calc,
        ],
    )


# ---------------------------------------------------------------- basis


def _price(value: float) -> str:
    """A price in decimal and, where it falls on the grid, in 32nds: "99.5 (99-16)"."""
    quote = prices.format_32nds(value)
    return _n(value) if quote.startswith("≈") else f"{_n(value)} ({quote})"


@formula
def gross_basis(
    cash_price: float | str, futures_price: float | str, conversion_factor: float, *, chinese: bool = False
) -> Working:
    """Cash bond price minus what the futures pay for it: cash − futures × CF, in points and 32nds.

    Args:
        cash_price: Cash bond (clean) price per 100, decimal or 32nds, e.g. 99.5 or "99-16".
        futures_price: Futures price, decimal or 32nds, e.g. 110 or "117-18+".
        conversion_factor: The bond's conversion factor, e.g. 0.91.
    """
    cash = prices.as_price("Cash price", cash_price)
    futures = prices.as_price("Futures price", futures_price)
    cf = as_positive("Conversion factor", conversion_factor)
    invoice = clean(futures * cf)
    basis = clean(cash - invoice)
    in_32 = prices.points_in_32nds(basis)
    return _working(
        chinese,
        basis,
        "points",
        name=("Gross basis", "總基差"),
        rule=(
            "gross basis = cash price − futures price × conversion factor",
            "總基差 = 現貨價格 − 期貨價格 × 轉換因子",
        ),
        calc=f"{_n(cash)} − {_n(futures)} × {_n(cf)} = {_n(round(basis, 6))}",
        after=(f" points = {in_32}", f" 點 = {in_32}"),
        steps=[
            _lang(
                chinese,
                f"cash {_price(cash)}, futures {_price(futures)}",
                f"現貨 {_price(cash)},期貨 {_price(futures)}",
            ),
            f"{_n(futures)} × {_n(cf)} = {_n(invoice)}",
            f"{_n(cash)} − {_n(invoice)} = {_n(basis)} = {in_32}",
        ],
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
    return _working(
        chinese,
        value,
        "points",
        name=("Carry", "持有收益(carry)"),
        rule=("carry = coupon income − financing cost", "carry = 票息收入 − 融資成本"),
        calc=f"{_n(income)} − {_n(cost)} = {_n(value)}",
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
    return _working(
        chinese,
        value,
        "points",
        name=("Net basis", "淨基差"),
        rule=("net basis = gross basis − carry", "淨基差 = 總基差 − carry"),
        calc=f"{_n(gross)} − {_n(carry_value)} = {_n(value)}",
    )


@formula
def implied_repo_rate(
    cash_price: float | str,
    futures_price: float | str,
    conversion_factor: float,
    days: float,
    coupon_income: float = 0.0,
    accrued_at_purchase: float = 0.0,
    accrued_at_delivery: float = 0.0,
    days_coupon_to_delivery: float = 0.0,
    *,
    chinese: bool = False,
) -> Working:
    """Financing rate at which buying cash and delivering into futures breaks even (CME, ACT/360).

    IRR = (invoice + coupon − cost) × 360 ÷ (cost × days − coupon × days after the coupon),
    with cost = clean + accrued at purchase and invoice = futures × CF + accrued at
    delivery.  For a coupon bond leave out the accrued only if the prices are dirty.

    Args:
        cash_price: Cash bond clean price per 100, decimal or 32nds ("101-072").
        futures_price: Futures price, decimal or 32nds ("125-08+").
        conversion_factor: The bond's conversion factor.
        days: Days from purchase (settlement) to delivery.
        coupon_income: Coupon paid between purchase and delivery, per 100 (default 0).
        accrued_at_purchase: Accrued interest per 100 at purchase (default 0).
        accrued_at_delivery: Accrued interest per 100 at delivery (default 0).
        days_coupon_to_delivery: Days from that coupon to delivery, for its reinvestment (default 0).
    """
    cash = prices.as_price("Cash price", cash_price)
    futures = prices.as_price("Futures price", futures_price)
    cf = as_positive("Conversion factor", conversion_factor)
    days = as_positive("Days", days)
    if days > 3660:
        raise CalcError("Days must be at most 3,660.")
    income = as_number("Coupon income", coupon_income)
    ai0 = as_number("Accrued at purchase", accrued_at_purchase)
    ai1 = as_number("Accrued at delivery", accrued_at_delivery)
    after = as_number("Days from coupon to delivery", days_coupon_to_delivery)
    if min(ai0, ai1, income, after) < 0:
        raise CalcError("Accrued interest, coupon and days must not be negative.")
    if after >= days and income:
        raise CalcError("Days after the coupon must be fewer than the days to delivery.")
    repo = fut.implied_repo(cash, futures, cf, days, ai0, ai1, income, after)
    rate = clean(repo.rate)
    steps = [
        _lang(
            chinese,
            f"cost = {_n(cash)} + accrued {_n(ai0)} = {_n(repo.cost)}",
            f"成本 = {_n(cash)} + 應計利息 {_n(ai0)} = {_n(repo.cost)}",
        ),
        _lang(
            chinese,
            f"invoice = {_n(futures)} × {_n(cf)} + accrued {_n(ai1)} = {_n(repo.invoice)}",
            f"發票金額 = {_n(futures)} × {_n(cf)} + 應計利息 {_n(ai1)} = {_n(repo.invoice)}",
        ),
    ]
    coupon_days = f" − {_n(income)} × {_n(after)}" if income and after else ""
    steps.append(
        f"({_n(repo.invoice)} + {_n(income)} − {_n(repo.cost)}) × 360 ÷ ({_n(repo.cost)} × {_n(days)}{coupon_days})"
        f" = {_pct(rate)}"
    )
    if not ai0 and not ai1:
        steps.append(
            _lang(
                chinese,
                "no accrued interest given: right only for dirty prices; for a coupon bond give the accrued "
                "at purchase and at delivery (or use implied_repo_for_bond with its coupon and maturity)",
                "未提供應計利息:僅適用於含息價格;附息債券請提供買入時與交割時的應計利息"
                "(或用 implied_repo_for_bond 輸入票息與到期日)",
            )
        )
    return _working(
        chinese,
        clean(rate * 100),
        "%",
        name=("Implied repo rate", "隱含回購利率"),
        rule=(
            "IRR = (invoice + coupon − cost) × 360 ÷ (cost × days − coupon × days after coupon)",
            "隱含回購利率 = (發票金額 + 票息 − 成本) × 360 ÷ (成本 × 天數 − 票息 × 付息後天數)",
        ),
        calc=_pct(rate),
        after=(" (simple, ACT/360)", "(單利,ACT/360)"),
        steps=steps,
    )


@formula
def dv01_pnl(dv01: float, bp_move: float, side: str | None = None, *, chinese: bool = False) -> Working:
    """P&L of a rates position for a yield change: −DV01 × bp for a long, +DV01 × bp for a short.

    ``bp_move`` > 0 means yields rise: a long (bonds, SOFR or Treasury futures)
    loses, a short gains.  With ``side`` the DV01's size is used and the side
    sets the sign; without it a negative DV01 means a net short.

    Args:
        dv01: Money gained or lost per 1bp yield change, e.g. 50000 (negative for a net short).
        bp_move: Yield change in basis points; positive means yields rise.
        side: Optional "long" or "short" (also 多頭/空頭).
    """
    dv01 = as_number("DV01", dv01)
    bp = as_number("Yield move (bp)", bp_move)
    if side is not None:
        side = side_of(side)
        dv01 = abs(dv01) if side == "long" else -abs(dv01)
    pnl = clean(-dv01 * bp)
    shown = _n(dv01, chinese)
    minus_dv01 = f"−({shown})" if dv01 < 0 else f"−{shown}"
    calc = f"{minus_dv01} × {_n(bp)}bp = {_n(pnl, chinese)}"
    if side is None:
        who = _lang(chinese, "net short" if dv01 < 0 else "long", "淨空頭" if dv01 < 0 else "多頭")
    else:
        who = _side_name(side, chinese)
    move = _lang(chinese, "rise" if bp > 0 else "fall", "上升" if bp > 0 else "下降")
    result = _lang(chinese, "gains" if pnl > 0 else "loses", "獲利" if pnl > 0 else "虧損")
    return _working(
        chinese,
        pnl,
        "amount",
        name=("P&L", "損益"),
        rule=(
            "P&L ≈ −DV01 × yield change in bp (long bonds lose when yields rise; a short's DV01 is negative)",
            "損益 ≈ −DV01 × 殖利率變動(基點);殖利率上升時多頭虧損,空頭的DV01為負",
        ),
        calc=calc,
        steps=[
            _lang(
                chinese,
                f"yields {move} {_n(abs(bp))}bp: the {who} {result}",
                f"殖利率{move} {_n(abs(bp))} 個基點:{who}{result}",
            ),
            calc,
        ],
    )


# ------------------------------------------------------- Treasury futures


def _date(name: str, value: Any) -> date:
    return bonds.parse_date(name, value)


_MONTH_CODES = dict(zip("fghjkmnquvxz", range(1, 13)))


def _month(name: str, value: Any) -> date:
    """A delivery month: 2017-12, Dec 2017, December 2017, or a date in that month."""
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    text = str(value).strip()
    for fmt in ("%Y-%m", "%Y/%m", "%b %Y", "%B %Y", "%m/%Y"):
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return date(parsed.year, parsed.month, 1)
    try:
        parsed = bonds.parse_date(name, text)
    except CalcError:
        raise CalcError(f"{name} must be a month such as 2017-12 or Dec 2017.") from None
    return date(parsed.year, parsed.month, 1)


def _dollars(value: float, chinese: bool = False) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}${format_number(round(abs(clean(value)), 4), chinese=chinese)}"


@formula
def price_32nds(price: float | str, *, chinese: bool = False) -> Working:
    """Convert a Treasury price between 32nds and decimal: "99-16+" → 99.515625, 101.5 → 101-16.

    Args:
        price: A 32nds quote ("99-16", "99-16+", "125-132", "99'16") or a decimal price (101.5).
    """
    if isinstance(price, str) and prices.is_32nds(price):
        value = prices.parse_32nds(price)
        whole, thirty_seconds = prices.split_32nds(price)
        calc = f"{whole} + {_n(thirty_seconds)}/32 = {_n(value)}"
        return Working(
            value=value,
            summary=_lang(chinese, f"{price.strip()} = {_n(value)}", f"{price.strip()} = {_n(value)}"),
            steps=[
                _lang(
                    chinese,
                    "points-32nds: the part after '-' counts 32nds; '+' = ½, a third digit 2/5/7 = ¼/½/¾",
                    "點數-32分位:'-' 後為32分之幾;'+' 為半個,第三位 2/5/7 為 ¼/½/¾",
                ),
                calc,
            ],
            unit="price",
        )
    value = prices.as_price("Price", price)
    quote = prices.format_32nds(value)
    eighths = prices.format_32nds(value, eighths=True)
    shown = quote if not quote.startswith("≈") or eighths.startswith("≈") else eighths
    ticks = (value - math.floor(value)) * 32
    return Working(
        value=clean(value),
        summary=f"{_n(value)} = {shown}",
        steps=[
            _lang(
                chinese,
                f"({_n(value)} − {math.floor(value)}) × 32 = {_n(ticks)} 32nds",
                f"({_n(value)} − {math.floor(value)}) × 32 = {_n(ticks)} 個32分位",
            ),
        ],
        unit="price",
    )


@formula
def conversion_factor(
    coupon_pct: float,
    maturity: str | None = None,
    delivery_month: str | None = None,
    contract: str = "TY",
    years: int | None = None,
    months: int = 0,
    *,
    chinese: bool = False,
) -> Working:
    """CME conversion factor: the bond's price per 1 at a 6% yield on the first day of the delivery month.

    Give the maturity and delivery month, or the remaining term in years and months.
    The term is cut to whole months (TU, 3YR, FV) or whole quarters (TY, TN, TWE, US, UB).

    Args:
        coupon_pct: Annual coupon in percent, e.g. 2.375.
        maturity: Maturity date, e.g. "2024-08-15".
        delivery_month: Futures delivery month, e.g. "2017-12".
        contract: CME contract code: TU, 3YR, FV, TY (default), TN, TWE, US or UB.
        years: Whole years from the first day of the delivery month to maturity (instead of dates).
        months: Extra months beyond ``years`` (0–11).
    """
    coupon = as_number("Coupon", coupon_pct)
    spec = fut.contract(contract)
    if years is None:
        if maturity is None or delivery_month is None:
            raise CalcError("Give the maturity and the delivery month, or the years and months to maturity.")
        whole_years, whole_months = fut.remaining_term(
            _date("Maturity", maturity), _month("Delivery month", delivery_month)
        )
    else:
        whole_years = int(as_number("Years", years))
        whole_months = int(as_number("Months", months))
    terms = fut.conversion_factor_terms(coupon, whole_years, whole_months, spec.code)
    rounding = _lang(
        chinese,
        "whole quarters" if spec.quarter_rounding else "whole months",
        "整季" if spec.quarter_rounding else "整月",
    )
    c_exp = f"2×{terms.n}" if terms.z < 7 else f"2×{terms.n}+1"
    return Working(
        value=terms.factor,
        summary=_lang(
            chinese,
            f"Conversion factor ({spec.code}) = {terms.factor:.4f}",
            f"轉換因子({spec.code})= {terms.factor:.4f}",
        ),
        steps=[
            _lang(
                chinese,
                f"term {whole_years}y {whole_months}m, cut to {rounding} for {spec.code}: n = {terms.n}, z = {terms.z}, v = {terms.v}",
                f"剩餘期限 {whole_years}年{whole_months}個月,{spec.code} 取{rounding}:n = {terms.n},z = {terms.z},v = {terms.v}",
            ),
            "CF = a × (coupon/2 + c + d) − b (CME)",
            f"a = 1/1.03^({terms.v}/6) = {terms.a:.6f}; b = {_n(coupon / 100)}/2 × (6 − {terms.v})/6 = {terms.b:.6f}",
            f"c = 1/1.03^({c_exp}) = {terms.c:.6f}; d = {_n(coupon / 100)}/0.06 × (1 − c) = {terms.d:.6f}",
            f"CF = {terms.a:.6f} × ({_n(coupon / 200)} + {terms.c:.6f} + {terms.d:.6f}) − {terms.b:.6f} = {terms.factor:.4f}",
        ],
        unit="factor",
    )


def _list(name: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise CalcError(f"{name} must be a list.")
    items = list(values)
    if not 1 <= len(items) <= 20:
        raise CalcError(f"{name} must hold 1 to 20 bonds.")
    return items


@formula
def cheapest_to_deliver(
    futures_price: float | str,
    cash_prices: list[float | str],
    conversion_factors: list[float],
    names: list[str] | None = None,
    days: float | None = None,
    accrued_at_purchase: list[float] | None = None,
    accrued_at_delivery: list[float] | None = None,
    *,
    chinese: bool = False,
) -> Working:
    """Rank deliverable bonds: the cheapest to deliver has the lowest basis (price − futures × CF).

    With ``days`` each bond's implied repo is shown too (highest = cheapest); give the
    accrued interest lists for coupon bonds.  The value is the cheapest bond's basis.

    Args:
        futures_price: Futures settlement price, decimal or 32nds ("93-08").
        cash_prices: Each bond's quoted (clean) price, decimal or 32nds.
        conversion_factors: Each bond's conversion factor, in the same order.
        names: Optional labels for the bonds (default Bond 1, Bond 2...).
        days: Optional days to delivery, to rank by implied repo as well.
        accrued_at_purchase: Optional accrued interest per bond now, per 100.
        accrued_at_delivery: Optional accrued interest per bond at delivery, per 100.
    """
    futures = prices.as_price("Futures price", futures_price)
    cash = [prices.as_price("Cash price", p) for p in _list("Cash prices", cash_prices)]
    factors = [as_positive("Conversion factor", f) for f in _list("Conversion factors", conversion_factors)]
    if len(cash) != len(factors):
        raise CalcError("Give one conversion factor per bond.")
    labels = [str(n)[:30] for n in names] if names else []
    if len(labels) != len(cash):
        labels = [_lang(chinese, f"Bond {i}", f"債券{i}") for i in range(1, len(cash) + 1)]
    ai0 = [as_number("Accrued", a) for a in accrued_at_purchase] if accrued_at_purchase else [0.0] * len(cash)
    ai1 = [as_number("Accrued", a) for a in accrued_at_delivery] if accrued_at_delivery else [0.0] * len(cash)
    if len(ai0) != len(cash) or len(ai1) != len(cash):
        raise CalcError("Give one accrued interest per bond.")
    steps = [
        _lang(
            chinese,
            f"cost of delivering = quoted price − futures × CF (futures {_price(futures)})",
            f"交割成本 = 報價 − 期貨價格 × 轉換因子(期貨 {_price(futures)})",
        )
    ]
    rows = []
    for label, price, cf, a0, a1 in zip(labels, cash, factors, ai0, ai1):
        basis = clean(price - futures * cf)
        line = f"{label}: {_n(price)} − {_n(futures)} × {_n(cf)} = {_n(round(basis, 4))} ({prices.points_in_32nds(basis)})"
        irr = None
        if days is not None:
            irr = fut.implied_repo(price, futures, cf, as_positive("Days", days), a0, a1).rate
            line += _lang(chinese, f", implied repo {_pct(irr)}", f",隱含回購利率 {_pct(irr)}")
        steps.append(line)
        rows.append((basis, label, irr))
    lowest = min(rows, key=lambda row: row[0])
    best = lowest
    summary = _lang(
        chinese,
        f"Cheapest to deliver: {best[1]} (basis {_n(round(best[0], 4))})",
        f"最便宜可交割債券:{best[1]}(基差 {_n(round(best[0], 4))})",
    )
    if days is not None:
        # With days (and carry) the implied repo decides: the bond whose delivery earns most.
        best = max(rows, key=lambda row: row[2])
        summary = _lang(
            chinese,
            f"Cheapest to deliver: {best[1]} (highest implied repo {_pct(best[2])}, basis {_n(round(best[0], 4))})",
            f"最便宜可交割債券:{best[1]}(隱含回購利率最高 {_pct(best[2])},基差 {_n(round(best[0], 4))})",
        )
        steps.append(
            _lang(
                chinese,
                f"highest implied repo: {best[1]} ({_pct(best[2])})"
                + (f"; lowest basis: {lowest[1]}, but carry makes it dearer" if lowest is not best else ""),
                f"隱含回購利率最高:{best[1]}({_pct(best[2])})"
                + (f";基差最低的是{lowest[1]},但計入持有收益後較貴" if lowest is not best else ""),
            )
        )
    return Working(value=best[0], summary=summary, steps=steps, unit="points")


@formula
def accrued_interest(
    coupon_pct: float,
    maturity: str,
    settlement: str,
    day_count: str = "act/act",
    frequency: int = 2,
    *,
    chinese: bool = False,
) -> Working:
    """Accrued interest per 100 face since the last coupon (Treasuries: ACT/ACT ICMA, semiannual).

    Args:
        coupon_pct: Annual coupon in percent, e.g. 11.
        maturity: Maturity date, e.g. "2038-07-10".
        settlement: Settlement date, e.g. "2018-03-05".
        day_count: "act/act" (default, Treasuries), "30/360" (corporates) or "act/360".
        frequency: Coupons a year (default 2).
    """
    coupon = as_number("Coupon", coupon_pct)
    result = bonds.accrued_interest(
        coupon,
        _date("Maturity", maturity),
        _date("Settlement", settlement),
        int(as_number("Frequency", frequency)),
        day_count,
    )
    calc = f"{_n(result.coupon)} × {result.days}/{result.period_days} = {_n(round(result.amount, 6))}"
    return Working(
        value=clean(result.amount),
        summary=_lang(chinese, f"Accrued interest = {calc} per 100", f"應計利息 = {calc}(每100面額)"),
        steps=[
            _lang(
                chinese,
                f"last coupon {result.last_coupon}, next {result.next_coupon} ({bonds.DAY_COUNTS.get(day_count.lower(), day_count)})",
                f"上次付息 {result.last_coupon},下次 {result.next_coupon}({bonds.DAY_COUNTS.get(day_count.lower(), day_count)})",
            ),
            _lang(
                chinese,
                "accrued = coupon per period × days since last coupon ÷ days in the period",
                "應計利息 = 每期票息 × 上次付息至今天數 ÷ 該期天數",
            ),
            calc,
        ],
        unit="points",
    )


@formula
def dirty_price(
    clean_price: float | str,
    accrued: float | None = None,
    coupon_pct: float | None = None,
    maturity: str | None = None,
    settlement: str | None = None,
    *,
    chinese: bool = False,
) -> Working:
    """Cash (dirty) price = quoted (clean) price + accrued interest; the accrued can be worked out from the bond.

    Args:
        clean_price: Quoted price, decimal or 32nds ("155-16").
        accrued: Accrued interest per 100, if known.
        coupon_pct: Annual coupon in percent, to compute the accrued instead.
        maturity: Maturity date, with the coupon.
        settlement: Settlement date, with the coupon.
    """
    quoted = prices.as_price("Clean price", clean_price)
    steps = []
    if accrued is None:
        if coupon_pct is None or maturity is None or settlement is None:
            raise CalcError("Give the accrued interest, or the coupon, maturity and settlement date.")
        work = accrued_interest(coupon_pct, maturity, settlement, chinese=chinese)
        ai = work.value
        steps.append(work.summary)
    else:
        ai = as_number("Accrued", accrued)
    dirty = clean(quoted + ai)
    calc = f"{_price(quoted)} + {_n(round(ai, 6))} = {_n(round(dirty, 6))}"
    steps.insert(
        0, _lang(chinese, "cash price = quoted price + accrued interest", "全價 = 報價(淨價)+ 應計利息")
    )
    steps.append(calc)
    return Working(
        value=dirty,
        summary=_lang(chinese, f"Cash (dirty) price = {calc}", f"全價(含息)= {calc}"),
        steps=steps,
        unit="price",
    )


@formula
def bond_yield(
    coupon_pct: float, maturity: str, settlement: str, clean_price: float | str, *, chinese: bool = False
) -> Working:
    """Yield to maturity of a Treasury at a clean price (semiannual, street convention), with duration and DV01.

    Args:
        coupon_pct: Annual coupon in percent, e.g. 2.375.
        maturity: Maturity date, e.g. "2024-08-15".
        settlement: Settlement date, e.g. "2017-10-11".
        clean_price: Quoted price, decimal or 32nds ("101-072").
    """
    price = prices.as_price("Clean price", clean_price)
    q = bonds.yield_from_price(
        as_number("Coupon", coupon_pct), _date("Maturity", maturity), _date("Settlement", settlement), price
    )
    return _bond_working(q, chinese, f"{_n(round(q.yield_pct, 4))}%", "yield")


@formula
def bond_price(
    coupon_pct: float, maturity: str, settlement: str, yield_pct: float, *, chinese: bool = False
) -> Working:
    """Clean and dirty price of a Treasury at a yield (semiannual, street convention), with duration and DV01.

    Args:
        coupon_pct: Annual coupon in percent, e.g. 2.375.
        maturity: Maturity date, e.g. "2024-08-15".
        settlement: Settlement date, e.g. "2017-10-11".
        yield_pct: Yield to maturity in percent, e.g. 2.18.
    """
    q = bonds.price_from_yield(
        as_number("Coupon", coupon_pct),
        _date("Maturity", maturity),
        _date("Settlement", settlement),
        as_number("Yield", yield_pct),
    )
    return _bond_working(q, chinese, _price(round(q.clean, 6)), "price")


def _bond_working(q: bonds.BondQuote, chinese: bool, headline: str, kind: str) -> Working:
    steps = [
        _lang(
            chinese,
            f"clean {_price(round(q.clean, 6))} + accrued {_n(round(q.accrued, 6))} = dirty {_n(round(q.dirty, 6))}",
            f"淨價 {_price(round(q.clean, 6))} + 應計利息 {_n(round(q.accrued, 6))} = 全價 {_n(round(q.dirty, 6))}",
        ),
        _lang(
            chinese,
            f"yield {_n(round(q.yield_pct, 4))}% (semiannual, ACT/ACT)",
            f"殖利率 {_n(round(q.yield_pct, 4))}%(半年複利,ACT/ACT)",
        ),
        _lang(
            chinese,
            f"modified duration {q.modified_duration:.4f}; DV01 = dirty × duration ÷ 10,000 = {q.dv01:.5f} per 100",
            f"修正存續期間 {q.modified_duration:.4f};DV01 = 全價 × 存續期間 ÷ 10,000 = 每100面額 {q.dv01:.5f}",
        ),
    ]
    if kind == "yield":
        summary = _lang(chinese, f"Yield to maturity = {headline}", f"到期殖利率 = {headline}")
        value = q.yield_pct
        unit = "%"
    else:
        summary = _lang(chinese, f"Clean price = {headline}", f"淨價 = {headline}")
        value = q.clean
        unit = "price"
    return Working(value=clean(value), summary=summary, steps=steps, unit=unit)


@formula
def day_count(start: str, end: str, convention: str = "act/360", *, chinese: bool = False) -> Working:
    """Days and year fraction between two dates: ACT/360 (repo), 30/360, ACT/365 or ACT/ACT.

    Args:
        start: Start date, e.g. "2017-10-11".
        end: End date, e.g. "2017-12-29".
        convention: "act/360" (default), "30/360", "act/365" or "act/act".
    """
    first, last = _date("Start", start), _date("End", end)
    days, fraction = bonds.day_count(first, last, convention)
    name = bonds.DAY_COUNTS.get(convention.strip().lower(), convention)
    return Working(
        value=days,
        summary=_lang(
            chinese,
            f"{first} → {last}: {days} days, year fraction {fraction:.6f} ({name})",
            f"{first} → {last}:{days} 天,年分數 {fraction:.6f}({name})",
        ),
        steps=[],
        unit="days",
    )


@formula
def invoice_amount(
    futures_price: float | str,
    conversion_factor: float,
    accrued: float = 0.0,
    contract: str = "TY",
    contracts: float = 1,
    *,
    chinese: bool = False,
) -> Working:
    """What the long pays at delivery: (futures × CF + accrued) per 100, times face ÷ 100 per contract.

    Args:
        futures_price: Futures settlement price, decimal or 32nds ("120-00").
        conversion_factor: The delivered bond's conversion factor, e.g. 1.38.
        accrued: Accrued interest per 100 at delivery, e.g. 3.
        contract: Contract code for the face value (default TY, $100,000).
        contracts: Number of contracts (default 1).
    """
    futures = prices.as_price("Futures price", futures_price)
    cf = as_positive("Conversion factor", conversion_factor)
    ai = as_number("Accrued", accrued)
    count = as_positive("Contracts", contracts)
    spec = fut.contract(contract)
    per_100 = clean(futures * cf + ai)
    total = clean(per_100 * spec.face / 100 * count)
    return Working(
        value=total,
        summary=_lang(
            chinese,
            f"Invoice = {_n(futures)} × {_n(cf)} + {_n(ai)} = {_n(per_100)} per 100 = {_dollars(total)}",
            f"發票金額 = {_n(futures)} × {_n(cf)} + {_n(ai)} = 每100面額 {_n(per_100)} = {_dollars(total, True)}",
        ),
        steps=[
            _lang(
                chinese,
                "invoice = futures price × conversion factor + accrued interest",
                "發票金額 = 期貨價格 × 轉換因子 + 應計利息",
            ),
            f"{_price(futures)} × {_n(cf)} = {_n(clean(futures * cf))}; + {_n(ai)} = {_n(per_100)}",
            _lang(
                chinese,
                f"{_n(per_100)} × {_dollars(spec.face)} ÷ 100 × {_n(count)} = {_dollars(total)}",
                f"{_n(per_100)} × {_dollars(spec.face)} ÷ 100 × {_n(count)} 口 = {_dollars(total, True)}",
            ),
        ],
        unit="amount",
    )


@formula
def futures_dv01(ctd_dv01: float, conversion_factor: float, *, chinese: bool = False) -> Working:
    """Futures DV01 ≈ the cheapest-to-deliver bond's DV01 ÷ its conversion factor.

    Args:
        ctd_dv01: DV01 of the CTD for the contract's face, e.g. 64.5 dollars per $100,000.
        conversion_factor: The CTD's conversion factor, e.g. 0.8072.
    """
    dv01 = as_positive("CTD DV01", ctd_dv01)
    cf = as_positive("Conversion factor", conversion_factor)
    value = clean(dv01 / cf)
    return _working(
        chinese,
        value,
        "amount",
        name=("Futures DV01", "期貨DV01"),
        rule=("futures DV01 = CTD DV01 ÷ CTD conversion factor", "期貨DV01 = CTD的DV01 ÷ CTD轉換因子"),
        calc=f"{_n(dv01)} ÷ {_n(cf)} = {_n(round(value, 4))}",
    )


_HEDGE: Bilingual = ("Hedge", "避險口數")


@formula
def hedge_ratio_dv01(portfolio_dv01: float, futures_dv01: float, *, chinese: bool = False) -> Working:
    """Futures contracts that offset a position's rate risk: portfolio DV01 ÷ futures DV01 per contract.

    Args:
        portfolio_dv01: DV01 of the position to hedge, in dollars, e.g. 50000.
        futures_dv01: DV01 of one futures contract, in dollars, e.g. 79.9.
    """
    p = as_positive("Portfolio DV01", portfolio_dv01)
    f = as_positive("Futures DV01", futures_dv01)
    n = clean(p / f)
    return _working(
        chinese,
        n,
        "contracts",
        name=_HEDGE,
        rule=("contracts = position DV01 ÷ futures DV01", "口數 = 部位DV01 ÷ 每口期貨DV01"),
        calc=f"{_n(p)} ÷ {_n(f)} = {_n(round(n, 2))}",
        after=(" contracts", " 口"),
    )


@formula
def hedge_ratio_duration(
    portfolio_value: float,
    portfolio_duration: float,
    futures_price: float | str,
    ctd_duration: float,
    contract: str = "US",
    *,
    chinese: bool = False,
) -> Working:
    """Duration-based hedge (Hull ch. 6): N = portfolio value × its duration ÷ (futures contract value × CTD duration).

    Args:
        portfolio_value: Value of the bond portfolio in dollars, e.g. 10000000.
        portfolio_duration: Its duration in years, e.g. 6.8.
        futures_price: Futures price, decimal or 32nds ("93-02").
        ctd_duration: Duration of the cheapest-to-deliver bond in years, e.g. 9.2.
        contract: Contract code for the face value (default US, $100,000).
    """
    value = as_positive("Portfolio value", portfolio_value)
    dp = as_positive("Portfolio duration", portfolio_duration)
    price = prices.as_price("Futures price", futures_price)
    df = as_positive("CTD duration", ctd_duration)
    spec = fut.contract(contract)
    contract_value = clean(price * spec.face / 100)
    n = clean(value * dp / (contract_value * df))
    return _working(
        chinese,
        n,
        "contracts",
        name=_HEDGE,
        rule=(
            "N = portfolio value × duration ÷ (futures contract value × CTD duration)",
            "N = 組合價值 × 存續期間 ÷ (每口期貨價值 × CTD存續期間)",
        ),
        calc=_n(round(n, 2)),
        after=(" contracts (short)", " 口(空頭)"),
        steps=[
            f"{_price(price)} × {_dollars(spec.face)} ÷ 100 = {_dollars(contract_value)}",
            f"({_n(value)} × {_n(dp)}) ÷ ({_n(contract_value)} × {_n(df)}) = {_n(round(n, 2))}",
        ],
    )


@formula
def contract_specs(contract: str = "TY", *, chinese: bool = False) -> Working:
    """CME Treasury futures specs: face value, tick size and tick value, deliverable bonds (TU FV TY TN US UB…).

    Args:
        contract: CME code: TU, 3YR, FV, TY, TN, TWE, US or UB (ZN/ZB/10y… accepted).
    """
    spec = fut.contract(contract)
    tick = {1 / 8: "1/8 of 1/32", 1 / 4: "1/4 of 1/32", 1 / 2: "1/2 of 1/32", 1.0: "1/32"}[spec.tick_32nds]
    tick_zh = {1 / 8: "1/32的1/8", 1 / 4: "1/32的1/4", 1 / 2: "1/32的1/2", 1.0: "1/32"}[spec.tick_32nds]
    calc = f"{_dollars(spec.face)} × {_n(spec.tick_points)}% = {_dollars(spec.tick_value)}"
    return Working(
        value=spec.tick_value,
        summary=_lang(
            chinese,
            f"{spec.code} ({spec.name}): tick {tick} = {_dollars(spec.tick_value)} per contract",
            f"{spec.code}({spec.name_zh}):最小跳動 {tick_zh} = 每口 {_dollars(spec.tick_value)}",
        ),
        steps=[
            _lang(chinese, f"face value {_dollars(spec.face)}", f"面額 {_dollars(spec.face)}"),
            _lang(chinese, f"tick value = face × tick ÷ 100: {calc}", f"每跳價值 = 面額 × 跳動 ÷ 100:{calc}"),
            _lang(
                chinese,
                f"one point = {_dollars(spec.point_value)}; one 32nd = {_dollars(spec.point_value / 32)}",
                f"一點 = {_dollars(spec.point_value)};1/32 = {_dollars(spec.point_value / 32)}",
            ),
            _lang(chinese, f"deliverable: {spec.deliverable}", f"可交割:{spec.deliverable_zh}"),
            _lang(
                chinese,
                f"conversion factor term cut to {'whole quarters' if spec.quarter_rounding else 'whole months'}",
                f"轉換因子期限取{'整季' if spec.quarter_rounding else '整月'}",
            ),
        ],
        unit="amount",
    )


@formula
def repo_interest(
    principal: float, rate_pct: float, days: float, day_basis: float = 360, *, chinese: bool = False
) -> Working:
    """Interest on a repo loan: principal × rate × days ÷ 360 (money-market ACT/360).

    Args:
        principal: Cash borrowed, e.g. 100000000.
        rate_pct: Repo rate in percent a year, e.g. 5.3.
        days: Days of the loan, e.g. 30.
        day_basis: Days in the year, 360 (default) or 365.
    """
    amount = as_positive("Principal", principal)
    rate = as_number("Repo rate", rate_pct)
    if not -10 <= rate <= 100:
        raise CalcError("Repo rate must be a percent between -10 and 100.")
    n = as_positive("Days", days)
    if n > 3660:
        raise CalcError("Days must be at most 3,660.")
    basis = as_positive("Day basis", day_basis)
    if basis not in (360, 365):
        raise CalcError("Day basis must be 360 or 365.")
    interest = clean(amount * rate / 100 * n / basis)
    shown = format_number(round(interest, 2), chinese=chinese)
    calc = f"{_n(amount, chinese)} × {_n(rate)}% × {_n(n)} ÷ {_n(basis)} = {shown}"
    repay = format_number(round(amount + interest, 2), chinese=chinese)
    return _working(
        chinese,
        interest,
        "amount",
        name=("Repo interest", "回購利息"),
        rule=(
            f"interest = principal × rate × days ÷ {_n(basis)} (ACT/{_n(basis)})",
            f"利息 = 本金 × 利率 × 天數 ÷ {_n(basis)}(ACT/{_n(basis)})",
        ),
        calc=calc,
        steps=[calc, _lang(chinese, f"repay {repay}", f"到期償還 {repay}")],
    )


@formula
def futures_pnl(
    entry_price: float | str,
    exit_price: float | str,
    contracts: float = 1,
    contract: str = "TY",
    side: str = "long",
    *,
    chinese: bool = False,
) -> Working:
    """P&L of Treasury futures in ticks and dollars: price change in ticks × tick value × contracts.

    Args:
        entry_price: Entry price, decimal or 32nds ("112-16").
        exit_price: Exit price, decimal or 32nds ("113-02+").
        contracts: Number of contracts (default 1).
        contract: CME code for the tick (default TY).
        side: "long" (default) or "short" (also 多頭/空頭).
    """
    entry = prices.as_price("Entry price", entry_price)
    exit_ = prices.as_price("Exit price", exit_price)
    count = as_positive("Contracts", contracts)
    if count > 1e7:
        raise CalcError("Contracts must be at most 10,000,000.")
    spec = fut.contract(contract)
    side = side_of(side)
    sign = 1 if side == "long" else -1
    ticks = clean((exit_ - entry) / spec.tick_points)
    pnl = clean(sign * ticks * spec.tick_value * count)
    return Working(
        value=pnl,
        summary=_lang(
            chinese,
            f"P&L ({side} {_n(count)} {spec.code}) = {_dollars(pnl)}",
            f"損益({_side_name(side, True)} {_n(count)} 口 {spec.code})= {_dollars(pnl, True)}",
        ),
        steps=[
            _lang(
                chinese,
                f"move {_price(entry)} → {_price(exit_)} = {_n(clean(exit_ - entry))} points = {_n(ticks)} ticks of {_dollars(spec.tick_value)}",
                f"價格 {_price(entry)} → {_price(exit_)} = {_n(clean(exit_ - entry))} 點 = {_n(ticks)} 跳,每跳 {_dollars(spec.tick_value)}",
            ),
            f"{'+' if sign > 0 else '−'}{_n(ticks)} × {_dollars(spec.tick_value)} × {_n(count)} = {_dollars(pnl)}",
        ],
        unit="amount",
    )


@formula
def futures_margin_call(
    price: float | str,
    initial_margin: float,
    maintenance_margin: float,
    contract_size: float | None = None,
    contracts: float = 1,
    side: str = "long",
    contract: str | None = None,
    settlements: list[float] | None = None,
    withdraw: float | None = None,
    *,
    chinese: bool = False,
) -> Working:
    """Exchange margin (fixed dollars per contract): the price that triggers a margin call, long or short.

    The call comes when the loss exceeds initial − maintenance per contract:
    long at price − (initial − maintenance) ÷ size, short at price + that.  With
    ``settlements`` the daily variation-margin path is shown (top-ups back to initial).

    Args:
        price: Futures price when the position was opened, in dollars per unit (or 32nds for Treasuries).
        initial_margin: Initial margin per contract in dollars, e.g. 6000.
        maintenance_margin: Maintenance margin per contract in dollars, e.g. 4500.
        contract_size: Units per contract in the price's unit, e.g. 100 (ounces); for a price in cents give dollars per cent, e.g. 150 for 15,000 lb.
        contracts: Number of contracts (default 1).
        side: "long" (default) or "short".
        contract: Instead of contract_size, a Treasury futures code (TY, US...): $1,000 per point.
        settlements: Optional daily settlement prices, to show the variation-margin path.
        withdraw: Optional amount in dollars: the price at which it can be withdrawn.
    """
    entry = prices.as_price("Price", price)
    initial = as_positive("Initial margin", initial_margin)
    maintenance = as_number("Maintenance margin", maintenance_margin)
    if not 0 <= maintenance < initial:
        raise CalcError("Maintenance margin must be at least 0 and below the initial margin.")
    if contract_size is None:
        if contract is None:
            raise CalcError("Give the contract size (units per contract) or a Treasury contract code.")
        size = fut.contract(contract).point_value
    else:
        size = as_positive("Contract size", contract_size)
    count = as_positive("Contracts", contracts)
    side = side_of(side)
    move = (initial - maintenance) / size
    trigger = clean(fut.margin_threshold(entry, size, initial, maintenance, side))
    sign = "−" if side == "long" else "+"
    direction = _lang(chinese, "falls" if side == "long" else "rises", "跌" if side == "long" else "漲")
    steps = [
        _lang(
            chinese,
            "model: exchange margin, fixed dollars per contract (variation margin restores the initial margin)",
            "模型:交易所保證金,每口固定金額(追繳的變動保證金補回初始保證金)",
        ),
        _lang(
            chinese,
            f"call when the loss per contract exceeds {_dollars(initial)} − {_dollars(maintenance)} = {_dollars(initial - maintenance)}",
            f"每口虧損超過 {_dollars(initial)} − {_dollars(maintenance)} = {_dollars(initial - maintenance)} 時追繳",
        ),
        _lang(
            chinese,
            f"that is a price move of {_dollars(initial - maintenance)} ÷ {_n(size)} = {_n(round(move, 6))}",
            f"即價格變動 {_dollars(initial - maintenance)} ÷ {_n(size)} = {_n(round(move, 6))}",
        ),
        f"{_n(entry)} {sign} {_n(round(move, 6))} = {_n(round(trigger, 6))}",
    ]
    if withdraw is not None:
        amount = as_positive("Withdrawal", withdraw)
        up = amount / (size * count)
        level = clean(entry + up if side == "long" else entry - up)
        steps.append(
            _lang(
                chinese,
                f"{_dollars(amount)} can be withdrawn once the price reaches {_n(round(level, 4))} "
                f"({_dollars(amount)} ÷ ({_n(size)} × {_n(count)}) = {_n(round(up, 4))})",
                f"價格到 {_n(round(level, 4))} 時可提領 {_dollars(amount)}"
                f"({_dollars(amount)} ÷ ({_n(size)} × {_n(count)}) = {_n(round(up, 4))})",
            )
        )
    if settlements:
        path = fut.margin_path(
            entry,
            [prices.as_price("Settlement", p) for p in _list("Settlements", settlements)],
            count,
            size,
            initial,
            maintenance,
            side,
        )
        for number, day in enumerate(path, start=1):
            call = (
                _lang(chinese, f", call {_dollars(day.call)}", f",追繳 {_dollars(day.call)}")
                if day.call
                else ""
            )
            steps.append(
                _lang(
                    chinese,
                    f"day {number}: {_n(day.price)}, gain {_dollars(day.gain)}, balance {_dollars(day.balance)}{call}",
                    f"第{number}天:{_n(day.price)},損益 {_dollars(day.gain)},餘額 {_dollars(day.balance)}{call}",
                )
            )
    return Working(
        value=trigger,
        summary=_lang(
            chinese,
            f"Margin call ({side}) if the price {direction} to {_n(round(trigger, 6))}",
            f"{_side_name(side, True)}在價格{direction}至 {_n(round(trigger, 6))} 時追繳保證金",
        ),
        steps=steps,
        unit="price",
    )


@formula
def implied_repo_for_bond(
    coupon_pct: float,
    maturity: str,
    clean_price: float | str,
    futures_price: float | str,
    conversion_factor: float,
    purchase_date: str,
    delivery_date: str,
    *,
    chinese: bool = False,
) -> Working:
    """Implied repo of a coupon bond, with accrued interest and any interim coupon worked out from its dates.

    Args:
        coupon_pct: Annual coupon in percent, e.g. 2.375.
        maturity: Maturity date, e.g. "2024-08-15".
        clean_price: Quoted price, decimal or 32nds ("101-072").
        futures_price: Futures price, decimal or 32nds ("125-08+").
        conversion_factor: The bond's conversion factor, e.g. 0.8072.
        purchase_date: Settlement date of the bond purchase, e.g. "2017-10-11".
        delivery_date: Delivery date, e.g. "2017-12-29".
    """
    coupon = as_number("Coupon", coupon_pct)
    mat = _date("Maturity", maturity)
    start, end = _date("Purchase date", purchase_date), _date("Delivery date", delivery_date)
    if end <= start:
        raise CalcError("Delivery must come after the purchase.")
    ai0 = bonds.accrued_interest(coupon, mat, start)
    ai1 = bonds.accrued_interest(coupon, mat, end)
    income, after = 0.0, 0
    if ai0.next_coupon <= end:
        income, after = ai0.coupon, (end - ai0.next_coupon).days
    work = implied_repo_rate(
        clean_price,
        futures_price,
        conversion_factor,
        (end - start).days,
        coupon_income=income,
        accrued_at_purchase=round(ai0.amount, 6),
        accrued_at_delivery=round(ai1.amount, 6),
        days_coupon_to_delivery=after,
        chinese=chinese,
    )
    extra = [
        _lang(
            chinese,
            f"{start} → {end}: {(end - start).days} days; accrued {_n(round(ai0.amount, 6))} → {_n(round(ai1.amount, 6))}",
            f"{start} → {end}:{(end - start).days} 天;應計利息 {_n(round(ai0.amount, 6))} → {_n(round(ai1.amount, 6))}",
        )
    ]
    if income:
        extra.append(
            _lang(
                chinese,
                f"coupon {_n(income)} paid {ai0.next_coupon}, {after} days before delivery",
                f"{ai0.next_coupon} 付息 {_n(income)},距交割 {after} 天",
            )
        )
    return Working(value=work.value, summary=work.summary, steps=extra + work.steps, unit="%")

"""What price moves do to a margined position: the /leverage what-if (working, table of moves,
chart) and the variation margin a futures move settles in cash.

The Discord cog, the terminal chat and the chat calculator (:func:`bot.calc.router.compute`,
as the ``whatif_table`` and ``variation_margin`` calls) all render it from here.  The chart is
drawn with matplotlib's object API on the Agg canvas (pyplot keeps global state
and is not thread-safe), imported inside the function so that nothing else pays
for importing matplotlib; it runs in a worker thread.  Chart labels are English:
the default fonts have no CJK glyphs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import NamedTuple

from bot.calc import formulas, prices
from bot.calc import futures as fut
from bot.calc.evaluator import format_number
from bot.calc.formulas import Working, formula, margin_call_move, wipeout_move
from bot.errors import CalcError
from bot.text import Lang, display_width, to_script

DEFAULT_MOVES: tuple[float, ...] = (-0.25, -0.5, -1, -1.5, -2, -3, -4, -5)


class WhatIfRow(NamedTuple):
    """One line of the /leverage table: a price move and what it does to equity."""

    move_pct: float
    pnl: float
    equity_left: float
    margin_call: bool


def whatif_table(
    equity: float,
    leverage: float,
    moves: Sequence[float] = DEFAULT_MOVES,
    maintenance_margin: float | None = None,
) -> list[WhatIfRow]:
    """Equity left after each price move, for the Discord /leverage table.

    ``moves`` are percents (−1 = prices down 1%) on a long position of
    equity × leverage.  ``margin_call`` is True when equity is gone, or, with a
    maintenance margin (fraction), when equity ÷ position value drops below it.
    """
    equity = formulas.as_positive("Equity", equity)
    leverage = formulas.as_positive("Leverage", leverage)
    mm = None
    if maintenance_margin is not None:
        mm = formulas.as_number("Maintenance margin", maintenance_margin)
        if not 0 <= mm < 1:
            raise CalcError("Maintenance margin must be a fraction in [0, 1), e.g. 0.01 for 1%.")
    if len(moves) > 50:
        raise CalcError("Too many moves (max 50).")
    position = equity * leverage
    rows = []
    for raw in moves:
        move = formulas.as_number("Move", raw)
        if move <= -100:
            raise CalcError("A price move must be above −100%.")
        pnl = formulas.clean(position * move / 100)
        left = formulas.clean(equity + pnl)
        value_after = position * (1 + move / 100)
        call = left <= 0 or (mm is not None and left / value_after < mm)
        rows.append(WhatIfRow(move, pnl, left, call))
    return rows


_HEAD = {
    "en": ("Move", "P&L", "Equity left", "Margin call"),
    "zh": ("價格變動", "損益", "剩餘本金", "追繳保證金"),
}
_YES_NO = {"en": ("yes", "no", "yes (wiped out)"), "zh": ("是", "否", "是(爆倉)")}


def whatif_text(rows: Sequence[WhatIfRow], chinese: bool) -> str:
    """The what-if rows as a fixed-width table with an explicit yes/no margin-call column."""
    key = "zh" if chinese else "en"
    yes, no, wiped = _YES_NO[key]
    lines = [list(_HEAD[key])]
    for row in rows:
        flag = wiped if row.equity_left <= 0 else (yes if row.margin_call else no)
        lines.append(
            [f"{format_number(row.move_pct)}%", format_number(round(row.pnl)), format_number(round(row.equity_left)), flag]
        )
    widths = [max(display_width(line[i]) for line in lines) for i in range(4)]
    return "\n".join(
        "  ".join(" " * (widths[i] - display_width(cell)) + cell for i, cell in enumerate(line)).rstrip() for line in lines
    )


@formula
def whatif(
    equity: float, leverage: float, moves: Sequence[float] = DEFAULT_MOVES, *, chinese: bool = False
) -> Working:
    """What-if table: profit or loss, equity left and margin call for several price moves of a levered position.

    The chat's answer to "本金1000萬 槓桿50倍 跌0.5% 1% 2%各虧多少" or "what-if table for 10m at 50x";
    the value is the position (equity × leverage).

    Args:
        equity: The trader's own money (本金), e.g. 10000000.
        leverage: Position ÷ equity, e.g. 50 for 50x.
        moves: Price moves in percent, negative for drops, e.g. [-0.5, -1, -2].
    """
    rows = whatif_table(equity, leverage, moves)
    position = equity * leverage
    head = (
        f"本金 {format_number(equity)}、{format_number(leverage)} 倍槓桿,部位 {format_number(position)};"
        f"價格每變動 x%,本金約變動 {format_number(leverage)} × x%:"
        if chinese
        else f"Equity {format_number(equity)} at {format_number(leverage)}x is a position of {format_number(position)}; "
        f"a price move of x% changes equity by about {format_number(leverage)} × x%:"
    )
    return Working(
        value=formulas.clean(position),
        summary=f"{head}\n```\n{whatif_text(rows, chinese)}\n```",
        steps=[],
        unit="amount",
    )


def _lang(chinese: bool, en: str, zh: str) -> str:
    return zh if chinese else en


def _usd(value: float, chinese: bool = False) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}${format_number(round(abs(formulas.clean(value)), 4), chinese=chinese)}"


@formula
def variation_margin(
    move_points: float,
    contracts: float = 1,
    contract: str = "TY",
    side: str | None = None,
    *,
    chinese: bool = False,
) -> Working:
    """Variation margin of a Treasury futures price move: points × $ per point × contracts, settled in cash.

    Futures are marked to market every day: the day's price change times the contract's
    point value (face ÷ 100: $1,000 for TY, $2,000 for TU) is paid by the losing side and
    received by the winning one.  With no ``side`` both sides are named.  The value is what
    the side (a long when none is given) receives, negative when it pays.

    Args:
        move_points: The futures price change in points, signed: -1.25 for down 1-08 (1 and 8/32).
        contracts: Number of contracts.
        contract: Contract code: TU, FV, TY, TN, US, UB (TY, the 10-year note, by default).
        side: "long" or "short", or omitted for both.
    """
    move = formulas.as_number("Price move", move_points)
    if not move or abs(move) >= 100:
        raise CalcError("A futures price move must be non-zero and under 100 points.")
    count = formulas.as_positive("Contracts", contracts)
    if count > 1e7:
        raise CalcError("Contracts must be at most 10,000,000.")
    spec = fut.contract(contract)
    held = formulas.side_of(side) if side is not None else None
    ticks = formulas.clean(move / spec.tick_points)
    per_contract = formulas.clean(move * spec.point_value)
    total = formulas.clean(per_contract * count)
    amount = abs(total)
    long_pays = move < 0
    if held is None:
        en = f"the long {'pays' if long_pays else 'receives'} it and the short {'receives' if long_pays else 'pays'} it"
        zh = f"多頭{'付出' if long_pays else '收取'}、空頭{'收取' if long_pays else '付出'}"
        summary = _lang(
            chinese,
            f"Variation margin ({format_number(count)} {spec.code}) = {_usd(amount)}: {en}",
            f"變動保證金({format_number(count)} 口 {spec.code})= {_usd(amount, True)}:{zh}",
        )
    else:
        pays = long_pays if held == "long" else not long_pays
        summary = _lang(
            chinese,
            f"Variation margin ({held} {format_number(count)} {spec.code}) = {_usd(amount)} {'paid' if pays else 'received'}",
            f"變動保證金({'多頭' if held == 'long' else '空頭'} {format_number(count)} 口 {spec.code})"
            f"= {'付出' if pays else '收取'} {_usd(amount, True)}",
        )
    word = _lang(chinese, "down" if move < 0 else "up", "跌" if move < 0 else "漲")
    steps = [
        _lang(
            chinese,
            "model: exchange margin, marked to market daily (each day's price change is paid in cash as variation margin)",
            "模型:交易所保證金,逐日結算(每天的價格變動以現金支付,即變動保證金)",
        ),
        _lang(
            chinese,
            f"move {word} {format_number(abs(move))} points ({prices.points_in_32nds(abs(move))}) = "
            f"{format_number(abs(ticks))} ticks of {_usd(spec.tick_value)}",
            f"價格{word} {format_number(abs(move))} 點({prices.points_in_32nds(abs(move))})= "
            f"{format_number(abs(ticks))} 跳,每跳 {_usd(spec.tick_value)}",
        ),
        _lang(
            chinese,
            f"{format_number(abs(move))} × {_usd(spec.point_value)} per point × {format_number(count)} = {_usd(amount)}",
            f"{format_number(abs(move))} × 每點 {_usd(spec.point_value)} × {format_number(count)} 口 = {_usd(amount)}",
        ),
    ]
    value = total if held != "short" else -total
    return Working(value=value, summary=summary, steps=steps, unit="amount")


def leverage_report(
    equity: float, leverage: float, haircut: float | None = None, move: float | None = None, lang: Lang = "en"
) -> str:
    """The /leverage text: working, then the table.  ``haircut`` is a fraction, ``move`` a percent."""
    chinese = lang != "en"
    parts = [
        formulas.position_size(equity, leverage, chinese=chinese).text,
        formulas.wipeout_move(leverage, chinese=chinese).text,
    ]
    if haircut is not None:
        most = formulas.leverage_from_haircut(haircut, chinese=chinese)
        parts.append(most.text)
        if leverage > most.value:
            parts.append(
                f"⚠️ {format_number(leverage)} 倍超過這個折價率允許的 {format_number(most.value)} 倍。"
                if chinese
                else f"⚠️ {format_number(leverage)}x is more than the {format_number(most.value)}x this haircut allows."
            )
        try:
            parts.append(formulas.margin_call_move(leverage, haircut, chinese=chinese).text)
        except CalcError as err:
            parts.append(
                f"⚠️ 折價率 {format_number(haircut * 100)}% 不低於初始保證金 1 ÷ {format_number(leverage)}:一建倉就會被追繳。"
                if chinese
                else f"⚠️ {err}"
            )
    if move:
        parts.append(formulas.loss_from_move(leverage, move, equity, chinese=chinese).text)
    moves = sorted({*DEFAULT_MOVES, *([-abs(move)] if move else [])}, reverse=True)
    rows = whatif_table(equity, leverage, moves=moves, maintenance_margin=haircut)
    parts.append(f"```\n{whatif_text(rows, chinese)}\n```")
    if haircut is None:
        parts.append(
            "(沒有給折價率:這裡的追繳指本金歸零;加上 haircut: 可看放款人的追繳點。)"
            if chinese
            else "(No haircut given: a margin call here means the equity is gone; add haircut: for the lender's call.)"
        )
    text = "\n\n".join(parts)
    return to_script(text, "zh-Hans") if lang == "zh-Hans" else text


def render_leverage(
    equity: float, leverage: float, haircut: float | None, move: float | None, lang: Lang
) -> tuple[str, bytes]:
    """Text and chart together, for one trip to a worker thread."""
    text = leverage_report(equity, leverage, haircut, move, lang)
    return text, leverage_chart(equity, leverage, haircut, move)


def _money(value: float, _pos: object = None) -> str:
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.0f}"


def leverage_chart(
    equity: float,
    leverage: float,
    maintenance_margin: float | None = None,
    move_pct: float | None = None,
) -> bytes:
    """PNG of equity vs adverse price move for a long position of equity × leverage.

    Marks the wipe-out move (equity gone) and, with a maintenance margin
    (a fraction), the margin-call move; ``move_pct`` adds the user's own move.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    if equity <= 0 or leverage <= 0:
        raise CalcError("Equity and leverage must be greater than 0.")
    wipeout = wipeout_move(leverage).value  # percent, positive
    call: float | None = None
    if maintenance_margin is not None:
        try:
            call = margin_call_move(leverage, maintenance_margin).value
        except CalcError:
            call = 0.0  # at or above the initial margin: the call is immediate
    span = min(99.0, max(5.0, wipeout * 1.25, abs(move_pct or 0) * 1.1))
    steps = 200
    moves = [-span * i / steps for i in range(steps + 1)]
    position = equity * leverage
    left = [equity + position * m / 100 for m in moves]

    figure = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(moves, left, color="#1f77b4", linewidth=2, label="equity left")
    axes.axhline(0, color="#555555", linewidth=0.8)
    axes.fill_between(moves, left, 0, where=[v < 0 for v in left], color="#d62728", alpha=0.15)
    if wipeout <= span:
        axes.axvline(-wipeout, color="#d62728", linestyle="--", linewidth=1)
        axes.plot([-wipeout], [0], "o", color="#d62728", label=f"wipe-out at -{wipeout:.4g}%")
    if call is not None and call <= span:
        call_equity = equity - position * call / 100
        axes.axvline(-call, color="#ff7f0e", linestyle=":", linewidth=1)
        axes.plot([-call], [call_equity], "s", color="#ff7f0e", label=f"margin call at -{call:.4g}%")
    if move_pct:
        move = -abs(move_pct)
        axes.plot([move], [equity + position * move / 100], "D", color="#2ca02c", label=f"your move {move:.4g}%")
    axes.invert_xaxis()  # read left to right as prices fall
    axes.yaxis.set_major_formatter(FuncFormatter(_money))
    axes.set_xlabel("price move against the position (%)")
    axes.set_ylabel("equity")
    axes.set_title(f"{_money(equity)} equity at {leverage:g}x = {_money(position)} position")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower left", fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

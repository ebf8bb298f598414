"""The /leverage chart: equity left against the price move, as PNG bytes.

Rendered in a worker thread, so it uses matplotlib's object API on the Agg
canvas (pyplot keeps global state and is not thread-safe), imported inside
the function so that nothing else pays for importing matplotlib.  Labels are
English: the default fonts have no CJK glyphs.
"""

from __future__ import annotations

import io

from bot.errors import CalcError


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

    from bot.finance import margin_call_move, wipeout_move

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

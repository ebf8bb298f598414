"""The /leverage what-if: the table of moves and the chart (a real PNG)."""

from __future__ import annotations

import struct

import pytest

from bot.calc.leverage import DEFAULT_MOVES, WhatIfRow, leverage_chart, whatif_table, whatif_text
from bot.errors import CalcError
from bot.text import display_width

PNG = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize(
    ("equity", "leverage", "margin", "move"),
    [
        (10_000_000, 50, None, None),
        (10_000_000, 50, 0.01, -1.5),
        (1_000_000, 20, 0.05, None),  # maintenance above initial margin: call at once
        (500, 1, None, 30),
    ],
)
def test_chart_is_a_png(equity: float, leverage: float, margin: float | None, move: float | None) -> None:
    png = leverage_chart(equity, leverage, margin, move)
    assert png.startswith(PNG)
    assert len(png) > 10_000
    assert _size(png) == (700, 400)


def test_bad_input_is_a_user_error() -> None:
    with pytest.raises(CalcError):
        leverage_chart(0, 50)


def test_whatif_table() -> None:
    rows = whatif_table(1e7, 50)
    assert [row.move_pct for row in rows] == list(DEFAULT_MOVES)
    first = rows[0]
    assert isinstance(first, WhatIfRow)
    assert first.pnl == pytest.approx(-1_250_000)
    assert first.equity_left == pytest.approx(8_750_000)
    assert not first.margin_call
    two = rows[4]
    assert two.move_pct == -2
    assert two.equity_left == pytest.approx(0)
    assert two.margin_call  # wiped out


def test_whatif_table_maintenance_margin() -> None:
    rows = {row.move_pct: row for row in whatif_table(1e7, 50, maintenance_margin=0.01)}
    assert not rows[-1].margin_call  # 5m / 495m = 1.01% ≥ 1%
    assert rows[-1.5].margin_call  # 2.5m / 492.5m = 0.51% < 1%


def test_whatif_table_gains() -> None:
    rows = whatif_table(100, 10, moves=(1, -1))
    assert rows[0].equity_left == pytest.approx(110)
    assert rows[1].equity_left == pytest.approx(90)


def test_whatif_text_flags_calls_and_wipe_outs() -> None:
    rows = whatif_table(1e7, 50, maintenance_margin=0.01)
    text = whatif_text(rows, chinese=False)
    lines = text.splitlines()
    assert len(lines) == len(rows) + 1
    assert "yes (wiped out)" in text and " yes" in text and " no" in text
    assert "是(爆倉)" in whatif_text(rows, chinese=True)
    widths = {display_width(line) for line in whatif_text(rows, chinese=True).splitlines()[1:]}
    assert len(widths) <= 2  # columns line up (right-aligned, the flag column varies)


@pytest.mark.parametrize(("args"), [(1e7, 0), (1e7, 50, (-100,)), (1e7, 50, (-1,), 1.5)])
def test_whatif_bad_inputs(args) -> None:
    with pytest.raises(CalcError) as err:
        whatif_table(*args)
    assert str(err.value) and "\n" not in str(err.value)

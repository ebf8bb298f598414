"""The /leverage chart is a real PNG."""

from __future__ import annotations

import struct

import pytest

from bot.chart import leverage_chart
from bot.errors import CalcError

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

"""Finance formulas against hand-worked examples."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from bot.calc.formulas import (
    Working,
    carry,
    dv01_pnl,
    equity_needed,
    gross_basis,
    haircut_from_leverage,
    implied_repo_rate,
    leverage_from_haircut,
    leverage_ratio,
    loss_from_move,
    margin_call_move,
    margin_call_price,
    net_basis,
    position_size,
    wipeout_move,
)
from bot.errors import CalcError

# ---------------------------------------------------------------- leverage


def test_position_size() -> None:
    work = position_size(1e7, 50)
    assert isinstance(work, Working)
    assert work.value == 500_000_000
    assert work.summary == "Position = 10,000,000 × 50 = 500,000,000"
    assert work.unit == "amount"
    assert "10,000,000 × 50 = 500,000,000" in work.steps
    assert work.text.splitlines()[0] == work.summary


def test_position_size_chinese() -> None:
    work = position_size(1e7, 50, chinese=True)
    assert work.summary == "部位 = 10,000,000(1,000萬) × 50 = 500,000,000(5億)"


def test_working_is_frozen() -> None:
    work = position_size(1, 2)
    with pytest.raises(AttributeError):
        work.value = 3  # type: ignore[misc]


def test_equity_needed() -> None:
    work = equity_needed(500e6, 25)
    assert work.value == 20_000_000
    assert work.summary == "Equity needed = 500,000,000 ÷ 25 = 20,000,000"
    assert equity_needed(5e8, 40).value == 12_500_000


def test_leverage_ratio() -> None:
    assert leverage_ratio(600e6, 15e6).value == 40
    assert leverage_ratio(1e8, 2e6, chinese=True).summary.endswith("= 50 倍")


def test_leverage_from_haircut() -> None:
    work = leverage_from_haircut(0.02)
    assert work.value == 50
    assert work.summary == "Max leverage = 1 ÷ 2% = 50x"
    assert leverage_from_haircut(0.025).value == 40
    assert leverage_from_haircut(0.04).value == 25
    assert leverage_from_haircut(1).value == 1


def test_zero_haircut_sets_no_cap() -> None:
    """A 0% haircut is an answer, not an error: no cap from the haircut (issue 12)."""
    work = leverage_from_haircut(0)
    assert math.isinf(work.value)
    assert work.summary == "No cap from the haircut; margin and the lender's limits still apply"
    assert "折價率不設槓桿上限" in leverage_from_haircut(0, chinese=True).summary


def test_haircut_from_leverage() -> None:
    work = haircut_from_leverage(50)
    assert work.value == pytest.approx(0.02)
    assert work.unit == "fraction"
    assert work.summary == "Haircut = 1 ÷ 50 = 2%"


def test_haircut_round_trip() -> None:
    for haircut in (0.01, 0.02, 0.05, 0.1, 0.5):
        leverage = leverage_from_haircut(haircut).value
        assert haircut_from_leverage(leverage).value == pytest.approx(haircut)


def test_loss_from_move_wipeout() -> None:
    work = loss_from_move(50, 2)
    assert work.value == 100
    assert work.unit == "%"
    assert "wiped out" in work.summary


def test_loss_from_move_with_equity() -> None:
    work = loss_from_move(20, 1.5, equity=5e6)
    assert work.value == 30
    assert "1,500,000" in work.summary
    assert work.steps[-1] == "5,000,000 × 30% = 1,500,000"


def test_loss_from_move_sign_is_ignored() -> None:
    assert loss_from_move(25, -3).value == 75


def test_loss_beyond_equity() -> None:
    work = loss_from_move(50, 3)
    assert work.value == 150
    assert "more than the whole equity" in work.summary


def test_loss_chinese() -> None:
    work = loss_from_move(30, 0.5, 8e6, chinese=True)
    assert work.value == 15
    assert "1,200,000(120萬)" in work.summary


def test_wipeout_move() -> None:
    work = wipeout_move(50)
    assert work.value == 2
    assert work.unit == "%"
    assert "2%" in work.summary
    assert wipeout_move(20).value == 5
    assert wipeout_move(100).value == 1


def test_margin_call_move() -> None:
    # equity/position = (1/L − m)/(1 − m) = mm  →  m = (0.02 − 0.01)/0.99
    work = margin_call_move(50, 0.01)
    assert work.value == pytest.approx((0.02 - 0.01) / 0.99 * 100)
    assert work.value == pytest.approx(1.0101, abs=1e-4)
    assert "1.0101%" in work.summary


def test_margin_call_move_checks_the_ratio() -> None:
    leverage, mm = 20, 0.03
    move = margin_call_move(leverage, mm).value / 100
    position = 100.0
    equity_after = position / leverage - position * move
    assert equity_after / (position * (1 - move)) == pytest.approx(mm)


def test_margin_call_move_without_maintenance_is_wipeout() -> None:
    assert margin_call_move(50, 0).value == pytest.approx(wipeout_move(50).value)


def test_margin_call_price() -> None:
    work = margin_call_price(100, 50, 0.01)
    assert work.value == pytest.approx(100 * (1 - 0.01 / 0.99))
    assert work.unit == "price"


def test_margin_call_short_moves_up() -> None:
    """A short's call comes on a rise: (1/L − m) ÷ (1 + m) = mm → m = (1/L − mm) ÷ (1 + mm)."""
    move = margin_call_move(50, 0.01, "short").value / 100
    assert move == pytest.approx(0.01 / 1.01)
    equity_after = 100 / 50 - 100 * move
    assert equity_after / (100 * (1 + move)) == pytest.approx(0.01)
    work = margin_call_price("100-00", 50, 0.01, "空頭")
    assert work.value == pytest.approx(100 * (1 + 0.01 / 1.01))
    assert "(short)" in work.summary


def test_margin_call_says_which_model() -> None:
    """The leverage model re-marks maintenance on current value: Hull's gold example (ch. 2,
    $1,750, $6,000/$4,500 per 100 oz) gives $1,734.60 here and $1,735 in futures_margin_call."""
    work = margin_call_price(1750, 175_000 / 6000, 4500 / 175_000)
    assert round(work.value, 2) == 1734.60
    assert "model: leverage and haircut" in work.text and "futures_margin_call" in work.text
    with pytest.raises(CalcError):
        margin_call_move(50, 0.01, "sideways")


# ------------------------------------------------------------------- basis


def test_gross_basis() -> None:
    # 110 × 0.91 = 100.1; 100.5 − 100.1 = 0.4
    work = gross_basis(100.5, 110, 0.91)
    assert work.value == pytest.approx(0.4)
    assert work.summary == "Gross basis = 100.5 − 110 × 0.91 = 0.4 points = 12.8/32"
    assert "110 × 0.91 = 100.1" in work.steps


def test_carry_and_net_basis() -> None:
    assert carry(1.2, 0.9).value == pytest.approx(0.3)
    assert carry(0.5, 0.9).value == pytest.approx(-0.4)
    work = net_basis(0.4, 0.3)
    assert work.value == pytest.approx(0.1)
    assert work.summary == "Net basis = 0.4 − 0.3 = 0.1"


def test_implied_repo_rate() -> None:
    # invoice 112 × 0.9 = 100.8; (100.8 + 1) / 100 − 1 = 0.018; × 360/90 = 0.072 → 7.2%
    work = implied_repo_rate(100, 112, 0.9, 90, coupon_income=1.0)
    assert work.value == pytest.approx(7.2)
    assert work.unit == "%"
    assert "ACT/360" in work.summary


def test_implied_repo_rate_without_coupon() -> None:
    # (110 × 0.91 = 100.1) / 99.5 − 1 = 0.00603015; × 360/180 → 1.20603%
    work = implied_repo_rate(99.5, 110, 0.91, 180)
    assert work.value == pytest.approx((100.1 / 99.5 - 1) * 2 * 100)


def test_dv01_pnl_sign() -> None:
    assert dv01_pnl(50_000, 10).value == -500_000  # yields up: long loses
    assert dv01_pnl(50_000, -10).value == 500_000
    assert dv01_pnl(-50_000, 10).value == 500_000  # net short gains
    assert "−50,000 × 10bp = -500,000" in dv01_pnl(50_000, 10).summary


def test_dv01_pnl_side_words_set_the_sign() -> None:
    """long/short (多頭/空頭, 做多/做空) override the DV01's sign: a short gains when yields rise."""
    assert dv01_pnl(9000, -5).value == 45_000
    assert dv01_pnl(9000, 5, "short").value == 45_000
    assert dv01_pnl(-9000, 5, "long").value == -45_000
    assert dv01_pnl(9000, 5, "做空").value == 45_000
    assert "空頭獲利" in dv01_pnl(9000, 5, "short", chinese=True).text


# ----------------------------------------------------------------- what-if


# -------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (position_size, (1e7, 0)),
        (position_size, (1e7, -5)),
        (position_size, (0, 50)),
        (position_size, (math.nan, 50)),
        (position_size, (math.inf, 50)),
        (position_size, ("lots", 50)),
        (equity_needed, (5e8, 0)),
        (leverage_ratio, (5e8, 0)),
        (leverage_from_haircut, (2,)),
        (leverage_from_haircut, (-0.02,)),
        (haircut_from_leverage, (0,)),
        (haircut_from_leverage, (0.5,)),
        (loss_from_move, (0, 2)),
        (loss_from_move, (50, 2, -1)),
        (wipeout_move, (0,)),
        (wipeout_move, (-10,)),
        (margin_call_move, (50, 0.02)),  # maintenance at the initial margin
        (margin_call_move, (50, 0.05)),
        (margin_call_move, (50, 1)),
        (margin_call_move, (50, -0.01)),
        (margin_call_price, (0, 50, 0.01)),
        (gross_basis, (0, 110, 0.91)),
        (gross_basis, (100, 110, 0)),
        (implied_repo_rate, (100, 112, 0.9, 0)),
        (implied_repo_rate, (0, 112, 0.9, 90)),
        (dv01_pnl, (math.inf, 1)),
    ],
)
def test_bad_inputs(func, args) -> None:
    with pytest.raises(CalcError) as err:
        func(*args)
    assert str(err.value) and "\n" not in str(err.value)


def test_import_is_light() -> None:
    code = (
        "import sys, bot.calc.formulas, bot.calc.router, bot.calc.evaluator, bot.calc.tools\n"
        "heavy = {'torch', 'numpy', 'sentence_transformers', 'chromadb', 'langchain_core'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_root()))


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


def test_with_days_the_highest_implied_repo_is_cheapest_even_against_the_lowest_basis() -> None:
    """Hull, Options, Futures and Other Derivatives, ch. 6: with carry, the CTD is the bond with
    the highest implied repo rate.  Hand-made numbers: bond B's higher basis is paid back by the
    accrued interest it earns before delivery (IRR (99.9 + 2 − 101)/101 × 360/90 ≈ 3.56%)."""
    from bot.calc import formulas

    plain = formulas.cheapest_to_deliver(99.9, [100, 101], [1.0, 1.0], names=["A", "B"])
    assert plain.summary.startswith("Cheapest to deliver: A")
    carried = formulas.cheapest_to_deliver(
        99.9, [100, 101], [1.0, 1.0], names=["A", "B"], days=90, accrued_at_purchase=[0, 0], accrued_at_delivery=[0, 2]
    )
    assert carried.summary.startswith("Cheapest to deliver: B")
    assert "lowest basis: A" in carried.text
    assert abs(carried.value - 1.1) < 1e-9

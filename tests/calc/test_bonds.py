"""QuantLib-backed bond arithmetic against Hull's worked examples."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.calc import bonds
from bot.calc.formulas import accrued_interest, bond_price, bond_yield, day_count, dirty_price
from bot.errors import CalcError


def test_hull_accrued_interest() -> None:
    """Hull, Options, Futures, and Other Derivatives (11th ed.), ch. 6, sec. 6.2 "Quotes": on
    5 March 2018 an 11% bond maturing 10 July 2038 has accrued 54/181 × 5.5 = 1.64 per 100."""
    result = bonds.accrued_interest(11, date(2038, 7, 10), date(2018, 3, 5))
    assert result.amount == pytest.approx(1.640884, abs=1e-6)
    assert (result.days, result.period_days) == (54, 181)
    assert result.last_coupon == date(2018, 1, 10) and result.next_coupon == date(2018, 7, 10)
    assert "5.5 × 54/181 = 1.640884" in accrued_interest(11, "2038-07-10", "5 March 2018").summary


def test_hull_cash_price() -> None:
    """Hull (11th ed.), sec. 6.2: quoted 155-16 plus accrued 1.64 → cash price 157.14 per 100."""
    work = dirty_price("155-16", coupon_pct=11, maturity="2038-07-10", settlement="2018-03-05")
    assert round(work.value, 2) == 157.14
    assert dirty_price(155.5, accrued=1.64).value == pytest.approx(157.14)


def test_hull_day_counts() -> None:
    """Hull (11th ed.), ch. 6, sec. 6.1 "Day counts": an 8% bond with coupons on 1 March and
    1 September earns 124/184 × 4 = 2.6957 from 1 March to 3 July under ACT/ACT (Treasury) but
    122/180 × 4 = 2.7111 under 30/360 (corporate)."""
    treasury = bonds.accrued_interest(8, date(2028, 9, 1), date(2018, 7, 3))
    assert (treasury.days, treasury.period_days) == (124, 184)
    assert round(treasury.amount, 4) == 2.6957
    corporate = bonds.accrued_interest(8, date(2028, 9, 1), date(2018, 7, 3), day_count="30/360")
    assert round(corporate.amount, 4) == 2.7111


def test_price_at_six_percent_is_the_conversion_factor() -> None:
    """Hull (11th ed.), sec. 6.2: the 10% bond with exactly 20 years left is worth 146.23 at 6%
    (semiannual) on a coupon date, the 1.4623 conversion factor × 100."""
    work = bond_price(10, "2038-03-01", "2018-03-01", 6)
    assert round(work.value, 2) == 146.23


def test_yield_price_round_trip() -> None:
    """CME's TYZ7 CTD (2-3/8% of Aug-2024) at 101-072 on 11 Oct 2017; the yield reprices the bond."""
    work = bond_yield(2.375, "2024-08-15", "2017-10-11", "101-072")
    assert 2.1 < work.value < 2.25
    back = bond_price(2.375, "2024-08-15", "2017-10-11", work.value)
    assert back.value == pytest.approx(101 + 7.25 / 32, abs=1e-6)
    assert "DV01" in work.text and "modified duration" in work.text


def test_dv01_matches_a_bumped_price() -> None:
    """DV01 per 100 ≈ the price change for a 1bp yield change (checked by repricing)."""
    quote = bonds.price_from_yield(4, date(2034, 11, 15), date(2024, 11, 15), 4)
    up = bonds.price_from_yield(4, date(2034, 11, 15), date(2024, 11, 15), 4.01)
    down = bonds.price_from_yield(4, date(2034, 11, 15), date(2024, 11, 15), 3.99)
    assert quote.clean == pytest.approx(100, abs=1e-9)
    assert quote.dv01 == pytest.approx((down.dirty - up.dirty) / 2, rel=1e-3)


def test_day_count_conventions() -> None:
    """CME's TYZ7 example spans 79 days (11 Oct → 29 Dec 2017), 79/360 under ACT/360; Hull
    (11th ed.), sec. 6.1, Example 6.1: 28 Feb → 1 Mar 2018 is 1 day ACT/ACT but 3 days 30/360."""
    assert bonds.day_count(date(2017, 10, 11), date(2017, 12, 29), "act/360") == (79, pytest.approx(79 / 360))
    assert bonds.day_count(date(2018, 2, 28), date(2018, 3, 1), "30/360")[0] == 3
    assert bonds.day_count(date(2018, 2, 28), date(2018, 3, 1), "act/act")[0] == 1
    assert day_count("2017-10-11", "2017-12-29").value == 79
    assert bonds.day_count(date(2019, 1, 1), date(2020, 1, 1), "act/act")[1] == pytest.approx(1.0)


def test_business_days() -> None:
    """US government-bond calendar: 25 Dec 2017 is a holiday, the next business day is the 26th."""
    assert bonds.adjust_business_day(date(2017, 12, 25)) == date(2017, 12, 26)
    assert bonds.adjust_business_day(date(2017, 12, 27)) == date(2017, 12, 27)


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (accrued_interest, (11, "2018-01-01", "2018-03-05")),  # matured
        (accrued_interest, (11, "not a date", "2018-03-05")),
        (accrued_interest, (-1, "2038-07-10", "2018-03-05")),
        (accrued_interest, (11, "2038-07-10", "2018-03-05", "act/999")),
        (accrued_interest, (11, "2038-07-10", "2018-03-05", "act/act", 3)),
        (bond_price, (5, "2030-01-01", "2020-01-01", 500)),
        (day_count, ("2020-01-02", "2020-01-01")),
        (dirty_price, (100,)),
    ],
)
def test_bad_inputs(func, args) -> None:
    with pytest.raises(CalcError) as err:
        func(*args)
    assert str(err.value) and "\n" not in str(err.value)


def test_quantlib_is_not_imported_by_the_calculator() -> None:
    """`python -m bot calc` stays light: importing the calculator modules loads no QuantLib."""
    code = (
        "import sys, bot.calc.formulas, bot.calc.router, bot.calc.bonds, bot.calc.futures, bot.calc.prices\n"
        "assert 'QuantLib' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).resolve().parents[2]))

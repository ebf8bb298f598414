"""Treasury-futures arithmetic against published worked examples (each test names its source)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calc import futures as fut
from bot.calc.formulas import (
    cheapest_to_deliver,
    contract_specs,
    conversion_factor,
    dv01_pnl,
    futures_dv01,
    futures_margin_call,
    futures_pnl,
    gross_basis,
    hedge_ratio_duration,
    hedge_ratio_dv01,
    implied_repo_for_bond,
    implied_repo_rate,
    invoice_amount,
    repo_interest,
)
from bot.errors import CalcError

# ------------------------------------------------------- conversion factors


def test_hull_conversion_factor_10pct_20y2m() -> None:
    """Hull, Options, Futures, and Other Derivatives (11th ed.), ch. 6, sec. 6.2 "Conversion factors":
    a 10% bond with 20 years 2 months left is taken as exactly 20 years; its price at 6% is
    146.23, so the conversion factor is 1.4623."""
    work = conversion_factor(10, years=20, months=2, contract="US")
    assert work.value == 1.4623
    assert "n = 20, z = 0" in work.text


def test_hull_conversion_factor_8pct_18y4m() -> None:
    """Hull (11th ed.), ch. 6, sec. 6.2: an 8% bond with 18 years 4 months left is rounded down
    to 18 years 3 months; value 125.83 less accrued 2.0 gives 121.99, factor 1.2199."""
    assert conversion_factor(8, years=18, months=4, contract="US").value == 1.2199


def test_cme_tyz7_ctd_factor() -> None:
    """CME Group, "Understanding Treasury Futures" (TYZ7 example): the CTD 2-3/8% of 15 Aug 2024
    has a conversion factor of 0.8072 for December 2017 delivery (6y8m, cut to 6y6m)."""
    work = conversion_factor(2.375, "2024-08-15", "2017-12", "TY")
    assert work.value == 0.8072
    assert fut.conversion_factor(2.375, date(2024, 8, 15), date(2017, 12, 1), "TY") == 0.8072


def test_cme_fvh7_factor_uses_whole_months() -> None:
    """CME Group, "Understanding Treasury Futures" (FVH7 basis example, CF 0.8292) with the
    month rule of "Calculating U.S. Treasury Futures Conversion Factors": the 1-3/4% of
    30 Nov 2021 has 4y8m left on 1 March 2017; FV keeps the 8 months (a quarter rule, as
    FinancePy applies, would cut to 4y6m and give another factor)."""
    assert conversion_factor(1.75, "2021-11-30", "2017-03", "FV").value == 0.8292
    assert fut.conversion_factor_terms(1.75, 4, 8, "FV").factor == 0.8292
    assert fut.conversion_factor_terms(1.75, 4, 8, "TY").factor != 0.8292


def test_six_percent_coupon_factor_is_one() -> None:
    """CME, "Calculating U.S. Treasury Futures Conversion Factors": the factor prices the bond
    at a 6% yield, so a 6% coupon has a factor of 1 at any whole-year term."""
    for years in (2, 5, 10, 20, 29):
        assert fut.conversion_factor_terms(6, years, 0, "US").factor == 1.0


def test_conversion_factor_needs_a_term() -> None:
    with pytest.raises(CalcError):
        conversion_factor(4)
    with pytest.raises(CalcError):
        conversion_factor(4, "2017-01-15", "2017-12")  # matures before delivery
    with pytest.raises(CalcError):
        conversion_factor(4, years=5, months=12)


def test_chinese_working() -> None:
    assert "轉換因子" in conversion_factor(2.375, "2024-08-15", "2017-12", "TY", chinese=True).summary


# ------------------------------------------------------------ basis and CTD


def test_hull_cheapest_to_deliver() -> None:
    """Hull (11th ed.), ch. 6, sec. 6.2 "Cheapest-to-deliver bond": futures 93-08; bonds at
    99.50 / 143.50 / 119.75 with factors 1.0382 / 1.5188 / 1.2615 cost 2.69 / 1.87 / 2.12 to
    deliver, so bond 2 is cheapest."""
    work = cheapest_to_deliver("93-08", [99.50, 143.50, 119.75], [1.0382, 1.5188, 1.2615])
    assert "Bond 2" in work.summary
    assert round(work.value, 2) == 1.87
    text = work.text
    assert "= 2.6879" in text and "= 2.1151" in text  # 2.69 and 2.12 at Hull's two decimals


def test_ctd_by_implied_repo_agrees_without_accrued() -> None:
    """With equal days and no accrued, the lowest basis per dollar is the highest implied repo."""
    work = cheapest_to_deliver(93.25, [99.5, 143.5, 119.75], [1.0382, 1.5188, 1.2615], days=90)
    assert "highest implied repo: Bond 2" in work.text


def test_hull_basis_routes_32nds_futures() -> None:
    """Hull (11th ed.), sec. 6.2: bond 1, 99.50 − 93-08 × 1.0382 = 2.69 (the issue's first bug read 93-08 as 93)."""
    assert round(gross_basis(99.5, "93-08", 1.0382).value, 2) == 2.69


def test_cme_fvh7_gross_basis() -> None:
    """CME Group, "Understanding Treasury Futures" (basis example): cash 99-10+, futures
    117-18+, CF 0.8292 → gross basis 1.8323 points = 58.6/32nds."""
    work = gross_basis("99-10+", "117-18+", 0.8292)
    assert round(work.value, 4) == 1.8323
    assert "58.6/32" in work.summary


# ----------------------------------------------------------- implied repo


def test_cme_tyz7_implied_repo_without_accrued_is_wrong() -> None:
    """CME Group, "Understanding Treasury Futures" (TYZ7 implied repo): futures 125-08+
    (125.265625), CTD clean 101.2266, CF 0.8072, 79 days.  Clean prices alone give −0.505%,
    the issue's symptom; the working says accrued is missing."""
    work = implied_repo_rate(101.2266, 125.265625, 0.8072, 79)
    assert round(work.value, 3) == -0.505
    assert "no accrued interest given" in work.text


def test_cme_tyz7_implied_repo_with_accrued() -> None:
    """Same CME example with accrued interest on the 2-3/8% of Aug-2024 (0.3679 at purchase on
    11 Oct 2017, 0.8777 at delivery on 29 Dec 2017, 79 days): 1.78%."""
    work = implied_repo_rate(
        101.2266, "125-08+", 0.8072, 79, accrued_at_purchase=0.367867, accrued_at_delivery=0.877717
    )
    assert round(work.value, 2) == 1.78
    work = implied_repo_for_bond(
        2.375, "2024-08-15", 101.2266, 125.265625, 0.8072, "2017-10-11", "2017-12-29"
    )
    assert round(work.value, 2) == 1.78
    assert "79 days" in work.text


def test_implied_repo_interim_coupon() -> None:
    """CME's formula with a coupon 30 days before delivery, worked by hand:
    cost 100.5, invoice 100.2, coupon 2: (100.2 + 2 − 100.5) × 360 ÷ (100.5 × 120 − 2 × 30) = 5.1004%."""
    work = implied_repo_rate(
        100,
        100,
        0.995,
        120,
        coupon_income=2,
        accrued_at_purchase=0.5,
        accrued_at_delivery=0.7,
        days_coupon_to_delivery=30,
    )
    assert work.value == pytest.approx((100.2 + 2 - 100.5) * 360 / (100.5 * 120 - 60) * 100)


def test_implied_repo_for_bond_finds_the_interim_coupon() -> None:
    """A purchase before the 15 Feb coupon and delivery after it: the coupon is counted."""
    work = implied_repo_for_bond(2.375, "2024-08-15", 101, 125, 0.8072, "2018-01-10", "2018-03-29")
    assert "paid 2018-02-15" in work.text and "42 days before delivery" in work.text


def test_implied_repo_bad_inputs() -> None:
    with pytest.raises(CalcError):
        implied_repo_rate(100, 100, 1, 30, coupon_income=1, days_coupon_to_delivery=30)
    with pytest.raises(CalcError):
        implied_repo_for_bond(2.375, "2024-08-15", 101, 125, 0.8072, "2018-01-10", "2018-01-01")


# ------------------------------------------------------------ invoice, DV01, hedge


def test_hull_invoice() -> None:
    """Hull (11th ed.), ch. 6, sec. 6.2: settlement price 120-00, conversion factor 1.3800,
    accrued 3 per 100 → the short receives 1.38 × 120 + 3 = 168.60 per 100, $168,600 a contract."""
    work = invoice_amount("120-00", 1.38, 3, "US")
    assert work.value == 168_600
    assert "168.6 per 100" in work.summary


def test_hull_duration_hedge() -> None:
    """Hull (11th ed.), ch. 6, sec. 6.4 "Duration-based hedging" example: $10 million of bonds
    with duration 6.80, T-bond futures at 93-02, CTD duration 9.20 → 79.42 contracts."""
    work = hedge_ratio_duration(10_000_000, 6.8, "93-02", 9.2, "US")
    assert round(work.value, 2) == 79.42


def test_futures_dv01_and_dv01_hedge() -> None:
    """CME Group, "Understanding Treasury Futures": futures DV01 = CTD DV01 ÷ CF.  Worked by hand
    for the TYZ7 CTD: $63.71 per $100,000 ÷ 0.8072 = $78.93; a $50,000 DV01 needs 633.5 contracts."""
    dv01 = futures_dv01(63.71, 0.8072).value
    assert round(dv01, 2) == 78.93
    assert round(hedge_ratio_dv01(50_000, dv01).value, 1) == 633.5


# ------------------------------------------------------------------ specs and P&L


def test_cme_tick_values() -> None:
    """CME Group contract specifications: TY ticks in 1/2 of 1/32 on $100,000 ($15.625), US in
    1/32 ($31.25), FV in 1/4 of 1/32 ($7.8125), TU in 1/8 of 1/32 on $200,000 ($7.8125)."""
    assert contract_specs("TY").value == 15.625
    assert contract_specs("US").value == 31.25
    assert contract_specs("UB").value == 31.25
    assert contract_specs("FV").value == 7.8125
    assert contract_specs("TU").value == 7.8125
    assert contract_specs("ZN").value == 15.625  # alias
    assert "$15.625" in contract_specs("TY").summary
    with pytest.raises(CalcError):
        contract_specs("XX")


def test_futures_pnl_in_ticks() -> None:
    """Hand-worked: 10 TY from 112-16 to 113-02+ is 37 half-32nd ticks × $15.625 × 10 = $5,781.25."""
    assert futures_pnl("112-16", "113-02+", 10, "TY").value == 5781.25
    short = futures_pnl("112-16", "113-02+", 10, "TY", "short")
    assert short.value == -5781.25 and "−$5,781.25" in short.summary
    assert futures_pnl(120, "120-01", 1, "US", "做空").value == -31.25


def test_short_sofr_dv01_pnl() -> None:
    """The issue's short-SOFR example: a DV01 of −$2,500 (a short of 100 three-month SOFR
    futures at CME's $25 per basis point) and a 79bp rise in rates → +$197,500.  The figure is
    reproduced from the contract's $25/bp; the publication with the 79bp scenario was not available here."""
    assert dv01_pnl(-2500, 79).value == 197_500
    assert dv01_pnl(2500, 79, "short").value == 197_500
    assert dv01_pnl(2500, 79, "空頭").value == 197_500
    assert dv01_pnl(-2500, 79, "long").value == -197_500
    assert "gains" in dv01_pnl(2500, 79, "short").text


def test_repo_interest() -> None:
    """ACT/360 money-market interest, hand-worked: $100m at 5.3% for 30 days = $441,666.67."""
    assert round(repo_interest(1e8, 5.3, 30).value, 2) == 441_666.67
    assert round(repo_interest(1e8, 5.3, 30, 365).value, 2) == 435_616.44
    with pytest.raises(CalcError):
        repo_interest(1e8, 5.3, 30, 300)


# ------------------------------------------------------------------ exchange margin


def test_hull_gold_margin_call() -> None:
    """Hull (11th ed.), ch. 2, sec. 2.4 (Table 2.1): long gold futures of 100 oz at $1,750, initial
    margin $6,000 and maintenance $4,500 per contract → a call once the price falls to $1,735
    (the leverage model gives $1,734.60, the issue's bug)."""
    work = futures_margin_call(1750, 6000, 4500, 100, contracts=2)
    assert work.value == 1735
    assert "exchange margin" in work.text


def test_hull_orange_juice_margin_call() -> None:
    """Hull, end-of-chapter problem 2 (frozen orange juice): two long contracts of 15,000 lb at
    160 cents, initial $6,000 and maintenance $4,500 per contract → call at 150 cents; $2,000
    can be withdrawn at 166.67 cents.  Price in cents, so the size is $150 per cent."""
    work = futures_margin_call(160, 6000, 4500, 150, contracts=2, withdraw=2000)
    assert work.value == 150
    assert "166.6667" in work.text


def test_hull_wheat_short_margin_call() -> None:
    """Hull, end-of-chapter problem 2 (wheat): a short of 5,000 bushels at 750 cents, initial
    $3,000 and maintenance $2,000 → call when the price rises to 770 cents; $1,500 can be
    withdrawn at 720 cents."""
    work = futures_margin_call(750, 3000, 2000, 50, side="short", withdraw=1500)
    assert work.value == 770
    assert "720" in work.text


def test_variation_margin_path() -> None:
    """Hand-worked in the layout of Hull's Table 2.1: 2 gold contracts from $1,750, balance
    $12,000, maintenance $9,000: −$9 → 10,200; −$6.30 → 8,940 < 9,000 → call 3,060."""
    path = fut.margin_path(1750, [1741, 1734.7, 1740], 2, 100, 6000, 4500)
    assert [round(d.balance, 2) for d in path] == [10_200, 8_940, 13_060]
    assert [round(d.call, 2) for d in path] == [0, 3_060, 0]
    work = futures_margin_call(1750, 6000, 4500, 100, 2, settlements=[1741, 1734.7, 1740])
    assert "call $3,060" in work.text


def test_treasury_margin_by_contract() -> None:
    """TY at 112-00 with $4,000 / $3,600 per contract: $400 ÷ $1,000 a point = 0.4 → long call at 111.6."""
    assert futures_margin_call("112-00", 4000, 3600, contract="TY").value == pytest.approx(111.6)
    assert futures_margin_call("112-00", 4000, 3600, contract="TY", side="short").value == pytest.approx(
        112.4
    )


def test_margin_bad_inputs() -> None:
    for args in ((100, 1000, 2000, 10), (100, 1000, 500), (100, 0, 0, 10)):
        with pytest.raises(CalcError):
            futures_margin_call(*args)
    with pytest.raises(CalcError):
        futures_margin_call(100, 1000, 500, 10, side="sideways")

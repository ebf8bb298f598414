"""Chat routing for the Treasury-desk formulas, in all three scripts (bot/calc/desk.py via router.route)."""

from __future__ import annotations

import pytest

from bot.calc import desk
from bot.calc.evaluator import TOO_COMPLEX, normalise
from bot.calc.router import route, run
from bot.errors import CalcError

ROUTED = [
    # the 32nds bugs: futures 93-08 is 93.25, not 93
    (
        "cash 99.50, futures 93-08, CF 1.0382, what is the gross basis?",
        "gross_basis",
        {"cash_price": 99.5, "futures_price": 93.25, "conversion_factor": 1.0382},
    ),
    (
        "現貨 99-10+，期貨 117-18+，轉換因子 0.8292",
        "gross_basis",
        {"cash_price": 99.328125, "futures_price": 117.578125, "conversion_factor": 0.8292},
    ),
    ("99-16+", "price_32nds", {"price": "99-16+"}),
    ("101-16 in decimal?", "price_32nds", {"price": "101-16"}),
    ("101.5 in 32nds", "price_32nds", {"price": 101.5}),
    # signs: a negative DV01, 個基點, long/short words
    ("My DV01 is -2500 and rates rise 79bp", "dv01_pnl", {"dv01": -2500, "bp_move": 79}),
    ("DV01 9000，殖利率下降5個基點", "dv01_pnl", {"dv01": 9000, "bp_move": -5}),
    (
        "我做空，DV01 9000，殖利率上升5個基點，損益多少？",
        "dv01_pnl",
        {"dv01": 9000, "bp_move": 5, "side": "short"},
    ),
    ("I'm long, dv01 50k, yields fall 10bp", "dv01_pnl", {"dv01": 50_000, "bp_move": -10, "side": "long"}),
    # specs and ticks
    ("what is the tick value of TY?", "contract_specs", {"contract": "TY"}),
    ("UB 合約規格?", "contract_specs", {"contract": "UB"}),
    (
        "long 10 TY from 112-16 to 113-02+, P&L?",
        "futures_pnl",
        {"entry_price": 112.5, "exit_price": 113.078125, "contract": "TY", "contracts": 10, "side": "long"},
    ),
    (
        "做空5口US期貨，從120-00到119-16，損益多少?",
        "futures_pnl",
        {"entry_price": 120, "exit_price": 119.5, "contract": "US", "contracts": 5, "side": "short"},
    ),
    # exchange margin
    (
        "gold: bought 2 contracts of 100 oz at $1,750, initial margin $6,000, maintenance margin $4,500; margin call price?",
        "futures_margin_call",
        {
            "initial_margin": 6000,
            "maintenance_margin": 4500,
            "price": 1750,
            "contract_size": 100,
            "contracts": 2,
            "side": "long",
        },
    ),
    (
        "short wheat 5,000 bushels at 750 cents, initial margin $3,000, maintenance margin $2,000, margin call price?",
        "futures_margin_call",
        {
            "initial_margin": 3000,
            "maintenance_margin": 2000,
            "price": 750,
            "contract_size": 50,
            "side": "short",
        },
    ),
    # leverage-model margin call keeps its model, with the side
    (
        "short at 50x with a 1% maintenance margin, what move triggers a margin call?",
        "margin_call_move",
        {"leverage": 50, "maintenance_margin": 0.01, "side": "short"},
    ),
    # conversion factors, CTD, accrued, invoice
    (
        "8%票息債券,剩餘18年4個月,US期貨的轉換因子是多少?",
        "conversion_factor",
        {"coupon_pct": 8, "contract": "US", "years": 18, "months": 4},
    ),
    (
        "conversion factor for 2.375% coupon maturing 2024-08-15, TY delivery Dec 2017",
        "conversion_factor",
        {"coupon_pct": 2.375, "contract": "TY", "maturity": "2024-08-15", "delivery_month": "2017-12"},
    ),
    (
        "期货 93-08，债券 99.50 cf 1.0382，143.50 cf 1.5188，119.75 cf 1.2615，最便宜可交割的是哪只？",
        "cheapest_to_deliver",
        {
            "futures_price": 93.25,
            "cash_prices": [99.5, 143.5, 119.75],
            "conversion_factors": [1.0382, 1.5188, 1.2615],
        },
    ),
    (
        "accrued interest on an 11% bond maturing 2038-07-10 settling 2018-03-05?",
        "accrued_interest",
        {"coupon_pct": 11, "maturity": "2038-07-10", "settlement": "2018-03-05"},
    ),
    (
        "11% bond maturing July 10, 2038, quoted 155-16, settlement March 5, 2018: cash price?",
        "dirty_price",
        {"clean_price": 155.5, "coupon_pct": 11, "maturity": "2038-07-10", "settlement": "2018-03-05"},
    ),
    (
        "期貨結算價120-00，轉換因子1.38，應計利息3，交割發票金額多少?",
        "invoice_amount",
        {"futures_price": 120, "conversion_factor": 1.38, "accrued": 3},
    ),
    # DV01s, hedges, repo
    (
        "CTD DV01 64.5, CF 0.8072, what is the futures DV01?",
        "futures_dv01",
        {"ctd_dv01": 64.5, "conversion_factor": 0.8072},
    ),
    (
        "对冲：组合DV01 5万，期货DV01 79.9，要多少口？",
        "hedge_ratio_dv01",
        {"portfolio_dv01": 50_000, "futures_dv01": 79.9},
    ),
    (
        "hedge a $10 million portfolio, duration 6.8, futures 93-02, CTD duration 9.2: how many contracts?",
        "hedge_ratio_duration",
        {"portfolio_value": 1e7, "portfolio_duration": 6.8, "futures_price": 93.0625, "ctd_duration": 9.2},
    ),
    (
        "回購借1億美元，利率5.3%，30天，利息多少?",
        "repo_interest",
        {"principal": 1e8, "rate_pct": 5.3, "days": 30},
    ),
    (
        "implied repo: cash 101.2266, futures 125-08+, cf 0.8072, 79 days, accrued 0.3679 at purchase and 0.8777 at delivery",
        "implied_repo_rate",
        {
            "cash_price": 101.2266,
            "futures_price": 125.265625,
            "conversion_factor": 0.8072,
            "days": 79,
            "accrued_at_purchase": 0.3679,
            "accrued_at_delivery": 0.8777,
        },
    ),
    (
        "2.375% coupon bond maturing 2024-08-15, settlement 2017-10-11, price 101-072, yield?",
        "bond_yield",
        {
            "coupon_pct": 2.375,
            "maturity": "2024-08-15",
            "settlement": "2017-10-11",
            "clean_price": 101.2265625,
        },
    ),
    (
        "how many days between 2017-10-11 and 2017-12-29, act/360?",
        "day_count",
        {"start": "2017-10-11", "end": "2017-12-29", "convention": "act/360"},
    ),
    (
        "2018年3月1日到2018年2月28日 30/360 計息天數?",
        "day_count",
        {"start": "2018-02-28", "end": "2018-03-01", "convention": "30/360"},
    ),
]


@pytest.mark.parametrize(("text", "tool", "args"), ROUTED)
def test_routes(text: str, tool: str, args: dict) -> None:
    call = route(text)
    assert call is not None, text
    assert (call.tool, call.args) == (tool, args)
    run(call)  # every routed call computes


def test_published_answers_through_chat() -> None:
    """The issue's chat examples end to end: Hull's 2.69 (sec. 6.2), CME's 58.6/32 and
    1.78%, the short's +197,500, Hull's $1,735 gold call (ch. 2)."""
    assert "= 2.68785 points" in run(route("cash 99.50, futures 93-08, CF 1.0382, gross basis?")).summary
    assert "58.6/32" in run(route("現貨 99-10+，期貨 117-18+，轉換因子 0.8292")).summary
    assert run(route("My DV01 is -2500 and rates rise 79bp")).value == 197_500
    assert run(route(next(text for text, _, args in ROUTED if args.get("price") == 1750))).value == 1735
    irr = run(route(next(text for text, tool, _ in ROUTED if tool == "implied_repo_rate")))
    assert round(irr.value, 2) == 1.78


def test_bare_32nds_expression_keeps_arithmetic_and_notes_the_price() -> None:
    call = route("101-16")
    assert call is not None and call.tool == "calculator"
    work = run(call)
    assert work.value == 85 and "as a 32nds price: 101.5" in work.text


def test_working_is_in_the_askers_script() -> None:
    assert run(route("TY 的最小跳動是多少美元?")).summary.startswith("TY(10年期")
    assert route("what is the tick value of TY?").chinese is False


@pytest.mark.parametrize(
    "text",
    [
        "what is a tick in the basis trade?",  # no contract
        "how long is a TY futures contract?",  # no tick keyword
        "what happened to repo rates in March 2020?",
        "the 10-15 day repo market",  # not a price context: 10-15 stays a range
        "什麼是轉換因子?",
    ],
)
def test_knowledge_questions_are_not_routed_to_desk(text: str) -> None:
    assert desk.desk_call(normalise(text)) is None


def test_32nds_only_in_a_price_context() -> None:
    assert desk.with_decimal_prices("futures 93-08") == "futures 93.25"
    assert desk.with_decimal_prices("between 10-15 days") == "between 10-15 days"
    assert desk.with_decimal_prices("long at 20-25x leverage") == "long at 20-25x leverage"
    assert desk.with_decimal_prices("short futures 10-15 天") == "short futures 10-15 天"


def test_side_words() -> None:
    assert desk.side_words("i'm short the futures") == "short"
    assert desk.side_words("做多國債") == "long"
    assert desk.side_words("空頭部位") == "short"
    assert desk.side_words("how long does delivery take") is None


@pytest.mark.parametrize(
    "text",
    [
        "dv01 " + "9" * 900,
        "futures " + "99-16 " * 160,
        "cf " * 300,
        "initial margin $" + "1," * 400,
        "2024-08-15 " * 80,
        "accrued " + "1" * 990,
        "hedge duration " + "6.8 " * 200,
        "tick ty " * 120,
    ],
)
def test_hostile_messages_stay_linear(text: str) -> None:
    """Long runs of labels, digits and separators finish inside the regex time limit (a
    super-linear pattern would raise the one-line TOO_COMPLEX error instead)."""
    try:
        call = route(text[:1000])
        if call is not None:
            run(call)
    except CalcError as err:
        assert str(err) != TOO_COMPLEX
        assert "\n" not in str(err)

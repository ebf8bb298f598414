"""Routing chat messages to the calculator in Traditional, Simplified and English."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calc.formulas import Working
from bot.calc.router import CalcCall, route, run
from bot.errors import CalcError


def _approx(args: dict) -> dict:
    return {key: pytest.approx(value) for key, value in args.items()}


ROUTES = [
    # position size
    ("本金1000萬美元,用50倍槓桿,部位多大?", "position_size", {"equity": 1e7, "leverage": 50}, True),
    ("本金1000万美元,50倍杠杆,仓位多大", "position_size", {"equity": 1e7, "leverage": 50}, True),
    ("with $10m equity at 50x leverage, how big is the position?", "position_size",
     {"equity": 1e7, "leverage": 50}, False),
    ("how big a position can I run with $10m of equity at 50x?", "position_size",
     {"equity": 1e7, "leverage": 50}, False),
    ("leverage of 50 and equity 10m, position?", "position_size", {"equity": 1e7, "leverage": 50}, False),
    ("本金１０００萬，５０倍槓桿，部位多大？", "position_size", {"equity": 1e7, "leverage": 50}, True),
    # equity needed
    ("部位5億、槓桿20倍要多少本金?", "equity_needed", {"position": 5e8, "leverage": 20}, True),
    ("仓位5亿美元,杠杆40倍,需要多少本金?", "equity_needed", {"position": 5e8, "leverage": 40}, True),
    ("how much equity do I need for a $500m position at 25x", "equity_needed",
     {"position": 5e8, "leverage": 25}, False),
    ("2bn position at 50x, what's my equity?", "equity_needed", {"position": 2e9, "leverage": 50}, False),
    # leverage actually run
    ("我有200万美元本金,想做1亿美元的仓位,杠杆是多少倍?", "leverage_ratio",
     {"position": 1e8, "equity": 2e6}, True),
    ("how much leverage is a 600m position on 15m equity", "leverage_ratio",
     {"position": 6e8, "equity": 1.5e7}, False),
    # haircut
    ("折價率2%最多幾倍槓桿?", "leverage_from_haircut", {"haircut": 0.02}, True),
    ("折价率2%最多几倍杠杆?", "leverage_from_haircut", {"haircut": 0.02}, True),
    ("what leverage does a 2% haircut allow", "leverage_from_haircut", {"haircut": 0.02}, False),
    ("repo haircut is 2.5%, whats the max leverage i can get", "leverage_from_haircut", {"haircut": 0.025}, False),
    ("what haircut does 50x leverage imply?", "haircut_from_leverage", {"leverage": 50}, False),
    ("50倍槓桿對應多少折價率?", "haircut_from_leverage", {"leverage": 50}, True),
    # wipe-out
    ("at 50x what drop wipes me out?", "wipeout_move", {"leverage": 50}, False),
    ("at 50x leverage how big of a move wipes me out?", "wipeout_move", {"leverage": 50}, False),
    ("50倍槓桿跌多少會爆倉?", "wipeout_move", {"leverage": 50}, True),
    ("50倍杠杆跌多少会爆仓", "wipeout_move", {"leverage": 50}, True),
    # loss from a move
    ("50倍槓桿下跌1%虧多少?", "loss_from_move", {"leverage": 50, "move_pct": 1}, True),
    ("50倍杠杆下跌1%亏多少?", "loss_from_move", {"leverage": 50, "move_pct": 1}, True),
    ("at 20x leverage a 1.5% drop loses how much", "loss_from_move", {"leverage": 20, "move_pct": 1.5}, False),
    ("25倍槓桿下,部位不利變動3%,本金虧幾%?", "loss_from_move", {"leverage": 25, "move_pct": 3}, True),
    ("本金800萬美元、槓桿30倍,部位跌0.5%會虧多少?", "loss_from_move",
     {"leverage": 30, "move_pct": 0.5, "equity": 8e6}, True),
    ("fund has $5m equity at 20x leverage and the position drops 1.5%. how much do we lose in dollars?",
     "loss_from_move", {"leverage": 20, "move_pct": 1.5, "equity": 5e6}, False),
    # margin call
    ("at 50x with a 1% maintenance margin, what drop triggers a margin call?", "margin_call_move",
     {"leverage": 50, "maintenance_margin": 0.01}, False),
    ("50倍槓桿,維持保證金1%,跌多少會被追繳?", "margin_call_move",
     {"leverage": 50, "maintenance_margin": 0.01}, True),
    # rates and basis
    ("dv01 is 50k, if yields rise 10bp what is my P&L?", "dv01_pnl", {"dv01": 5e4, "bp_move": 10}, False),
    ("dv01 5萬 利率下降10基點 損益多少?", "dv01_pnl", {"dv01": 5e4, "bp_move": -10}, True),
    ("gross basis: cash 100.5, futures 110, cf 0.91?", "gross_basis",
     {"cash_price": 100.5, "futures_price": 110, "conversion_factor": 0.91}, False),
    ("基差多少? 現貨100.5 期貨110 轉換因子0.91", "gross_basis",
     {"cash_price": 100.5, "futures_price": 110, "conversion_factor": 0.91}, True),
    ("implied repo: cash 100, futures 112, cf 0.9, 90 days, coupon 1?", "implied_repo_rate",
     {"cash_price": 100, "futures_price": 112, "conversion_factor": 0.9, "days": 90, "coupon_income": 1}, False),
    ("net basis if gross basis 0.4 and carry 0.3?", "net_basis", {"gross_basis": 0.4, "carry": 0.3}, False),
]


@pytest.mark.parametrize(("text", "tool", "args", "chinese"), ROUTES)
def test_route(text: str, tool: str, args: dict, chinese: bool) -> None:
    call = route(text)
    assert call is not None
    assert call.tool == tool
    assert call.args == _approx(args)
    assert call.chinese is chinese


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("what's 3.5% of 250 million", "3.5% * 250 million"),
        ("1000萬*50", "1000萬*50"),
        ("(1+2)*3", "(1+2)*3"),
        ("２＋２", "2+2"),
        ("10億 x 2% = ?", "10億 * 2%"),
        ("101 - 110*0.915", "101 - 110*0.915"),
        ("計算 1000萬 x 50", "1000萬 * 50"),
        ("1000萬的50倍是多少", "1000萬 * 50"),
        ("5亿除以20", "5亿 / 20"),
        ("what is 2 plus 2?", "2 + 2"),
        ("10 divided by 4", "10 / 4"),
        ("sqrt(2)", "sqrt(2)"),
        ("how much is 5億 / 20?", "5億 / 20"),
    ],
)
def test_route_expression(text: str, expression: str) -> None:
    call = route(text)
    assert call == CalcCall("calculator", {"expression": expression}, call.chinese)


@pytest.mark.parametrize(
    "text",
    [
        "什麼是基差交易?",
        "什么是基差交易?",
        "how much leverage do these funds use?",
        "what happened in March 2020?",
        "2020年3月發生了什麼?",
        "2020",
        "2020-03-16",
        "Why did 50x leverage blow up funds in 2020?",
        "in 2008 funds ran 30x leverage, what happened?",
        "How did the 2% haircut change things in 2020?",
        "What is the 10-year yield right now?",
        "現在30年期美債殖利率多少?",
        "美联储2024年9月会降息吗?",
        "hedge fund 在 2020 年 3 月為什麼一直被 margin call?",
        "__import__('os')",
        "open('/etc/passwd').read()",
        "",
        "   ",
        "1" * 2000,
        "hello",
        "-5",
    ],
)
def test_not_routed(text: str) -> None:
    assert route(text) is None


def test_calc_call_is_frozen() -> None:
    call = CalcCall("wipeout_move", {"leverage": 50}, False)
    with pytest.raises(AttributeError):
        call.tool = "x"  # type: ignore[misc]


# --------------------------------------------------------------------- run


def test_run_position_english() -> None:
    work = run(route("with $10m equity at 50x leverage, how big is the position?"))
    text = work.text
    assert isinstance(work, Working)
    assert work.value == 500_000_000
    assert text.startswith("Position = 10,000,000 × 50 = 500,000,000")


def test_run_position_chinese() -> None:
    work = run(route("本金1000萬美元,用50倍槓桿,部位多大?"))
    text = work.text
    assert work.value == 500_000_000
    assert text.startswith("部位 = ")
    assert "5億" in text


def test_run_simplified_question_answers_in_traditional() -> None:
    text = run(route("50倍杠杆跌多少会爆仓")).text
    assert text.startswith("爆倉跌幅")
    assert "2%" in text


def test_run_calculator() -> None:
    result = run(route("what's 3.5% of 250 million"))
    assert result.value == 8_750_000
    assert result.text == "3.5% * 250 million = 8,750,000"


def test_run_calculator_chinese_units() -> None:
    assert run(route("1000萬*50")).text == "1000萬*50 = 500,000,000(5億)"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("本金1000萬美元,用50倍槓桿,部位多大?", "500,000,000"),
        ("我有200万美元本金,想做1亿美元的仓位,杠杆是多少倍?", "50"),
        ("repo haircut is 2.5%, whats the max leverage i can get", "40"),
        ("at 50x leverage how big of a move wipes me out?", "2%"),
        ("25倍槓桿下,部位不利變動3%,本金虧幾%?", "75%"),
        ("仓位5亿美元,杠杆40倍,需要多少本金?", "12,500,000"),
        ("fund has $5m equity at 20x leverage and the position drops 1.5%. how much do we lose in dollars?",
         "1,500,000"),
        ("折价率4%,杠杆上限多少倍?", "25"),
        ("2bn position at 50x, what's my equity?", "40,000,000"),
        ("本金800萬美元、槓桿30倍,部位跌0.5%會虧多少?", "1,200,000"),
        ("10億 x 2% = ?", "20,000,000"),
        ("101 - 110*0.915", "0.35"),
        ("how much leverage is a 600m position on 15m equity", "40"),
        ("at 50x with a 1% maintenance margin, what drop triggers a margin call?", "1.0101%"),
        ("gross basis: cash 100.5, futures 110, cf 0.91?", "= 0.4"),
        ("implied repo: cash 100, futures 112, cf 0.9, 90 days, coupon 1?", "7.2%"),
    ],
)
def test_run_answers(text: str, answer: str) -> None:
    call = route(text)
    assert call is not None
    assert answer in run(call).text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9**9**9**9", "Number too large."),
        ("10**10**10", "Number too large."),
        ("1/0", "Division by zero."),
        ("1000萬/0", "Division by zero."),
        ("(1+2", "Unbalanced parentheses."),
    ],
)
def test_bad_expressions_raise_from_run(text: str, message: str) -> None:
    call = route(text)
    assert call is not None and call.tool == "calculator"
    with pytest.raises(CalcError, match=message.replace(".", r"\.")):
        run(call)


def test_bad_finance_arguments_raise_from_run() -> None:
    with pytest.raises(CalcError):
        run(CalcCall("wipeout_move", {"leverage": 0}, False))
    # a 0% haircut is an answer now (issue 12): no cap from the haircut
    assert "折價率不設槓桿上限" in run(route("折價率0%最多幾倍槓桿?")).summary
    with pytest.raises(CalcError):
        run(CalcCall("position_size", {"nonsense": 1}, False))
    with pytest.raises(CalcError):
        run(CalcCall("no_such_tool", {}, False))


_WORDS = st.sampled_from(
    ["本金", "部位", "槓桿", "杠杆", "倍", "x", "%", "多少", "?", "爆倉", "跌", "haircut", "折價率", "position",
     "equity", "at", "how much", "what", "dv01", "bp", "cash", "futures", "cf", "days", "implied repo", "萬",
     "億", "m", "bn", " ", ",", "1", "50", "2.5", "1000", "2020", "年", "of", "+", "*", "/", "(", ")",
     "维持保证金", "margin call", "lose", "需要", "０", "＋"]
)


@settings(deadline=500, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(_WORDS, max_size=40).map("".join)))
def test_route_never_raises(text: str) -> None:
    call = route(text)
    if call is None:
        return
    assert isinstance(call, CalcCall)
    try:
        answer = run(call).text
    except CalcError as err:
        assert str(err) and "\n" not in str(err)
    else:
        assert answer


def test_terse_max_leverage_question_is_routed():
    call = route("max leverage w/ a 5% repo haircut?")
    assert call is not None and call.tool == "leverage_from_haircut"
    assert call.args["haircut"] == pytest.approx(0.05)


# ----------------------------------------------------------------- e-notation


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        # the whole number, never the digits after its "e" (this read 2x before)
        ("1e2x leverage, 10m equity, how big is the position?", "position_size", {"equity": 1e7, "leverage": 100}),
        ("at 1e2x what drop wipes me out?", "wipeout_move", {"leverage": 100}),
        ("本金1e7, 50倍槓桿,部位多大?", "position_size", {"equity": 1e7, "leverage": 50}),
        ("what leverage does a 2.5e0% haircut allow", "leverage_from_haircut", {"haircut": 0.025}),
        ("dv01 is 5e4, if yields rise 10bp what is my P&L?", "dv01_pnl", {"dv01": 5e4, "bp_move": 10}),
    ],
)
def test_e_notation_is_read_whole(text: str, tool: str, args: dict) -> None:
    call = route(text)
    assert call is not None
    assert (call.tool, call.args) == (tool, _approx(args))


def test_e_notation_expression() -> None:
    call = route("1e2*3")
    assert call == CalcCall("calculator", {"expression": "1e2*3"}, False)
    assert run(call).value == 300


@pytest.mark.parametrize("text", ["at 1e308x what drop wipes me out?", "1e308*2", "1e400x leverage, 10m equity, position?"])
def test_e_notation_beyond_the_evaluator_range_is_refused_the_same_way(text: str) -> None:
    """1e308 used to be read as 308 (or as an answer nobody needs); now as evaluate("1e308") reads it."""
    call = route(text)
    assert call is not None
    with pytest.raises(CalcError, match=r"^Number too large\.$"):
        run(call)


def test_decimal_arithmetic_shows_no_float_noise() -> None:
    assert run(route("0.1+0.2-0.3")).text == "0.1+0.2-0.3 = 0"
    assert run(route("0.1+0.2")).text == "0.1+0.2 = 0.3"

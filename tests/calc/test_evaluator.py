"""The safe evaluator: chat units, formatting, and hostile input."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calc.evaluator import CalcResult, evaluate, format_number, parse_amount
from bot.errors import CalcError

# ------------------------------------------------------------------ parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000萬", 1e7),
        ("1,000万", 1e7),
        ("5億", 5e8),
        ("5亿", 5e8),
        ("1兆", 1e12),
        ("10k", 1e4),
        ("10K", 1e4),
        ("2.5m", 2.5e6),
        ("3mm", 3e6),
        ("1.5bn", 1.5e9),
        ("2b", 2e9),
        ("1 trillion", 1e12),
        ("250 million", 2.5e8),
        ("3 billion", 3e9),
        ("2%", 0.02),
        ("50bp", 0.005),
        ("50 bps", 0.005),
        ("50基點", 0.005),
        ("50基点", 0.005),
        ("$10m", 1e7),
        ("US$1億", 1e8),
        ("１２３", 123),
        ("50x", 50),
        ("50倍", 50),
        ("1000萬美元", 1e7),
        ("USD 5m", 5e6),
        ("-2%", -0.02),
        ("1億2000萬", 1.2e8),
        ("3萬5千", 35000),
        ("1千萬", 1e7),
        ("5 萬", 5e4),
        ("1,234,567.5", 1234567.5),
        ("１，０００万", 1e7),
    ],
)
def test_parse_amount(text: str, expected: float) -> None:
    assert parse_amount(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "1+1", "ten", "50 apples", "$", "1e999", "x" * 300])
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(CalcError):
        parse_amount(text)


# ------------------------------------------------------------------- evaluate


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1+1", 2),
        ("(1+2)*3", 9),
        ("２＋２", 4),
        ("（１＋２）＊３", 9),
        ("10 − 4", 6),
        ("3 × 4", 12),
        ("12 ÷ 4", 3),
        ("2 · 5", 10),
        ("１０／４", 2.5),
        ("2^10", 1024),
        ("2**10", 1024),
        ("2＾3", 8),
        ("-2**2", -4),
        ("2**-2", 0.25),
        ("--3", 3),
        ("-(1+2)", -3),
        ("1,000,000/4", 250_000),
        ("1,234.5 + 0.5", 1235),
        ("1000萬*50", 5e8),
        ("1000万*50", 5e8),
        ("5億/20", 2.5e7),
        ("1兆/1億", 1e4),
        ("3.5% * 250m", 8_750_000),
        ("3.5% * 250 million", 8_750_000),
        ("3.5% of 250 million", 8_750_000),
        ("10 % 3", 0.3),  # percent-of, never modulo
        ("10% 3", 0.3),
        ("50% + 1", 1.5),
        ("(1+2)%", 0.03),
        ("(3+2)萬", 50_000),
        ("50bp * 1m", 5_000),
        ("50 bps * 2", 0.01),
        ("25基點 * 4", 0.01),
        ("1.5bn - 2b", -5e8),
        ("10k + 1mm", 1_010_000),
        ("1 trillion / 1 billion", 1000),
        ("$10m * 50", 5e8),
        ("US$1億 x 2", 2e8),
        ("1000萬 x 50", 5e8),
        ("2x3", 6),
        ("50x", 50),
        ("50倍", 50),
        ("10億 x 2% = ?", 2e7),
        ("1+1=", 2),
        ("101 - 110*0.915", 0.35),
        ("0.1+0.2", 0.3),
        ("sqrt(16)", 4),
        ("log(exp(2))", 2),
        ("ln(1)", 0),
        ("log10(1000)", 3),
        ("log(8, 2)", 3),
        ("exp(0)", 1),
        ("abs(-3)", 3),
        ("round(3.14159, 2)", 3.14),
        ("round(2.5)", 2),
        ("min(3, 1, 2)", 1),
        ("max(-1, -2)", -1),
        ("max(1,000)", 1000),  # thousands rule: ",000" then ")" is a separator
        ("min(1,2)", 1),
        ("min(1, 000)", 0),
        ("2²", 4),
        ("1e6 * 3", 3e6),
        ("((((1))))", 1),
    ],
)
def test_evaluate(expr: str, expected: float) -> None:
    result = evaluate(expr)
    assert isinstance(result, CalcResult)
    assert result.value == pytest.approx(expected)


def test_result_fields() -> None:
    result = evaluate("1000萬*50")
    assert result.expression == "10000000 * 50"
    assert result.value == 500_000_000
    assert result.text == "500,000,000(5億)"
    assert result.chinese_units is True

    plain = evaluate("3.5% of 250 million")
    assert plain.expression == "0.035 * 250000000"
    assert plain.text == "8,750,000"
    assert plain.chinese_units is False


@pytest.mark.parametrize("expr", ["5億", "1000万 + 1", "1兆", "(1+2)萬"])
def test_chinese_units_flag(expr: str) -> None:
    assert evaluate(expr).chinese_units


@pytest.mark.parametrize("expr", ["1k + 1", "3 千", "１２３", "2%"])
def test_no_chinese_units_flag(expr: str) -> None:
    assert not evaluate(expr).chinese_units


def test_whole_results_are_ints() -> None:
    assert isinstance(evaluate("2*3").value, int)
    assert isinstance(evaluate("1/4").value, float)


def test_frozen_result() -> None:
    result = evaluate("1+1")
    with pytest.raises(AttributeError):
        result.value = 3  # type: ignore[misc]


# ---------------------------------------------------------------- hostile input

HOSTILE = [
    ("9**9**9**9", "Number too large."),
    ("10**10000", "Number too large."),
    ("10**10**10", "Number too large."),
    ("2**2**2**2**2**2", "Number too large."),
    ("1e999", "Number too large."),
    ("9" * 150, "Number too large."),
    ("10**100*10", "Number too large."),
    ("exp(1000)", "Number too large."),
    ("(" * 500 + "1" + ")" * 500, "Expression too long (max 200 characters)."),
    ("(" * 40 + "1" + ")" * 40, "Too deeply nested (max 30 levels)."),
    ("abs(" * 32 + "1" + ")" * 32, "Too deeply nested (max 30 levels)."),
    ("1+" * 150 + "1", "Expression too long (max 200 characters)."),
    ("1/0", "Division by zero."),
    ("1000萬/0", "Division by zero."),
    ("1/(1-1)", "Division by zero."),
    ("0**-1", "Division by zero."),
    ("foo", "Unknown name: foo"),
    ("nan", "Unknown name: nan"),
    ("inf", "Unknown name: inf"),
    ("factorial(1000)", "Unknown function: factorial"),
    ("__import__('os')", "Unknown function: __import__"),
    ("open('/etc/passwd').read()", "Unknown function: open"),
    ("lambda: 1", "Unknown name: lambda"),
]


@pytest.mark.parametrize(("expr", "message"), HOSTILE)
def test_hostile_messages(expr: str, message: str) -> None:
    with pytest.raises(CalcError) as err:
        evaluate(expr)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "expr",
    [
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "(1).__class__",
        "__import__('os').system('ls')",
        "'abc'",
        '"a" * 10',
        "[x for x in (1, 2)]",
        "{1: 2}",
        "[1, 2][0]",
        "1 if 1 else 2",
        "1 < 2",
        "1 and 2",
        "x = 1",
        "1; 2",
        "f'{1}'",
        "(-8)**(1/3)",
        "sqrt(-1)",
        "log(0)",
        "round(1.5, 0.5)",
        "sqrt(1, 2)",
        "sqrt()",
        "sqrt",
        "max()",
        "()",
        "(1+2",
        "1+2)",
        "1+",
        "1 2",
        "2(3)",
        "1,00",
        "1..2",
        "",
        "   ",
        "-",
        "∞",
        "基差",
        "1e-200",
        "a" * 201,
        "1" * 201,
        "print(1)",
        "exec('1')",
        "eval('1')",
        "getattr(1, 'real')",
        "\x00",
    ],
)
def test_rejected(expr: str) -> None:
    with pytest.raises(CalcError) as err:
        evaluate(expr)
    message = str(err.value)
    assert message
    assert "\n" not in message
    assert len(message) < 120


def test_long_expression_message() -> None:
    with pytest.raises(CalcError, match=r"^Expression too long \(max 200 characters\)\.$"):
        evaluate("1+" * 100 + "1")


def test_max_length_is_accepted() -> None:
    expr = "+".join(["1"] * 100)  # 199 characters
    assert evaluate(expr).value == 100


def test_tiny_powers_underflow_to_zero() -> None:
    assert evaluate("2**-2000").value == 0


# ------------------------------------------------------------------ formatting


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (500_000_000, {"chinese": True}, "500,000,000(5億)"),
        (12_345_678, {"chinese": True}, "12,345,678(1,234.5678萬)"),
        (1.5e12, {"chinese": True}, "1,500,000,000,000(1.5兆)"),
        (-1.5e12, {"chinese": True}, "-1,500,000,000,000(-1.5兆)"),
        (120_000_000, {"chinese": True}, "120,000,000(1.2億)"),
        (10_000, {"chinese": True}, "10,000(1萬)"),
        (9_999, {"chinese": True}, "9,999"),
        (500_000_000, {}, "500,000,000"),
        (1234.5, {}, "1,234.5"),
        (0.30000000000000004, {}, "0.3"),
        (1 / 3, {}, "0.333333"),
        (2.0, {}, "2"),
        (-0.0, {}, "0"),
        (0, {}, "0"),
        (1e12 / 3, {}, "333,333,333,333.333"),
        (0.0125, {}, "0.0125"),
        (2.5, {"decimals": 2}, "2.50"),
        (1234567.891, {"decimals": 0}, "1,234,568"),
        (-0.001, {"decimals": 2}, "0.00"),
        (1e25, {}, "1e+25"),
    ],
)
def test_format_number(value: float, kwargs: dict, expected: str) -> None:
    assert format_number(value, **kwargs) == expected


def test_format_number_normal_magnitudes_never_scientific() -> None:
    for value in (1e-6, 0.5, 1, 1e6, 1e9, 1e12, 1e15, 1e18):
        assert "e" not in format_number(value)


# ---------------------------------------------------------------- properties

_ALPHABET = st.sampled_from(
    list("0123456789") * 3
    + list("+-*/^%().,x ")
    + ["**", "萬", "万", "億", "亿", "兆", "千", "倍", "基點", "k", "m", "bn", "bp", "e", "of"]
    + ["sqrt(", "log(", "max(", "min(", "round(", "exp(", "abs(", "__", "'", "[", "]", "="]
    + list("＋－＊／（）．，％＾１２３×÷−·²")
    + ["\u3000", "\x00", "\u200b", "é", "𝟙", "٣", "①", "½"]
)


def _check(expr: str) -> None:
    try:
        result = evaluate(expr)
    except CalcError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert isinstance(result, CalcResult)
    assert math.isfinite(result.value)
    assert isinstance(result.text, str) and result.text


@settings(deadline=500, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_gives_result_or_calc_error(expr: str) -> None:
    _check(expr)


@settings(deadline=500, max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_calculator_like_text_gives_result_or_calc_error(expr: str) -> None:
    _check(expr)


@settings(deadline=500, max_examples=200)
@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.sampled_from(["+", "-", "*", "/"]),
    st.floats(min_value=0.001, max_value=1e6, allow_nan=False),
)
def test_matches_python_arithmetic(a: float, op: str, b: float) -> None:
    expr = f"{a!r} {op} {b!r}"
    if "e" in expr or len(expr) > 200:
        return  # scientific literals are fine but keep the comparison simple
    expected = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
    assert evaluate(expr).value == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("expr", "value"),
    [("2×10⁹", 2e9), ("3²", 9), ("10⁻²", 0.01), ("5²+1", 26), ("(1+1)³", 8)],
)
def test_superscripts_are_exponents(expr, value):
    assert evaluate(expr).value == pytest.approx(value)


# ------------------------------------------------- decimal arithmetic, e-notation


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("0.1+0.2-0.3", "0"),  # 5.55e-17 in binary floats
        ("0.1+0.2", "0.3"),
        ("0.3-0.1-0.2", "0"),
        ("3*0.1", "0.3"),
        ("1.1**2", "1.21"),
        ("37.2**6", "2,650,071,791.4071"),
        ("sqrt(2)**2 - 2", "0"),  # rounding noise of an inexact step cancels to zero
        ("1/3*3 - 1", "0"),
        ("round(2.675, 2)", "2.68"),  # the decimal 2.675, not the binary 2.67499…
        ("log(8, 2)", "3"),
    ],
)
def test_no_float_noise(expr: str, text: str) -> None:
    assert evaluate(expr).text == text


@pytest.mark.parametrize(
    ("expr", "value", "text"),
    [
        ("1e-9*2", 2e-9, "2e-09"),
        ("0.000001*0.000001", 1e-12, "1e-12"),
        ("1.0000000000000001 - 1", 1e-16, "1e-16"),  # exact decimals: a real tiny difference stays
        ("0.000002", 2e-6, "0.000002"),
    ],
)
def test_tiny_results_are_not_rounded_to_zero(expr: str, value: float, text: str) -> None:
    result = evaluate(expr)
    assert result.value == pytest.approx(value, rel=1e-12)
    assert result.text == text


@pytest.mark.parametrize(("expr", "value"), [("1e2", 100), ("2.5e3 + 1", 2501), ("2.5e-3 * 2", 0.005), ("1e2x", 100)])
def test_e_notation(expr: str, value: float) -> None:
    assert evaluate(expr).value == pytest.approx(value)


@pytest.mark.parametrize(("expr", "message"), [("1e308", "Number too large."), ("1e101", "Number too large."), ("1e-101", "Number too small.")])
def test_e_notation_out_of_range(expr: str, message: str) -> None:
    with pytest.raises(CalcError) as err:
        evaluate(expr)
    assert str(err.value) == message

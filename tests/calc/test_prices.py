"""Treasury 32nds notation: reading and writing quotes the way a desk does."""

from __future__ import annotations

import pytest

from bot.calc.prices import (
    as_price,
    find_prices,
    format_32nds,
    is_32nds,
    parse_32nds,
    points_in_32nds,
    price_note,
)
from bot.errors import CalcError


@pytest.mark.parametrize(
    ("quote", "value"),
    [
        ("101-16", 101.5),
        ("99-16+", 99 + 16.5 / 32),
        ("125-132", 125 + 13.25 / 32),
        ("99-162", 99 + 16.25 / 32),
        ("99-165", 99 + 16.5 / 32),
        ("99-167", 99 + 16.75 / 32),
        ("99'16", 99.5),
        ("120-05", 120 + 5 / 32),
        ("139-025", 139 + 2.5 / 32),
        ("110-061", 110 + 6.125 / 32),  # TU eighths: 1 = 1/8
        ("110-066", 110 + 6.625 / 32),  # 6 = 5/8
        ("93-08", 93.25),
        ("155-16", 155.5),
    ],
)
def test_parse_32nds(quote: str, value: float) -> None:
    assert is_32nds(quote)
    assert parse_32nds(quote) == pytest.approx(value, abs=1e-12)


def test_published_quotes() -> None:
    """CME Group, "Understanding Treasury Futures" (basis section): cash 99-10+ is 99.328125 and
    futures 117-18+ is 117.578125; Hull, Options, Futures, and Other Derivatives (11th ed.),
    sec. 6.1: "95-16" means 95 16/32 = 95.50."""
    assert parse_32nds("99-10+") == 99.328125
    assert parse_32nds("117-18+") == 117.578125
    assert parse_32nds("95-16") == 95.5


@pytest.mark.parametrize("text", ["101-32", "99-164", "99-169", "99-1", "99", "abc", "99-16++", "1999-01"])
def test_not_32nds(text: str) -> None:
    assert not is_32nds(text)
    with pytest.raises(CalcError) as err:
        parse_32nds(text)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("value", "quote"),
    [
        (101.5, "101-16"),
        (99.515625, "99-16+"),
        (125 + 13.25 / 32, "125-132"),
        (99 + 16.75 / 32, "99-167"),
        (120.0, "120-00"),
        (93.0625, "93-02"),
        (-0.5, "-0-16"),
        (101.2266, "≈101-072"),  # CME's 101.2266 is 101-07.25 rounded
    ],
)
def test_format_32nds(value: float, quote: str) -> None:
    assert format_32nds(value) == quote


def test_format_round_trips() -> None:
    for ticks in range(0, 32 * 4):
        value = 100 + ticks / 128
        assert parse_32nds(format_32nds(value)) == pytest.approx(value)


def test_eighths() -> None:
    assert format_32nds(110 + 6.125 / 32, eighths=True) == "110-061"
    assert format_32nds(110 + 6.125 / 32).startswith("≈")


def test_points_in_32nds() -> None:
    """CME, "Understanding Treasury Futures": a 1.8323-point basis is 58.6/32nds."""
    assert points_in_32nds(1.8323) == "58.6/32"
    assert points_in_32nds(-0.5) == "-16/32"
    assert points_in_32nds(0.0) == "0/32"


def test_find_prices_skips_dates_and_decimals() -> None:
    found = find_prices("cash 99.50, futures 93-08, date 2020-03-15, also 101-16+ and 5-40")
    assert [value for _, _, value in found] == [93.25, 101.515625]


def test_as_price() -> None:
    assert as_price("Price", "99-16") == 99.5
    assert as_price("Price", "99.5") == 99.5
    assert as_price("Price", 99.5) == 99.5
    for bad in ("lots", 0, -1, float("inf"), True, "1e400"):
        with pytest.raises(CalcError):
            as_price("Price", bad)


def test_hostile_input_is_linear() -> None:
    """Long runs of digits and separators must not make the token regex backtrack."""
    assert find_prices("9-" * 5000 + "9" * 5000) == []
    assert len(find_prices("99-16 " * 2000)) == 2000


def test_price_note_for_bare_expressions() -> None:
    """The issue's misreadings: 101-16, 120-05, 139-025 and 125-132 are prices to a Treasury reader."""
    assert price_note("101-16") == "as a 32nds price: 101.5"
    assert price_note("120-05") == "as a 32nds price: 120.15625"
    assert price_note("139-025") == "as a 32nds price: 139.078125"
    assert price_note("125-132") == "as a 32nds price: 125.4140625"
    assert price_note("101-45") is None
    assert price_note("2+2") is None

"""Treasury price notation: 32nds and their fractions, read and written the way a desk does.

A Treasury price is quoted in points per 100 of face value and 32nds of a point:
``99-16`` is 99 + 16/32 = 99.5.  A third character splits the 32nd further:
``+`` is a half (``99-16+`` = 99 16.5/32), and a digit is the truncated decimal of
the fraction — ``2`` = ¼, ``5`` = ½, ``7`` = ¾ (quarters, as FV and TY quote) and
``1 3 6 8`` = ⅛ ⅜ ⅝ ⅞ (eighths, as TU quotes), so ``125-132`` = 125 13.25/32.
``'`` works like ``-`` (``99'16``).  Pure Python: no QuantLib here.
"""

from __future__ import annotations

import math

from bot.calc.evaluator import guarded
from bot.errors import CalcError

__all__ = [
    "PRICE_TOKEN",
    "as_price",
    "find_prices",
    "format_32nds",
    "is_32nds",
    "parse_32nds",
    "points_in_32nds",
    "price_note",
    "split_32nds",
]

#: What the third character of a 32nds quote adds, in 32nds.
_FRACTION_DIGITS = {"0": 0.0, "1": 0.125, "2": 0.25, "3": 0.375, "5": 0.5, "6": 0.625, "7": 0.75, "8": 0.875}
_DIGIT_FOR_FRACTION = {value: digit for digit, value in _FRACTION_DIGITS.items()}

#: One 32nds price inside text (on normalised input).  Every part is bounded, so matching is linear.
PRICE_TOKEN = r"(?<![\d.'’\-])(\d{1,3})\s{0,1}[-'’](\d{2})(\+|[0-35-8](?![\d.]))?(?![\d.+])"
_TOKEN_RE = guarded(PRICE_TOKEN)
_WHOLE_RE = guarded(rf"^\s{{0,3}}{PRICE_TOKEN}\s{{0,3}}$")


def _from_parts(whole: str, ticks: str, extra: str | None) -> float:
    thirty_seconds = int(ticks)
    if thirty_seconds > 31:
        raise CalcError(f"{whole}-{ticks}: 32nds run from 00 to 31.")
    fraction = 0.5 if extra == "+" else _FRACTION_DIGITS[extra] if extra else 0.0
    return int(whole) + (thirty_seconds + fraction) / 32


def is_32nds(text: str) -> bool:
    """True when the whole text is one 32nds quote such as ``99-16+`` or ``125-132``."""
    m = _WHOLE_RE.match(text)
    return bool(m) and int(m.group(2)) <= 31


def split_32nds(text: str) -> tuple[int, float]:
    """``"125-132"`` → (125, 13.25): the whole points and the 32nds, for showing the working."""
    value = parse_32nds(text)
    whole = int(value)
    return whole, (value - whole) * 32


def parse_32nds(text: str) -> float:
    """``"99-16+"`` → 99.515625; a :class:`CalcError` when the text is not a 32nds quote."""
    m = _WHOLE_RE.match(text)
    if not m:
        raise CalcError(f"Not a 32nds price: {text.strip()[:40]} (write e.g. 99-16, 99-16+ or 125-132).")
    return _from_parts(m.group(1), m.group(2), m.group(3))


def as_price(name: str, value: float | str) -> float:
    """A price argument given as a number, a decimal string or a 32nds quote; must be positive."""
    if isinstance(value, str):
        text = value.strip()
        if is_32nds(text):
            number = parse_32nds(text)
        else:
            try:
                number = float(text)
            except ValueError:
                raise CalcError(f"{name} must be a price such as 99.5 or 99-16.") from None
    elif isinstance(value, bool):
        raise CalcError(f"{name} must be a price such as 99.5 or 99-16.")
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise CalcError(f"{name} must be a price such as 99.5 or 99-16.") from None
    if not math.isfinite(number) or number <= 0 or number > 1e6:
        raise CalcError(f"{name} must be a positive price below 1,000,000.")
    return number


def find_prices(text: str) -> list[tuple[int, int, float]]:
    """Every valid 32nds quote in normalised text, as (start, end, decimal value)."""
    found = []
    for m in _TOKEN_RE.finditer(text):
        if int(m.group(2)) > 31:
            continue
        found.append((m.start(), m.end(), _from_parts(m.group(1), m.group(2), m.group(3))))
    return found


def format_32nds(value: float, *, eighths: bool = False) -> str:
    """A decimal price as a desk writes it: 101.5 → ``101-16``, 99.515625 → ``99-16+``.

    Prices on the quarter-32nd grid (eighths with ``eighths=True``) come out exact;
    others are rounded to that grid and marked ``≈``.
    """
    if not math.isfinite(value) or abs(value) > 1e9:
        raise CalcError("Price out of range.")
    step = 8 if eighths else 4
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    units = magnitude * 32 * step
    rounded = round(units)
    approx = not math.isclose(units, rounded, abs_tol=1e-6)
    whole, rest = divmod(int(rounded), 32 * step)
    ticks, part = divmod(rest, step)
    fraction = part / step
    if fraction == 0:
        tail = ""
    elif fraction == 0.5:
        tail = "+"
    else:
        tail = _DIGIT_FOR_FRACTION[fraction]
    return f"{'≈' if approx else ''}{sign}{whole}-{ticks:02d}{tail}"


def points_in_32nds(points: float) -> str:
    """A price difference (basis, P&L) in 32nds: 1.8323 → ``58.6/32``."""
    if not math.isfinite(points) or abs(points) > 1e9:
        raise CalcError("Value out of range.")
    n = round(points * 32, 1)
    text = f"{n:.1f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return f"{text}/32"


def price_note(expression: str) -> str | None:
    """For a bare expression that is also a 32nds quote ("101-16"), the line a desk reader needs."""
    if not is_32nds(expression):
        return None
    return f"as a 32nds price: {parse_32nds(expression):.10g}"

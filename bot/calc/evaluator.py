"""Safe arithmetic for chat: amounts as people type them, never ``eval``.

Input is first read by a small tokenizer that knows the chat dialect (unit
suffixes such as 萬/億/m/bn/bp, full-width characters, thousands separators,
postfix ``%``) and rejects everything else.  It writes a plain Python
expression made only of numbers, ``+ - * / **``, parentheses and whitelisted
function calls, which :mod:`simpleeval` then evaluates with every other node
type switched off.  Every operation is checked so that hostile input (exponent
bombs, deep nesting, huge literals) fails fast with a :class:`CalcError`.

Percent rule: ``%`` is always a postfix percent (divide by 100), never modulo.
When an operand follows a percent directly, the two are multiplied, so
``"10 % 3"`` reads as "10% of 3" = 0.3, and ``"3.5% of 250m"`` = 8,750,000.

Multiples: ``x`` between operands multiplies ("1000萬 x 50"); a trailing
``x`` or ``倍`` ("50x", "50倍") is just the number.  ``of`` multiplies.

Thousands rule: inside a number, a comma followed by exactly three digits and
then a non-digit is a thousands separator (``"1,000,000"``); any other comma
separates function arguments.  So ``max(1,000)`` is ``max(1000)``; write
``max(1, 000)`` to mean two arguments.

E-notation: ``1e6`` is a million, ``2.5e-3`` is 0.0025 (at most four exponent
digits); the router reads it the same way, and a value beyond 1e100 (or a
literal below 1e-100) is refused with "Number too large." / "Number too small.".

Decimal arithmetic: literals are read exactly and every operation runs on
:class:`decimal.Decimal` (34 digits), so ``0.1 + 0.2 - 0.3`` is 0, not
5.55e-17, while a genuinely tiny result (``0.000001 * 0.000001``) stays 1e-12.

Patterns: every regex on chat text is a :class:`GuardedPattern` (the
``regex`` module with a time limit) and is written so that matching is linear;
``python -m bench.hostile`` checks that against adversarial input.
"""

from __future__ import annotations

import ast
import decimal
import math
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import regex
import simpleeval

from bot.errors import CalcError

__all__ = [
    "AMOUNT_PATTERN",
    "MAX_LENGTH",
    "REGEX_TIMEOUT",
    "CalcResult",
    "GuardedPattern",
    "check_magnitude",
    "evaluate",
    "format_number",
    "guarded",
    "normalise",
    "parse_amount",
]

MAX_LENGTH = 200
MAX_DEPTH = 30
MAX_MAGNITUDE = 1e100
_MAX = Decimal(10) ** 100
_PRECISION = 34
# An add or subtract that cancels below this many digits under its operands, after an
# inexact step (a square root, 1/3), is rounding noise: sqrt(2)**2 - 2 is 0, not 1e-33.
_NOISE_DIGITS = _PRECISION - 4
_CONTEXT = decimal.Context(
    prec=_PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

#: Seconds one regex call on chat text may run.  Every pattern here is linear (see the module
#: docstring); the limit is the backstop for a pattern a later edit makes super-linear.
REGEX_TIMEOUT = 0.25
TOO_COMPLEX = "Message too complex for the calculator."


class GuardedPattern:
    """A compiled :mod:`regex` pattern whose every call gives up after :data:`REGEX_TIMEOUT`.

    Why ``regex`` rather than ``re``: it releases the GIL while it matches a ``str``, so even
    a slow match in a worker thread never freezes discord.py's event loop (``re`` holds the
    GIL for the whole match; ``python -m bench.hostile`` measures both), and its
    ``timeout=`` turns a runaway match into a one-line :class:`CalcError` (:data:`TOO_COMPLEX`)
    instead of a stuck worker.  The methods mirror ``re.Pattern``'s, without flags.

    Compiled on first use: ``regex`` compiles about five times slower than ``re``, and
    importing the calculator (``python -m bot calc``, every CLI start) should not pay for
    patterns it never runs.  Two threads racing to compile both get an equal pattern.
    """

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, source: str, flags: int = 0) -> None:
        self.pattern = source
        self.flags = flags
        self._compiled: regex.Pattern[str] | None = None

    @property
    def compiled(self) -> regex.Pattern[str]:
        if self._compiled is None:
            self._compiled = regex.compile(self.pattern, self.flags)
        return self._compiled

    def __repr__(self) -> str:
        return f"guarded({self.pattern!r})"

    def search(self, text: str, pos: int = 0) -> regex.Match[str] | None:
        try:
            return self.compiled.search(text, pos, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            raise CalcError(TOO_COMPLEX) from None

    def match(self, text: str, pos: int = 0) -> regex.Match[str] | None:
        try:
            return self.compiled.match(text, pos, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            raise CalcError(TOO_COMPLEX) from None

    def finditer(self, text: str) -> Iterator[regex.Match[str]]:
        """All matches, found up front so that the time limit covers the whole scan."""
        try:
            return iter(list(self.compiled.finditer(text, timeout=REGEX_TIMEOUT)))
        except TimeoutError:
            raise CalcError(TOO_COMPLEX) from None

    def sub(self, repl: str | Callable[[regex.Match[str]], str], text: str) -> str:
        try:
            return self.compiled.sub(repl, text, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            raise CalcError(TOO_COMPLEX) from None


def guarded(source: str, flags: int = 0) -> GuardedPattern:
    """A pattern for chat text (compiled on first use): linear by construction, time-limited as a backstop."""
    return GuardedPattern(source, flags)


CHINESE_UNIT_CHARS = "萬万億亿兆"

# Characters NFKC leaves alone but people type as operators.
_OPERATOR_MAP = str.maketrans(
    {
        "−": "-",  # minus sign
        "–": "-",  # en dash
        "—": "-",  # em dash
        "×": "*",
        "✕": "*",
        "·": "*",
        "⋅": "*",
        "∙": "*",
        "÷": "/",
        "∕": "/",
        "（": "(",
        "）": ")",
        "，": ",",
        "、": ",",
        "。": ".",
        # File/group/record/unit separators: str.isspace() calls them spaces, `regex`'s \s
        # does not; spaces they become, so every pattern sees them the same way.
        "\x1c": " ",
        "\x1d": " ",
        "\x1e": " ",
        "\x1f": " ",
    }
)

_CJK_FACTORS: dict[str, Decimal] = {
    "十": Decimal(10),
    "百": Decimal(100),
    "千": Decimal(1000),
    "萬": Decimal(10) ** 4,
    "万": Decimal(10) ** 4,
    "億": Decimal(10) ** 8,
    "亿": Decimal(10) ** 8,
    "兆": Decimal(10) ** 12,
}

_WORD_FACTORS: dict[str, Decimal] = {
    "trillion": Decimal(10) ** 12,
    "billion": Decimal(10) ** 9,
    "million": Decimal(10) ** 6,
    "thousand": Decimal(1000),
    "tn": Decimal(10) ** 12,
    "bn": Decimal(10) ** 9,
    "mm": Decimal(10) ** 6,
    "k": Decimal(1000),
    "m": Decimal(10) ** 6,
    "b": Decimal(10) ** 9,
    "bps": Decimal("0.0001"),
    "bp": Decimal("0.0001"),
}

_SYMBOL_FACTORS: dict[str, Decimal] = {
    "%": Decimal("0.01"),
    "基點": Decimal("0.0001"),
    "基点": Decimal("0.0001"),
}

# Possessive quantifiers (`++`, `*+`, `?+`) throughout: a run of digits or spaces is read
# once and never re-split, which is what keeps every pattern linear in the message length.
_NUMBER_SRC = r"(?:\d++(?:,\d{3}+(?!\d))*+(?:\.\d*+)?+|\.\d++)(?:e[+-]?+\d{1,4}+(?!\d))?+"
_WORD_UNIT_SRC = "|".join(sorted(_WORD_FACTORS, key=len, reverse=True))
_UNIT_SRC = (
    rf"(?:\s*+(?:{_WORD_UNIT_SRC})(?![a-z])"
    rf"|\s*+[{''.join(_CJK_FACTORS)}]++"
    r"|\s*+(?:%|基點|基点))"
)
_CURRENCY_PREFIX_SRC = r"(?:us\$|usd\s*+|\$)"
_CURRENCY_SUFFIX_SRC = r"(?:\s*+(?:美元|美金|元|usd|dollars?)(?![a-z]))"

#: Regex source matching one amount as typed in chat (on normalised text, see
#: :func:`normalise`): optional currency, number, optional unit(s), optional
#: currency word.  Shared with the router so both read amounts the same way.
AMOUNT_PATTERN = (
    rf"{_CURRENCY_PREFIX_SRC}?(?:{_NUMBER_SRC})"
    rf"(?:{_UNIT_SRC}(?:\d++(?:\.\d++)?+[{''.join(_CJK_FACTORS)}]++)*+)?"
    rf"{_CURRENCY_SUFFIX_SRC}?"
)

_NUMBER_RE = guarded(_NUMBER_SRC)
_WORD_UNIT_RE = guarded(rf"\s*+({_WORD_UNIT_SRC})(?![a-z])")
_CJK_UNIT_RE = guarded(rf"\s*+([{''.join(_CJK_FACTORS)}]++)")
_CJK_TAIL_RE = guarded(rf"(\d++(?:\.\d++)?+)([{''.join(_CJK_FACTORS)}]++)")
_SYMBOL_UNIT_RE = guarded(r"\s*+(%|基點|基点)")
_IDENT_RE = guarded(r"[a-z_][a-z0-9_]*+")
_CURRENCY_RE = guarded(
    r"(?:us\$|\$|(?<![a-z])usd(?![a-z])|(?<![a-z])dollars?(?![a-z])|美元|美金|(?<=[\d萬万億亿兆千百十])元)"
)
# Anchored at the end and tried only where a run of spaces starts (the look-behind), so a
# long run of spaces is scanned once rather than once per space.
_MULTIPLE_SUFFIX_RE = guarded(r"(?<!\s)\s*+(?:x|倍|times)$")


@dataclass(frozen=True)
class CalcResult:
    """One evaluated expression, kept with the form that was actually computed.

    ``expression`` is the normalised Python-syntax form that was evaluated
    (units expanded: "3.5% of 250m" -> "0.035 * 250000000"); ``text`` is the
    value alone, formatted by :func:`format_number` (with 萬/億/兆 when the
    input used Chinese units, which ``chinese_units`` records).
    """

    expression: str
    value: float
    text: str
    chinese_units: bool


# ---------------------------------------------------------------- formatting


def _plain(value: float, decimals: int | None) -> str:
    if not math.isfinite(value):
        return str(value)
    if decimals is not None:
        text = f"{value:,.{decimals}f}"
    else:
        magnitude = abs(value)
        if magnitude and (magnitude < 1e-6 or magnitude >= 1e21):
            return f"{value:.6g}"
        # Keep about 15 significant digits so float noise never shows.
        whole_digits = len(str(int(magnitude))) if magnitude >= 1 else 0
        places = max(0, min(6, 15 - whole_digits))
        text = f"{value:,.{places}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text


def format_number(value: float, *, chinese: bool = False, decimals: int | None = None) -> str:
    """Write a number the way a chat reader expects, optionally with 萬/億/兆.

    Without ``decimals`` up to six decimals are kept and trailing zeros are
    dropped; with ``decimals`` exactly that many are shown (handy in tables).
    """
    value = float(value)
    text = _plain(value, decimals)
    if chinese and math.isfinite(value):
        magnitude = abs(value)
        for factor, name in ((1e12, "兆"), (1e8, "億"), (1e4, "萬")):
            if magnitude >= factor:
                return f"{text}({_plain(value / factor, None)}{name})"
    return text


# ------------------------------------------------------------- normalising


_SUPERSCRIPT = guarded(r"[⁺⁻]?+[⁰¹²³⁴⁵⁶⁷⁸⁹]++")
_SUPERSCRIPT_PLAIN = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")


def normalise(text: str) -> str:
    """Fold full-width and typographic variants so one grammar covers all scripts.

    Superscripts are exponents ("10⁹" is 10^9), rewritten before NFKC would turn
    them into plain digits ("109").
    """
    text = _SUPERSCRIPT.sub(lambda m: f"^({m.group().translate(_SUPERSCRIPT_PLAIN)})", text)
    text = text.translate(_OPERATOR_MAP)
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_OPERATOR_MAP).lower()


def _check_magnitude(value: Decimal) -> Decimal:
    if value and value.adjusted() > 100:
        raise CalcError("Number too large.")
    if value and value.adjusted() < -100:
        raise CalcError("Number too small.")
    return value


def check_magnitude(value: float) -> float:
    """Refuse a number the evaluator would refuse as a literal (beyond 1e100, below 1e-100),
    with the same message, so the router's e-notation ("1e308x") fails the same way."""
    number = float(value)
    if math.isnan(number):
        raise CalcError("Result is not a number.")
    if math.isinf(number):
        raise CalcError("Number too large.")
    _check_magnitude(Decimal(repr(number)))
    return value


def _to_decimal(digits: str) -> Decimal:
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        raise CalcError(f"Not a number: {digits}") from None
    return _check_magnitude(value)


def _read_number(text: str, pos: int) -> tuple[Decimal, int, bool, bool]:
    """Read a number and its unit suffixes starting at ``pos``.

    Returns (value, end, used_chinese_units, is_percent_like).
    """
    match = _NUMBER_RE.match(text, pos)
    if not match:
        raise CalcError("Unsupported syntax.")
    value = _to_decimal(match.group())
    pos = match.end()
    chinese = False
    percent = False

    if m := _CJK_UNIT_RE.match(text, pos):
        chinese = any(c in CHINESE_UNIT_CHARS for c in m.group(1))
        factor = _cjk_factor(m.group(1))
        value *= factor
        pos = m.end()
        # Compound amounts such as 1億2000萬 or 3萬5千: each part smaller.
        while t := _CJK_TAIL_RE.match(text, pos):
            part_factor = _cjk_factor(t.group(2))
            if part_factor >= factor:
                break
            chinese = chinese or any(c in CHINESE_UNIT_CHARS for c in t.group(2))
            value += _to_decimal(t.group(1)) * part_factor
            factor = part_factor
            pos = t.end()
    elif m := _WORD_UNIT_RE.match(text, pos):
        value *= _WORD_FACTORS[m.group(1)]
        percent = m.group(1).startswith("bp")
        pos = m.end()
    if m := _SYMBOL_UNIT_RE.match(text, pos):
        value *= _SYMBOL_FACTORS[m.group(1)]
        percent = True
        pos = m.end()
    return _check_magnitude(value), pos, chinese, percent


def _cjk_factor(units: str) -> Decimal:
    factor = Decimal(1)
    for char in units:
        factor *= _CJK_FACTORS[char]
    return _check_magnitude(factor)


def _literal(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def parse_amount(text: str) -> float:
    """Read one amount as typed in chat ("1000萬", "$2.5m", "50bp", "50x") as a float."""
    if len(text) > MAX_LENGTH:
        raise CalcError(f"Amount too long (max {MAX_LENGTH} characters).")
    cleaned = _CURRENCY_RE.sub("", normalise(text)).strip()
    cleaned = _MULTIPLE_SUFFIX_RE.sub("", cleaned).strip()
    sign = Decimal(1)
    if cleaned[:1] in "+-" and cleaned:
        sign = Decimal(-1) if cleaned[0] == "-" else sign
        cleaned = cleaned[1:].lstrip()
    if not cleaned:
        raise CalcError("Empty amount.")
    if not _NUMBER_RE.match(cleaned):
        raise CalcError(f"Not a number: {text.strip()[:40]}")
    value, end, _, _ = _read_number(cleaned, 0)
    if cleaned[end:].strip():
        raise CalcError(f"Not a number: {text.strip()[:40]}")
    return float(sign * value)


# --------------------------------------------------------------- tokenizer

_BINARY_OPS = {"+": "+", "-": "-", "*": "*", "/": "/", "^": "**", "**": "**"}


def _fn(name: str, arity: tuple[int, int | None]) -> Callable[[Callable[..., Decimal]], Callable[..., Decimal]]:
    low, high = arity

    def wrap(func: Callable[..., Decimal]) -> Callable[..., Decimal]:
        def checked(*args: Decimal) -> Decimal:
            if len(args) < low or (high is not None and len(args) > high):
                if low == high:
                    want = f"{low} argument" + ("s" if low != 1 else "")
                elif high is None:
                    want = f"at least {low} argument" + ("s" if low != 1 else "")
                else:
                    want = f"{low} to {high} arguments"
                raise CalcError(f"{name}() takes {want}.")
            try:
                return _finite(func(*args))
            except InvalidOperation:
                raise CalcError(f"Math domain error in {name}().") from None
            except decimal.Overflow:
                raise CalcError("Number too large.") from None

        checked.__name__ = name
        return checked

    return wrap


def _domain(ok: bool, name: str) -> None:
    if not ok:
        raise CalcError(f"Math domain error in {name}().")


def _sqrt(x: Decimal) -> Decimal:
    _domain(x >= 0, "sqrt")
    return x.sqrt()


def _ln(x: Decimal, name: str = "ln") -> Decimal:
    _domain(x > 0, name)
    return x.ln()


def _log10(x: Decimal) -> Decimal:
    _domain(x > 0, "log10")
    return x.log10()


def _log(x: Decimal, base: Decimal | None = None) -> Decimal:
    if base is None:
        return _ln(x, "log")
    _domain(x > 0 and base > 0, "log")
    if base == 1:
        raise CalcError("Division by zero.")
    return x.ln() / base.ln()


# exp() above this is beyond 1e100; below the other bound it is zero to any precision shown.
_EXP_MAX = Decimal("230.2585092994045684017991454684364")  # ln(1e100)
_EXP_MIN = Decimal(-1000)


def _exp(x: Decimal) -> Decimal:
    if x > _EXP_MAX:
        raise CalcError("Number too large.")
    return Decimal(0) if x < _EXP_MIN else x.exp()


def _round(x: Decimal, ndigits: Decimal = Decimal(0)) -> Decimal:
    if ndigits != ndigits.to_integral_value() or abs(ndigits) > 15:
        raise CalcError("round() digits must be a whole number between -15 and 15.")
    places = int(ndigits)
    if x.adjusted() + places + 1 > _PRECISION:  # already coarser than the precision kept
        return +x
    return x.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN)


_FUNCTIONS: dict[str, Callable[..., Decimal]] = {
    "sqrt": _fn("sqrt", (1, 1))(_sqrt),
    "log": _fn("log", (1, 2))(_log),
    "ln": _fn("ln", (1, 1))(_ln),
    "log10": _fn("log10", (1, 1))(_log10),
    "exp": _fn("exp", (1, 1))(_exp),
    "abs": _fn("abs", (1, 1))(abs),
    "round": _fn("round", (1, 2))(_round),
    "min": _fn("min", (1, None))(lambda *args: min(args)),
    "max": _fn("max", (1, None))(lambda *args: max(args)),
}


def _finite(value: Decimal) -> Decimal:
    if value.is_nan():
        raise CalcError("Result is not a number.")
    if value.is_infinite() or abs(value) > _MAX:
        raise CalcError("Number too large.")
    return value


def _cancel(result: Decimal, a: Decimal, b: Decimal) -> Decimal:
    """A sum that cancels far below its operands after an inexact step is noise: zero."""
    if (
        result
        and decimal.getcontext().flags[decimal.Inexact]
        and result.adjusted() < max(a.adjusted(), b.adjusted()) - _NOISE_DIGITS
    ):
        return Decimal(0)
    return _finite(result)


def _add(a: Decimal, b: Decimal) -> Decimal:
    return _cancel(a + b, a, b)


def _sub(a: Decimal, b: Decimal) -> Decimal:
    return _cancel(a - b, a, b)


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return _finite(a * b)


def _div(a: Decimal, b: Decimal) -> Decimal:
    if b == 0:
        raise CalcError("Division by zero.")
    return _finite(a / b)


# Results of a power below 10**-400 are zero once shown (and as a float).
_POW_MIN_DIGITS = -400


def _pow(base: Decimal, exponent: Decimal) -> Decimal:
    if base == 0:
        if exponent < 0:
            raise CalcError("Division by zero.")
        return Decimal(1) if exponent == 0 else Decimal(0)
    whole = exponent == exponent.to_integral_value()
    if base < 0 and not whole:
        raise CalcError("Math domain error: fractional power of a negative number.")
    # Refuse before computing: |base|**exponent above 1e100 is an answer nobody needs.
    digits = exponent * abs(base).log10()
    if digits > 100:
        raise CalcError("Number too large.")
    if digits < _POW_MIN_DIGITS:
        return Decimal(0)
    try:
        return _finite(base**exponent)
    except decimal.Overflow:
        raise CalcError("Number too large.") from None


def _neg(a: Decimal) -> Decimal:
    return -a


def _pos(a: Decimal) -> Decimal:
    return +a


_OPERATORS = {
    ast.Add: _add,
    ast.Sub: _sub,
    ast.Mult: _mul,
    ast.Div: _div,
    ast.Pow: _pow,
    ast.USub: _neg,
    ast.UAdd: _pos,
}


@dataclass
class _Tokenizer:
    """Turns chat arithmetic into a whitelisted Python expression string."""

    text: str
    pos: int = 0
    chinese: bool = False
    out: list[str] = field(default_factory=list)
    # One entry per open "(": (index in ``out`` where the group starts, is a call).
    stack: list[tuple[int, bool]] = field(default_factory=list)
    sign: str = ""  # a unary minus waiting for its operand

    def emit_operand(self, token: str) -> None:
        self.out.append(self.sign + token)
        self.sign = ""

    def run(self) -> str:
        expect_operand = True
        percent = False  # the last operand ended in % or bp
        text = self.text
        while True:
            self.skip_space()
            if self.pos >= len(text):
                break
            if expect_operand:
                expect_operand, percent = self.read_operand()
                continue
            if percent and self.starts_operand():
                self.out.append("*")  # "10 % 3", "3.5% 250m": percent of
                expect_operand, percent = True, False
                continue
            expect_operand, percent = self.read_operator()
        if expect_operand:
            raise CalcError("Incomplete expression." if self.out or self.sign else "Empty expression.")
        if self.stack:
            raise CalcError("Unbalanced parentheses.")
        joined = " ".join(self.out)
        return joined.replace("( ", "(").replace(" )", ")").replace(" ,", ",")

    # -- helpers

    def error(self) -> CalcError:
        char = self.text[self.pos] if self.pos < len(self.text) else ""
        if char and not char.isascii():
            return CalcError(f"Unsupported character: {char}")
        return CalcError("Unsupported syntax.")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def starts_operand(self) -> bool:
        char = self.text[self.pos]
        if char.isdigit() or char in ".(":
            return True
        ident = _IDENT_RE.match(self.text, self.pos)
        return bool(ident and ident.group() in _FUNCTIONS)

    def open_group(self, call: str = "") -> None:
        """Open a bracket, ``call`` being the function name if it is a call."""
        if len(self.stack) >= MAX_DEPTH:
            raise CalcError(f"Too deeply nested (max {MAX_DEPTH} levels).")
        self.stack.append((len(self.out), bool(call)))
        self.emit_operand(f"{call}(")
        self.pos += 1

    # -- operand position

    def read_operand(self) -> tuple[bool, bool]:
        """Read what may start an operand; return (still expecting an operand, percent)."""
        text = self.text
        char = text[self.pos]
        if char in "+-":
            negative = False
            while self.pos < len(text) and (text[self.pos] in "+-" or text[self.pos].isspace()):
                negative ^= text[self.pos] == "-"
                self.pos += 1
            if negative:
                self.sign = "-" if not self.sign else ""
            return True, False
        if char == "(":
            self.open_group()
            return True, False
        if char == ")":
            empty = bool(self.out) and self.out[-1].endswith("(")
            raise CalcError("Empty parentheses." if empty else "Unsupported syntax.")
        if char.isdigit() or char == ".":
            value, self.pos, chinese, percent = _read_number(text, self.pos)
            self.chinese = self.chinese or chinese
            self.emit_operand(_literal(value))
            return False, percent
        ident = _IDENT_RE.match(text, self.pos)
        if ident:
            name = ident.group()
            after = ident.end()
            while after < len(text) and text[after].isspace():
                after += 1
            is_call = after < len(text) and text[after] == "("
            if name not in _FUNCTIONS:
                kind = "function" if is_call else "name"
                raise CalcError(f"Unknown {kind}: {name[:30]}")
            if not is_call:
                raise CalcError(f"{name} needs parentheses, e.g. {name}(2).")
            self.pos = after
            self.open_group(call=name)
            return True, False
        raise self.error()

    # -- operator position

    def read_operator(self) -> tuple[bool, bool]:
        """Read an operator, ')' or ','; return (expecting an operand, percent)."""
        text = self.text
        char = text[self.pos]
        if text.startswith("**", self.pos):
            self.out.append("**")
            self.pos += 2
            return True, False
        if char in _BINARY_OPS:
            self.out.append(_BINARY_OPS[char])
            self.pos += 1
            return True, False
        if char == "倍":  # "50倍": a multiple, worth its number
            self.pos += 1
            return False, False
        if char == "x" and not _IDENT_CHAR_RE.match(text, self.pos + 1):
            self.pos += 1
            self.skip_space()
            if self.pos < len(text) and self.starts_operand():
                self.out.append("*")  # "1000萬 x 50"
                return True, False
            return False, False  # "50x" on its own: a multiple, worth 50
        ident = _IDENT_RE.match(text, self.pos)
        if ident and ident.group() == "of":
            self.out.append("*")
            self.pos = ident.end()
            return True, False
        if char == ")":
            if not self.stack:
                raise CalcError("Unbalanced parentheses.")
            start, _ = self.stack.pop()
            self.out.append(")")
            self.pos += 1
            return False, self.read_group_unit(start)
        if char == ",":
            if not self.stack or not self.stack[-1][1]:
                raise CalcError("Unsupported syntax.")
            self.out.append(",")
            self.pos += 1
            return True, False
        raise self.error()

    def read_group_unit(self, start: int) -> bool:
        """Apply a unit written after a closing parenthesis, as in "(1+2)%" or "(3+2)萬"."""
        match = _GROUP_UNIT_RE.match(self.text, self.pos)
        if not match:
            return False
        unit = match.group(match.lastindex or 0)
        if unit in _WORD_FACTORS:
            factor = _WORD_FACTORS[unit]
        elif unit in _SYMBOL_FACTORS:
            factor = _SYMBOL_FACTORS[unit]
        else:
            factor = _cjk_factor(unit)
            self.chinese = self.chinese or any(c in CHINESE_UNIT_CHARS for c in unit)
        self.pos = match.end()
        self.out.insert(start, "(")
        if factor < 1:
            self.out.extend(["/", _literal(1 / factor), ")"])
        else:
            self.out.extend(["*", _literal(factor), ")"])
        return unit == "%" or unit.startswith("bp") or unit in _SYMBOL_FACTORS


_GROUP_UNIT_RE = guarded(
    rf"\s*+({_WORD_UNIT_SRC})(?![a-z])|\s*+([{''.join(_CJK_FACTORS)}]++)|\s*+(%|基點|基点)"
)
_IDENT_CHAR_RE = guarded(r"[a-z_]")
_NODES = (ast.Expr, ast.BinOp, ast.UnaryOp, ast.Call, ast.Constant)
# Tried only where a run of "= ?" and spaces starts (the look-behind), so the run is read once.
_TRAILING_RE = guarded(r"(?<![\s=?])[\s=?]++$")
_LITERAL_RE = guarded(r"\d++(?:\.\d++)?+\Z")


def _evaluator() -> simpleeval.SimpleEval:
    evaluator = simpleeval.SimpleEval(operators=_OPERATORS, functions=_FUNCTIONS, names={})
    # Only arithmetic nodes: no names, attributes, subscripts, comparisons, strings...
    evaluator.nodes = {node: evaluator.nodes[node] for node in _NODES}

    def constant(node: ast.Constant) -> Decimal:
        """A literal as the exact decimal the tokenizer wrote, never via a binary float."""
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CalcError("Unsupported syntax.")
        # The expression is ASCII (the tokenizer writes it), so byte offsets are characters.
        literal = evaluator.expr[node.col_offset : node.end_col_offset]
        if isinstance(value, float) and evaluator.expr.isascii() and _LITERAL_RE.match(literal):
            return Decimal(literal)
        return Decimal(value) if isinstance(value, int) else Decimal(repr(value))

    evaluator.nodes[ast.Constant] = constant
    return evaluator


def _tidy(value: Decimal) -> float:
    """The result as a float (an int when whole), rounded to the 15 digits a float holds."""
    number = float(f"{value:.15g}")
    if number.is_integer() and abs(number) < 1e15:
        return int(number)
    return number


def evaluate(expr: str) -> CalcResult:
    """Evaluate chat arithmetic safely; every bad input becomes a one-line CalcError."""
    if len(expr) > MAX_LENGTH:
        raise CalcError(f"Expression too long (max {MAX_LENGTH} characters).")
    text = _CURRENCY_RE.sub(" ", normalise(expr))
    text = _TRAILING_RE.sub("", text).strip()
    if not text:
        raise CalcError("Empty expression.")
    tokenizer = _Tokenizer(text)
    python_expr = tokenizer.run()
    # A private context per evaluation (decimal contexts are per thread): 34 digits, and its
    # Inexact flag tells _cancel whether anything has been rounded yet.
    with decimal.localcontext(_CONTEXT) as context:
        context.clear_flags()
        try:
            raw = _evaluator().eval(python_expr)
        except CalcError:
            raise
        except ZeroDivisionError:
            raise CalcError("Division by zero.") from None
        except (OverflowError, RecursionError, MemoryError, decimal.Overflow):
            raise CalcError("Number too large.") from None
        except (SyntaxError, ValueError, TypeError, InvalidOperation, simpleeval.InvalidExpression):
            raise CalcError("Unsupported syntax.") from None
    if not isinstance(raw, Decimal):
        raise CalcError("Unsupported syntax.")
    value = _tidy(_finite(raw))
    return CalcResult(
        expression=python_expr,
        value=value,
        text=format_number(value, chinese=tokenizer.chinese),
        chinese_units=tokenizer.chinese,
    )

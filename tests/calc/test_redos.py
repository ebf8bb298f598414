"""Hostile messages that made the patterns backtrack for seconds (or days) get their right answer.

No timing assertion anywhere.  Each attack is sized so that the patterns it targets, as they
were before this file existed, need far longer than the generous child timeout: 2^40 steps for
the 是多少 suffix, n³ with n = 20,000 for the labelled prices, n² with n = 300,000 for the
quadratic ones.  The attacks run in one child process; a regression makes the child hang, and
the test fails when it is killed, never because a run was a little slow.  In the code, every
calculator pattern is a time-limited ``regex`` pattern, so a runaway match there becomes a
one-line CalcError instead of a hang (tested below with the old pattern put back).

The rewritten patterns are also checked against the old ones on short random inputs (where the
old ones are fast): same matches, so behaviour did not change.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering import intents
from bot.calc import evaluator, router
from bot.calc.evaluator import TOO_COMPLEX, GuardedPattern, guarded
from bot.errors import CalcError
from bot.settings import ROOT

CHILD_TIMEOUT_S = 120


def _route(message: str) -> list[Any] | None:
    call = router.route(message)
    return None if call is None else [call.tool, call.args]


@dataclass(frozen=True)
class Attack:
    name: str
    run: Callable[[], Any]
    expected: Any


_GROSS = ["gross_basis", {"cash_price": 100.5, "futures_price": 110.0, "conversion_factor": 0.91}]

ATTACKS = [
    # 1. exponential: the suffix alternation read 是多少 as one word or as 是 + 多少 (2^n ways)
    Attack("suffix 是多少×40 then 啊", lambda: _route("1+1" + "是多少" * 40 + "啊"), None),
    Attack("suffix 等於多少×60 then x", lambda: _route("2*3" + "等於多少" * 60 + "呢?x"), None),
    Attack("suffix 是多少×300 stripped", lambda: _route("1+1" + "是多少" * 300), ["calculator", {"expression": "1+1"}]),
    # 2. cubic: label \s* (price)? \s* (=|is)? \s* number shared one run of spaces n³ ways
    Attack("route: cash + 992 spaces", lambda: _route("1? cash" + " " * 992 + "x"), None),
    Attack("route: futures + 989 spaces", lambda: _route("1? futures" + " " * 989 + "x"), None),
    Attack("route: cf + 993 spaces", lambda: _route("1? cf" + " " * 993 + "x"), None),
    Attack("route: cash after 900 spaces still read", lambda: _route("cash" + " " * 900 + "100.5, futures 110, cf 0.91?"), _GROSS),
    *(
        Attack(f"{name}: 20k spaces", lambda name=name, label=label: router._first(getattr(router, name), label + " " * 20_000 + "x"), None)
        for name, label in (
            ("_CASH_RE", "cash"),
            ("_FUTURES_RE", "futures"),
            ("_CF_RE", "cf"),
            ("_COUPON_RE", "coupon"),
            ("_GROSS_RE", "basis"),
            ("_CARRY_RE", "carry"),
        )
    ),
    Attack("_CASH_RE: 20k spaces then price", lambda: router._first(router._CASH_RE, "cash price" + " " * 20_000 + "= 100.5"), 100.5),
    # 3. quadratic: a number or a run of spaces retried from every position
    Attack("_DAYS_RE: 300k digits", lambda: router._first(router._DAYS_RE, "1" * 300_000 + "x"), None),
    Attack("_HAS_OPERATOR_RE: + then 300k spaces", lambda: bool(router._HAS_OPERATOR_RE.search("1+" + " " * 300_000 + "#")), False),
    Attack("_MULTIPLE_SUFFIX_RE: 300k spaces", lambda: evaluator._MULTIPLE_SUFFIX_RE.sub("", "1" + " " * 300_000 + "y")[-2:], " y"),
    Attack("_TRAILING_RE: 300k of ' =?'", lambda: len(evaluator._TRAILING_RE.sub("", "1" + " =?" * 100_000 + "y")), 300_002),
    Attack("wants_live_data: live ×100k", lambda: intents.wants_live_data("live " * 100_000 + "x"), False),
    Attack("wants_live_data: live ×100k then price", lambda: intents.wants_live_data("live " * 100_000 + "price"), True),
    Attack("is_greeting: help + 300k spaces", lambda: intents.is_greeting(" help" + " " * 300_000 + "x"), False),
    Attack("continues: 呢 + 300k spaces", lambda: intents.continues("呢" + " " * 300_000 + "x"), False),
    Attack("question_intent: 嗎 + 300k spaces", lambda: intents.question_intent("嗎" + " " * 300_000 + "x"), "other"),
]


def _child_main() -> None:
    """In the child: run every attack in order, one JSON line each, flushed as it finishes.

    The guard's time limit is lifted here: a linear pattern over 300,000 characters takes tens
    of milliseconds, and on a slow machine that must not read as "too complex".  What this
    child checks is that each call returns at all; the guard has its own test below.
    """
    evaluator.REGEX_TIMEOUT = 60.0
    for attack in ATTACKS:
        try:
            result: Any = attack.run()
        except CalcError as err:
            result = f"CalcError: {err}"
        print(json.dumps({"name": attack.name, "result": result}, ensure_ascii=False), flush=True)


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    """Every attack's result from one child process; those it never reached are missing."""
    code = "from tests.calc.test_redos import _child_main; _child_main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
        )
        stdout, stderr = done.stdout, done.stderr
    except subprocess.TimeoutExpired as hung:
        stdout = hung.stdout.decode() if isinstance(hung.stdout, bytes) else hung.stdout or ""
        stderr = f"killed after {CHILD_TIMEOUT_S} s"
    results = {}
    for line in stdout.splitlines():
        row = json.loads(line)
        results[row["name"]] = row["result"]
    results["_stderr"] = stderr
    return results


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_gets_the_right_answer(attack: Attack, answers: dict[str, Any]) -> None:
    assert attack.name in answers, f"no answer: the child hung or died ({answers['_stderr'][-300:]})"
    assert answers[attack.name] == json.loads(json.dumps(attack.expected))


def test_attacks_are_in_process_too() -> None:
    """The same answers in this process (the child proves it returns at all)."""
    for attack in ATTACKS[:7]:
        assert json.loads(json.dumps(attack.run())) == json.loads(json.dumps(attack.expected)), attack.name


# ------------------------------------------------------------ the time limit

#: The router's suffix pattern before the fix (是多少 is also 是 + 多少).
OLD_SUFFIX = r"(?:\s*(?:=|\?|!|\.|equals?|是多少|等於多少|等于多少|等於|等于|多少|是|呢|嗎|吗))+$"


def test_a_runaway_pattern_becomes_a_calc_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the exponential pattern back: the time limit answers with one line instead of days."""
    monkeypatch.setattr(router, "_SUFFIX_RE", guarded(OLD_SUFFIX))
    with pytest.raises(CalcError) as err:
        router.route("1+1" + "是多少" * 40 + "啊")
    assert str(err.value) == TOO_COMPLEX


def test_guarded_pattern_mirrors_re() -> None:
    pattern = guarded(r"(\d++)x")
    assert isinstance(pattern, GuardedPattern)
    assert pattern.search("a 12x 3x").group(1) == "12"
    assert pattern.match("a 12x", 2).group(1) == "12"
    assert pattern.match("a 12x") is None
    assert [m.group(1) for m in pattern.finditer("1x 22x")] == ["1", "22"]
    assert pattern.sub("#", "1x 22x") == "# #"
    assert pattern.sub(lambda m: m.group(1) * 2, "3x") == "33"


def test_calculator_patterns_are_all_guarded() -> None:
    """Every compiled pattern in the router and evaluator is time-limited (no bare `re` left)."""
    for module in (router, evaluator):
        for name, value in vars(module).items():
            assert not isinstance(value, re.Pattern), f"{module.__name__}.{name} is a bare re pattern"


# --------------------------------------------- same behaviour as the old patterns

OLD = {
    "prefix": re.compile(
        r"^(?:(?:what(?:'s| is|s)|how much is|calc(?:ulate)?|compute|evaluate|please|pls|"
        r"請問|请问|請|请|幫我算|帮我算|幫忙算|帮忙算|算一下|算算|計算|计算|求)\s*:?\s*)+"
    ),
    "suffix": re.compile(OLD_SUFFIX),
    "cash": re.compile(r"(?:cash|現貨|现货|spot)\s*(?:price|價格|价格|價|价)?\s*(?:=|:|is|of|at|為|为|是)?\s*(-?\d+(?:\.\d+)?)"),
    "multiple": re.compile(r"\s*(?:x|倍|times)$"),
    "trailing": re.compile(r"[\s=?]+$"),
    "live": re.compile(
        r"\b(right now|today'?s|current(ly)?|live|latest)\b.*\b(price|yield|rate|quote|level)s?\b"
        r"|\b(price|yield|rate)s?\b.*\b(right now|today|now)\b"
        r"|(現在|目前|今天|即時|实时|最新)[^。?？]{0,12}(殖利率|收益率|價格|价格|報價|报价|利率)",
        re.IGNORECASE,
    ),
}
_PIECES = st.sampled_from(
    ["是多少", "是", "多少", "等於", "等於多少", "等于多少", "呢", "嗎", "equals", "equal", "=", "?", "!", ".", " ", "  ",
     "\t", "1", "+", "x", "倍", "times", "what's", "whats", "what is", "how much is", "calc", "calculate", "please",
     "請問", "請", "算算", ":", "cash", "現貨", "spot", "price", "價格", "價", "is", "at", "為", "-", "0.5", "100",
     "live", "current", "currently", "right now", "today's", "price", "yield", "rates", "now", "\n", "現在", "利率"]
)
_TEXTS = st.lists(_PIECES, max_size=10).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_rewritten_patterns_match_as_before(text: str) -> None:
    s = evaluator.normalise(text)
    assert router._PREFIX_RE.sub("", s) == OLD["prefix"].sub("", s)
    assert router._SUFFIX_RE.sub("", s) == OLD["suffix"].sub("", s)
    old_cash = OLD["cash"].search(s)
    assert router._first(router._CASH_RE, s) == (float(old_cash.group(1)) if old_cash else None)
    assert evaluator._MULTIPLE_SUFFIX_RE.sub("", s) == OLD["multiple"].sub("", s)
    assert evaluator._TRAILING_RE.sub("", s) == OLD["trailing"].sub("", s)
    assert intents.wants_live_data(text) == bool(OLD["live"].search(text))

"""`python -m bench.hostile`: the slowest hostile message for every pattern family, and the event-loop lag.

Chat messages are hostile: a regex that backtracks super-linearly turns one message into seconds
of CPU (a denial of service).  This bench generates adversarial strings up to the message limit
(``Settings().max_question_chars``; the evaluator's own ``MAX_LENGTH`` for the evaluator) and
runs every pattern family over them:

* **keywords**: every literal any compiled pattern of the probed modules knows, pulled from
  the patterns themselves (never a retyped list): repeated, followed by a run of spaces, and
  alternated with spaces, each after ``"1? "`` (a digit and a question mark, so the router gets
  past its cheap early exits) and before a trailing character no pattern expects;
* **whitespace**: a run of every Unicode space kind (and the zero-width look-alikes) before
  and after structural anchors, and a run of one space of each class the engines tell apart
  (ASCII, tab, newline, no-break, ideographic, the separators ``regex`` does not count as space,
  zero-width) after every keyword;
* **numbers**: runs of digits, commas, dots, exponents and thousands groups;
* **punctuation**: runs of every CJK and full-width punctuation mark and sentence end mark;
* **markup**: Discord mentions, code fences and Markdown tables with hostile rows;
* **mixtures**: seeded random mixtures of all of the above, and of keyword pairs.

Each probe runs in a forked child so that a catastrophic pattern (the old code) is killed at
``--hard-limit`` seconds and reported as such instead of hanging the bench.  The slowest
input of each probe is then re-timed in-process (median of five) and printed beside the 50 ms
target.  The event-loop section builds the Discord bot as ``tests/discord_app/test_load.py``
does, with the real engine over the real corpus, and times an asyncio ticker while the mention
handler answers each family's worst message (target: max lag under 100 ms).  The GIL section
shows why the router and evaluator use ``regex``: a slow match in a worker thread freezes the
loop under ``re`` and does not under ``regex``.  Figures go to ``bench/hostile-results.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import multiprocessing
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import click
import regex
from rich.console import Console
from rich.table import Table

from bench.fakes import Channel, Message, ticker
from bot.errors import UserError, run_command
from bot.settings import ROOT, Settings

RESULTS_FILE = ROOT / "bench" / "hostile-results.json"
TARGET_MS = 50.0
LAG_TARGET_MS = 100.0
TRAILER = "#"  # ends every string: no pattern expects it, so anchored patterns fail at the end
TICK = 0.01
RETIMES = 5
MIXTURES = 60
PAIRS = 200
#: Questions in each script: warm every cache before timing (OpenCC builds a converter on first
#: use, 0.1-0.2 s with the GIL held, once per process).
WARM_UP = ("什麼是基差交易? 1000萬*50", "什么是基差交易?", "What is the basis trade? 50x, -1% 2%")

#: Spaces as str.isspace() knows them, and zero-width characters people paste as spaces.
WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()] + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
#: One of each kind of space the engines tell apart: ASCII, tab, newline, no-break and ideographic
#: (NFKC folds both to a space), a separator `regex`'s \s leaves out, a line separator, zero-width.
SPACE_CLASSES = [" ", "\t", "\n", "\u00a0", "\u3000", "\x1c", "\u2028", "\u200b"]
ANCHORS = ["", "1", "1+", "1? ", "1 x", "|", ".", "!", "(", "$"]
NUMBER_UNITS = ["1", "1,", "1.", ",000", "1,000", ".", "1e1", "1e", "0.", "9", "1-", "1/", "1%", "1x", "1.1."]
NUMBER_PREFIXES = ["", "1? ", "1+"]


# ------------------------------------------------------------------ keywords


def _patterns(value: Any, depth: int = 0) -> Iterator[Any]:
    """Compiled patterns in a module attribute (``re``, ``regex`` or guarded), also inside containers."""
    if depth > 3:
        return
    if isinstance(value, (re.Pattern, regex.Pattern)):
        yield value
    elif hasattr(value, "compiled") and isinstance(getattr(value, "compiled", None), regex.Pattern):
        yield value.compiled
    elif isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            yield from _patterns(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns(item, depth + 1)


def _literals(parsed: Any) -> set[str]:
    """Runs of literal characters in a parsed pattern (``re._parser`` tree), alternatives apart."""
    from re import _constants as c

    found: set[str] = set()
    run: list[str] = []

    def flush() -> None:
        if run:
            found.add("".join(run))
            run.clear()

    for op, av in parsed:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is c.BRANCH:
            for alternative in av[1]:
                found |= _literals(alternative)
        elif op is c.SUBPATTERN:
            found |= _literals(av[-1])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            found |= _literals(av[2])
        elif op is c.ATOMIC_GROUP:
            found |= _literals(av)
        elif op in (c.ASSERT, c.ASSERT_NOT):
            found |= _literals(av[1])
        elif op is c.IN:
            found |= {chr(a) for o, a in av if o is c.LITERAL}
    flush()
    return found


def pattern_keywords(source: str, flags: int = 0) -> set[str]:
    """The literal words of one pattern source; a crude split when ``re`` cannot parse it."""
    from re import _parser

    cleaned = re.sub(r"^\(\?[a-zA-Z]+\)", "", source)  # `regex`-only inline flags such as (?r)
    try:
        words = _literals(_parser.parse(cleaned, flags & (re.IGNORECASE | re.MULTILINE | re.VERBOSE)))
    except (re.error, ValueError, TypeError, OverflowError):
        words = set(re.findall(r"[^\W\d_]+|[^\w\s\\()|?*+{}\[\]^$]", cleaned))
    return {w for w in words if w.strip() and len(w) <= 40}


def keywords(modules: Iterable[ModuleType]) -> list[str]:
    """Every literal the compiled patterns of these modules know, lower-cased too, sorted."""
    words: set[str] = set()
    for module in modules:
        for value in vars(module).values():
            for pattern in _patterns(value):
                source = pattern.pattern if isinstance(pattern.pattern, str) else ""
                found = pattern_keywords(source, pattern.flags)
                words |= found | {w.lower() for w in found}
    return sorted(words, key=lambda w: (len(w), w))


# ------------------------------------------------------------------ generators


def _fill(prefix: str, unit: str, limit: int, suffix: str = TRAILER) -> str:
    """``prefix + unit * n + suffix`` with n as large as fits in ``limit`` (at least 1)."""
    n = max(1, (limit - len(prefix) - len(suffix)) // max(1, len(unit)))
    return (prefix + unit * n + suffix)[:limit]


def punctuation() -> list[str]:
    """Every punctuation mark of the CJK Symbols and Full-width Forms blocks, plus sentence end marks."""
    from bot.text import SENTENCE_END_MARKS

    marks = {
        chr(c)
        for block in (range(0x3000, 0x3040), range(0xFF00, 0xFF66))
        for c in block
        if unicodedata.category(chr(c)).startswith("P")
    }
    return sorted(marks | set(SENTENCE_END_MARKS) | set("“”‘’…—"))


def hostile_inputs(words: list[str], limit: int, seed: int = 14) -> Iterator[tuple[str, str]]:
    """(kind, text) pairs, every text at most ``limit`` characters."""
    for word in words:
        yield f"repeat {word!r}", _fill("1? ", word, limit)
        yield f"{word!r} + spaces", _fill("1? " + word, " ", limit)
        yield f"({word!r} + space) repeated", _fill("1 ", word + " ", limit)
    for space in WHITESPACE:
        name = unicodedata.name(space, f"U+{ord(space):04X}")
        for anchor in ANCHORS:
            yield f"{anchor!r} + {name} run", _fill(anchor, space, limit)
            yield f"{name} run + {anchor!r}", _fill("", space, limit, anchor + TRAILER)
        if space in SPACE_CLASSES:
            for word in words:
                yield f"{word!r} + {name} run", _fill("1? " + word, space, limit)
    for prefix in NUMBER_PREFIXES:
        for unit in NUMBER_UNITS:
            yield f"{prefix!r} + {unit!r} run", _fill(prefix, unit, limit)
            yield f"{prefix!r} + {unit!r} run + x", _fill(prefix, unit, limit, "x")
    for mark in punctuation():
        yield f"{mark!r} run", _fill("", mark, limit)
        yield f"1? + {mark!r} run", _fill("1? ", mark, limit)
        yield f"(字 + {mark!r}) run", _fill("", "字" + mark, limit)
        yield f"({mark!r} + space) run", _fill("", mark + " ", limit)
    yield from _markup(limit)
    rng = random.Random(seed)
    atoms = words + WHITESPACE + NUMBER_UNITS + punctuation() + [" ", "  ", "\n"]
    for number in range(MIXTURES):
        parts: list[str] = []
        while sum(map(len, parts)) < limit:
            parts.append(rng.choice(atoms))
        yield f"mixture #{number}", ("".join(parts))[: limit - 1] + TRAILER
    for _ in range(PAIRS):
        first, second = rng.choice(words), rng.choice(words)
        yield f"({first!r} + {second!r}) repeated", _fill("1? ", first + second, limit)


def _markup(limit: int) -> Iterator[tuple[str, str]]:
    half = limit // 2 - 4
    yield "<@!id> repeated", _fill("", "<@!123>", limit)
    yield "<@&id>! repeated", _fill("", "<@&1>!", limit)
    yield "<#id>. repeated", _fill("", "<#1>. ", limit)
    yield "``` repeated", _fill("", "```\n", limit)
    yield "~~~ fence, no close", _fill("~~~py\n", "x ", limit)
    yield "table, hostile separator row", ("|a|\n" + " " * half + "|" + " " * half + "x\n|b|")[:limit]
    yield "table rows repeated", _fill("|h|\n|--|\n", "| 1 |\n", limit)
    yield "newline run", _fill("a", "\n", limit)
    yield "'. ' run", _fill("A", ". ", limit)
    yield "'.' + quotes run", _fill("A.", "”", limit, "x")


# ------------------------------------------------------------------- probes


@dataclass
class Probe:
    family: str
    name: str
    func: Callable[[str], Any]
    limit: int


@dataclass
class Outcome:
    """What one probe did over every input."""

    probe: Probe
    cases: int = 0
    times: list[tuple[float, int]] = field(default_factory=list)  # (seconds, case index)
    killed: list[int] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # bug (not UserError) -> first case


def _call(func: Callable[[str], Any], text: str) -> str | None:
    """Run a probe; a UserError is a normal answer to hostile input, anything else is reported."""
    try:
        func(text)
    except UserError:
        pass
    except Exception as err:  # noqa: BLE001 - a bug in the probed code: reported, not hidden
        return f"{type(err).__name__}: {err}"[:200]
    return None


def _child(func: Callable[[str], Any], texts: list[str], start: int, conn: Any) -> None:
    for index in range(start, len(texts)):
        began = time.perf_counter()
        error = _call(func, texts[index])
        conn.send((index, time.perf_counter() - began, error))
    conn.send(None)


def run_probe(probe: Probe, texts: list[str], hard_limit: float) -> Outcome:
    """Time ``probe`` over every text in a forked child, killing it on any text over ``hard_limit``."""
    outcome = Outcome(probe, cases=len(texts))
    context = multiprocessing.get_context("fork")
    start = 0
    while start < len(texts):
        parent, child = context.Pipe(duplex=False)
        worker = context.Process(target=_child, args=(probe.func, texts, start, child), daemon=True)
        worker.start()
        child.close()
        expected = start
        while True:
            if not parent.poll(hard_limit):
                worker.kill()
                worker.join()
                outcome.killed.append(expected)
                start = expected + 1
                break
            try:
                message = parent.recv()
            except EOFError:  # the child died (a crash in C code): count it as killed
                worker.join()
                outcome.killed.append(expected)
                start = expected + 1
                break
            if message is None:
                worker.join()
                start = len(texts)
                break
            index, seconds, error = message
            outcome.times.append((seconds, index))
            if error is not None:
                outcome.errors.setdefault(error, index)
            expected = index + 1
        parent.close()
    return outcome


def _retime(func: Callable[[str], Any], text: str) -> float:
    samples = []
    for _ in range(RETIMES):
        began = time.perf_counter()
        _call(func, text)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def families(limit: int) -> list[tuple[Probe, list[ModuleType]]]:
    """Every probe, with the modules it exercises (whose patterns supply the keywords)."""
    from bot import text
    from bot.answering import engine, extractive, figures, intents
    from bot.calc import evaluator, router
    from bot.discord_app import rendering
    from bot.kb import tokens

    calc = [router, evaluator, text]
    probes: list[tuple[Probe, list[ModuleType]]] = [
        # plan() and every call it makes: what `calc`, `ask`, chat and Discord all run.
        (Probe("router", "compute()", router.compute, limit), calc),
        (Probe("figures", "extract()", figures.extract, limit), [figures, text]),
        (Probe("evaluator", "evaluate()", evaluator.evaluate, evaluator.MAX_LENGTH), [evaluator]),
        (Probe("evaluator", "parse_amount()", evaluator.parse_amount, evaluator.MAX_LENGTH), [evaluator]),
        (Probe("evaluator", "normalise()", evaluator.normalise, limit), [evaluator]),
    ]
    for name, func in sorted(vars(intents).items()):
        if _text_predicate(func, intents):
            probes.append((Probe("intents", f"{name}()", func, limit), [intents]))
    # The engine's own question helpers (calculator help: percents, moves...), pure functions of the text.
    for name, func in sorted(vars(engine).items()):
        if _text_predicate(func, engine, private=True):
            probes.append((Probe("engine", f"{name}()", func, limit), [engine]))
    kb_modules = [extractive, intents, text, tokens]
    sentences = getattr(extractive, "_sentences", None)
    if sentences is not None:
        probes.append((Probe("extractive", "_sentences()", getattr(sentences, "__wrapped__", sentences), limit), kb_modules))
    for name in ("sentence_lang", "is_meta"):
        if callable(getattr(extractive, name, None)):
            probes.append((Probe("extractive", f"{name}()", getattr(extractive, name), limit), kb_modules))
    bonus = getattr(extractive, "_bonus", None)
    bonus = getattr(bonus, "__wrapped__", bonus)  # the work, not the cache
    for intent in getattr(intents, "INTENTS", ()) if bonus is not None else ():
        probes.append(
            (Probe("extractive", f"_bonus({intent})", lambda s, i=intent: bonus(i, s, ("basis",)), limit), kb_modules)
        )
    if bonus is None:
        for name in ("_DATE", "_AMOUNT"):
            pattern = getattr(extractive, name, None)
            if pattern is not None:
                probes.append((Probe("extractive", f"{name}.search", pattern.search, limit), kb_modules))
    probes += [
        (Probe("text", "split_sentences()", text.split_sentences, limit), [text]),
        (Probe("text", "detect_lang()", text.detect_lang, limit), [text]),
        (Probe("text", "fold()", text.fold, limit), [text]),
        (Probe("tokens", "tokenize()", tokens.tokenize, limit), [tokens, text]),
        (Probe("rendering", "split_text(limit=100)", lambda s: rendering.split_text(s, 100), limit), [rendering, text]),
        (Probe("rendering", "sentences()", rendering.sentences, limit), [rendering, text]),
    ]
    with contextlib.suppress(ImportError):
        from bot.calc import prices

        for name in ("find_prices", "is_32nds"):
            if callable(getattr(prices, name, None)):
                probes.append((Probe("prices", f"{name}()", getattr(prices, name), limit), [prices]))
    return probes


def _text_predicate(func: Any, module: ModuleType, *, private: bool = False) -> bool:
    """A (public, unless ``private``) function of ``module`` that takes one string: a rule to probe."""
    if not inspect.isfunction(func) or func.__module__ != module.__name__:
        return False
    if func.__name__.startswith("_") and not private:
        return False
    parameters = list(inspect.signature(func).parameters.values())
    return len(parameters) == 1 and parameters[0].annotation in ("str", str)


# --------------------------------------------------------------- the scan


def scan(
    limit: int, hard_limit: float, log: Callable[[str], None], only: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Run every probe (of the ``only`` families, if given) over its inputs; the worst input of each, re-timed."""
    probes = [(probe, modules) for probe, modules in families(limit) if not only or probe.family in only]
    # One keyword set for every probe: a word one module knows can still reach another's patterns.
    words = keywords(dict.fromkeys(module for _, modules in families(limit) for module in modules))
    inputs: dict[int, list[tuple[str, str]]] = {}
    rows = []
    for probe, _ in probes:
        for warm in WARM_UP:  # caches (jieba, OpenCC, compiled patterns) filled before forking
            _call(probe.func, warm)
        if probe.limit not in inputs:
            inputs[probe.limit] = list(dict.fromkeys(hostile_inputs(words, probe.limit)))
        cases = inputs[probe.limit]
        started = time.perf_counter()
        outcome = run_probe(probe, [text for _, text in cases], hard_limit)
        ranked = sorted(outcome.times, reverse=True)[:3]
        retimed = sorted(((_retime(probe.func, cases[i][1]), i) for _, i in ranked), reverse=True)
        worst_s, worst_i = retimed[0] if retimed else (0.0, 0)
        finished_kind, finished_text = cases[worst_i]  # the slowest input that finished
        if outcome.killed:
            worst_s, worst_i = float("inf"), outcome.killed[0]
        kind, text = cases[worst_i]
        over = sum(1 for seconds, _ in outcome.times if seconds * 1000 > TARGET_MS) + len(outcome.killed)
        row = {
            "family": probe.family,
            "probe": probe.name,
            "cases": outcome.cases,
            "worst_ms": None if worst_s == float("inf") else round(worst_s * 1000, 3),
            "killed": len(outcome.killed),
            "killed_after_s": hard_limit if outcome.killed else None,
            "over_target": over,
            "worst_input": kind,
            "worst_length": len(text),
            "worst_text": text,
            "slowest_finished": {"input": finished_kind, "text": finished_text, "ms": round(retimed[0][0] * 1000, 3) if retimed else 0.0},
            "errors": [{"error": e, "input": cases[i][0]} for e, i in outcome.errors.items()][:5],
            "scan_s": round(time.perf_counter() - started, 1),
        }
        rows.append(row)
        shown = "killed" if row["worst_ms"] is None else f"{row['worst_ms']:.2f} ms"
        log(f"{probe.family:10s} {probe.name:28s} {outcome.cases:6d} inputs, worst {shown} ({kind})")
    return rows


# --------------------------------------------------------- event-loop lag


async def _timed(awaitable: Any) -> tuple[Any, float, float]:
    """Await while a ticker runs: (result, seconds, max event-loop lag in seconds)."""
    stop = asyncio.Event()
    lags: list[float] = []
    ticker_task = asyncio.create_task(ticker(stop, lags, TICK))
    await asyncio.sleep(2 * TICK)
    began = time.perf_counter()
    result = await awaitable
    seconds = time.perf_counter() - began
    stop.set()
    await ticker_task
    return result, seconds, max(lags, default=0.0)


def build_engine(tmp: Path, log: Callable[[str], None]) -> tuple[Any, Settings]:
    """The real engine over the real corpus, indexed in ``tmp`` (as the test fixtures build it)."""
    from bench.run import isolated
    from bot.answering.engine import Engine
    from bot.kb.embeddings import load_model
    from bot.kb.glossary import load as load_glossary
    from bot.kb.retrieval import Retriever
    from ingest.pipeline import run as ingest

    settings = isolated(Settings(_env_file=None), tmp)
    model = load_model()
    summary = ingest(settings, model_factory=lambda: model)
    log(f"index built: {summary.line()}")
    return Engine(settings, Retriever(settings, model, load_glossary(settings.corpus_dir))), settings


async def event_loop_lag(engine: Any, settings: Settings, messages: list[tuple[str, str]]) -> dict[str, Any]:
    """Max ticker lag while the mention handler answers each message, one at a time."""
    from bot.discord_app.client import create_bot
    from bot.text import to_script

    settings = settings.model_copy(
        update={"rate_user_per_minute": 10_000, "rate_channel_per_minute": 10_000, "discord_thread_mode": "reply"}
    )
    bot = create_bot(settings, engine=engine, sync_commands=False)
    await bot._async_setup_hook()
    await bot.add_feature_cogs()
    bot._connection.user = SimpleNamespace(id=10**17, mention=f"<@{10**17}>", bot=True)
    cog = bot.get_cog("Ask")
    channel = Channel()
    for question in WARM_UP:  # warm caches (and OpenCC's converters) outside the measurement
        engine.ask(question)
        to_script(question, "zh-Hant")
    rows = []
    try:
        for label, question in messages:
            sent, seconds, lag = await _timed(cog.handle_message(Message(bot.user, question, channel)))
            reply = ""
            if sent:
                first = sent[0]
                embed = getattr(first, "embed", None)
                reply = (embed.description if embed is not None else first.content) or ""
            rows.append(
                {
                    "message": label,
                    "length": len(question),
                    "handled_s": round(seconds, 3),
                    "max_lag_ms": round(lag * 1000, 1),
                    "reply": reply[:80],
                }
            )
    finally:
        await bot.close()
    return {"messages": rows, "max_lag_ms": max(r["max_lag_ms"] for r in rows), "target_ms": LAG_TARGET_MS}


# ----------------------------------------------------------------- the GIL

#: The router's suffix pattern before this bench existed (是多少 is also 是 + 多少: 2^n ways),
#: kept only to show what a slow match does to the event loop under each regex engine.
OLD_SUFFIX = r"(?:\s*(?:=|\?|!|\.|equals?|是多少|等於多少|等于多少|等於|等于|多少|是|呢|嗎|吗))+$"


async def gil_demo(target_s: float = 0.3) -> dict[str, Any]:
    """Event-loop lag while a worker thread runs one slow match, under ``re`` and ``regex``."""
    out = {}
    for engine in (re, regex):
        pattern = engine.compile(OLD_SUFFIX)
        repeats = 10
        while True:  # grow the input until one match takes about target_s
            text = "1+1" + "是多少" * repeats + TRAILER
            began = time.perf_counter()
            pattern.search(text)
            if time.perf_counter() - began >= target_s / 2 or repeats > 40:
                break
            repeats += 1
        _, seconds, lag = await _timed(asyncio.to_thread(pattern.search, text))
        out[engine.__name__] = {"repeats": repeats, "match_s": round(seconds, 3), "max_lag_ms": round(lag * 1000, 1)}
    return out


# ------------------------------------------------------------------ report


def _table(rows: list[dict[str, Any]], lag: dict[str, Any] | None, gil: dict[str, Any] | None) -> list[Table]:
    table = Table(title=f"Slowest hostile input per probe (target < {TARGET_MS:.0f} ms)")
    for column in ("family", "probe", "inputs", "worst", "length", "worst input", "ok"):
        table.add_column(column, justify="right" if column in ("inputs", "worst", "length") else "left")
    for row in rows:
        worst = f">{row['killed_after_s']:.0f} s (killed ×{row['killed']})" if row["worst_ms"] is None else f"{row['worst_ms']:.2f} ms"
        ok = row["worst_ms"] is not None and row["worst_ms"] < TARGET_MS and not row["errors"]
        table.add_row(
            row["family"], row["probe"], str(row["cases"]), worst, str(row["worst_length"]),
            row["worst_input"][:60], "yes" if ok else "NO",
        )
    tables = [table]
    if lag is not None:
        lags = Table(title=f"Event-loop lag while the mention handler answers (target < {LAG_TARGET_MS:.0f} ms)")
        for column in ("message", "length", "handled", "max lag", "reply"):
            lags.add_column(column)
        for row in lag["messages"]:
            lags.add_row(row["message"][:50], str(row["length"]), f"{row['handled_s']:.2f} s", f"{row['max_lag_ms']:.1f} ms", row["reply"][:40])
        tables.append(lags)
    if gil is not None:
        demo = Table(title="One slow match in a worker thread: event-loop lag by regex engine")
        for column in ("engine", "是多少 repeats", "match", "max lag"):
            demo.add_column(column)
        for name, row in gil.items():
            demo.add_row(name, str(row["repeats"]), f"{row['match_s']:.3f} s", f"{row['max_lag_ms']:.1f} ms")
        tables.append(demo)
    return tables


@click.command()
@click.option("--hard-limit", default=5.0, show_default=True, help="Seconds before one input's child is killed.")
@click.option("--no-lag", is_flag=True, help="Skip the event-loop section (no model, no index).")
@click.option("--family", "only", multiple=True, help="Only these families (router, evaluator, intents, ...).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=RESULTS_FILE, show_default=True)
def cli(hard_limit: float, no_lag: bool, only: tuple[str, ...], output: Path) -> int:
    """Adversarial inputs against every pattern family; writes bench/hostile-results.json."""
    console = Console(stderr=True)
    limit = Settings(_env_file=None).max_question_chars
    began = time.perf_counter()
    rows = scan(limit, hard_limit, lambda line: console.print(line, markup=False, highlight=False), only)
    gil = asyncio.run(gil_demo())
    results = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {multiprocessing.cpu_count()} cpu",
        "limit_chars": limit,
        "target_ms": TARGET_MS,
        "hard_limit_s": hard_limit,
        "probes": [
            {**row, "worst_text": row["worst_text"][:120], "slowest_finished": {**row["slowest_finished"], "text": row["slowest_finished"]["text"][:120]}}
            for row in rows
        ],
        "worst_ms": max((r["worst_ms"] for r in rows if r["worst_ms"] is not None), default=None),
        "all_under_target": all(r["worst_ms"] is not None and r["worst_ms"] < TARGET_MS and not r["errors"] for r in rows),
        "gil": gil,
        "event_loop": None,
    }

    def write() -> None:
        results["seconds"] = round(time.perf_counter() - began, 1)
        output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    write()  # the scan is kept even if the event-loop section fails
    lag = None
    if not no_lag:
        # Each family's slowest input that finished (one a probe had to kill would hang the handler).
        worst: dict[str, tuple[str, str]] = {}
        for row in sorted(rows, key=lambda r: -r["slowest_finished"]["ms"]):
            finished = row["slowest_finished"]
            if len(finished["text"]) <= limit and row["family"] not in worst:
                worst[row["family"]] = (f"{row['family']}: {finished['input']}", finished["text"])
        messages = [("normal question", "什麼是基差交易?"), *worst.values()]
        with tempfile.TemporaryDirectory() as tmp:
            engine, settings = build_engine(Path(tmp), lambda line: console.print(line, markup=False))
            lag = asyncio.run(event_loop_lag(engine, settings, messages))
        results["event_loop"] = lag
        write()
    out = Console(width=160)
    for table in _table(rows, lag, gil):
        out.print(table)
    out.print(f"written to {output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m bench.hostile``."""
    return run_command(cli, argv, "python -m bench.hostile")


if __name__ == "__main__":
    sys.exit(main())

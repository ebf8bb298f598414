"""`python -m bot chat`: the terminal chat, same engine as Discord, history kept per session.

Lines starting with ``/`` are commands (``/help``, ``/sources``, ``/define TERM``,
``/leverage EQUITY LEVERAGE [haircut] [move]``, ``/quit``), never questions;
everything else goes to :meth:`Engine.ask` with the conversation so far, so a
follow-up ("那2025年呢?") continues the last question exactly as in a Discord thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console
from rich.markdown import Markdown

from bot.answering.engine import Engine
from bot.calc.evaluator import parse_amount
from bot.calc.leverage import leverage_report
from bot.cli.quiz import run_terminal_quiz
from bot.errors import CalcError, InputError, UserError
from bot.settings import Settings
from bot.text import Lang, detect_lang

HELP = "Ask about the basis trade (中文/English), or compute: 本金1000萬、50倍槓桿,部位多大?  /help for commands, /quit to leave."
COMMANDS_HELP = """Commands:
  /help                                       this list
  /sources                                    the documents in the knowledge base
  /define TERM                                a glossary entry (any script: 折價率, haircut, 估值折扣)
  /leverage EQUITY LEVERAGE [haircut] [move]  what-if table, e.g. /leverage 1000萬 50 2% -1%
  /quiz [N] [zh-Hant|zh-Hans|en] [topic]      practice questions (topics: terms, facts, numbers)
  /quit                                       leave
Anything else is a question (中文 or English); arithmetic such as "5bp of 1.2bn" is computed."""
QUIT = ("/quit", "/exit", "quit", "exit")
LEVERAGE_USAGE = "Usage: /leverage EQUITY LEVERAGE [haircut%] [move%], e.g. /leverage 10m 50 2% -1"

Command = Callable[[Engine, Console, str], None]


def _percent(text: str, name: str) -> float:
    """ "2%", "2" or "-1.5%" as a number of percent."""
    try:
        return float(text.strip().rstrip("%"))
    except ValueError:
        raise InputError(f"{name} must be a number of percent, e.g. 2 or 2%.") from None


def parse_leverage_line(line: str) -> tuple[float, float, float | None, float | None]:
    """`/leverage EQUITY LEVERAGE [haircut] [move]` → (equity, leverage, haircut fraction, move %)."""
    words = line.split()[1:]
    if len(words) < 2 or len(words) > 4:
        raise InputError(LEVERAGE_USAGE)
    try:
        equity = parse_amount(words[0])
    except CalcError as err:
        raise InputError(f"Equity: {err}") from None
    try:
        leverage = float(words[1].lower().rstrip("x倍"))
    except ValueError:
        raise InputError("Leverage must be a number, e.g. 50 or 50x.") from None
    haircut = _percent(words[2], "Haircut") / 100 if len(words) >= 3 else None
    move = _percent(words[3], "Move") if len(words) == 4 else None
    return equity, leverage, haircut, move


def _help(engine: Engine, console: Console, line: str) -> None:
    console.print(COMMANDS_HELP, markup=False)


def _sources(engine: Engine, console: Console, line: str) -> None:
    for row in engine.documents():
        console.print(
            f"- {row['title']} ({row['lang']}, {row['date']}, {row['chunks']} chunks) — {row['source'][:100]}",
            markup=False,
        )


def _define(engine: Engine, console: Console, line: str) -> None:
    term = line.partition(" ")[2].strip()
    if not term:
        console.print("Usage: /define TERM, e.g. /define 折價率 or /define haircut", markup=False)
        return
    found = engine.define(term)
    if found is None:
        console.print(f"Not in the glossary: {term}. Try asking it as a question.", markup=False)
        return
    names = " / ".join(found.zh_hant) + " · " + " / ".join(found.zh_hans) + " · " + " / ".join(found.english)
    console.print(f"{names}\n{found.note}", markup=False)


def _leverage(engine: Engine, console: Console, line: str) -> None:
    equity, leverage, haircut, move = parse_leverage_line(line)
    lang: Lang = detect_lang(line)
    console.print(Markdown(leverage_report(equity, leverage, haircut, move, lang).replace("\n", "  \n")))


def _quiz(engine: Engine, console: Console, line: str) -> None:
    run_terminal_quiz(engine, console, line)


#: Slash commands of the terminal chat.
COMMANDS: dict[str, Command] = {
    "/help": _help,
    "/sources": _sources,
    "/define": _define,
    "/leverage": _leverage,
    "/quiz": _quiz,
}


def slash_command(engine: Engine, console: Console, line: str) -> bool:
    """Run a slash command; False when the line is not one (then it is a question)."""
    name = line.split()[0].lower() if line.split() else ""
    handler = COMMANDS.get(name)
    if handler is None:
        if name.startswith("/") and name not in QUIT:
            console.print(f"Unknown command {name}. /help lists the commands.", markup=False)
            return True
        return False
    try:
        handler(engine, console, line.strip())
    except UserError as err:
        console.print(f"[red]{err}[/red]")
    return True


def chat(settings: Settings) -> int:
    console = Console()
    with console.status("Loading the model and the index…"):
        engine = Engine.build(settings)
    info = engine.about()
    console.print(f"[bold]Basis-trade bot[/bold] — {info['documents']} documents, {info['chunks']} chunks, {info['backend']}.")
    console.print(HELP, style="dim")
    history: list[tuple[str, str]] = []
    interactive = sys.stdin.isatty()
    while True:
        try:
            question = console.input("[bold cyan]you>[/bold cyan] ") if interactive else input()
        except EOFError:
            return 0
        if question.strip().lower() in QUIT:
            return 0
        if not question.strip():
            continue
        if question.lstrip().startswith("/") and slash_command(engine, console, question.strip()):
            continue
        try:
            result = engine.ask(question, history)
        except UserError as err:
            console.print(f"[red]{err}[/red]")
            continue
        history += [("user", question), ("assistant", result.answer)]
        history = history[-2 * settings.discord_history_turns :]
        if result.notice:
            console.print(f"({result.notice})", style="yellow")
        console.print(Markdown(result.answer.replace("\n", "  \n")))  # keep line breaks
        for number, source in enumerate(result.sources, start=1):
            console.print(f"[{number}] {source.cite()}", style="dim", markup=False)

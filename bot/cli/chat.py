"""`python -m bot chat`: the terminal chat, same engine as Discord, history kept per session."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markdown import Markdown

from bot.answering.engine import Engine
from bot.errors import UserError
from bot.settings import Settings

HELP = "Ask about the basis trade (中文/English), or compute: 本金1000萬、50倍槓桿,部位多大?  /quit to leave."


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
        if question.strip() in ("/quit", "/exit", "quit", "exit"):
            return 0
        if not question.strip():
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
            console.print(f"[{number}] {source.title}: 「{source.quote}」", style="dim", markup=False)

"""`python -m bot`: the same engine as the Discord bot, with no token or key needed.

One click group; :func:`bot.errors.run_command` turns a :class:`~bot.errors.UserError`
into one line and exit 2.  Models, clients and indexes are built by each command's
factory call, so `calc` and `--help` never load torch or open Chroma; the Discord
library and the terminal UI are imported only by the commands that start them.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import get_args

import click

from bot.answering import quiz as quizzes
from bot.answering.engine import Engine
from bot.calc.router import compute
from bot.cli import evaluate as scoring
from bot.cli import quiz as terminal_quiz
from bot.errors import run_command
from bot.kb.retrieval import Hit, Mode, Retriever
from bot.settings import get_settings

MODES = get_args(Mode)



@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Basis-trade knowledge bot (中文 / English)."""


@cli.command()
def run() -> int:
    """The Discord bot when DISCORD_TOKEN is set, else the terminal chat."""
    from bot.cli.chat import chat as terminal_chat
    from bot.discord_app import client as discord_client

    settings = get_settings()
    if settings.discord_token is None:
        click.echo("DISCORD_TOKEN is not set: starting the terminal chat instead.", err=True)
        return terminal_chat(settings)
    return discord_client.run(settings)


@cli.command()
def chat() -> int:
    """Terminal chat with the engine."""
    from bot.cli.chat import chat as terminal_chat

    return terminal_chat(get_settings())


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="print the answer object as JSON")
def ask(question: str, as_json: bool) -> None:
    """Answer one question."""
    answer = Engine.build(get_settings()).ask(question)
    click.echo(answer.model_dump_json(indent=2) if as_json else answer.render_text())


@cli.command()
@click.argument("question")
@click.option("-k", type=click.IntRange(1, 50), default=5, show_default=True, help="passages to return")
@click.option("--json", "as_json", is_flag=True)
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
def search(question: str, k: int, as_json: bool, mode: Mode) -> None:
    """Retrieve passages."""
    hits = Retriever.build(get_settings()).search(question, k, mode=mode)
    if as_json:
        click.echo(json.dumps([h.public() for h in hits], ensure_ascii=False, indent=2))
    else:
        _print_hits(hits)


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--answers", is_flag=True, help="also answer every line and score the answers")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
def evaluate(file: Path, k: int, as_json: bool, answers: bool, mode: Mode) -> None:
    """hit@k / MRR (and answer accuracy) on a JSONL set."""
    from bot.answering.engine import Engine
    cases = scoring.load_cases(file)
    settings = get_settings()
    if answers:
        engine = Engine.build(settings)
        retriever = engine.retriever
        report = scoring.evaluate(cases, _searcher(retriever, mode), k, ask=scoring.engine_asker(engine))
    else:
        report = scoring.evaluate(cases, _searcher(Retriever.build(settings), mode), k)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else scoring.render(report, str(file)))


@cli.command()
@click.argument("expression")
def calc(expression: str) -> None:
    """Safe calculator and every chat calculation (萬/億, k/m/bn, %, bp, 32nds, what-if tables,
    desk formulas): what `ask` computes for the same message; exits 2 with one line on bad input."""
    click.echo(compute(expression, strict=True).text)


@cli.command("quiz")
@click.option("-n", "count", type=click.IntRange(1, 500), default=5, show_default=True, help="questions")
@click.option("--lang", type=click.Choice(quizzes.LANGS), default="en", show_default=True)
@click.option("--seed", type=int, default=None, help="same seed, same questions (default: random)")
@click.option("--topic", type=click.Choice(sorted(quizzes.TOPICS)), default=None, help="one family of questions")
@click.option("--json", "as_json", is_flag=True, help="print the questions as JSON")
@click.option("--stats", is_flag=True, help="measure the checks over N questions in all three scripts (JSON)")
def quiz_command(count: int, lang: str, seed: int | None, topic: str | None, as_json: bool, stats: bool) -> None:
    """Practice questions from the glossary, the corpus and the calculator, with the answers."""
    bank = quizzes.QuizBank.from_settings(get_settings())
    seed = secrets.randbits(32) if seed is None else seed
    if stats:
        click.echo(json.dumps({"seed": seed, **bank.measure(count, seed=seed)}, ensure_ascii=False, indent=2))
        return
    questions = bank.generate(count, seed=seed, lang=quizzes.parse_lang(lang), topic=topic)
    if as_json:
        click.echo(json.dumps([q.public() for q in questions], ensure_ascii=False, indent=2))
        return
    click.echo(f"seed {seed}", err=True)
    for number, question in enumerate(questions, start=1):
        click.echo(terminal_quiz.question_text(question, number, len(questions)))
        click.echo(terminal_quiz.answer_text(question) + "\n")


def _searcher(retriever: Retriever, mode: Mode):
    def search(question: str, k: int) -> list[dict]:
        return [h.public() for h in retriever.search(question, k, mode=mode)]

    return search


def _print_hits(hits: list[Hit]) -> None:
    if not hits:
        click.echo("No passage in the knowledge base answers this.")
    for hit in hits:
        click.echo(f"#{hit.rank}  {hit.score:.4f}  {hit.title} — {hit.section}")
        click.echo(f"    {hit.text[:200]}")


def main(argv: list[str] | None = None) -> int:
    return run_command(cli, argv, "python -m bot")


if __name__ == "__main__":
    sys.exit(main())

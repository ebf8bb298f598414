"""Command line: the same engine as the Discord bot, with no token or key needed.

    python -m bot run                 Discord bot if DISCORD_TOKEN is set, else the terminal chat
    python -m bot chat                terminal chat
    python -m bot ask "QUESTION" [--json]
    python -m bot search "QUESTION" [-k 5] [--json] [--mode hybrid|dense|bm25]
    python -m bot eval FILE.jsonl [-k 5] [--answers] [--json] [--mode ...]
    python -m bot calc "EXPR"
    python -m bot bench

Heavy modules are imported inside each command: `calc` never loads torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.errors import UserError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Basis-trade knowledge bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="Discord bot with DISCORD_TOKEN, else the terminal chat")
    sub.add_parser("chat", help="terminal chat with the engine")
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")
    search = sub.add_parser("search", help="retrieve passages")
    search.add_argument("question")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--json", action="store_true")
    search.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    ev = sub.add_parser("eval", help="hit@k / MRR (and answer accuracy) on a JSONL set")
    ev.add_argument("file", type=Path)
    ev.add_argument("-k", type=int, default=5)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--answers", action="store_true", help="also run `ask` on every line")
    ev.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    calc = sub.add_parser("calc", help="safe calculator")
    calc.add_argument("expression")
    bench = sub.add_parser("bench", help="benchmarks; writes bench/results.json")
    bench.add_argument("--quick", action="store_true", help="skip the 100x scale step")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "calc":
        from bot.calculator import evaluate

        print(evaluate(args.expression).text)
        return 0

    from bot.settings import get_settings

    settings = get_settings()
    if args.command == "search":
        from bot.retrieval import Retriever

        hits = Retriever.build(settings).search(args.question, args.k, mode=args.mode)
        if args.json:
            print(json.dumps([h.public() for h in hits], ensure_ascii=False, indent=2))
        else:
            _print_hits(hits)
        return 0
    if args.command == "eval":
        return _eval(args, settings)
    if args.command == "ask":
        from bot.engine import Engine

        answer = Engine.build(settings).ask(args.question)
        print(answer.model_dump_json(indent=2) if args.json else answer.render_text())
        return 0
    if args.command == "chat":
        from bot.chat import chat

        return chat(settings)
    if args.command == "run":
        if settings.discord_token is None:
            from bot.chat import chat

            print("DISCORD_TOKEN is not set: starting the terminal chat instead.", file=sys.stderr)
            return chat(settings)
        from bot.discord_bot import run

        return run(settings)
    if args.command == "bench":
        from bot.bench import main as bench_main

        return bench_main(settings, quick=args.quick)
    raise AssertionError(args.command)


def _print_hits(hits: list) -> None:
    if not hits:
        print("No passage in the knowledge base answers this.")
    for hit in hits:
        print(f"#{hit.rank}  {hit.score:.4f}  {hit.title} — {hit.section}")
        print(f"    {hit.text[:200]}")


def _eval(args: argparse.Namespace, settings) -> int:
    from bot.evaluate import evaluate, load_cases, render

    cases = load_cases(args.file)
    if args.answers:
        from bot.engine import Engine

        engine = Engine.build(settings)
        retriever = engine.retriever
        ask = lambda q: engine.ask(q).model_dump()  # noqa: E731
        check_calc = engine.check_calc
    else:
        from bot.retrieval import Retriever

        retriever = Retriever.build(settings)
        ask = check_calc = None

    def search(question: str, k: int) -> list[dict]:
        return [h.public() for h in retriever.search(question, k, mode=args.mode)]

    report = evaluate(cases, search, args.k, ask=ask, check_calc=check_calc)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(render(report, str(args.file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m ingest [--rebuild] [--json]`: bring the index in line with corpus/."""

from __future__ import annotations

import argparse
import sys

from bot.errors import UserError
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("--rebuild", action="store_true", help="ignore the old index and build anew")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--corpus", help="corpus directory (default: CORPUS_DIR)")
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.corpus:
        settings = settings.model_copy(update={"corpus_dir": args.corpus})
    from ingest.pipeline import run

    try:
        if args.json:
            summary = run(settings, rebuild=args.rebuild)
        else:
            summary = _run_with_progress(settings, args.rebuild)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(summary.to_json())
    else:
        for item in summary.skipped:
            print(f"skipped {item['file']}: {item['reason']}", file=sys.stderr)
        print(summary.line())
    return 0


def _run_with_progress(settings, rebuild: bool):
    from rich.progress import Progress

    from ingest.pipeline import run

    with Progress(transient=True) as progress:
        task = progress.add_task("embedding chunks", total=None)

        def update(done: int) -> None:
            progress.update(task, completed=done)

        return run(settings, rebuild=rebuild, progress=update)


if __name__ == "__main__":
    sys.exit(main())

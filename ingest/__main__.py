"""`python -m ingest [--rebuild] [--json] [--corpus DIR]`: bring the index in line with the corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import Progress

from bot.errors import run_command
from bot.settings import get_settings
from ingest.pipeline import Summary, run


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rebuild", is_flag=True, help="ignore the old index and build anew")
@click.option("--json", "as_json", is_flag=True, help="print the summary as one JSON object")
@click.option(
    "--corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="corpus directory (default: CORPUS_DIR)",
)
def ingest(rebuild: bool, as_json: bool, corpus: Path | None) -> None:
    """Load, split and embed what changed in the corpus, then swap the new index in."""
    settings = get_settings()
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": corpus})
    if as_json:
        click.echo(run(settings, rebuild=rebuild).to_json())
        return
    summary = _run_with_progress(settings, rebuild)
    for item in summary.skipped:
        click.echo(f"skipped {item['file']}: {item['reason']}", err=True)
    click.echo(summary.line())


def _run_with_progress(settings, rebuild: bool) -> Summary:
    with Progress(transient=True) as progress:
        task = progress.add_task("embedding chunks", total=None)
        return run(settings, rebuild=rebuild, progress=lambda done: progress.update(task, completed=done))


def main(argv: list[str] | None = None) -> int:
    return run_command(ingest, argv, "python -m ingest")


if __name__ == "__main__":
    sys.exit(main())

"""Shared fixtures: a real index of the real corpus in a temp dir, the real bundled model.

The model and the index are built once per test session; tests that change
the corpus build their own small index with `make_settings`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings

CORPUS = ROOT / "corpus"


def settings_for(tmp: Path, corpus: Path = CORPUS, **overrides: object) -> Settings:
    """Settings isolated from the developer's .env and data directory."""
    values: dict[str, object] = {
        "corpus_dir": corpus,
        "data_dir": tmp / "data",
        "feedback_file": tmp / "data" / "feedback.jsonl",
        "chroma_host": None,
        "llm_provider": "none",
        "discord_token": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def cli_env(corpus: Path, data: Path, **extra: str) -> dict[str, str]:
    """Environment for a `python -m bot|ingest` child: these values win over any developer .env."""
    return {
        "PATH": "/usr/bin:/bin",
        "CORPUS_DIR": str(corpus),
        "DATA_DIR": str(data),
        "CHROMA_HOST": "",
        "LLM_PROVIDER": "none",
        "DISCORD_TOKEN": "",
        "HF_HUB_OFFLINE": "1",
        **extra,
    }


def run_from_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """`python -m bot run` (or another command) in-process, with these settings."""
    import bot.cli

    monkeypatch.setattr(bot.cli, "get_settings", lambda: settings)
    return bot.cli.main(list(args or ["run"]))


@pytest.fixture(scope="session")
def model():
    from bot.kb.embeddings import load_model

    return load_model()


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, model) -> Settings:
    from ingest.pipeline import run

    settings = settings_for(tmp_path_factory.mktemp("kb"))
    run(settings, model_factory=lambda: model)
    return settings


@pytest.fixture(scope="session")
def retriever(built_settings: Settings, model):
    from bot.kb.glossary import load
    from bot.kb.retrieval import Retriever

    return Retriever(built_settings, model, load(built_settings.corpus_dir))


@pytest.fixture(scope="session")
def engine(built_settings: Settings, retriever):
    from bot.answering.engine import Engine

    return Engine(built_settings, retriever)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of a small slice of the corpus (the seed article and the glossary)."""
    target = tmp_path / "corpus"
    target.mkdir()
    for name in ("basis-trade-article.zh-Hant.md", "glossary.md", "en-regulation.md"):
        shutil.copy(CORPUS / name, target / name)
    return target


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def factory(**overrides: object) -> Settings:
        return settings_for(tmp_path, **overrides)

    return factory

"""The terminal chat (what `make run` starts without a token) answers from stdin."""

import subprocess
import sys

from bot.settings import ROOT
from tests.conftest import cli_env


def test_run_without_token_is_the_terminal_chat(built_settings):
    env = cli_env(built_settings.corpus_dir, built_settings.data_dir, COLUMNS="200")
    out = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        input="本金1000萬、50倍槓桿,部位多大?\n\n什麼是保證金螺旋?\n" + "x" * 2000 + "\n/quit\n",
    )
    assert out.returncode == 0, out.stderr
    assert "terminal chat" in out.stderr
    assert "500,000,000" in out.stdout
    assert "[1]" in out.stdout and "保證金螺旋" in out.stdout
    assert "too long" in out.stdout and "Traceback" not in out.stdout + out.stderr


def test_chat_commands_are_commands_and_follow_ups_continue(built_settings):
    env = cli_env(built_settings.corpus_dir, built_settings.data_dir, COLUMNS="200")
    lines = [
        "/help", "/sources", "/define 折價率", "/define nosuchterm", "/leverage 10m 50 2% -1", "/leverage ten 50",
        "/nope", "hi", "2020年3月美債市場發生什麼事?", "那2025年呢?", "/quit",
    ]
    out = subprocess.run(
        [sys.executable, "-m", "bot", "chat"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        input="\n".join(lines) + "\n",
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "/leverage EQUITY LEVERAGE" in text  # /help
    assert "詞彙表" in text and "chunks" in text  # /sources
    assert "haircut" in text and "Not in the glossary: nosuchterm" in text  # /define
    assert "500,000,000" in text and "Equity left" in text and "Margin call" in text  # /leverage
    assert "Equity:" in text  # a bad equity is one line, not a question
    assert "Unknown command /nope" in text
    assert "I couldn't find this" not in text  # neither commands nor "hi" fall through to retrieval
    assert "2025" in text.split("那2025年呢")[-1] if "那2025年呢" in text else "2025" in text
    assert "Traceback" not in text + out.stderr

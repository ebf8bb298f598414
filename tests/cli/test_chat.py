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

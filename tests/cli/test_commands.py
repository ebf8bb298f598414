"""The command lines as a user meets them: one clean line and exit 2 for mistakes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.calc.router import compute
from bot.cli import cli
from bot.settings import ROOT
from tests.conftest import CORPUS, cli_env


def _run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, **kwargs
    )


def test_ingest_corpus_option_takes_a_directory(tmp_path: Path, corpus_copy: Path) -> None:
    """`--corpus DIR` once crashed with "'str' object has no attribute 'is_dir'"."""
    env = cli_env(CORPUS, tmp_path / "data")
    out = _run(["ingest", "--corpus", str(corpus_copy), "--json"], env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["documents"] == 3  # the copy, not CORPUS_DIR's six
    missing = _run(["ingest", "--corpus", str(tmp_path / "nowhere")], env)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().count("\n") == 0 and "nowhere" in missing.stderr


def test_eval_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    out = _run(["bot", "eval", str(tmp_path / "missing.jsonl")], cli_env(CORPUS, tmp_path / "data"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "missing.jsonl" in out.stderr and "does not exist" in out.stderr


def test_a_closed_pipe_ends_quietly(built_settings) -> None:
    """`python -m bot ask … | head -1` once ended in a BrokenPipeError traceback."""
    env = cli_env(built_settings.corpus_dir, built_settings.data_dir)
    shell = f"{sys.executable} -m bot search basis -k 20 | head -1"
    out = subprocess.run(["sh", "-c", shell], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.stdout.count("\n") == 1
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    env = cli_env(CORPUS, tmp_path / "empty")  # no index built here
    out = _run(["bot", "ask", "什麼是基差交易?"], env)
    assert out.returncode == 2 and out.stderr.startswith("error:") and out.stderr.count("\n") == 1
    assert "python -m ingest" in out.stderr
    bad_mode = _run(["bot", "search", "basis", "--mode", "magic"], env)
    assert bad_mode.returncode == 2 and "hybrid" in bad_mode.stderr  # choices come from retrieval.Mode


def test_calc_does_not_import_torch_or_chroma() -> None:
    code = (
        "import sys\nfrom bot.cli import main\nrc = main(['calc', '2^10'])\n"
        "heavy = {'torch', 'chromadb', 'sentence_transformers', 'langchain_core', 'matplotlib'} & set(sys.modules)\n"
        "assert not heavy, heavy\nsys.exit(rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "1,024" in out.stdout


# ---------------------------------------------- `calc` computes what chat computes


@pytest.mark.parametrize(
    ("expression", "figures"),
    [
        ("1000萬*50", ["500,000,000"]),
        ("101-16", ["= 85", "as a 32nds price: 101.5"]),  # 101 − 16, and 101 16/32 on a desk
        # the what-if table: 10,000,000 × 50 × 0.5% / 1% / 2%
        ("本金1000萬 槓桿50倍 跌0.5% 1% 2%各虧多少", ["-2,500,000", "-5,000,000", "-10,000,000", "剩餘本金"]),
        ("1.2亿的5个基点是多少", ["60,000", "6万"]),  # 120,000,000 × 0.0005
        ("20x leverage 10m equity, lose how much on a 3% drop", ["6,000,000"]),
        ("10 contracts, futures fell 1-08, variation margin?", ["$12,500"]),  # 1.25 × $1,000 × 10
        ("期貨跌了1又8/32,10口的變動保證金是多少", ["$12,500"]),
        ("期货跌了1又8/32,10口的变动保证金是多少", ["$12,500", "变动保证金"]),
        ("which bond has the highest implied repo? futures 93-08, 90 days; 99.50 cf 1.0382, 143.50 cf 1.5188",
         [f"{(93.25 * 1.5188 / 143.5 - 1) * 360 / 90 * 100:.4f}%"]),
    ],
)
def test_calc_prints_what_chat_computes(expression: str, figures: list[str]) -> None:
    out = CliRunner().invoke(cli, ["calc", expression])
    assert out.exit_code == 0, out.output
    assert out.output.rstrip("\n") == compute(expression, strict=True).text
    for figure in figures:
        assert figure in out.output

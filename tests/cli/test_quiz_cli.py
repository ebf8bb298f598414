"""`python -m bot quiz` prints the same checked questions as Discord; the chat's `/quiz` asks them."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from rich.console import Console

from bot.answering.quiz import QuizBank
from bot.cli import quiz as terminal_quiz
from bot.settings import ROOT
from tests.conftest import cli_env

FIELDS = {"kind", "lang", "question", "choices", "answer", "explanation", "source"}


def run_quiz(settings, *args: str) -> subprocess.CompletedProcess:
    env = cli_env(settings.corpus_dir, settings.data_dir)
    return subprocess.run(
        [sys.executable, "-m", "bot", "quiz", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_json_is_seeded_and_matches_the_engine(built_settings, engine) -> None:
    out = run_quiz(built_settings, "-n", "6", "--lang", "zh-Hans", "--seed", "9", "--json")
    assert out.returncode == 0, out.stderr
    questions = json.loads(out.stdout)
    assert len(questions) == 6
    for question in questions:
        assert set(question) == FIELDS and question["lang"] == "zh-Hans"
        assert len(question["choices"]) == 4 and 0 <= question["answer"] < 4
    # The same questions the bot would ask for that seed: one generator, no CLI-only path.
    expected = [q.public() for q in QuizBank.from_engine(engine).generate(6, seed=9, lang="zh-Hans")]
    assert questions == expected
    again = run_quiz(built_settings, "-n", "6", "--lang", "zh-Hans", "--seed", "9", "--json")
    assert json.loads(again.stdout) == questions


def test_text_output_topic_and_stats(built_settings) -> None:
    out = run_quiz(built_settings, "-n", "2", "--seed", "3", "--topic", "numbers")
    assert out.returncode == 0, out.stderr
    assert "Q1/2" in out.stdout and "Answer:" in out.stdout and "Source: calculator:" in out.stdout
    assert "seed 3" in out.stderr
    stats = run_quiz(built_settings, "-n", "30", "--seed", "1", "--stats")
    report = json.loads(stats.stdout)
    assert report["questions"] == 30 and report["langs"] == {"en": 10, "zh-Hans": 10, "zh-Hant": 10}
    bad = run_quiz(built_settings, "--lang", "fr")
    assert bad.returncode == 2 and "fr" in bad.stderr and "Traceback" not in bad.stderr


def test_terminal_quiz_asks_and_scores(engine) -> None:
    console = Console(file=io.StringIO(), width=200)
    bank_questions = QuizBank.from_engine(engine).generate(3, seed=4, lang="zh-Hant", topic="terms")
    answers = iter(["x", "ABCD"[bank_questions[0].answer], str((bank_questions[1].answer + 1) % 4 + 1), "q"])
    right, asked = terminal_quiz.run_terminal_quiz(
        engine, console, "/quiz 3 zh-Hant terms", seed=4, read=lambda prompt: next(answers)
    )
    text = console.file.getvalue()
    assert (right, asked) == (1, 2)
    assert "Q1/3" in text and "答對了!" in text and "答錯了" in text and "得分: 1/2" in text
    assert bank_questions[0].explanation.splitlines()[0] in text


def test_chat_line_parsing() -> None:
    assert terminal_quiz.parse_quiz_line("/quiz", "en") == (5, "en", None)
    assert terminal_quiz.parse_quiz_line("/quiz numbers 3 zh-hans", "en") == (3, "zh-Hans", "numbers")
    assert terminal_quiz.parse_quiz_line("/quiz 999", "zh-Hant")[0] == terminal_quiz.MAX_COUNT
    assert [terminal_quiz.read_choice(x) for x in ("b", "C", "4", "5", "", "AB")] == [1, 2, 3, None, None, None]


def test_end_of_input_stops_the_quiz(engine) -> None:
    console = Console(file=io.StringIO(), width=120)

    def eof(prompt: str) -> str:
        raise EOFError

    assert terminal_quiz.run_terminal_quiz(engine, console, "/quiz 2", seed=1, read=eof) == (0, 0)

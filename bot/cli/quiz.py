"""The quiz on a terminal: `python -m bot quiz` prints questions, the chat's `/quiz` asks them.

Both use the same checked questions as Discord (:mod:`bot.answering.quiz`), so the quiz can be
tried and tested without a Discord server.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from rich.console import Console

from bot.answering.quiz import TOPICS, Question, bank_for, parse_lang
from bot.text import Lang

LETTERS = "ABCD"
DEFAULT_COUNT = 5
MAX_COUNT = 20

_WORDS = {
    "en": {"answer": "Answer", "right": "Right!", "wrong": "Not quite: the answer is", "source": "Source",
           "score": "Score", "prompt": "A-D (q to stop)", "stop": "Quiz over."},
    "zh-Hant": {"answer": "答案", "right": "答對了!", "wrong": "答錯了,正確答案是", "source": "來源",
                "score": "得分", "prompt": "A-D(q 結束)", "stop": "測驗結束。"},
    "zh-Hans": {"answer": "答案", "right": "答对了!", "wrong": "答错了,正确答案是", "source": "来源",
                "score": "得分", "prompt": "A-D(q 结束)", "stop": "测验结束。"},
}


def words(lang: Lang) -> dict[str, str]:
    return _WORDS[lang]


def question_text(question: Question, number: int | None = None, total: int | None = None) -> str:
    """The question and its lettered choices, as plain text."""
    head = f"Q{number}/{total} " if number and total else ""
    lines = [f"{head}{question.prompt}"]
    lines += [f"  {LETTERS[i]}. {choice}" for i, choice in enumerate(question.choices)]
    return "\n".join(lines)


def answer_text(question: Question) -> str:
    w = words(question.lang)
    return "\n".join([
        f"{w['answer']}: {LETTERS[question.answer]}. {question.answer_text}",
        question.explanation,
        f"{w['source']}: {question.source}",
    ])


def read_choice(raw: str) -> int | None:
    """"b", "B", "2" → 1; ``None`` for anything else."""
    text = raw.strip().upper()
    if len(text) == 1 and text in LETTERS:
        return LETTERS.index(text)
    if text.isdigit() and 1 <= int(text) <= len(LETTERS):
        return int(text) - 1
    return None


def parse_quiz_line(line: str, default_lang: Lang) -> tuple[int, Lang, str | None]:
    """`/quiz [N] [zh-Hant|zh-Hans|en] [terms|facts|numbers]`, in any order."""
    count, lang, topic = DEFAULT_COUNT, default_lang, None
    for word in line.split()[1:]:
        if word.isdigit():
            count = max(1, min(MAX_COUNT, int(word)))
        elif parse_lang(word):
            lang = parse_lang(word) or lang
        elif word.lower() in TOPICS:
            topic = word.lower()
    return count, lang, topic


def run_terminal_quiz(
    engine: Any,
    console: Console,
    line: str = "/quiz",
    *,
    default_lang: Lang = "en",
    seed: int | None = None,
    read: Callable[[str], str] | None = None,
) -> tuple[int, int]:
    """Ask the questions a chat line such as `/quiz 3 zh-Hans numbers` wants; returns (right, asked).

    ``read`` is how an answer is read (``console.input`` by default); end of input stops the quiz.
    """
    count, lang, topic = parse_quiz_line(line, default_lang)
    questions = bank_for(engine).generate(count, seed=secrets.randbits(32) if seed is None else seed,
                                          lang=lang, topic=topic)
    ask = read or console.input
    w = words(lang)
    right = asked = 0
    for number, question in enumerate(questions, start=1):
        console.print(question_text(question, number, len(questions)), markup=False, highlight=False)
        choice = None
        while choice is None:
            try:
                raw = ask(f"{w['prompt']}> ")
            except EOFError:
                raw = "q"
            if raw.strip().lower() in ("q", "quit", "/quit"):
                console.print(f"{w['stop']} {w['score']}: {right}/{asked}", markup=False)
                return right, asked
            choice = read_choice(raw)
        asked += 1
        if choice == question.answer:
            right += 1
            console.print(w["right"], style="green", markup=False)
        else:
            console.print(f"{w['wrong']} {LETTERS[question.answer]}.", style="red", markup=False)
        console.print(answer_text(question).split("\n", 1)[1], style="dim", markup=False, highlight=False)
    console.print(f"{w['stop']} {w['score']}: {right}/{asked}", markup=False)
    return right, asked



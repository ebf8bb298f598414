"""`/quiz` and `/quiz-score`: practice with buttons, and a score that survives a restart.

`/quiz [topic] [count]` posts one question at a time, ephemeral to the asker (nobody else sees
it or can press its buttons), with the choices as A–D buttons.  A press shows right or wrong,
the explanation and the source, then a "next" button.  Every answer is written to the score
store (SQLite under ``DATA_DIR``, salted user hash) before the result is shown, so the streak
on screen is the stored one.  Nothing here pings: every send passes ``NO_PINGS`` and defused text.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.answering import quiz
from bot.answering.quiz import Question
from bot.discord_app import rendering as messages
from bot.discord_app.helpers import error_text, gate, locale_lang, user_hasher
from bot.discord_app.quizstore import QUIZ_DB, Score, ScoreStore
from bot.discord_app.rendering import NO_PINGS
from bot.errors import UserError
from bot.text import Lang, to_script

if TYPE_CHECKING:
    from bot.discord_app.client import BasisBotCore

log = logging.getLogger("bot.discord.quiz")

LETTERS = "ABCD"
VIEW_TIMEOUT_S = 15 * 60
DEFAULT_COUNT = 5
MAX_COUNT = 10

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "right": "✅ Right!", "wrong": "❌ Not quite.", "answer": "Answer", "source": "Source",
        "next": "Next ▶", "quiz": "This quiz", "streak": "streak", "best": "best", "total": "all time",
        "done": "Quiz finished", "not_yours": "This quiz belongs to someone else: start your own with /quiz.",
        "again": "Already answered: press “Next”.", "none": "No questions could be made from the knowledge base.",
        "score": "Quiz score", "no_score": "No quiz answers yet: try /quiz.",
    },
    "zh-Hant": {
        "right": "✅ 答對了!", "wrong": "❌ 答錯了。", "answer": "答案", "source": "來源",
        "next": "下一題 ▶", "quiz": "本次", "streak": "連對", "best": "最佳", "total": "累計",
        "done": "測驗結束", "not_yours": "這是別人的測驗:用 /quiz 開始你自己的。",
        "again": "這題已作答:請按「下一題」。", "none": "知識庫無法產生題目。",
        "score": "測驗成績", "no_score": "還沒有作答紀錄:試試 /quiz。",
    },
}


@lru_cache(maxsize=3)
def texts(lang: Lang) -> dict[str, str]:
    """The quiz's fixed lines in the member's script (Simplified is converted, not kept twice)."""
    if lang == "zh-Hans":
        return {key: to_script(line, "zh-Hans") for key, line in _TEXT["zh-Hant"].items()}
    return _TEXT[lang]


def _clean(text: str) -> str:
    """What a member's screen may show: no mention can ping, no stray Markdown."""
    return messages.defuse(discord.utils.escape_markdown(text))


def question_content(question: Question, number: int, total: int) -> str:
    lines = [f"**Q{number}/{total}** {_clean(question.prompt)}"]
    lines += [f"**{LETTERS[i]}.** {_clean(choice)}" for i, choice in enumerate(question.choices)]
    return messages.truncate("\n".join(lines), messages.CONTENT_LIMIT)


def score_line(score: Score, lang: Lang) -> str:
    t = texts(lang)
    return (
        f"{t['streak']} {score.streak} ({t['best']} {score.best}) · "
        f"{t['total']} {score.correct}/{score.answered}"
    )


def result_content(question: Question, chosen: int, score: Score, right: int, asked: int, last: bool) -> str:
    t = texts(question.lang)
    verdict = t["right"] if chosen == question.answer else t["wrong"]
    lines = [
        f"{_clean(question.prompt)}",
        f"{verdict} {t['answer']}: **{LETTERS[question.answer]}. {_clean(question.answer_text)}**",
        _clean(question.explanation),
        f"-# {t['source']}: {_clean(question.source)}",
        "",
        f"{t['done'] + ' · ' if last else ''}{t['quiz']} {right}/{asked} · {score_line(score, question.lang)}",
    ]
    return messages.truncate("\n".join(lines), messages.CONTENT_LIMIT)


class ChoiceButton(discord.ui.Button["QuizView"]):
    def __init__(self, index: int, nonce: str) -> None:
        super().__init__(label=LETTERS[index], style=discord.ButtonStyle.primary, custom_id=f"quiz:{nonce}:{index}")
        self.index = index

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.choose(interaction, self.index)


class NextButton(discord.ui.Button["QuizView"]):
    def __init__(self, label: str, nonce: str) -> None:
        super().__init__(label=label, style=discord.ButtonStyle.secondary, custom_id=f"quiz:{nonce}:next")

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.next(interaction)


class QuizView(discord.ui.View):
    """One member's quiz: the questions, where they are, and what they got right."""

    def __init__(self, cog: Quiz, owner_id: int, questions: list[Question]) -> None:
        super().__init__(timeout=VIEW_TIMEOUT_S)
        self.cog = cog
        self.owner_id = owner_id
        self.questions = questions
        self.position = 0
        self.right = 0
        self.answered = False
        self.nonce = secrets.token_hex(6)
        self._show_choices()

    @property
    def question(self) -> Question:
        return self.questions[self.position]

    def content(self) -> str:
        return question_content(self.question, self.position + 1, len(self.questions))

    def _show_choices(self) -> None:
        self.clear_items()
        for index in range(len(self.question.choices)):
            self.add_item(ChoiceButton(index, self.nonce))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                texts(self.question.lang)["not_yours"], ephemeral=True, allowed_mentions=NO_PINGS
            )
            return False
        return True

    async def choose(self, interaction: discord.Interaction, index: int) -> None:
        question = self.question
        if self.answered:
            await interaction.response.send_message(texts(question.lang)["again"], ephemeral=True, allowed_mentions=NO_PINGS)
            return
        self.answered = True
        # Acknowledge at once (Discord allows 3 s); the score write may wait for a worker.
        await interaction.response.defer()
        correct = index == question.answer
        self.right += int(correct)
        score = await self.cog.record(interaction.user.id, correct)
        last = self.position + 1 >= len(self.questions)
        self.clear_items()
        if last:
            self.stop()
        else:
            self.add_item(NextButton(texts(question.lang)["next"], self.nonce))
        await interaction.edit_original_response(
            content=result_content(question, index, score, self.right, self.position + 1, last),
            view=None if last else self,
            allowed_mentions=NO_PINGS,
        )

    async def next(self, interaction: discord.Interaction) -> None:
        if not self.answered:  # a stale "next" from a double press
            await interaction.response.defer()
            return
        self.position += 1
        self.answered = False
        self._show_choices()
        await interaction.response.edit_message(content=self.content(), view=self, allowed_mentions=NO_PINGS)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
        try:
            await send(error_text(error, "a quiz button"), ephemeral=True, allowed_mentions=NO_PINGS)
        except discord.HTTPException as err:
            log.warning("could not deliver an error message: %s", err)


class Quiz(commands.Cog):
    """Owns the score store; questions come from the engine's knowledge base."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot
        self.store = ScoreStore(bot.settings.data_dir / QUIZ_DB)
        self.user_hash = user_hasher(bot.settings)

    async def record(self, user_id: int, correct: bool) -> Score:
        """Count one answer off the event loop."""
        return await self.bot.offload(lambda: self.store.record(self.user_hash(user_id), correct))

    async def score_of(self, user_id: int) -> Score:
        return await self.bot.offload(lambda: self.store.get(self.user_hash(user_id)))

    def _questions(self, count: int, lang: Lang, topic: str | None) -> list[Question]:
        bank = quiz.bank_for(self.bot.require_engine())
        return bank.generate(count, seed=secrets.randbits(32), lang=lang, topic=topic)

    @app_commands.command(name="quiz", description="Practice questions with buttons: terms, facts, numbers · 測驗")
    @app_commands.describe(
        topic="terms (glossary), facts (the corpus) or numbers (the calculator); all by default · 題型",
        count=f"How many questions, 1–{MAX_COUNT} (default {DEFAULT_COUNT}) · 題數",
    )
    @gate(limited=True)
    async def quiz(
        self,
        interaction: discord.Interaction,
        topic: Literal["terms", "facts", "numbers"] | None = None,
        count: app_commands.Range[int, 1, MAX_COUNT] = DEFAULT_COUNT,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        lang = locale_lang(interaction)
        questions = await self.bot.queued(self._questions, count, lang, topic)
        if not questions:
            raise UserError(texts(lang)["none"])
        view = QuizView(self, interaction.user.id, questions)
        await interaction.followup.send(
            view.content(), view=view, ephemeral=True, allowed_mentions=NO_PINGS, wait=True
        )

    @app_commands.command(name="quiz-score", description="Your quiz score and streak · 測驗成績")
    @gate()
    async def quiz_score(self, interaction: discord.Interaction) -> None:
        lang = locale_lang(interaction)
        score = await self.score_of(interaction.user.id)
        t = texts(lang)
        line = t["no_score"] if not score.answered else f"**{t['score']}**: {score_line(score, lang)} ({score.share:.0%})"
        await interaction.response.send_message(line, ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: BasisBotCore) -> None:
    await bot.add_cog(Quiz(bot))

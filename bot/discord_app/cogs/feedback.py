"""👍/👎 under every answer, appended to a JSONL file for later evaluation.

Users are recorded as a salted hash, never their raw ID: the salt is a
secret kept next to the feedback file, so the file alone cannot tell whether
a given user voted, yet one user's votes still group together.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.discord_app import rendering as messages
from bot.discord_app.helpers import SALT_FILE, UserHasher, error_text

if TYPE_CHECKING:
    from bot.discord_app.client import BasisBotCore

log = logging.getLogger("bot.discord.feedback")

VIEW_TIMEOUT_S = 6 * 3600


class FeedbackLog:
    """Append-only JSONL of votes; a lock keeps concurrent writes whole. Call from a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.user_hash = UserHasher(self.path.parent / SALT_FILE)

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def vote(self, *, user_id: int, vote: str, question: str, answer: Any, surface: str) -> dict[str, Any]:
        """Build and append one vote record; returns it."""
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="seconds"),
            "vote": vote,
            "user": self.user_hash(user_id),
            "question": question,
            "answer": answer.answer,
            "chunk_ids": [source.chunk_id for source in answer.sources],
            "grounded": answer.grounded,
            "language": answer.language,
            "surface": surface,
        }
        self.append(record)
        return record


class FeedbackView(discord.ui.View):
    """The two buttons under one answer; remembers who voted what so a repeat click is not logged twice."""

    def __init__(self, cog: Feedback, question: str, answer: Any, surface: str) -> None:
        super().__init__(timeout=VIEW_TIMEOUT_S)
        self.cog = cog
        self.question = question
        self.answer = answer
        self.surface = surface
        self.votes: dict[int, str] = {}

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, "down")

    async def _vote(self, interaction: discord.Interaction, vote: str) -> None:
        user_id = interaction.user.id
        if self.votes.get(user_id) == vote:
            await interaction.response.send_message(messages.ALREADY_VOTED, ephemeral=True)
            return
        self.votes[user_id] = vote
        # Answer first: Discord allows 3 s, and a write that fails is still logged with an id.
        await interaction.response.send_message(messages.THANKS, ephemeral=True)
        await self.cog.record(user_id=user_id, vote=vote, question=self.question, answer=self.answer, surface=self.surface)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
        try:
            await send(error_text(error, "a feedback button"), ephemeral=True)
        except discord.HTTPException as err:
            log.warning("could not deliver an error message: %s", err)


class Feedback(commands.Cog):
    """Owns the feedback file; other cogs ask it for a view to put under an answer."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot
        self.log = FeedbackLog(bot.settings.feedback_file)

    def view_for(self, question: str, answer: Any, surface: str) -> FeedbackView:
        return FeedbackView(self, question, answer, surface)

    async def record(self, **vote: Any) -> dict[str, Any]:
        """Write one vote off the event loop."""
        return await self.bot.offload(lambda: self.log.vote(**vote))


async def setup(bot: BasisBotCore) -> None:
    await bot.add_cog(Feedback(bot))

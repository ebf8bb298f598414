"""`/reindex`: re-read the corpus and serve the new index, for admins only."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answering.engine import Engine
from bot.discord_app.helpers import gate
from bot.discord_app.rendering import NO_PINGS
from ingest import pipeline

if TYPE_CHECKING:
    from bot.discord_app.client import BasisBotCore

log = logging.getLogger("bot.discord.admin")


def reindex(engine: Engine) -> pipeline.Summary:
    """Incremental ingest with the engine's already-loaded model, then serve the new index.

    One at a time: the ingest lock refuses a second run with a one-line StoreError.
    """
    summary = pipeline.run(engine.settings, model_factory=lambda: engine.retriever.model)
    engine.reload()
    return summary


class Admin(commands.Cog):
    """Operator commands."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Admin: re-read the corpus and update the index · 重建索引")
    @app_commands.guild_only()
    @gate(admin=True)
    async def reindex(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        # Its own thread, not a question worker: answers keep flowing during a long re-index.
        summary = await asyncio.to_thread(reindex, self.bot.require_engine())
        line = summary.line()
        log.info("re-index requested in guild %s: %s", interaction.guild_id, line)
        await interaction.followup.send(f"✅ {line}", ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: BasisBotCore) -> None:
    await bot.add_cog(Admin(bot))

"""`/reindex`: re-read the corpus and serve the new index, for admins only."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import messages
from bot.discord_bot import interaction_sender, is_admin
from bot.messages import NO_PINGS

if TYPE_CHECKING:
    from bot.discord_bot import BasisBotCore

log = logging.getLogger("bot.discord.admin")


class Admin(commands.Cog):
    """Operator commands; the check is in the command body, so no path skips it."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Admin: re-read the corpus and update the index · 重建索引")
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        if not await self.bot.gate(interaction):
            return
        if not is_admin(interaction.user, self.bot.settings.discord_admin_role):
            await interaction.response.send_message(messages.ADMIN_ONLY, ephemeral=True)
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        async with self.bot.reporting(interaction_sender(interaction), "/reindex"):
            # Its own thread, not a question worker: answers keep flowing during a long re-index.
            summary = await asyncio.to_thread(self.bot.require_engine().reindex)
            line = summary.line()
            log.info("re-index requested in guild %s: %s", interaction.guild_id, line)
            await interaction.followup.send(f"✅ {line}", ephemeral=True, allowed_mentions=NO_PINGS)

"""`/calc` and `/leverage`: arithmetic with its working, never ``eval``.

`/leverage` shows how a leveraged position dies: the working (position,
wipe-out move, margin call), a what-if table from −0.25% to −5% and a chart.
Both the text and the PNG are made in a worker thread.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.calc.evaluator import parse_amount
from bot.calc.leverage import render_leverage
from bot.calc.router import compute
from bot.discord_app import rendering as messages
from bot.discord_app.helpers import can_embed, gate, locale_lang
from bot.discord_app.rendering import NO_PINGS

if TYPE_CHECKING:
    from bot.discord_app.client import BasisBotCore

CHART_FILE = "leverage.png"

class Calc(commands.Cog):
    """The calculator and the leverage what-if."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot

    @app_commands.command(name="calc", description="Safe calculator: 1000萬*50, 3.5% of 250m, 2^10 · 計算機")
    @app_commands.describe(expression="Arithmetic, e.g. 1000萬 * 50 or 3.5% of 250m · 算式")
    @gate(limited=True)
    async def calc(self, interaction: discord.Interaction, expression: app_commands.Range[str, 1, 200]) -> None:
        await interaction.response.defer(thinking=True)
        result = await self.bot.queued(compute, expression, strict=True)  # what chat computes
        first, _, working = result.text.partition("\n")
        shown, equals, value = first.rpartition(" = ")  # "1000萬*50 = 500,000,000(5億)": the value in bold
        head = f"{discord.utils.escape_markdown(shown)} = **{value}**" if equals else discord.utils.escape_markdown(first)
        text = messages.truncate(messages.defuse("\n".join(filter(None, (head, working)))), messages.CONTENT_LIMIT)
        await interaction.followup.send(text, allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="leverage", description="Leverage what-if: P&L, margin call and wipe-out for price moves · 槓桿試算"
    )
    @app_commands.describe(
        equity="Your own money, e.g. 1000萬, 10m or 10000000 · 本金",
        leverage="Leverage multiple, e.g. 50 for 50x · 槓桿倍數",
        haircut="Repo haircut in percent, e.g. 2 for 2% (sets the margin-call level) · 折價率(%)",
        move="A price move to check, in percent, e.g. -1.5 · 價格變動(%)",
    )
    @gate(limited=True)
    async def leverage(
        self,
        interaction: discord.Interaction,
        equity: app_commands.Range[str, 1, 40],
        leverage: app_commands.Range[float, 1.0, 1000.0],
        haircut: app_commands.Range[float, 0.01, 100.0] | None = None,
        move: app_commands.Range[float, -99.0, 99.0] | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True)
        lang = locale_lang(interaction)
        amount = parse_amount(equity)
        fraction = haircut / 100 if haircut is not None else None
        text, png = await self.bot.queued(render_leverage, amount, leverage, fraction, move, lang)
        file = discord.File(io.BytesIO(png), filename=CHART_FILE)
        if can_embed(interaction):
            title = "槓桿試算" if lang == "zh-Hant" else "杠杆试算" if lang == "zh-Hans" else "Leverage what-if"
            embed = discord.Embed(
                title=title,
                description=messages.truncate(text, messages.EMBED_DESCRIPTION_LIMIT),
                colour=discord.Colour.orange(),
            )
            embed.set_image(url=f"attachment://{CHART_FILE}")
            await interaction.followup.send(embed=embed, file=file, allowed_mentions=NO_PINGS)
        else:
            chunks = messages.split_text(text)
            for chunk in chunks[:-1]:
                await interaction.followup.send(chunk, allowed_mentions=NO_PINGS)
            await interaction.followup.send(chunks[-1], file=file, allowed_mentions=NO_PINGS)


async def setup(bot: BasisBotCore) -> None:
    await bot.add_cog(Calc(bot))

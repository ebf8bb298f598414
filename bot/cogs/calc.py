"""`/calc` and `/leverage`: arithmetic with its working, never ``eval``.

`/leverage` shows how a leveraged position dies: the working (position,
wipe-out move, margin call), a what-if table from −0.25% to −5% and a chart.
Both the text and the PNG are made in a worker thread.
"""

from __future__ import annotations

import io
import unicodedata
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import messages
from bot.calculator import evaluate, format_number, parse_amount
from bot.discord_bot import can_embed, interaction_sender, locale_lang
from bot.errors import CalcError
from bot.messages import NO_PINGS
from bot.text import Lang, to_script

if TYPE_CHECKING:
    from bot.discord_bot import BasisBotCore

CHART_FILE = "leverage.png"

_HEAD = {
    "en": ("Move", "P&L", "Equity left", "Margin call"),
    "zh": ("價格變動", "損益", "剩餘本金", "追繳保證金"),
}
_YES_NO = {"en": ("yes", "no", "yes (wiped out)"), "zh": ("是", "否", "是(爆倉)")}


def _width(text: str) -> int:
    """Columns in a monospace font: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def whatif_text(rows: list[Any], chinese: bool) -> str:
    """The what-if rows as a fixed-width table with an explicit yes/no margin-call column."""
    key = "zh" if chinese else "en"
    yes, no, wiped = _YES_NO[key]
    lines = [list(_HEAD[key])]
    for row in rows:
        flag = wiped if row.equity_left <= 0 else (yes if row.margin_call else no)
        lines.append(
            [f"{format_number(row.move_pct)}%", format_number(round(row.pnl)), format_number(round(row.equity_left)), flag]
        )
    widths = [max(_width(line[i]) for line in lines) for i in range(4)]
    return "\n".join(
        "  ".join(" " * (widths[i] - _width(cell)) + cell for i, cell in enumerate(line)).rstrip() for line in lines
    )


def leverage_report(
    equity: float, leverage: float, haircut: float | None = None, move: float | None = None, lang: Lang = "en"
) -> str:
    """The /leverage text: working, then the table.  ``haircut`` is a fraction, ``move`` a percent."""
    from bot import finance

    chinese = lang != "en"
    parts = [
        finance.position_size(equity, leverage, chinese=chinese).text,
        finance.wipeout_move(leverage, chinese=chinese).text,
    ]
    if haircut is not None:
        most = finance.leverage_from_haircut(haircut, chinese=chinese)
        parts.append(most.text)
        if leverage > most.value:
            parts.append(
                f"⚠️ {format_number(leverage)} 倍超過這個折價率允許的 {format_number(most.value)} 倍。"
                if chinese
                else f"⚠️ {format_number(leverage)}x is more than the {format_number(most.value)}x this haircut allows."
            )
        try:
            parts.append(finance.margin_call_move(leverage, haircut, chinese=chinese).text)
        except CalcError as err:
            parts.append(
                f"⚠️ 折價率 {format_number(haircut * 100)}% 不低於初始保證金 1 ÷ {format_number(leverage)}:一建倉就會被追繳。"
                if chinese
                else f"⚠️ {err}"
            )
    if move:
        parts.append(finance.loss_from_move(leverage, move, equity, chinese=chinese).text)
    moves = sorted({*finance.DEFAULT_MOVES, *([-abs(move)] if move else [])}, reverse=True)
    rows = finance.whatif_table(equity, leverage, moves=moves, maintenance_margin=haircut)
    parts.append(f"```\n{whatif_text(rows, chinese)}\n```")
    if haircut is None:
        parts.append(
            "(沒有給折價率:這裡的追繳指本金歸零;加上 haircut: 可看放款人的追繳點。)"
            if chinese
            else "(No haircut given: a margin call here means the equity is gone; add haircut: for the lender's call.)"
        )
    text = "\n\n".join(parts)
    return to_script(text, "zh-Hans") if lang == "zh-Hans" else text


def render_leverage(
    equity: float, leverage: float, haircut: float | None, move: float | None, lang: Lang
) -> tuple[str, bytes]:
    """Text and chart together, for one trip to a worker thread."""
    from bot.chart import leverage_chart

    text = leverage_report(equity, leverage, haircut, move, lang)
    return text, leverage_chart(equity, leverage, haircut, move)


class Calc(commands.Cog):
    """The calculator and the leverage what-if."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot

    @app_commands.command(name="calc", description="Safe calculator: 1000萬*50, 3.5% of 250m, 2^10 · 計算機")
    @app_commands.describe(expression="Arithmetic, e.g. 1000萬 * 50 or 3.5% of 250m · 算式")
    async def calc(self, interaction: discord.Interaction, expression: app_commands.Range[str, 1, 200]) -> None:
        if not await self.bot.gate(interaction, limited=True, lang=messages.lang_of(expression)):
            return
        await interaction.response.defer(thinking=True)
        async with self.bot.reporting(interaction_sender(interaction), "/calc"):
            result = await self.bot.queued(evaluate, expression)
            shown = discord.utils.escape_markdown(" ".join(expression.split()))
            text = messages.truncate(messages.defuse(f"{shown} = **{result.text}**"), messages.CONTENT_LIMIT)
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
    async def leverage(
        self,
        interaction: discord.Interaction,
        equity: app_commands.Range[str, 1, 40],
        leverage: app_commands.Range[float, 1.0, 1000.0],
        haircut: app_commands.Range[float, 0.01, 100.0] | None = None,
        move: app_commands.Range[float, -99.0, 99.0] | None = None,
    ) -> None:
        if not await self.bot.gate(interaction, limited=True, lang=locale_lang(interaction)):
            return
        await interaction.response.defer(thinking=True)
        async with self.bot.reporting(interaction_sender(interaction), "/leverage"):
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

"""`/sources`, `/about` and `/define`: what the bot knows and how it is set up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import rendering as messages
from bot.discord_app.helpers import can_embed, gate, locale_lang
from bot.discord_app.rendering import NO_PINGS
from bot.text import detect_lang, has_cjk, to_script

if TYPE_CHECKING:
    from bot.discord_app.client import BasisBotCore

INFO_COLOUR = discord.Colour.blurple()
SOURCE_CHARS = 100
MAX_CHOICES = 25


def documents_text(rows: list[dict[str, Any]]) -> str:
    """One short paragraph per document: title, language, date, chunk count, where it came from."""
    lines = []
    for row in rows:
        title = discord.utils.escape_markdown(str(row.get("title") or row.get("doc_id") or "?"))
        meta = " · ".join(str(part) for part in (row.get("lang"), row.get("date"), f"{row.get('chunks', 0)} chunks") if part)
        source = messages.truncate(str(row.get("source") or ""), SOURCE_CHARS)
        lines.append(f"• **{title}** — {meta}" + (f"\n  {discord.utils.escape_markdown(source)}" if source else ""))
    return "\n".join(lines) or "(empty)"


def embed_as_text(embed: discord.Embed) -> str:
    """The same content for a channel where the bot may not embed."""
    lines = [f"**{embed.title}**"] if embed.title else []
    if embed.description:
        lines.append(embed.description)
    lines += [f"**{field.name}**: {field.value}" for field in embed.fields]
    return "\n".join(lines)


def term_lines(term: Any) -> list[tuple[str, str]]:
    return [
        ("繁體中文", " / ".join(term.zh_hant) or "—"),
        ("简体中文", " / ".join(term.zh_hans) or "—"),
        ("English", " / ".join(term.english) or "—"),
    ]


class Info(commands.Cog):
    """Read-only views of the knowledge base and the glossary."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot

    async def _send_embeds_or_text(self, interaction: discord.Interaction, embeds: list[discord.Embed]) -> None:
        """One embed per message (each stays under 6000), or the same as plain text."""
        if can_embed(interaction):
            for embed in embeds:
                await interaction.followup.send(embed=embed, allowed_mentions=NO_PINGS)
            return
        text = "\n\n".join(embed_as_text(embed) for embed in embeds)
        for chunk in messages.split_text(messages.defuse(text)):
            await interaction.followup.send(chunk, allowed_mentions=NO_PINGS)

    @app_commands.command(name="sources", description="Documents in the knowledge base · 知識庫文件")
    @gate()
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        rows = await self.bot.queued(self.bot.require_engine().documents)
        title = f"知識庫文件 Documents ({len(rows)})"
        await self._send_embeds_or_text(
            interaction, messages.embed_chunks(documents_text(rows), title=title, colour=INFO_COLOUR)
        )

    @app_commands.command(name="about", description="What this bot is and how it answers · 關於")
    @gate()
    async def about(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        info = await self.bot.queued(self.bot.require_engine().about)
        embed = discord.Embed(
            title="美債基差交易問答 · US Treasury basis-trade Q&A",
            description=(
                "用中文或英文問我基差交易、附買回、槓桿與保證金;答案引用知識庫的來源。不提供投資建議。\n"
                "Ask in Chinese or English about the basis trade, repo, leverage and margin; "
                "answers cite the knowledge base. Not investment advice."
            ),
            colour=INFO_COLOUR,
        )
        labels = {
            "documents": "文件 Documents",
            "chunks": "段落 Chunks",
            "glossary_terms": "詞彙 Glossary terms",
            "backend": "回答方式 Answerer",
            "model": "嵌入模型 Embedding model",
            "store": "索引 Index",
        }
        for key, label in labels.items():
            if key in info:
                embed.add_field(name=label, value=messages.truncate(str(info[key]), messages.FIELD_VALUE_LIMIT))
        embed.add_field(name="伺服器 Servers", value=str(len(self.bot.guilds)))
        embed.set_footer(text="/ask · /calc · /leverage · /define · /sources")
        await self._send_embeds_or_text(interaction, [embed])

    @app_commands.command(name="define", description="Look up a term in the trilingual glossary · 查詞彙")
    @app_commands.describe(term="A term in any script, e.g. 槓桿, haircut, 回购 · 詞彙")
    @gate()
    async def define(self, interaction: discord.Interaction, term: app_commands.Range[str, 1, 100]) -> None:
        await interaction.response.defer(thinking=True)
        lang = detect_lang(term) if has_cjk(term) else locale_lang(interaction)
        found = await self.bot.queued(self.bot.require_engine().define, term)
        if found is None:
            shown = messages.truncate(term, 100)
            line = f"詞彙表裡沒有「{shown}」。No glossary entry for “{shown}”."
            line = to_script(line, "zh-Hans") if lang == "zh-Hans" else line
            await interaction.followup.send(messages.defuse(line), allowed_mentions=NO_PINGS)
            return
        note = to_script(found.note, lang) if found.note and lang != "en" else found.note
        embed = discord.Embed(
            title=messages.truncate(found.label(), messages.EMBED_TITLE_LIMIT),
            description=note or None,
            colour=INFO_COLOUR,
        )
        for name, value in term_lines(found):
            embed.add_field(name=name, value=messages.truncate(value, messages.FIELD_VALUE_LIMIT))
        await self._send_embeds_or_text(interaction, [embed])

    @define.autocomplete("term")
    async def define_complete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Glossary forms containing what has been typed; cheap enough to run on the loop."""
        glossary = getattr(self.bot.engine, "glossary", None)
        if glossary is None:
            return []
        wanted = current.strip().lower()
        choices: list[app_commands.Choice[str]] = []
        seen: set[str] = set()
        for entry in glossary.terms:
            for form in entry.all_forms:
                if form in seen or (wanted and wanted not in form.lower()):
                    continue
                seen.add(form)
                choices.append(app_commands.Choice(name=form[:100], value=form[:100]))
                if len(choices) >= MAX_CHOICES:
                    return choices
        return choices


async def setup(bot: BasisBotCore) -> None:
    await bot.add_cog(Info(bot))

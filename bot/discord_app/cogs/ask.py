"""Questions: `/ask`, @mentions, and follow-ups in the bot's threads or reply chains.

The first answer to a mention opens a thread (``discord_thread_mode``:
thread, reply or off).  Inside the bot's own thread, or when replying to one
of its answers, no mention is needed, and the engine gets that conversation's
recent turns as history.  History is kept in memory per conversation; the bot
never reads channel history back from Discord.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import rendering as messages
from bot.discord_app.helpers import (
    can_embed,
    channel_allowed,
    channel_sender,
    gate,
    my_permissions,
    send_quietly,
)
from bot.discord_app.rendering import NO_PINGS

if TYPE_CHECKING:
    from bot.discord_app.client import BasisBotCore

log = logging.getLogger("bot.discord.ask")

THREAD_NAME_CHARS = 90
THREAD_ARCHIVE_MINUTES = 1440
MAX_CONVERSATIONS = 2000

Sender = Callable[..., Awaitable[Any]]


class Conversations:
    """Recent (role, text) turns per conversation, bounded in turns and in conversations.

    A conversation is keyed by its thread ID, or in reply mode by the ID of
    its first answer; every later answer ID is linked to the same key so a
    reply to any of them continues it.
    """

    def __init__(self, turns: int, max_conversations: int = MAX_CONVERSATIONS) -> None:
        self.turns = turns
        self.max_conversations = max_conversations
        self._turns: OrderedDict[int, deque[tuple[str, str]]] = OrderedDict()
        self._links: OrderedDict[int, int] = OrderedDict()

    def __contains__(self, key: int) -> bool:
        return key in self._turns

    def history(self, key: int | None) -> list[tuple[str, str]]:
        if key is None or key not in self._turns:
            return []
        self._turns.move_to_end(key)
        return list(self._turns[key])

    def add(self, key: int, question: str, answer: str) -> None:
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = deque(maxlen=2 * self.turns)
            while len(self._turns) > self.max_conversations:
                self._turns.popitem(last=False)
        self._turns.move_to_end(key)
        if self.turns > 0:
            turns.extend([("user", question), ("assistant", answer)])

    def link(self, message_id: int, key: int) -> None:
        self._links[message_id] = key
        while len(self._links) > self.max_conversations * 4:
            self._links.popitem(last=False)

    def key_for(self, message_id: int | None) -> int | None:
        return None if message_id is None else self._links.get(message_id)


def strip_mentions(content: str, ids: Sequence[int]) -> str:
    """The question without the mentions that addressed the bot."""
    for snowflake in ids:
        content = re.sub(rf"<@[!&]?{snowflake}>", " ", content)
    return " ".join(content.split())


def thread_name(question: str) -> str:
    return messages.truncate(" ".join(question.split()), THREAD_NAME_CHARS) or "Q&A"


async def deliver(
    answer: Any,
    first: Sender,
    rest: Sender,
    *,
    embeds: bool,
    view: discord.ui.View | None = None,
) -> list[Any]:
    """Send an answer as embeds (or plain text), split to Discord's limits; the view goes on the last part."""
    parts: list[dict[str, Any]]
    if embeds:
        parts = [{"embed": embed} for embed in messages.answer_embeds(answer)]
    else:
        parts = [{"content": text} for text in messages.answer_texts(answer)]
    if view is not None:
        parts[-1]["view"] = view
    sent = []
    for index, part in enumerate(parts):
        send = first if index == 0 else rest
        sent.append(await send(**part, allowed_mentions=NO_PINGS))
    return sent


class Ask(commands.Cog):
    """`/ask` and mentions: the part of the bot people talk to."""

    def __init__(self, bot: BasisBotCore) -> None:
        self.bot = bot
        self.conversations = Conversations(bot.settings.discord_history_turns)

    # -- slash ---------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask about the US Treasury basis trade · 問美債基差交易")
    @app_commands.describe(question="Your question, in Chinese or English · 你的問題(中文或英文)")
    @gate(limited=True)
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        await interaction.response.defer(thinking=True)
        engine = self.bot.require_engine()
        answer = await self.bot.queued(engine.ask, question, [])
        send = _followup(interaction)
        await deliver(answer, send, send, embeds=can_embed(interaction), view=self._view(question, answer, "slash"))

    # -- mentions --------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.handle_message(message)

    async def handle_message(self, message: Any) -> list[Any]:
        """Answer a message if it is addressed to the bot; returns what was sent (empty if ignored)."""
        bot = self.bot
        me = bot.user
        if me is None or message.author.bot:
            return []
        channel = message.channel
        if not channel_allowed(bot.settings, channel):
            return []
        own_thread = self._is_own_thread(channel)
        reference = getattr(message, "reference", None)
        reply_key = self.conversations.key_for(getattr(reference, "message_id", None))
        guild = getattr(message, "guild", None)
        self_role = getattr(guild, "self_role", None) if guild is not None else None
        mentioned = any(user.id == me.id for user in message.mentions) or (
            self_role is not None and self_role in getattr(message, "role_mentions", ())
        )
        if not (mentioned or own_thread or reply_key is not None or guild is None):
            return []

        ids = [me.id] + ([self_role.id] if self_role is not None else [])
        question = strip_mentions(message.content, ids)
        send_line = channel_sender(channel)
        if not question:
            await send_quietly(send_line, messages.EMPTY_MENTION)
            return []
        wait = bot.rate_limiter.hit(message.author.id, channel.id)
        if wait > 0:
            await send_quietly(send_line, messages.slow_down(wait, messages.lang_of(question)))
            return []

        async with bot.reporting(send_line, "mention"):
            engine = bot.require_engine()
            key = channel.id if own_thread else reply_key
            async with channel.typing():
                answer = await bot.queued(engine.ask, question, self.conversations.history(key))
            first, rest, target, key = await self._target(message, own_thread, key, question)
            sent = await deliver(
                answer, first, rest, embeds=can_embed(target), view=self._view(question, answer, "mention")
            )
            if key is None and self.bot.settings.discord_thread_mode != "off" and sent:
                key = sent[0].id
            if key is not None:
                self.conversations.add(key, question, answer.answer)
                for part in sent:
                    self.conversations.link(part.id, key)
            return sent
        return []

    def _is_own_thread(self, channel: Any) -> bool:
        if not isinstance(channel, discord.Thread):
            return False
        me = self.bot.user
        return channel.id in self.conversations or (me is not None and channel.owner_id == me.id)

    def _can_open_thread(self, message: Any) -> bool:
        channel = message.channel
        if getattr(message, "guild", None) is None or not isinstance(channel, discord.TextChannel):
            return False
        permissions = my_permissions(channel)
        return bool(permissions.create_public_threads and permissions.send_messages_in_threads)

    async def _target(
        self, message: Any, own_thread: bool, key: int | None, question: str
    ) -> tuple[Sender, Sender, Any, int | None]:
        """Where the answer goes: the bot's thread, a new thread, a reply, or the channel."""
        channel = message.channel
        mode = self.bot.settings.discord_thread_mode
        if own_thread:
            return channel.send, channel.send, channel, channel.id
        if mode == "thread" and self._can_open_thread(message):
            try:
                thread = await message.create_thread(
                    name=thread_name(question), auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
            except discord.HTTPException as err:
                log.warning("could not open a thread, replying instead: %s", err)
            else:
                return thread.send, thread.send, thread, thread.id
        if mode == "off":
            return channel.send, channel.send, channel, None
        return message.reply, channel.send, channel, key

    def _view(self, question: str, answer: Any, surface: str) -> discord.ui.View | None:
        feedback = self.bot.get_cog("Feedback")
        return feedback.view_for(question, answer, surface) if feedback is not None else None  # type: ignore[attr-defined]


def _followup(interaction: discord.Interaction) -> Sender:
    async def send(**kwargs: Any) -> Any:
        return await interaction.followup.send(wait=True, **kwargs)

    return send


async def setup(bot: BasisBotCore) -> None:
    await bot.add_cog(Ask(bot))

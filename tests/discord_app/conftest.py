"""Bots for the Discord-layer tests, built once here the way ``setup_hook`` builds them.

Every bot gets the session's real engine (``tests/conftest.py`` builds it once; it is only read
here: the one test that re-indexes builds its own engine) unless a test passes another. Two kinds:

- ``make_bot``: the production, auto-sharded bot with no gateway; slash commands are called
  through their callbacks (dpytest has none).
- ``make_dpy_bot``: the single-connection ``BasisBotCore`` (the code ``BasisBot`` runs sharded)
  wired to dpytest's fake gateway, for mentions and component dispatch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest_asyncio

from bot.discord_app.client import BasisBot, BasisBotCore, create_bot
from bot.settings import Settings

BotFactory = Callable[..., Awaitable[BasisBotCore]]

# Limits high enough that only a test that sets its own is ever told to slow down.
RELAXED_LIMITS = {"rate_user_per_minute": 100, "rate_channel_per_minute": 100}


def bot_settings(base: Settings, tmp_path: Path, **overrides: Any) -> Settings:
    """The session settings with this test's feedback file and relaxed limits, then the test's own."""
    return base.model_copy(update={"feedback_file": tmp_path / "feedback.jsonl", **RELAXED_LIMITS, **overrides})


async def start_bot(settings: Settings, engine: Any, *, dpytest_members: int = 0) -> BasisBotCore:
    """What ``setup_hook`` does, minus building the engine and syncing commands.

    With ``dpytest_members`` the bot is the unsharded core on dpytest's fake gateway (dpytest
    drives an unsharded client only) with that many members; otherwise the production bot.
    """
    if not dpytest_members:
        bot = create_bot(settings, engine=engine, sync_commands=False)
        await bot._async_setup_hook()
        await bot.add_feature_cogs()
        return bot
    # The production intents plus `members`, without which dpytest's guild cannot resolve mentions.
    intents = discord.Intents.default()
    intents.message_content = intents.members = True
    bot = BasisBotCore(settings, engine=engine, sync_commands=False, intents=intents)
    await bot._async_setup_hook()
    dpytest.configure(bot, members=dpytest_members)
    # dpytest 0.7's fake state is built without a loop under discord.py 2.7; `typing()` needs one.
    # It also drops client options: put back the bot-wide AllowedMentions production has.
    bot._connection.loop = asyncio.get_running_loop()
    bot._connection.allowed_mentions = discord.AllowedMentions.none()
    await bot.add_feature_cogs()
    return bot


def log_in_as_fake_user(bot: BasisBotCore) -> None:
    """A user for a bot that never connects, so the mention handler can recognise its mention."""
    bot._connection.user = SimpleNamespace(id=10**17, mention=f"<@{10**17}>", bot=True)


@pytest_asyncio.fixture
async def make_bot(built_settings: Settings, engine: Any, tmp_path: Path) -> AsyncIterator[BotFactory]:
    """``await make_bot(engine_=..., **settings)``: production bots, closed after the test."""
    bots: list[BasisBotCore] = []

    async def factory(engine_: Any = engine, **overrides: Any) -> BasisBot:
        bot = await start_bot(bot_settings(built_settings, tmp_path, **overrides), engine_)
        assert isinstance(bot, BasisBot) and isinstance(bot, discord.AutoShardedClient)
        bots.append(bot)
        return bot

    yield factory
    for bot in bots:
        await bot.close()


@pytest_asyncio.fixture
async def make_dpy_bot(built_settings: Settings, engine: Any, tmp_path: Path) -> AsyncIterator[BotFactory]:
    """``await make_dpy_bot(engine_=..., **settings)``: dpytest bots with two members."""
    bots: list[BasisBotCore] = []

    async def factory(engine_: Any = engine, **overrides: Any) -> BasisBotCore:
        bot = await start_bot(bot_settings(built_settings, tmp_path, **overrides), engine_, dpytest_members=2)
        bots.append(bot)
        return bot

    yield factory
    await dpytest.empty_queue()
    for bot in bots:
        bot.executor.shutdown(wait=True)

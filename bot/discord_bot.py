"""The Discord layer: the bot class, its factory and ``run(settings)``.

The bot is thin: every feature is a cog (``bot/cogs``), every answer comes
from the engine, and everything slow (engine calls, chart rendering, feedback
writes) runs on a thread pool the bot owns, so the gateway heartbeat is never
blocked.  The engine is built once in ``setup_hook``, before the bot connects
and reports ready; tests pass a prebuilt one instead.

Two classes share one implementation: :class:`BasisBot` (auto-sharded, what
``run`` starts) and :class:`BasisBotCore` (one gateway connection; dpytest
refuses sharded clients, so the message tests drive this one).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import messages
from bot.errors import UserError
from bot.messages import NO_PINGS
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from bot.text import Lang

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger("bot.discord")

T = TypeVar("T")
#: Sends one short line to whoever is waiting (a channel, a reply, an interaction).
Send = Callable[[str], Awaitable[Any]]


def new_error_id() -> str:
    """8 hex characters: short enough to read out, unique enough to grep the log for."""
    return secrets.token_hex(4)


def locale_lang(interaction: discord.Interaction) -> Lang:
    """The user's client language, for commands whose input says nothing about it."""
    locale = str(getattr(interaction, "locale", "") or "")
    if locale == "zh-TW":
        return "zh-Hant"
    if locale == "zh-CN":
        return "zh-Hans"
    return "en"


def my_permissions(channel: Any) -> discord.Permissions:
    """The bot's permissions in a channel or thread; everything in DMs."""
    guild = getattr(channel, "guild", None)
    if guild is None or getattr(guild, "me", None) is None:
        return discord.Permissions.text()
    return channel.permissions_for(guild.me)


def can_embed(target: Any) -> bool:
    """Whether embeds will render: the interaction's app permissions, or the channel's."""
    if hasattr(target, "app_permissions"):  # an Interaction
        return bool(target.app_permissions.embed_links)
    return bool(my_permissions(target).embed_links)


def interaction_sender(interaction: discord.Interaction) -> Send:
    """A one-line reply that works before and after ``defer``."""

    async def send(text: str) -> Any:
        text = messages.truncate(messages.defuse(text), messages.CONTENT_LIMIT)
        if interaction.response.is_done():
            return await interaction.followup.send(text, allowed_mentions=NO_PINGS)
        return await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    return send


def channel_sender(channel: Any) -> Send:
    async def send(text: str) -> Any:
        text = messages.truncate(messages.defuse(text), messages.CONTENT_LIMIT)
        return await channel.send(text, allowed_mentions=NO_PINGS)

    return send


def is_admin(user: Any, role_name: str) -> bool:
    """Administrator permission, or a role with the configured name; never in DMs."""
    permissions = getattr(user, "guild_permissions", None)
    if permissions is not None and permissions.administrator:
        return True
    return any(getattr(role, "name", None) == role_name for role in getattr(user, "roles", ()))


class BasisTree(app_commands.CommandTree):
    """Last line of defence for slash commands: nothing a cog missed reaches the channel raw."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        send = interaction_sender(interaction)
        if isinstance(original, UserError):
            text = str(original)
        elif isinstance(error, app_commands.CheckFailure):
            text = messages.NOT_ENABLED_HERE
        else:
            error_id = new_error_id()
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error("error %s in /%s", error_id, name, exc_info=original)
            text = messages.apology(error_id)
        with contextlib.suppress(discord.HTTPException):
            await send(text)


class BasisBotCore(commands.Bot):
    """The bot on a single gateway connection; :class:`BasisBot` is the same, auto-sharded."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        sync_commands: bool = True,
        intents: discord.Intents | None = None,
        **options: Any,
    ) -> None:
        if intents is None:  # tests under dpytest add `members` so its fake guild resolves mentions
            intents = discord.Intents.default()
            intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=NO_PINGS,
            tree_cls=BasisTree,
            **options,
        )
        self.settings = settings
        self.engine: Engine | None = engine
        self.sync_commands = sync_commands
        workers = max(1, settings.worker_threads)
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="basis-worker")
        # Questions wait here (FIFO) rather than piling up in the executor, so a
        # feedback write never queues behind 200 questions.
        self.work_slots = asyncio.Semaphore(workers)
        self.rate_limiter = RateLimiter(settings.rate_user_per_minute, settings.rate_channel_per_minute)

    # -- start-up ---------------------------------------------------------
    async def setup_hook(self) -> None:
        """Heavy start-up before the gateway connects: engine, cogs, command sync."""
        if self.engine is None:
            from bot.engine import Engine

            log.info("building the engine (model and index)…")
            self.engine = await asyncio.to_thread(Engine.build, self.settings)
            log.info("engine ready: %s", self.engine.about())
        await self.add_feature_cogs()
        if self.sync_commands:
            await self.sync_app_commands()

    async def add_feature_cogs(self) -> None:
        from bot.cogs import add_all

        await add_all(self)

    async def sync_app_commands(self) -> None:
        """Guild sync is instant, so use it when guilds are configured; global sync takes up to an hour."""
        guild_ids = self.settings.discord_guild_ids
        if not guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d slash commands globally", len(synced))
            return
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.HTTPException as err:
                log.warning("could not sync commands to guild %s: %s", guild_id, err)
            else:
                log.info("synced %d slash commands to guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: mentions are questions, handled by the Ask cog's listener."""

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self.executor.shutdown(wait=False, cancel_futures=True)

    # -- workers ------------------------------------------------------------
    async def offload(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work on the bot's pool, so the event loop keeps serving the gateway."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(func, *args, **kwargs))

    async def queued(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like :meth:`offload`, but waits its turn for a worker slot: questions queue, never drop."""
        async with self.work_slots:
            return await self.offload(func, *args, **kwargs)

    def require_engine(self) -> Engine:
        if self.engine is None:
            raise UserError("Still starting up, try again in a moment. 啟動中,請稍後再試。")
        return self.engine

    # -- gates -------------------------------------------------------------
    def channel_allowed(self, channel: Any, channel_id: int | None = None) -> bool:
        """Everywhere unless ``discord_allowed_channels`` is set; a thread counts as its parent."""
        allowed = self.settings.discord_allowed_channels
        if not allowed:
            return True
        ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None), channel_id}
        return any(i in allowed for i in ids if i is not None)

    def rate_limit(self, user_id: int, channel_id: int | None) -> float:
        """0.0 when the question may go ahead, else the seconds to wait."""
        return self.rate_limiter.hit(user_id, channel_id)

    async def gate(self, interaction: discord.Interaction, *, limited: bool = False, lang: str = "zh-Hant") -> bool:
        """Channel and rate checks for a slash command; answers the user ephemerally when refusing."""
        if not self.channel_allowed(interaction.channel, interaction.channel_id):
            await interaction.response.send_message(messages.NOT_ENABLED_HERE, ephemeral=True)
            return False
        if limited:
            wait = self.rate_limit(interaction.user.id, interaction.channel_id)
            if wait > 0:
                await interaction.response.send_message(messages.slow_down(wait, lang), ephemeral=True)
                return False
        return True

    @contextlib.asynccontextmanager
    async def reporting(self, send: Send, where: str) -> AsyncIterator[None]:
        """Turn any failure inside into one line for the user; bugs also go to the log with an id."""
        try:
            yield
        except UserError as err:
            await self.send_quietly(send, str(err) or "?")
        except Exception:
            error_id = new_error_id()
            log.exception("error %s in %s", error_id, where)
            await self.send_quietly(send, messages.apology(error_id))

    @staticmethod
    async def send_quietly(send: Send, text: str) -> None:
        try:
            await send(text)
        except discord.HTTPException as err:
            log.warning("could not deliver an error message: %s", err)


class BasisBot(BasisBotCore, commands.AutoShardedBot):
    """The production bot: :class:`BasisBotCore` behaviour on an auto-sharded connection."""


def create_bot(
    settings: Settings,
    *,
    engine: Engine | None = None,
    sharded: bool = True,
    sync_commands: bool = True,
) -> BasisBotCore:
    """The bot ``run`` starts; tests pass ``engine``, ``sharded=False`` and ``sync_commands=False``."""
    cls = BasisBot if sharded else BasisBotCore
    return cls(settings, engine=engine, sync_commands=sync_commands)


async def _serve(settings: Settings) -> None:
    assert settings.discord_token is not None
    bot = create_bot(settings)
    async with bot:
        await bot.start(settings.discord_token.get_secret_value())


def run(settings: Settings) -> int:
    """Start the bot and block until it stops; 2 with a one-line reason for a missing or bad token."""
    discord.utils.setup_logging(level=logging.INFO)
    if settings.discord_token is None:
        print(
            "DISCORD_TOKEN is not set: add it to .env or the environment "
            "(or run `python -m bot chat` for the terminal chat).",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(_serve(settings))
    except discord.LoginFailure:
        print("Discord rejected DISCORD_TOKEN: the token is invalid or was reset; copy it again from the developer portal.", file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print(
            "Discord refused the Message Content intent: enable it for this bot in the developer portal "
            "(Bot → Privileged Gateway Intents).",
            file=sys.stderr,
        )
        return 2
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"Cannot reach Discord: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0

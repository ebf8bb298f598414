"""The Discord client: the bot class, its factory and ``run(settings)``.

The bot is thin: every feature is a cog in ``bot/discord_app/cogs``, loaded by
module name in ``setup_hook`` (the client never imports a cog), every answer
comes from the engine, and everything slow (engine calls, chart rendering,
feedback writes) runs on a thread pool the bot owns, so the gateway heartbeat
is never blocked.  The engine is built once in ``setup_hook``, before the bot
connects and reports ready; tests pass a prebuilt one instead.

Errors have one path: slash commands raise, and the tree's ``on_error`` answers
(through :func:`bot.discord_app.helpers.error_text`); mentions use
:meth:`BasisBotCore.reporting`, which says the same lines.

Two classes share one implementation: :class:`BasisBot` (auto-sharded, what
``run`` starts) and :class:`BasisBotCore` (one gateway connection; dpytest
refuses sharded clients, so the message tests drive this one).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.answering.engine import Engine
from bot.discord_app.helpers import Send, error_text, interaction_sender, send_quietly
from bot.discord_app.ratelimit import RateLimiter
from bot.discord_app.rendering import NO_PINGS
from bot.errors import UserError
from bot.settings import Settings

log = logging.getLogger("bot.discord")

T = TypeVar("T")

#: Feedback first: the answering cogs look it up to put 👍/👎 under answers.
INITIAL_EXTENSIONS: tuple[str, ...] = (
    "bot.discord_app.cogs.feedback",
    "bot.discord_app.cogs.ask",
    "bot.discord_app.cogs.calc",
    "bot.discord_app.cogs.info",
    "bot.discord_app.cogs.admin",
    "bot.discord_app.cogs.quiz",
)


class BasisTree(app_commands.CommandTree):
    """Every slash-command failure, a refused check included, ends here as one line."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        name = interaction.command.qualified_name if interaction.command else "?"
        await send_quietly(interaction_sender(interaction), error_text(error, f"/{name}"))


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
            command_prefix=(),  # no prefix commands: slash commands, and mentions read by the Ask cog
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
            log.info("building the engine (model and index)…")
            self.engine = await asyncio.to_thread(Engine.build, self.settings)
            log.info("engine ready: %s", self.engine.about())
        await self.add_feature_cogs()
        if self.sync_commands:
            await self.sync_app_commands()

    async def add_feature_cogs(self) -> None:
        for name in INITIAL_EXTENSIONS:
            await self.load_extension(name)

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

    @contextlib.asynccontextmanager
    async def reporting(self, send: Send, where: str) -> AsyncIterator[None]:
        """For paths no command tree covers (mentions): any failure inside becomes the same one
        line the tree would send."""
        try:
            yield
        except Exception as err:  # noqa: BLE001 - error_text logs bugs with their traceback
            await send_quietly(send, error_text(err, where))


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
    """Start the bot and block until it stops.

    A missing or rejected token, a refused intent or an unreachable gateway is a
    :class:`UserError` with the fix, which the command line prints as one line.
    """
    if settings.discord_token is None:
        raise UserError(
            "DISCORD_TOKEN is not set: add it to .env or the environment "
            "(or run `python -m bot chat` for the terminal chat)."
        )
    discord.utils.setup_logging(level=logging.INFO)
    try:
        asyncio.run(_serve(settings))
    except discord.LoginFailure:
        raise UserError(
            "Discord rejected DISCORD_TOKEN: the token is invalid or was reset; copy it again from the developer portal."
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise UserError(
            "Discord refused the Message Content intent: enable it for this bot in the developer portal "
            "(Bot → Privileged Gateway Intents)."
        ) from None
    except OSError as err:
        raise UserError(f"Cannot reach Discord: {err}") from err
    return 0

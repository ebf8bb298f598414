"""What every cog shares: senders that never ping, permission and language probes,
the slash-command checks, and the one place an error becomes a line for the user.

Cogs import this module, never the client: the client loads cogs by module name.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.discord_app import rendering
from bot.discord_app.rendering import NO_PINGS
from bot.errors import UserError
from bot.text import Lang

log = logging.getLogger("bot.discord")

#: Sends one short line to whoever is waiting (a channel, a reply, an interaction).
Send = Callable[[str], Awaitable[Any]]


#: The secret the user hashes are keyed with, next to the feedback file; one salt for every
#: per-user record (votes, quiz scores), so one member's records group together.
SALT_FILE = ".feedback-salt"


class UserHasher:
    """Salted user ids: a file of records alone cannot tell whether a given user is in it,
    yet one user's records still group together.  The salt is created on first use (0600)."""

    def __init__(self, salt_path: Path) -> None:
        self.salt_path = Path(salt_path)
        self._lock = threading.Lock()
        self._salt: bytes | None = None

    def _load_salt(self) -> bytes:
        if self._salt is None:
            self.salt_path.parent.mkdir(parents=True, exist_ok=True)
            if not self.salt_path.exists():
                try:
                    fd = os.open(self.salt_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:  # another writer made it first: use theirs
                    pass
                else:
                    with os.fdopen(fd, "w", encoding="ascii") as handle:
                        handle.write(secrets.token_hex(32))
            self._salt = self.salt_path.read_text(encoding="ascii").strip().encode()
        return self._salt

    def __call__(self, user_id: int) -> str:
        with self._lock:
            salt = self._load_salt()
        return hmac.new(salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


def user_hasher(settings: Any) -> UserHasher:
    """The one hasher of a bot's settings: its salt sits next to the feedback file."""
    return UserHasher(Path(settings.feedback_file).parent / SALT_FILE)


def new_error_id() -> str:
    """8 hex characters: short enough to read out, unique enough to grep the log for."""
    return secrets.token_hex(4)


def error_text(error: BaseException, where: str) -> str:
    """The one translation of a failure into what the user reads: a :class:`UserError` or a
    refused check says its own line; anything else is a bug, logged with an id the user sees."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserError | Refused):
        return str(error) or "?"
    if isinstance(error, app_commands.CheckFailure):
        return rendering.NOT_ENABLED_HERE
    error_id = new_error_id()
    log.error("error %s in %s", error_id, where, exc_info=error)
    return rendering.apology(error_id)


async def send_quietly(send: Send, text: str) -> None:
    """Deliver an error line; a failure to deliver it is only worth a warning."""
    try:
        await send(text)
    except discord.HTTPException as err:
        log.warning("could not deliver an error message: %s", err)


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
    """A one-line reply that works before ``defer`` (ephemeral) and after it (a follow-up)."""

    async def send(text: str) -> Any:
        text = rendering.truncate(rendering.defuse(text), rendering.CONTENT_LIMIT)
        if interaction.response.is_done():
            return await interaction.followup.send(text, allowed_mentions=NO_PINGS)
        return await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    return send


def channel_sender(channel: Any) -> Send:
    async def send(text: str) -> Any:
        text = rendering.truncate(rendering.defuse(text), rendering.CONTENT_LIMIT)
        return await channel.send(text, allowed_mentions=NO_PINGS)

    return send


def is_admin(user: Any, role_name: str) -> bool:
    """Administrator permission, or a role with the configured name; never in DMs."""
    permissions = getattr(user, "guild_permissions", None)
    if permissions is not None and permissions.administrator:
        return True
    return any(getattr(role, "name", None) == role_name for role in getattr(user, "roles", ()))


# ------------------------------------------------------------------ checks


class Refused(app_commands.CheckFailure):
    """A check said no; ``str()`` is the line the user gets (ephemeral, before any defer)."""


def _lang_of_options(interaction: discord.Interaction) -> Lang:
    """The script of what was typed into the command, else the client's language."""
    namespace = getattr(interaction, "namespace", None)
    for name in ("question", "expression", "term"):
        text = getattr(namespace, name, None)
        if isinstance(text, str) and text.strip():
            return rendering.lang_of(text)
    return locale_lang(interaction)


def channel_allowed(settings: Any, channel: Any, channel_id: int | None = None) -> bool:
    """Everywhere unless ``discord_allowed_channels`` is set; a thread counts as its parent."""
    allowed = settings.discord_allowed_channels
    if not allowed:
        return True
    ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None), channel_id}
    return any(i in allowed for i in ids if i is not None)


def gate(*, limited: bool = False, admin: bool = False) -> Callable[[Any], Any]:
    """The one slash-command check, in a fixed order: the channel allow-list, then (``admin``)
    Administrator or the configured role, then (``limited``) the per-user and per-channel
    question budget, charged only when everything before it passed."""

    async def predicate(interaction: discord.Interaction) -> bool:
        bot = interaction.client
        if not channel_allowed(bot.settings, interaction.channel, interaction.channel_id):
            raise Refused(rendering.NOT_ENABLED_HERE)
        if admin and not is_admin(interaction.user, bot.settings.discord_admin_role):
            raise Refused(rendering.ADMIN_ONLY)
        if limited:
            wait = bot.rate_limiter.hit(interaction.user.id, interaction.channel_id)
            if wait > 0:
                raise Refused(rendering.slow_down(wait, _lang_of_options(interaction)))
        return True

    return app_commands.check(predicate)

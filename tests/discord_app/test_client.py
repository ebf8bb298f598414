"""Mentions end to end through dpytest, the thread logic with small fakes, and `run()`.

dpytest drives an unsharded client only, so ``make_dpy_bot`` (conftest) builds
``BasisBotCore`` (the same code ``BasisBot`` runs sharded).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from types import SimpleNamespace
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest

from bot.answering.engine import Answer
from bot.discord_app import client as discord_bot
from bot.discord_app.client import BasisBotCore, create_bot
from bot.errors import UserError
from tests.conftest import run_from_cli

PNG = b"\x89PNG"


class EchoEngine:
    """Repeats the question back: the worst case for mention safety."""

    def __init__(self, text: str | None = None) -> None:
        self.text = text
        self.histories: list[list[tuple[str, str]]] = []

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        self.histories.append(list(history or []))
        return Answer(answer=self.text or f"You asked: {question}", grounded=False, language="en")


@pytest.fixture
def payloads(monkeypatch) -> list[dict[str, Any]]:
    """Every message payload the bot builds, with the allowed_mentions Discord would receive."""
    seen: list[dict[str, Any]] = []
    original = discord.abc.handle_message_parameters

    def recording(*args: Any, **kwargs: Any) -> Any:
        params = original(*args, **kwargs)
        seen.append(params.payload)
        return params

    monkeypatch.setattr(discord.abc, "handle_message_parameters", recording)
    return seen


def no_pings(payload: dict[str, Any]) -> bool:
    """Nothing parsed, no user or role lists, and no ping of the replied-to author."""
    allowed = payload["allowed_mentions"]
    return allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("roles") and not allowed.get("replied_user")


def sent_messages() -> list[discord.Message]:
    out = []
    while not dpytest.sent_queue.empty():
        out.append(dpytest.get_message())
    return out


# ------------------------------------------------------------------ mentions


@pytest.mark.asyncio
async def test_mention_gets_an_answer_with_sources(make_dpy_bot, payloads) -> None:
    bot = await make_dpy_bot()
    await dpytest.message(f"{bot.user.mention} 什麼是基差交易?")
    [reply] = sent_messages()
    embed = reply.embeds[0]
    assert "基差交易" in embed.description
    assert embed.fields[0].name == "來源" and "[1]" in embed.fields[0].value
    assert no_pings(payloads[-1])
    assert payloads[-1]["components"]  # the 👍/👎 view


@pytest.mark.asyncio
async def test_messages_without_a_mention_are_ignored(make_dpy_bot) -> None:
    bot = await make_dpy_bot()
    await dpytest.message("什麼是基差交易?")
    await dpytest.message("@everyone 什麼是基差交易?")
    assert sent_messages() == []
    assert bot.allowed_mentions.to_dict() == {"parse": []}


@pytest.mark.asyncio
async def test_echoed_everyone_and_roles_never_ping(make_dpy_bot, payloads) -> None:
    bot = await make_dpy_bot(EchoEngine())
    config = dpytest.get_config()
    guild = config.guilds[0]
    role = dpytest.backend.make_role("traders", guild, mentionable=True)
    # No embed permission: the echo lands in the message content, where a mention would ping.
    await dpytest.set_permission_overrides(guild.default_role, config.channels[0], embed_links=False)
    await dpytest.message(f"{bot.user.mention} @everyone @here {role.mention} <@{config.members[0].id}> hi")
    [reply] = sent_messages()
    assert "You asked:" in reply.content
    assert "@everyone" not in reply.content and "@here" not in reply.content
    assert role.mention not in reply.content
    assert not reply.mention_everyone and not reply.role_mentions and not reply.mentions
    assert bot.allowed_mentions.everyone is False and bot.allowed_mentions.roles is False
    assert payloads and all(no_pings(p) for p in payloads)


@pytest.mark.asyncio
async def test_plain_text_when_embeds_are_not_allowed(make_dpy_bot) -> None:
    bot = await make_dpy_bot()
    config = dpytest.get_config()
    await dpytest.set_permission_overrides(config.guilds[0].default_role, config.channels[0], embed_links=False)
    await dpytest.message(f"{bot.user.mention} What is the basis trade?")
    [reply] = sent_messages()
    assert not reply.embeds
    assert "Sources:" in reply.content and "[1]" in reply.content


@pytest.mark.asyncio
async def test_long_reply_is_split(make_dpy_bot) -> None:
    long_answer = "\n\n".join(f"Paragraph {i}. " + "The basis trade is levered. " * 30 for i in range(8))
    assert len(long_answer) > 6000
    bot = await make_dpy_bot(EchoEngine(long_answer))
    config = dpytest.get_config()
    await dpytest.set_permission_overrides(config.guilds[0].default_role, config.channels[0], embed_links=False)
    await dpytest.message(f"{bot.user.mention} tell me everything")
    replies = sent_messages()
    assert len(replies) >= 4
    assert all(0 < len(m.content) <= 2000 for m in replies)
    assert all(m.content.rstrip().endswith(".") for m in replies)
    assert "".join(m.content for m in replies).count("Paragraph") == 8


@pytest.mark.asyncio
async def test_long_reply_as_embeds_is_split(make_dpy_bot) -> None:
    bot = await make_dpy_bot(EchoEngine("基差交易是一種套利。" * 900))
    await dpytest.message(f"{bot.user.mention} 全部告訴我")
    replies = sent_messages()
    assert len(replies) >= 3
    assert all(len(m.embeds[0].description) <= 4096 and len(m.embeds[0]) <= 6000 for m in replies)


@pytest.mark.asyncio
async def test_rate_limit_says_slow_down(make_dpy_bot) -> None:
    bot = await make_dpy_bot(rate_user_per_minute=2)
    for _ in range(2):
        await dpytest.message(f"{bot.user.mention} 什麼是槓桿?")
    answers = sent_messages()
    assert len(answers) == 2 and all(m.embeds for m in answers)
    await dpytest.message(f"{bot.user.mention} 什麼是槓桿?")
    [slow] = sent_messages()
    assert "慢一點" in slow.content and "Slow down" in slow.content
    assert "\n" not in slow.content


@pytest.mark.asyncio
async def test_channel_rate_limit(make_dpy_bot) -> None:
    bot = await make_dpy_bot(rate_channel_per_minute=1)
    await dpytest.message(f"{bot.user.mention} What is repo?", member=0)
    await dpytest.message(f"{bot.user.mention} What is repo?", member=1)
    first, second = sent_messages()
    assert first.embeds and "Slow down" in second.content


@pytest.mark.asyncio
async def test_empty_mention_gets_a_hint(make_dpy_bot) -> None:
    bot = await make_dpy_bot()
    await dpytest.message(bot.user.mention)
    [hint] = sent_messages()
    assert "什麼是基差交易" in hint.content


@pytest.mark.asyncio
async def test_allowed_channels_only(make_dpy_bot) -> None:
    bot = await make_dpy_bot()
    channel = dpytest.get_config().channels[0]
    bot.settings = bot.settings.model_copy(update={"discord_allowed_channels": [channel.id + 1]})
    await dpytest.message(f"{bot.user.mention} 什麼是基差交易?")
    assert sent_messages() == []
    bot.settings = bot.settings.model_copy(update={"discord_allowed_channels": [channel.id]})
    await dpytest.message(f"{bot.user.mention} 什麼是基差交易?")
    assert len(sent_messages()) == 1


@pytest.mark.asyncio
async def test_thread_mode_without_thread_permission_replies_in_channel(make_dpy_bot) -> None:
    # dpytest has no threads and its bot role lacks create_public_threads: the bot falls back to a reply.
    bot = await make_dpy_bot(discord_thread_mode="thread")
    await dpytest.message(f"{bot.user.mention} 什麼是附買回?")
    [reply] = sent_messages()
    assert reply.channel == dpytest.get_config().channels[0]
    assert reply.embeds


@pytest.mark.asyncio
async def test_errors_in_a_mention_are_an_apology_with_an_id(make_dpy_bot, caplog) -> None:
    class Broken:
        def ask(self, question: str, history: Any = None) -> Answer:
            raise KeyError("secret internals")

    bot = await make_dpy_bot(Broken())
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        await dpytest.message(f"{bot.user.mention} 什麼是基差交易?")
    [reply] = sent_messages()
    assert "Sorry" in reply.content and "secret" not in reply.content
    assert any("error" in r.getMessage() and r.exc_info for r in caplog.records)


# ------------------------------------------------------------- thread logic
# dpytest cannot create threads, so these drive the same handler with fakes.

_ids = itertools.count(900_000_000_000_000_000)


class FakeGuild:
    def __init__(self) -> None:
        self.me = SimpleNamespace(id=1)
        self.self_role = None


class SentMessage(SimpleNamespace):
    pass


class _FakeChannelMixin:
    def _setup(self, guild: FakeGuild, permissions: discord.Permissions) -> None:
        self.guild = guild
        self.sent = []
        self.typed = 0
        self._permissions = permissions

    def permissions_for(self, _obj: Any) -> discord.Permissions:
        return self._permissions

    @contextlib.asynccontextmanager
    async def typing(self):
        self.typed += 1
        yield

    async def send(self, content: str | None = None, **kwargs: Any) -> SentMessage:
        message = SentMessage(id=next(_ids), content=content, channel=self, **kwargs)
        self.sent.append(message)
        return message


class FakeTextChannel(_FakeChannelMixin, discord.TextChannel):
    def __init__(self, guild: FakeGuild, permissions: discord.Permissions | None = None) -> None:
        self.id = next(_ids)
        self._setup(guild, permissions or discord.Permissions.text())


class FakeThread(_FakeChannelMixin, discord.Thread):
    def __init__(self, guild: FakeGuild, parent_id: int, owner_id: int) -> None:
        self.id = next(_ids)
        self.parent_id = parent_id
        self.owner_id = owner_id
        self._setup(guild, discord.Permissions.text())


class FakeMessage:
    def __init__(
        self, content: str, channel: Any, *, mentions: Any = (), reference: Any = None, bot_id: int = 0
    ) -> None:
        self.id = next(_ids)
        self.bot_id = bot_id
        self.content = content
        self.channel = channel
        self.guild = channel.guild
        self.author = SimpleNamespace(id=4242, bot=False)
        self.mentions = list(mentions)
        self.role_mentions = []
        self.reference = reference
        self.thread: FakeThread | None = None
        self.replies: list[Any] = []

    async def create_thread(self, *, name: str, auto_archive_duration: int) -> FakeThread:
        self.thread = FakeThread(self.guild, self.channel.id, owner_id=self.bot_id)
        self.thread.name = name
        return self.thread

    async def reply(self, content: str | None = None, **kwargs: Any) -> Any:
        message = await self.channel.send(content, reference=self, **kwargs)
        self.replies.append(message)
        return message


def _mention(bot: BasisBotCore, text: str, channel: Any) -> FakeMessage:
    return FakeMessage(f"{bot.user.mention} {text}", channel, mentions=[bot.user], bot_id=bot.user.id)


@pytest.mark.asyncio
async def test_first_mention_opens_a_thread_and_follow_ups_carry_history(make_dpy_bot) -> None:
    echo = EchoEngine()
    bot = await make_dpy_bot(echo, discord_thread_mode="thread", discord_history_turns=2)
    cog = bot.get_cog("Ask")
    guild = FakeGuild()
    channel = FakeTextChannel(guild)

    first = _mention(bot, "什麼是基差交易?", channel)
    await cog.handle_message(first)
    thread = first.thread
    assert thread is not None and thread.name == "什麼是基差交易?"
    assert channel.typed == 1 and channel.sent == []  # typing in the channel, answer in the thread
    assert len(thread.sent) == 1 and thread.sent[0].embed.description.startswith("You asked")
    assert echo.histories == [[]]

    # In the bot's thread no mention is needed, and the engine gets the thread's turns.
    for number, text in enumerate(["那2025年呢?", "槓桿多高?", "保證金呢?"], start=2):
        follow = FakeMessage(text, thread)
        sent = await cog.handle_message(follow)
        assert len(sent) == 1 and len(thread.sent) == number
    assert echo.histories[1] == [("user", "什麼是基差交易?"), ("assistant", "You asked: 什麼是基差交易?")]
    assert len(echo.histories[3]) == 4  # bounded by discord_history_turns=2
    assert echo.histories[3][0] == ("user", "那2025年呢?")


@pytest.mark.asyncio
async def test_other_threads_need_a_mention(make_dpy_bot) -> None:
    echo = EchoEngine()
    bot = await make_dpy_bot(echo, discord_thread_mode="thread")
    cog = bot.get_cog("Ask")
    guild = FakeGuild()
    someone_elses = FakeThread(guild, parent_id=1, owner_id=777)
    assert await cog.handle_message(FakeMessage("什麼是基差交易?", someone_elses)) == []
    mention = _mention(bot, "什麼是基差交易?", someone_elses)
    sent = await cog.handle_message(mention)
    assert len(sent) == 1 and mention.thread is None  # no thread inside a thread: a reply
    assert mention.replies == sent
    # A thread the bot opened before a restart (history lost) still needs no mention.
    own = FakeThread(guild, parent_id=1, owner_id=bot.user.id)
    assert len(await cog.handle_message(FakeMessage("保證金呢?", own))) == 1


@pytest.mark.asyncio
async def test_reply_mode_keeps_history_along_the_reply_chain(make_dpy_bot) -> None:
    echo = EchoEngine()
    bot = await make_dpy_bot(echo, discord_thread_mode="reply")
    cog = bot.get_cog("Ask")
    channel = FakeTextChannel(FakeGuild())
    first = _mention(bot, "什麼是附買回?", channel)
    [answer] = await cog.handle_message(first)
    assert first.thread is None and first.replies == [answer]
    follow = FakeMessage("利率多少?", channel, reference=SimpleNamespace(message_id=answer.id))
    [second] = await cog.handle_message(follow)
    assert echo.histories[-1][0] == ("user", "什麼是附買回?")
    unrelated = FakeMessage("利率多少?", channel, reference=SimpleNamespace(message_id=12345))
    assert await cog.handle_message(unrelated) == []
    assert second.reference is follow


@pytest.mark.asyncio
async def test_off_mode_answers_in_the_channel_without_history(make_dpy_bot) -> None:
    echo = EchoEngine()
    bot = await make_dpy_bot(echo, discord_thread_mode="off")
    cog = bot.get_cog("Ask")
    channel = FakeTextChannel(FakeGuild())
    message = _mention(bot, "什麼是附買回?", channel)
    [answer] = await cog.handle_message(message)
    assert message.thread is None and not message.replies and channel.sent == [answer]
    follow = FakeMessage("利率多少?", channel, reference=SimpleNamespace(message_id=answer.id))
    assert await cog.handle_message(follow) == []


@pytest.mark.asyncio
async def test_thread_creation_failure_falls_back_to_a_reply(make_dpy_bot) -> None:
    bot = await make_dpy_bot(EchoEngine(), discord_thread_mode="thread")
    cog = bot.get_cog("Ask")
    channel = FakeTextChannel(FakeGuild())
    message = _mention(bot, "什麼是附買回?", channel)

    async def refuse(**_: Any) -> None:
        raise discord.Forbidden(SimpleNamespace(status=403, reason="Forbidden"), "Missing Permissions")

    message.create_thread = refuse
    sent = await cog.handle_message(message)
    assert message.replies == sent and len(sent) == 1


# ------------------------------------------------------------------ start-up


@pytest.mark.asyncio
async def test_setup_hook_builds_the_engine_and_skips_sync_under_tests(built_settings, engine, monkeypatch) -> None:
    from bot.answering.engine import Engine

    built: list[Any] = []

    def fake_build(settings: Any) -> Any:
        built.append(settings)
        return engine

    monkeypatch.setattr(Engine, "build", staticmethod(fake_build))
    bot = create_bot(built_settings, sync_commands=False)

    async def no_sync(*_: Any, **__: Any) -> list[Any]:
        raise AssertionError("synced under tests")

    monkeypatch.setattr(bot.tree, "sync", no_sync)
    await bot._async_setup_hook()
    await bot.setup_hook()
    assert bot.engine is engine and built == [built_settings]
    assert {"Ask", "Calc", "Info", "Admin", "Feedback"} <= set(bot.cogs)
    assert bot.intents.message_content and bot.command_prefix == ()  # no prefix commands
    await bot.close()


@pytest.mark.asyncio
async def test_sync_goes_to_configured_guilds(built_settings, engine, monkeypatch) -> None:
    bot = create_bot(built_settings.model_copy(update={"discord_guild_ids": [11, 22]}), engine=engine)
    synced: list[Any] = []

    async def fake_sync(*, guild: Any = None) -> list[Any]:
        synced.append(guild.id if guild else None)
        return []

    monkeypatch.setattr(bot.tree, "sync", fake_sync)
    await bot._async_setup_hook()
    await bot.setup_hook()
    assert synced == [11, 22]
    copied = bot.tree.get_commands(guild=discord.Object(id=11))
    assert {c.name for c in copied} == {c.name for c in bot.tree.get_commands()} and len(copied) >= 7
    await bot.close()


# ------------------------------------------------------------------ run()


def test_run_without_token(built_settings) -> None:
    with pytest.raises(UserError, match="DISCORD_TOKEN is not set"):
        discord_bot.run(built_settings.model_copy(update={"discord_token": None}))


def test_run_with_invalid_token_is_one_line_and_never_logs_it(built_settings, engine, capsys, caplog, monkeypatch) -> None:
    from pydantic import SecretStr

    token = "MTIz.not-a-real-token.abcdefghijklmnop"
    seen: list[str] = []
    logging_setup: list[Any] = []

    async def reject(self: Any, given: str) -> None:
        seen.append(given)
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(discord.utils, "setup_logging", lambda **kw: logging_setup.append(kw))
    monkeypatch.setattr(discord.Client, "login", reject)
    monkeypatch.setattr(discord_bot, "create_bot", lambda s: BasisBotCore(s, engine=engine, sync_commands=False))
    with caplog.at_level(logging.DEBUG):
        code = run_from_cli(built_settings.model_copy(update={"discord_token": SecretStr(token)}), monkeypatch)
    assert code == 2 and seen == [token] and logging_setup
    err = capsys.readouterr().err
    assert "Discord rejected DISCORD_TOKEN" in err and err.count("\n") == 1
    assert "Traceback" not in err and token not in err
    assert all(token not in r.getMessage() for r in caplog.records)

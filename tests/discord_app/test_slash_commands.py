"""Slash commands, called through their callbacks with a recording fake Interaction.

dpytest has no slash commands, so each test builds the production (sharded)
bot with the real engine (``make_bot`` in conftest), and calls
``tree.get_command(name).callback(cog, interaction, ...)``.
"""

from __future__ import annotations

import json
import logging
import re
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.answering.engine import Answer, Engine
from bot.discord_app.client import BasisBot
from bot.errors import StoreError
from bot.kb.glossary import load as load_glossary
from bot.kb.retrieval import Retriever
from ingest.pipeline import run as ingest

PNG = b"\x89PNG\r\n\x1a\n"
USER_ID = 123456789012345678


class FakeResponse:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []

    def is_done(self) -> bool:
        return bool(self.calls)

    async def defer(self, **kwargs: Any) -> None:
        assert not self.calls, "responded twice"
        self.calls.append(("defer", None, kwargs))

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        assert not self.calls, "responded twice"
        self.calls.append(("send_message", content, kwargs))


class FakeFollowup:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, content: str | None = None, **kwargs: Any) -> Any:
        self.sent.append({"content": content, **kwargs})
        return SimpleNamespace(id=len(self.sent))


class FakeInteraction:
    """What the cogs read from an Interaction, and a record of what they sent."""

    def __init__(
        self,
        *,
        embeds: bool = True,
        locale: str = "en-US",
        channel_id: int = 555,
        admin: bool = False,
        roles: tuple[str, ...] = (),
        user_id: int = USER_ID,
    ) -> None:
        permissions = discord.Permissions.text()
        permissions.embed_links = embeds
        self.app_permissions = permissions
        self.locale = discord.Locale(locale)
        self.channel_id = channel_id
        self.channel = SimpleNamespace(id=channel_id)
        self.guild_id = 42
        self.user = SimpleNamespace(
            id=user_id,
            guild_permissions=discord.Permissions(administrator=admin),
            roles=[SimpleNamespace(name=name) for name in roles],
        )
        self.response = FakeResponse()
        self.followup = FakeFollowup()
        self.command = None

    @property
    def first(self) -> dict[str, Any]:
        return self.followup.sent[0]

    def deferred_first(self) -> bool:
        return self.response.calls[0][0] == "defer" and self.response.calls[0][2].get("thinking") is True


class StubEngine:
    """For paths the real engine cannot take on demand: failures and re-indexing."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.reindexed = 0

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        if self.error:
            raise self.error
        return Answer(answer=f"echo {question}", grounded=False)


async def call(bot: BasisBot, name: str, interaction: FakeInteraction, **options: Any) -> FakeInteraction:
    """What discord.py does with an invocation: run the command's checks, then its body, and
    hand any failure (a refused check included) to the tree's ``on_error``."""
    command = bot.tree.get_command(name)
    assert command is not None, name
    interaction.client = bot
    interaction.command = command
    interaction.namespace = SimpleNamespace(**options)
    try:
        if not await command._check_can_run(interaction):
            raise app_commands.CheckFailure(name)
        await command._do_call(interaction, options)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(interaction, error)
    return interaction


# ------------------------------------------------------------------ schema


@pytest.mark.asyncio
async def test_command_schemas(make_bot) -> None:
    bot = await make_bot()
    expected = {
        "ask": ["question"],
        "calc": ["expression"],
        "leverage": ["equity", "leverage", "haircut", "move"],
        "sources": [],
        "about": [],
        "define": ["term"],
        "reindex": [],
        "quiz": ["topic", "count"],
        "quiz-score": [],
    }
    assert {c.name for c in bot.tree.get_commands()} == set(expected)
    for name, options in expected.items():
        schema = bot.tree.get_command(name).to_dict(bot.tree)
        assert schema["name"] == name and schema["description"]
        assert [o["name"] for o in schema["options"]] == options
        assert all(o["description"] for o in schema["options"])
    leverage = {o["name"]: o for o in bot.tree.get_command("leverage").to_dict(bot.tree)["options"]}
    assert leverage["equity"]["required"] and leverage["leverage"]["required"]
    assert not leverage["haircut"]["required"] and not leverage["move"]["required"]
    assert leverage["leverage"]["type"] == discord.AppCommandOptionType.number.value
    assert bot.tree.get_command("define").to_dict(bot.tree)["options"][0]["autocomplete"] is True


# ------------------------------------------------------------------ /ask


@pytest.mark.asyncio
async def test_ask_answers_with_embed_sources_and_buttons(make_bot) -> None:
    bot = await make_bot()
    it = await call(bot, "ask", FakeInteraction(), question="什麼是基差交易?")
    assert it.deferred_first()
    sent = it.first
    embed = sent["embed"]
    assert "基差" in embed.description
    assert embed.fields and embed.fields[0].name == "來源"
    assert "[1]" in embed.fields[0].value
    # Cogs are extensions: the class to compare with is the one the bot loaded.
    assert isinstance(sent["view"], bot.extensions["bot.discord_app.cogs.feedback"].FeedbackView)
    assert sent["allowed_mentions"].to_dict() == {"parse": []}
    assert sent["wait"] is True


@pytest.mark.asyncio
async def test_ask_in_english_and_simplified(make_bot) -> None:
    bot = await make_bot()
    english = await call(bot, "ask", FakeInteraction(), question="What is the basis trade?")
    assert english.first["embed"].fields[0].name == "Sources"
    simplified = await call(bot, "ask", FakeInteraction(), question="什么是基差交易?")
    assert simplified.first["embed"].fields[0].name == "来源"


@pytest.mark.asyncio
async def test_ask_plain_text_without_embed_permission(make_bot) -> None:
    bot = await make_bot()
    it = await call(bot, "ask", FakeInteraction(embeds=False), question="什麼是基差交易?")
    sent = it.first
    assert "embed" not in sent
    assert "基差" in sent["content"] and "來源:" in sent["content"]
    assert len(sent["content"]) <= 2000


@pytest.mark.asyncio
async def test_ask_rate_limit_answers_ephemerally(make_bot) -> None:
    bot = await make_bot(rate_user_per_minute=1)
    await call(bot, "ask", FakeInteraction(), question="什麼是槓桿?")
    it = await call(bot, "ask", FakeInteraction(), question="什麼是槓桿?")
    kind, content, kwargs = it.response.calls[0]
    assert kind == "send_message" and kwargs["ephemeral"] is True
    assert "慢一點" in content and "Slow down" in content
    assert not it.followup.sent


@pytest.mark.asyncio
async def test_commands_refuse_outside_allowed_channels(make_bot) -> None:
    bot = await make_bot(discord_allowed_channels=[1])
    for name, options in [("ask", {"question": "什麼是基差交易?"}), ("calc", {"expression": "1+1"}), ("sources", {})]:
        it = await call(bot, name, FakeInteraction(channel_id=2), **options)
        kind, content, kwargs = it.response.calls[0]
        assert kind == "send_message" and kwargs["ephemeral"] and "not enabled" in content
    ok = await call(bot, "calc", FakeInteraction(channel_id=1), expression="1+1")
    assert ok.first["content"].endswith("**2**")


@pytest.mark.asyncio
async def test_user_error_is_shown_as_is(make_bot) -> None:
    bot = await make_bot(StubEngine(StoreError("The index is missing: run `make index`.")))
    it = await call(bot, "ask", FakeInteraction(), question="hi there")
    assert it.first["content"] == "The index is missing: run `make index`."


@pytest.mark.asyncio
async def test_bug_gives_an_error_id_and_logs_the_traceback(make_bot, caplog) -> None:
    bot = await make_bot(StubEngine(RuntimeError("boom: internal detail")))
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        it = await call(bot, "ask", FakeInteraction(), question="hi there")
    content = it.first["content"]
    error_id = re.search(r"`([0-9a-f]{8})`", content).group(1)
    assert "boom" not in content and "Traceback" not in content
    record = next(r for r in caplog.records if error_id in r.getMessage())
    assert record.exc_info and "boom" in str(record.exc_info[1])


# ------------------------------------------------------------------ /calc, /leverage


@pytest.mark.asyncio
async def test_calc(make_bot) -> None:
    bot = await make_bot()
    it = await call(bot, "calc", FakeInteraction(), expression="1000萬*50")
    assert it.deferred_first()
    assert "500,000,000" in it.first["content"]


@pytest.mark.asyncio
async def test_calc_bad_input_is_one_line(make_bot) -> None:
    bot = await make_bot()
    for expression in ["2+", "__import__('os')", "10/0", "@everyone"]:
        it = await call(bot, "calc", FakeInteraction(), expression=expression)
        content = it.first["content"]
        assert content and "\n" not in content and "Traceback" not in content
        assert "error `" not in content  # a user error, not an apology for a bug
        assert "@everyone" not in content


@pytest.mark.asyncio
async def test_leverage_sends_working_table_and_png(make_bot) -> None:
    bot = await make_bot()
    it = await call(bot, "leverage", FakeInteraction(), equity="1000萬", leverage=50.0, haircut=None, move=None)
    assert it.deferred_first()
    sent = it.first
    file = sent["file"]
    assert isinstance(file, discord.File) and file.filename.endswith(".png")
    file.fp.seek(0)
    png = file.fp.read()
    assert png.startswith(PNG) and len(png) > 10_000
    embed = sent["embed"]
    assert embed.image.url == f"attachment://{file.filename}"
    text = embed.description
    assert "500,000,000" in text and "2%" in text  # position and wipe-out move
    for move in ["-0.25%", "-0.5%", "-1%", "-1.5%", "-2%", "-3%", "-4%", "-5%"]:
        assert move in text
    assert "Margin call" in text and "yes (wiped out)" in text and "no" in text
    assert len(embed) <= 6000


@pytest.mark.asyncio
async def test_leverage_with_haircut_and_move_in_chinese(make_bot) -> None:
    bot = await make_bot()
    it = await call(
        bot, "leverage", FakeInteraction(locale="zh-TW"), equity="10m", leverage=40.0, haircut=1.0, move=-0.8
    )
    text = it.first["embed"].description
    assert it.first["embed"].title == "槓桿試算"
    assert "追繳" in text and "-0.8%" in text and "部位" in text


@pytest.mark.asyncio
async def test_leverage_plain_text_still_attaches_the_chart(make_bot) -> None:
    bot = await make_bot()
    it = await call(bot, "leverage", FakeInteraction(embeds=False), equity="1,000,000", leverage=20.0)
    last = it.followup.sent[-1]
    assert last["file"].filename == "leverage.png"
    assert all(len(s["content"]) <= 2000 for s in it.followup.sent)


@pytest.mark.asyncio
async def test_leverage_bad_equity(make_bot) -> None:
    bot = await make_bot()
    it = await call(bot, "leverage", FakeInteraction(), equity="lots", leverage=50.0)
    assert it.first["content"].startswith("Not a number")
    assert "file" not in it.first


# ------------------------------------------------------------------ info


@pytest.mark.asyncio
async def test_define_finds_terms_in_any_script(make_bot) -> None:
    bot = await make_bot()
    lev = await call(bot, "define", FakeInteraction(), term="槓桿")
    embed = lev.first["embed"]
    assert "槓桿" in embed.title and "leverage" in embed.title
    assert [f.name for f in embed.fields] == ["繁體中文", "简体中文", "English"]
    assert "杠杆" in embed.fields[1].value
    haircut = await call(bot, "define", FakeInteraction(), term="haircut")
    assert "haircut" in haircut.first["embed"].fields[2].value
    assert "折價率" in haircut.first["embed"].title
    missing = await call(bot, "define", FakeInteraction(), term="@everyone unicorn")
    assert "No glossary entry" in missing.first["content"]
    assert "@everyone" not in missing.first["content"]


@pytest.mark.asyncio
async def test_define_autocomplete(make_bot) -> None:
    bot = await make_bot()
    cog = bot.get_cog("Info")
    choices = await cog.define_complete(FakeInteraction(), "hair")
    assert "haircut" in [c.value for c in choices]
    assert len(await cog.define_complete(FakeInteraction(), "")) == 25


@pytest.mark.asyncio
async def test_sources_and_about(make_bot, engine) -> None:
    bot = await make_bot()
    docs = await call(bot, "sources", FakeInteraction())
    text = "\n".join(s["embed"].description for s in docs.followup.sent)
    assert all(len(s["embed"]) <= 6000 for s in docs.followup.sent)
    for row in engine.documents():
        assert discord.utils.escape_markdown(row["title"]) in text
    about = await call(bot, "about", FakeInteraction())
    fields = {f.name: f.value for f in about.first["embed"].fields}
    assert fields["文件 Documents"] == str(engine.about()["documents"])
    plain = await call(bot, "about", FakeInteraction(embeds=False))
    assert "US Treasury basis-trade" in plain.first["content"]


# ------------------------------------------------------------------ /reindex


@pytest.mark.asyncio
async def test_reindex_refuses_non_admins(make_bot) -> None:
    bot = await make_bot(StubEngine())
    it = await call(bot, "reindex", FakeInteraction(roles=("member",)))
    kind, content, kwargs = it.response.calls[0]
    assert kind == "send_message" and kwargs["ephemeral"] and "Only admins" in content
    assert len(it.response.calls) == 1 and not it.followup.sent


@pytest.mark.asyncio
async def test_reindex_for_admin_role_or_permission(make_bot, make_settings, corpus_copy, model) -> None:
    """A real ingest of a real corpus copy: the new document is served right after the command."""
    settings = make_settings(corpus_dir=corpus_copy)
    ingest(settings, model_factory=lambda: model)
    engine = Engine(settings, Retriever(settings, model, load_glossary(corpus_copy)))
    bot = await make_bot(engine, discord_admin_role="kb-admin")
    (corpus_copy / "zebra.md").write_text(
        "---\ntitle: Zebra note\nlang: en\nsource: test\ndate: 2026-12\nlicense: CC0\n---\n"
        "The zebra desk financed Treasuries with overnight repo at a tiny haircut.\n",
        encoding="utf-8",
    )
    by_role = await call(bot, "reindex", FakeInteraction(roles=("kb-admin",)))
    assert by_role.response.calls[0][2] == {"thinking": True, "ephemeral": True}
    assert by_role.first["content"].startswith("✅ 4 documents") and "1 added" in by_role.first["content"]
    assert any("zebra" in hit.text for hit in engine.retriever.search("zebra desk repo"))
    by_permission = await call(bot, "reindex", FakeInteraction(admin=True))
    assert "0 added" in by_permission.first["content"] and "0 chunks embedded" in by_permission.first["content"]


# ------------------------------------------------------------------ feedback


class FakeClick:
    def __init__(self, user_id: int) -> None:
        self.user = SimpleNamespace(id=user_id)
        self.response = FakeResponse()
        self.followup = FakeFollowup()


@pytest.mark.asyncio
async def test_feedback_buttons_write_jsonl_with_hashed_user(make_bot, tmp_path) -> None:
    bot = await make_bot()
    it = await call(bot, "ask", FakeInteraction(), question="什麼是保證金追繳?")
    view = it.followup.sent[-1]["view"]
    up, down = view.children
    assert (up.emoji.name, down.emoji.name) == ("👍", "👎")

    first = FakeClick(USER_ID)
    await up.callback(first)
    assert first.response.calls[0][2]["ephemeral"] is True
    again = FakeClick(USER_ID)
    await up.callback(again)  # same vote twice: not logged twice
    assert "Already" in again.response.calls[0][1]
    await down.callback(FakeClick(USER_ID + 1))

    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["vote"] for r in records] == ["up", "down"]
    record = records[0]
    assert record["question"] == "什麼是保證金追繳?"
    assert record["answer"] and record["chunk_ids"] and record["ts"]
    assert str(USER_ID) not in lines[0]
    assert re.fullmatch(r"[0-9a-f]{16}", record["user"])
    assert records[0]["user"] != records[1]["user"]

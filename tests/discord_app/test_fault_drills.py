"""Fault drills for the Discord layer: a damaged index at start-up, and fuzzed messages.

(The Chroma-server, ingest-kill, LLM-backend and prompt-injection drills live in
test_chroma_server.py, tests/ingest/test_kill_drill.py, test_llm.py and test_injection.py.)
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bench.fakes import Channel, Message
from bot.discord_app.client import BasisBotCore
from ingest.pipeline import run as ingest
from tests.conftest import run_from_cli
from tests.discord_app.conftest import log_in_as_fake_user, start_bot

PING = re.compile(r"@(everyone|here)|<@&\d+>")


def test_damaged_index_at_start_is_one_line_naming_the_fix(make_settings, corpus_copy, model, capsys, monkeypatch):
    settings = make_settings(corpus_dir=corpus_copy, discord_token=SecretStr("MTIz.fake"))
    ingest(settings, model_factory=lambda: model)
    for path in settings.chroma_path.rglob("*.sqlite3"):
        path.write_bytes(b"garbage" * 1000)

    async def start_without_network(self: Any, token: str, *, reconnect: bool = True) -> None:
        await self._async_setup_hook()
        await self.setup_hook()  # builds the engine: this is where the damage shows

    monkeypatch.setattr(discord.utils, "setup_logging", lambda **_: None)
    monkeypatch.setattr(BasisBotCore, "start", start_without_network)
    assert run_from_cli(settings, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "python -m ingest --rebuild" in err and "Traceback" not in err and err.count("\n") == 1


_mixed = st.text(
    alphabet=st.sampled_from(list("基差交易槓桿杠杆保證金附買回abcXYZ 0123456789+-*/().,%^萬億兆？?！!@#<>&\x00\u200b🙂")),
    max_size=400,
)
_messages = st.one_of(
    _mixed,
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.builds(lambda s, n: s * n, st.sampled_from(["9**9**", "@everyone ", "<@&42> ", "問", "(" ]), st.integers(1, 3000)),
)


@pytest.fixture(scope="module")
def fuzz_bot(built_settings, engine):
    loop = asyncio.new_event_loop()
    settings = built_settings.model_copy(
        update={"rate_user_per_minute": 10**9, "rate_channel_per_minute": 10**9, "discord_thread_mode": "off"}
    )
    bot = loop.run_until_complete(start_bot(settings, engine))
    log_in_as_fake_user(bot)
    yield loop, bot
    loop.run_until_complete(bot.close())
    loop.close()


@settings(max_examples=1000, deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=_messages)
def test_fuzzed_mentions_never_crash_hang_or_ping(fuzz_bot, text):
    loop, bot = fuzz_bot
    cog = bot.get_cog("Ask")
    message = Message(bot.user, text, Channel(), author_id=7)
    sent = loop.run_until_complete(asyncio.wait_for(cog.handle_message(message), timeout=10))
    for item in sent or []:
        assert item.allowed_mentions is not None
        assert not (item.allowed_mentions.everyone or item.allowed_mentions.roles)
        visible = (item.content or "") + (item.embed.description if getattr(item, "embed", None) else "")
        assert not PING.search(visible), visible[:200]
        assert "Traceback" not in visible

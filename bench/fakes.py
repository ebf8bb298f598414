"""Just enough of a Discord channel and message for the mention handler, and an event-loop ticker.

The hostile-input bench and the load and fault-drill tests drive the real handler with these
(Discord's servers cannot exist here); the ticker measures how long the loop was held.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from types import SimpleNamespace
from typing import Any

_ids = itertools.count(1)


class Channel:
    """A guild-less channel: typing, and a send that returns a message-like record."""

    def __init__(self) -> None:
        self.id = next(_ids)
        self.guild = None

    @contextlib.asynccontextmanager
    async def typing(self) -> Any:
        yield

    async def send(self, content: str | None = None, **kwargs: Any) -> Any:
        return SimpleNamespace(id=next(_ids), content=content, **kwargs)


class Message:
    """A guild message that mentions the bot, so the handler answers it."""

    def __init__(self, bot_user: Any, question: str, channel: Channel, author_id: int = 4242) -> None:
        self.id = next(_ids)
        self.content = f"{bot_user.mention} {question}"
        self.channel = channel
        self.guild = SimpleNamespace(self_role=None)  # a guild message, so the mention matters
        self.author = SimpleNamespace(id=author_id, bot=False)
        self.mentions = [bot_user]
        self.role_mentions: list[Any] = []
        self.reference = None

    async def reply(self, content: str | None = None, **kwargs: Any) -> Any:
        return await self.channel.send(content, **kwargs)


async def ticker(stop: asyncio.Event, lags: list[float], tick: float) -> None:
    """Sleep ``tick`` seconds at a time until ``stop``; each overshoot is how long the loop was held."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        began = loop.time()
        await asyncio.sleep(tick)
        lags.append(loop.time() - began - tick)

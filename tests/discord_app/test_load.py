"""200 concurrent mentions through the real handler and the real engine, timing the event loop.

Every question must be answered (queued, never dropped) and the loop must
stay responsive (max lag < 1 s) while the worker threads do the work.  The
figures are printed for the README; only the lag bound is asserted.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import pytest

from bench.fakes import Channel, Message
from bench.fakes import ticker as fake_ticker
from tests.discord_app.conftest import log_in_as_fake_user

QUESTIONS = [
    "什麼是基差交易?",
    "What is the basis trade?",
    "什么是回购?",
    "為什麼基差交易需要槓桿?",
    "What happened to the basis trade in March 2020?",
    "保證金追繳是什麼?",
    "What is a haircut in repo?",
    "本金1000萬、50倍槓桿,部位多大?",
]
N = 200
TICK = 0.05


@pytest.mark.asyncio
async def test_200_concurrent_questions(make_bot, engine, capsys) -> None:
    bot = await make_bot(
        worker_threads=2, rate_user_per_minute=10_000, rate_channel_per_minute=10_000, discord_thread_mode="reply"
    )
    log_in_as_fake_user(bot)
    cog = bot.get_cog("Ask")
    channels = [Channel() for _ in range(10)]
    messages = [
        Message(bot.user, QUESTIONS[i % len(QUESTIONS)], channels[i % len(channels)], author_id=1000 + i % 40)
        for i in range(N)
    ]
    engine.ask(QUESTIONS[0])  # warm caches outside the measurement

    latencies: list[float] = []

    async def one(message: Message) -> list[Any]:
        start = time.perf_counter()
        sent = await cog.handle_message(message)
        latencies.append(time.perf_counter() - start)
        return sent

    stop = asyncio.Event()
    lags: list[float] = []
    ticker = asyncio.create_task(fake_ticker(stop, lags, TICK))
    wall = time.perf_counter()
    results = await asyncio.gather(*(one(m) for m in messages))
    wall = time.perf_counter() - wall
    stop.set()
    await ticker

    answered = sum(1 for sent in results if sent and getattr(sent[0], "embed", None) is not None)
    max_lag = max(lags)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    with capsys.disabled():
        print(
            f"\n[load] answered {answered}/{N} in {wall:.2f} s with {bot.settings.worker_threads} worker threads; "
            f"max event-loop lag {max_lag * 1000:.1f} ms over {len(lags)} ticks; "
            f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
        )
    assert answered == N
    assert all("Slow down" not in (sent[0].embed.description or "") for sent in results)
    assert max_lag < 1.0

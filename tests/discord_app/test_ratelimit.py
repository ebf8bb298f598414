"""Sliding-window limits with an injected clock."""

from __future__ import annotations

from bot.discord_app.ratelimit import RateLimiter, SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_key_limit_and_retry_after() -> None:
    clock = Clock()
    window = SlidingWindow(3, 60, clock)
    assert [window.hit("u") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert window.hit("u") == 60.0
    assert window.hit("other") == 0.0
    clock.now += 59.5
    assert window.hit("u") == 0.5
    clock.now += 0.5
    assert window.hit("u") == 0.0


def test_window_slides_rather_than_resets() -> None:
    clock = Clock()
    window = SlidingWindow(2, 60, clock)
    window.hit("u")
    clock.now += 50
    window.hit("u")
    clock.now += 15  # first hit expired, second is 15 s old
    assert window.hit("u") == 0.0
    assert window.hit("u") == 45.0  # the hit at t+50 frees up at t+110


def test_refused_hits_are_not_counted() -> None:
    clock = Clock()
    window = SlidingWindow(1, 10, clock)
    window.hit("u")
    for _ in range(5):
        clock.now += 1
        assert window.hit("u") > 0
    clock.now += 5
    assert window.hit("u") == 0.0


def test_zero_limit_means_unlimited() -> None:
    window = SlidingWindow(0, 60, Clock())
    assert all(window.hit("u") == 0.0 for _ in range(1000))


def test_keys_are_forgotten_when_idle() -> None:
    clock = Clock()
    window = SlidingWindow(1, 10, clock, max_keys=5)
    for user in range(5):
        window.hit(user)
    clock.now += 11
    window.hit("new")
    assert len(window._hits) == 1


def test_user_and_channel_limits_combine() -> None:
    clock = Clock()
    limiter = RateLimiter(per_user=2, per_channel=3, clock=clock)
    assert limiter.hit(1, 100) == 0.0
    assert limiter.hit(1, 100) == 0.0
    assert limiter.hit(1, 100) > 0  # user limit
    assert limiter.hit(2, 100) == 0.0
    assert limiter.hit(3, 100) > 0  # channel limit, user 3 not charged
    assert limiter.hit(3, 200) == 0.0
    assert limiter.hit(3, 200) == 0.0
    assert limiter.hit(4, None) == 0.0  # DMs: no channel window

"""Sliding-window rate limits: N events per window per key (a user, a channel).

A fixed window lets a user fire 2N questions across a window edge; a
sliding window of timestamps does not, and at a few questions a minute the
deques stay tiny.  Used from the event loop only, so no locking.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class SlidingWindow:
    """At most ``limit`` hits per ``window`` seconds for each key; ``limit <= 0`` means unlimited."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[Hashable, deque[float]] = {}

    def _prune(self, key: Hashable, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: Hashable) -> float:
        """Seconds until ``key`` may hit again; 0.0 when it may now."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        hits = self._prune(key, now)
        if hits is None or len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[0] + self.window - now)

    def record(self, key: Hashable) -> None:
        if self.limit <= 0:
            return
        now = self.clock()
        hits = self._prune(key, now)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._sweep(now)
            hits = self._hits[key] = deque(maxlen=self.limit)
        hits.append(now)

    def hit(self, key: Hashable) -> float:
        """Record a hit if allowed and return 0.0; otherwise record nothing and return the wait."""
        wait = self.retry_after(key)
        if wait == 0.0:
            self.record(key)
        return wait

    def _sweep(self, now: float) -> None:
        """Forget keys with no hit in the window, so memory stays bounded."""
        for key in list(self._hits):
            self._prune(key, now)


class RateLimiter:
    """Per-user and per-channel windows checked together: a hit counts only if both allow it."""

    def __init__(
        self,
        per_user: int,
        per_channel: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = SlidingWindow(per_user, window, clock)
        self.channels = SlidingWindow(per_channel, window, clock)

    def hit(self, user_id: int, channel_id: int | None) -> float:
        """0.0 and both windows charged, or the seconds to wait and nothing charged."""
        wait = self.users.retry_after(user_id)
        if channel_id is not None:
            wait = max(wait, self.channels.retry_after(channel_id))
        if wait > 0:
            return wait
        self.users.record(user_id)
        if channel_id is not None:
            self.channels.record(channel_id)
        return 0.0

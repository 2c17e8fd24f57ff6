"""Sliding-window limits kept in the shared Django cache (`CACHES["shared"]`).

The shared cache is the database (`createcachetable` runs as a migration) or Redis when
`DJANGO_REDIS_URL` is set, so every proxy process counts against the same window. Each key holds
the timestamps of its events in the window. The read-check-write is not atomic across
processes: two processes accepting at the same instant may both count from the same list, so a
burst can exceed the limit by the number of processes; that is the price of no lock per request.

- `chat_limiter()`: chat messages per user per minute, counting accepted messages only (a send
  refused by the agent or lost to an outage does not count).
- `login_throttle()`: failed sign-ins per account and per client address (auth.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches


class SlidingWindow:
    """At most `limit` events per key in any `window` seconds (`limit` 0 = unlimited)."""

    def __init__(
        self, prefix: str, limit: int, window: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.prefix = prefix
        self.limit = limit
        self.window = window
        self._clock = clock

    @property
    def cache(self):  # noqa: ANN201 - the shared cache, looked up per use (tests swap settings)
        return caches[settings.SHARED_CACHE]

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _live(self, events: list[float] | None, now: float) -> list[float]:
        return [t for t in (events or []) if t > now - self.window]

    def _wait(self, events: list[float], now: float) -> int:
        if self.limit <= 0 or len(events) < self.limit:
            return 0
        # The wait until enough old events leave the window for one more to fit.
        return max(1, math.ceil(events[-self.limit] + self.window - now))

    async def retry_after(self, key: str) -> int:
        """0 if one more event is allowed for `key`, else the seconds to wait."""
        if self.limit <= 0:
            return 0
        now = self._clock()
        return self._wait(self._live(await self.cache.aget(self._key(key)), now), now)

    async def count(self, key: str) -> None:
        """Record one event for `key`."""
        if self.limit <= 0:
            return
        now = self._clock()
        events = self._live(await self.cache.aget(self._key(key)), now)
        events.append(now)
        await self.cache.aset(self._key(key), events[-self.limit :], math.ceil(self.window))

    def retry_after_sync(self, key: str) -> int:
        """`retry_after` for sync code (the login view)."""
        if self.limit <= 0:
            return 0
        now = self._clock()
        return self._wait(self._live(self.cache.get(self._key(key)), now), now)

    def count_sync(self, key: str) -> None:
        if self.limit <= 0:
            return
        now = self._clock()
        events = self._live(self.cache.get(self._key(key)), now)
        events.append(now)
        self.cache.set(self._key(key), events[-self.limit :], math.ceil(self.window))

    def reset_sync(self, key: str) -> None:
        self.cache.delete(self._key(key))


def chat_limiter() -> SlidingWindow:
    """Chat messages per user per `CHAT_RATE_WINDOW_SECONDS`."""
    return SlidingWindow("chat", settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_WINDOW_SECONDS)


def login_limiters() -> tuple[SlidingWindow, SlidingWindow]:
    """Failed sign-ins: (per account, per client address)."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    return (
        SlidingWindow("login-account", settings.LOGIN_FAILURES_PER_ACCOUNT, window),
        SlidingWindow("login-address", settings.LOGIN_FAILURES_PER_ADDRESS, window),
    )

"""Per-user chat rate limit: a sliding window of the last minute's messages, in process memory.

The proxy runs as one process (`python -m django_proxy`), so memory is the right place: no
extra service, and the counters cost nothing. Several proxy processes would each count alone.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """At most `limit` events per key in any `window` seconds (`limit` 0 = unlimited)."""

    def __init__(self, limit: int, window: float, clock=time.monotonic) -> None:  # noqa: ANN001
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """Count one event for `key`; 0 if allowed, else the seconds to wait before retrying."""
        if self.limit <= 0:
            return 0
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(1, math.ceil(events[0] + self.window - now))
            events.append(now)
            if len(self._events) > 10_000:  # forget idle users now and then
                self._forget_idle(now)
            return 0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
            del self._events[key]

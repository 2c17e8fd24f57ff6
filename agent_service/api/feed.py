"""One change feed per process for `GET /leads/events`.

A single background thread waits on the store (`wait_for_change`: LISTEN/NOTIFY on PostgreSQL,
a poll of the log's `seq` on SQLite), reads the new rows once and hands them to every open
stream's asyncio queue: a hundred open boards cost one waiting thread and one query per change,
not a hundred. The thread starts with the first subscriber and stops at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from agent_service.errors import StoreUnavailable

log = logging.getLogger("agent_service.feed")

WAIT_SECONDS = 1.0  # how long one wait_for_change call blocks (the thread checks for stop)
BATCH = 500
READY_SECONDS = 5.0
QUEUE_LIMIT = 10_000  # a subscriber this far behind is dropped (its client reconnects)


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.overflowed = False

    def offer(self, changes: list[Any]) -> None:
        """Called on the event loop's thread."""
        if self.queue.qsize() > QUEUE_LIMIT:
            self.overflowed = True
            return
        for change in changes:
            self.queue.put_nowait(change)


class ChangeFeed:
    """Fans the store's new log rows out to asyncio subscribers."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._subscribers: set[_Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_seq: int | None = None
        # Set once the thread knows where the log stands: a subscriber reads its own start
        # after that, so every later change reaches it through the queue (no gap).
        self._ready = threading.Event()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="crm-feed", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._last_seq is None:
                    self._last_seq = self.store.last_seq()
                    self._ready.set()
                seen = self.store.wait_for_change(self._last_seq, WAIT_SECONDS)
                while seen > self._last_seq and not self._stop.is_set():
                    batch = self.store.changes(after=self._last_seq, limit=BATCH)
                    if not batch:
                        break
                    self._last_seq = batch[-1].seq
                    self._publish(batch)
            except Exception:  # the database is down: wait and try again
                log.debug("change feed: store unavailable", exc_info=True)
                self._stop.wait(1.0)

    def _publish(self, batch: list[Any]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, batch)
            except RuntimeError:  # its loop is closed
                pass

    async def start(self) -> None:
        """Start the feed's thread; `StoreUnavailable` when the log cannot be read (so the
        route answers 503 before its stream begins)."""
        self._ensure_thread()
        if not await asyncio.to_thread(self._ready.wait, READY_SECONDS):
            raise StoreUnavailable()

    async def follow(self, after: int | None) -> AsyncIterator[Any]:
        """Changes after seq `after` (None: only changes from now on), then live ones, in
        order and without duplicates; never ends by itself."""
        sub = _Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(sub)
        try:
            await self.start()
            if after is None:
                last = await asyncio.to_thread(self.store.last_seq)
            else:
                last = after
                while True:  # the backlog, read directly (subscribed first: no gap)
                    batch = await asyncio.to_thread(self.store.changes, after=last, limit=BATCH)
                    for change in batch:
                        last = change.seq
                        yield change
                    if len(batch) < BATCH:
                        break
            while True:
                if sub.overflowed:
                    return
                change = await sub.queue.get()
                if change.seq <= last:
                    continue
                last = change.seq
                yield change
        finally:
            with self._lock:
                self._subscribers.discard(sub)

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=WAIT_SECONDS + 2)

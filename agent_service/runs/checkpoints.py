"""Checkpointers for the chat threads: LangGraph's stock `SqliteSaver` (WAL) or `PostgresSaver`.

Only the latest checkpoint of a thread is needed (no time travel is offered). Turns write one
checkpoint each (`durability="exit"`); the run manager's background sweep prunes the older ones
of the threads that had turns, in one batch (`prune_many`), so the tables stay the size of the
live threads without costing any turn time.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

log = logging.getLogger(__name__)


@dataclass
class Checkpoints:
    """A checkpointer with its pruning and closing."""

    saver: BaseCheckpointSaver
    _prune: Any
    _close: Any

    def prune(self, thread_id: str) -> None:
        """Keep only the latest checkpoint (and its pending writes) of `thread_id`."""
        self._prune([thread_id])

    def prune_many(self, thread_ids: list[str]) -> None:
        """`prune` for several threads at once (the background sweep)."""
        if thread_ids:
            self._prune(thread_ids)

    def delete(self, thread_id: str) -> None:
        self.saver.delete_thread(thread_id)

    def close(self) -> None:
        self._close()


def open_checkpoints(url: str) -> Checkpoints:
    """Checkpoints stored at `url` (`sqlite:///path` or `postgresql://…`)."""
    if url.startswith(("postgres://", "postgresql://")):
        return _postgres(url)
    if url.startswith("sqlite:///"):
        return _sqlite(url.removeprefix("sqlite:///"))
    raise ValueError(f"Unsupported CHECKPOINT_DATABASE_URL: {url.split(':', 1)[0]}")


def _sqlite(path: str) -> Checkpoints:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    saver = SqliteSaver(conn)
    saver.setup()
    lock: threading.Lock = saver.lock

    def prune(thread_ids: list[str]) -> None:
        with lock:
            for thread_id in thread_ids:
                latest = conn.execute(
                    "SELECT max(checkpoint_id) FROM checkpoints "
                    "WHERE thread_id = ? AND checkpoint_ns = ''",
                    (thread_id,),
                ).fetchone()[0]
                if latest is None:
                    continue
                conn.execute(
                    "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?",
                    (thread_id, latest),
                )
                conn.execute(
                    "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?",
                    (thread_id, latest),
                )
            conn.commit()

    return Checkpoints(saver=saver, _prune=prune, _close=conn.close)


def _postgres(url: str) -> Checkpoints:
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=8,
        kwargs={
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            "connect_timeout": 3,
        },
        timeout=5,  # a database that is down fails the turn in seconds, not after 30 s
        # A connection is checked before it is handed out: after a database restart the pool
        # replaces its dead connections instead of failing the first chats.
        check=ConnectionPool.check_connection,
        open=True,
    )
    saver = _lazy_postgres_saver()(pool)
    try:  # set up now when the database is there; otherwise on first use
        with saver._cursor():
            pass
    except Exception:
        log.warning(
            "checkpoint database unavailable at start-up; chat answers 503 until it is back"
        )

    def prune(thread_ids: list[str]) -> None:
        saver.prune(thread_ids, strategy="keep_latest")

    return Checkpoints(saver=saver, _prune=prune, _close=pool.close)


SETUP_LOCK = 726_500_117  # advisory lock key serialising checkpoint-table setup


def _lazy_postgres_saver() -> type:
    from langgraph.checkpoint.postgres import PostgresSaver

    class LazyPostgresSaver(PostgresSaver):
        """Creates its tables on first use, so the service starts (and answers 503) while the
        database is down, and sets them up once it is back."""

        _ready = False
        _setting_up = False
        _setup_lock = threading.RLock()

        def setup(self) -> None:
            """The stock setup, one process at a time (several agents may start together)."""
            with self.conn.connection() as conn:  # type: ignore[union-attr]
                conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
                try:
                    super().setup()
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))

        @contextmanager
        def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
            if not self._ready:
                with self._setup_lock:  # re-entered by setup() itself in this thread
                    if not self._ready and not self._setting_up:
                        self._setting_up = True
                        try:
                            self.setup()
                            self._ready = True
                        finally:
                            self._setting_up = False
            with super()._cursor(pipeline=pipeline) as cursor:
                yield cursor

    return LazyPostgresSaver

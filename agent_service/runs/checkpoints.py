"""Checkpointers for the chat threads: SQLite (default) or PostgreSQL.

Only the latest checkpoint of a thread is needed (no time travel is offered), so after each
turn the older ones are pruned: the checkpoint tables stay the size of the live threads.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver


@dataclass
class Checkpoints:
    """A checkpointer with its pruning and closing."""

    saver: BaseCheckpointSaver
    _prune: Any
    _close: Any

    def prune(self, thread_id: str) -> None:
        """Keep only the latest checkpoint (and its pending writes) of `thread_id`."""
        self._prune(thread_id)

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

    def prune(thread_id: str) -> None:
        with lock:
            latest = conn.execute(
                "SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''",
                (thread_id,),
            ).fetchone()[0]
            if latest is None:
                return
            conn.execute(
                "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?",
                (thread_id, latest),
            )
            conn.execute(
                "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?", (thread_id, latest)
            )
            conn.commit()

    return Checkpoints(saver=saver, _prune=prune, _close=conn.close)


def _postgres(url: str) -> Checkpoints:
    from langgraph.checkpoint.postgres import PostgresSaver
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
        open=True,
    )
    saver = PostgresSaver(pool)  # type: ignore[arg-type]
    saver.setup()

    def prune(thread_id: str) -> None:
        saver.prune([thread_id], strategy="keep_latest")

    return Checkpoints(saver=saver, _prune=prune, _close=pool.close)

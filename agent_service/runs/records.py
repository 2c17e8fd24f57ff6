"""Run records: who owns a thread, and every run's status, step, result and error.

Kept in the database (not only in memory) so a run's status survives a restart and the
conversation can be shown again; a run cut off by a restart is marked failed at start-up.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent_service.errors import StoreUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_threads (
    thread_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_runs (
    run_id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    step TEXT,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_runs_thread ON chat_runs(thread_id, created_at);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


class RunRecords:
    """Threads and runs in a SQLite file (beside the checkpoints by default)."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, timeout=30, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()
        self._conn.executescript(SCHEMA)

    def _run(self, sql: str, params: tuple | list = ()) -> sqlite3.Cursor:
        try:
            with self._lock:
                return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable("The run database is unavailable right now.") from exc

    def claim_thread(self, thread_id: str, user_id: str) -> bool:
        """Give a new thread to `user_id`; False if it belongs to someone else."""
        stamp = _now()
        self._run(
            "INSERT OR IGNORE INTO chat_threads(thread_id, user_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (thread_id, user_id, stamp, stamp),
        )
        return self.owner(thread_id) == user_id

    def owner(self, thread_id: str) -> str | None:
        row = self._run(
            "SELECT user_id FROM chat_threads WHERE thread_id = ?", (thread_id,)
        ).fetchone()
        return row[0] if row else None

    def touch_thread(self, thread_id: str) -> None:
        self._run("UPDATE chat_threads SET updated_at = ? WHERE thread_id = ?", (_now(), thread_id))

    def create_run(self, run_id: str, thread_id: str, user_id: str, message: str) -> dict[str, Any]:
        stamp = _now()
        self._run(
            "INSERT INTO chat_runs(run_id, thread_id, user_id, message, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 'queued', ?, ?)",
            (run_id, thread_id, user_id, message, stamp, stamp),
        )
        return self.get_run(run_id) or {}

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set `status`, `step`, `result` or `error` of a run."""
        values = {
            k: (json.dumps(v) if k in {"result", "error"} and v is not None else v)
            for k, v in fields.items()
        }
        values["updated_at"] = _now()
        sets = ", ".join(f"{k} = ?" for k in values)
        self._run(f"UPDATE chat_runs SET {sets} WHERE run_id = ?", [*values.values(), run_id])

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        row = self._run(
            "SELECT run_id, thread_id, user_id, message, status, step, result, error, created_at "
            "FROM chat_runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        return _run_row(row) if row else None

    def thread_runs(self, thread_id: str) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT run_id, thread_id, user_id, message, status, step, result, error, created_at "
            "FROM chat_runs WHERE thread_id = ? ORDER BY created_at, rowid",
            (thread_id,),
        ).fetchall()
        return [_run_row(r) for r in rows]

    def delete_thread(self, thread_id: str) -> None:
        self._run("DELETE FROM chat_runs WHERE thread_id = ?", (thread_id,))
        self._run("DELETE FROM chat_threads WHERE thread_id = ?", (thread_id,))

    def fail_unfinished(self, message: str) -> int:
        """Mark queued/running runs failed (after a restart); returns how many."""
        error = json.dumps({"type": "internal", "message": message})
        cur = self._run(
            "UPDATE chat_runs SET status = 'failed', step = NULL, error = ?, updated_at = ? "
            "WHERE status IN ('queued', 'running')",
            (error, _now()),
        )
        return cur.rowcount

    def idle_threads(self, ttl: timedelta) -> list[str]:
        cutoff = (datetime.now(UTC) - ttl).isoformat()
        rows = self._run(
            "SELECT thread_id FROM chat_threads WHERE updated_at < ?", (cutoff,)
        ).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _run_row(row: tuple) -> dict[str, Any]:
    run_id, thread_id, user_id, message, status, step, result, error, created_at = row
    return {
        "run_id": run_id,
        "thread_id": thread_id,
        "user_id": user_id,
        "message": message,
        "status": status,
        "step": step,
        "result": json.loads(result) if result else None,
        "error": json.loads(error) if error else None,
        "created_at": created_at,
    }

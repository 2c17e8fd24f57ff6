"""Run records: who owns a thread, and every run's status, step, result and error.

Kept in the database (not only in memory) so a run's status survives a restart and the
conversation can be shown again. A run cut off by a restart is finished at start-up by the run
manager (from the lead change log: `unfinished_runs` lists them, `update_run` finishes them).

Guarantees kept in SQL, whatever the callers do:
- a `client_message_id` is unique per thread (a unique index): `create_run` with an id already
  used on the thread returns that run instead of creating a second one, also when two requests
  race;
- a terminal status (`succeeded`, `failed`) is final: `update_run` changes only unfinished runs.

Two implementations with the same methods: `RunRecords` (a SQLite file, one process) and
`PostgresRunRecords` (PostgreSQL, shared by several agent-service processes). `open_records(url)`
picks one from a `sqlite:///…` or `postgresql://…` URL.

With several processes on one database, "cut off by a restart" must not hit another live
process's runs: each `PostgresRunRecords` holds a session advisory lock on its own worker key
for its lifetime and stamps its runs with that key; `fail_unfinished` only fails unfinished runs
whose worker no longer holds its lock (the process died, so its connection and lock are gone).
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

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
# Added later: existing files get the column by ALTER TABLE (see `RunRecords._migrate`).
SQLITE_CLIENT_ID = """
CREATE UNIQUE INDEX IF NOT EXISTS chat_runs_client_message
    ON chat_runs(thread_id, client_message_id);
CREATE INDEX IF NOT EXISTS chat_runs_unfinished ON chat_runs(status)
    WHERE status IN ('queued', 'running');
"""
TERMINAL_SQL = "('succeeded', 'failed')"


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
        self._migrate()

    def _migrate(self) -> None:
        """Bring an older file up to date (idempotent)."""
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(chat_runs)")}
        if "client_message_id" not in columns:
            self._conn.execute("ALTER TABLE chat_runs ADD COLUMN client_message_id TEXT")
        self._conn.executescript(SQLITE_CLIENT_ID)

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

    def create_run(
        self,
        run_id: str,
        thread_id: str,
        user_id: str,
        message: str,
        client_message_id: str | None = None,
    ) -> dict[str, Any]:
        """Insert a queued run; with a `client_message_id` already used on the thread, nothing
        is inserted and that earlier run is returned (compare its `run_id` with yours)."""
        stamp = _now()
        self._run(
            "INSERT INTO chat_runs(run_id, thread_id, user_id, message, status, created_at, "
            "updated_at, client_message_id) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?) "
            "ON CONFLICT (thread_id, client_message_id) DO NOTHING",
            (run_id, thread_id, user_id, message, stamp, stamp, client_message_id),
        )
        if client_message_id is not None:
            row = self._run(
                f"SELECT {SQLITE_COLUMNS} FROM chat_runs "
                "WHERE thread_id = ? AND client_message_id = ?",
                (thread_id, client_message_id),
            ).fetchone()
            return _run_row(row) if row else {}
        return self.get_run(run_id) or {}

    def update_run(self, run_id: str, **fields: Any) -> bool:
        """Set `status`, `step`, `result` or `error` of an unfinished run; False (nothing
        written) when the run is finished already or does not exist."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"not run fields: {', '.join(sorted(unknown))}")
        values = {
            k: (json.dumps(v) if k in {"result", "error"} and v is not None else v)
            for k, v in fields.items()
        }
        values["updated_at"] = _now()
        sets = ", ".join(f"{k} = ?" for k in values)
        cur = self._run(
            f"UPDATE chat_runs SET {sets} WHERE run_id = ? AND status NOT IN {TERMINAL_SQL}",
            [*values.values(), run_id],
        )
        return cur.rowcount > 0

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        row = self._run(
            f"SELECT {SQLITE_COLUMNS} FROM chat_runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        return _run_row(row) if row else None

    def thread_runs(self, thread_id: str) -> list[dict[str, Any]]:
        rows = self._run(
            f"SELECT {SQLITE_COLUMNS} FROM chat_runs WHERE thread_id = ? ORDER BY created_at, rowid",
            (thread_id,),
        ).fetchall()
        return [_run_row(r) for r in rows]

    def unfinished_runs(self, *, stale_after: timedelta | None = None) -> list[dict[str, Any]]:
        """Queued/running runs that no live process is working on. A SQLite deployment is one
        process (a file lock makes sure), so at start-up (`stale_after=None`) that is every
        unfinished run; later, only those unchanged for longer than `stale_after`."""
        if stale_after is None:
            rows = self._run(
                f"SELECT {SQLITE_COLUMNS} FROM chat_runs WHERE status IN ('queued', 'running') "
                "ORDER BY created_at, rowid"
            ).fetchall()
        else:
            cutoff = (datetime.now(UTC) - stale_after).isoformat()
            rows = self._run(
                f"SELECT {SQLITE_COLUMNS} FROM chat_runs WHERE status IN ('queued', 'running') "
                "AND updated_at < ? ORDER BY created_at, rowid",
                (cutoff,),
            ).fetchall()
        return [_run_row(r) for r in rows]

    def unverified_runs(self) -> list[dict[str, Any]]:
        """Runs reported failed while the change log could not be read (`error.unverified`):
        whether they changed something is checked once it can."""
        rows = self._run(
            f"SELECT {SQLITE_COLUMNS} FROM chat_runs WHERE status = 'failed' "
            "AND json_extract(error, '$.unverified') = 1"
        ).fetchall()
        return [_run_row(r) for r in rows]

    def amend_run(self, run_id: str, result: dict[str, Any] | None) -> bool:
        """Settle an unverified failed run: `result` given (the log shows its changes) makes it
        `succeeded`; None keeps it failed and drops the `unverified` mark. Never touches a run
        that is not an unverified failure."""
        if result is not None:
            sql = (
                "UPDATE chat_runs SET status = 'succeeded', result = ?, error = NULL, "
                "updated_at = ? WHERE run_id = ? AND status = 'failed' "
                "AND json_extract(error, '$.unverified') = 1"
            )
            params: tuple = (json.dumps(result), _now(), run_id)
        else:
            sql = (
                "UPDATE chat_runs SET error = json_remove(error, '$.unverified'), updated_at = ? "
                "WHERE run_id = ? AND status = 'failed' AND json_extract(error, '$.unverified') = 1"
            )
            params = (_now(), run_id)
        return self._run(sql, params).rowcount > 0

    def prune_runs(self, older_than: timedelta) -> int:
        """Delete finished runs last changed before `older_than` ago; returns how many."""
        cutoff = (datetime.now(UTC) - older_than).isoformat()
        cur = self._run(
            f"DELETE FROM chat_runs WHERE status IN {TERMINAL_SQL} AND updated_at < ?", (cutoff,)
        )
        return cur.rowcount

    def ping(self) -> None:
        """Raise `StoreUnavailable` unless the run records answer."""
        self._run("SELECT 1").fetchone()

    def delete_thread(self, thread_id: str, run_ids: Sequence[str] | None = None) -> None:
        """Delete the thread's runs (only `run_ids`, when given: a message that arrived while
        the thread was being cleared stays), and the thread once it has no run left."""
        if run_ids is None:
            self._run("DELETE FROM chat_runs WHERE thread_id = ?", (thread_id,))
        else:
            for run_id in run_ids:
                self._run("DELETE FROM chat_runs WHERE run_id = ?", (run_id,))
        self._run(
            "DELETE FROM chat_threads WHERE thread_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM chat_runs WHERE thread_id = ?)",
            (thread_id, thread_id),
        )

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

    def wait_turn(self, run_id: str, thread_id: str, timeout: float) -> bool:
        """True at once: a SQLite deployment is one process, and within a process the run
        manager's per-thread lock already runs a thread's messages one at a time, in order."""
        return True

    def close(self) -> None:
        with self._lock:
            self._conn.close()


SQLITE_COLUMNS = (
    "run_id, thread_id, user_id, message, status, step, result, error, created_at, "
    "client_message_id"
)


def _run_row(row: tuple) -> dict[str, Any]:
    run_id, thread_id, user_id, message, status, step, result, error, created_at, client_id = row
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
        "client_message_id": client_id,
    }


class Records(Protocol):
    """What the run manager needs from run records (both implementations provide it)."""

    def claim_thread(self, thread_id: str, user_id: str) -> bool: ...
    def owner(self, thread_id: str) -> str | None: ...
    def touch_thread(self, thread_id: str) -> None: ...
    def create_run(
        self,
        run_id: str,
        thread_id: str,
        user_id: str,
        message: str,
        client_message_id: str | None = None,
    ) -> dict[str, Any]: ...
    def update_run(self, run_id: str, **fields: Any) -> bool: ...
    def unfinished_runs(self, *, stale_after: timedelta | None = None) -> list[dict[str, Any]]: ...
    def prune_runs(self, older_than: timedelta) -> int: ...
    def unverified_runs(self) -> list[dict[str, Any]]: ...
    def amend_run(self, run_id: str, result: dict[str, Any] | None) -> bool: ...
    def ping(self) -> None: ...
    def get_run(self, run_id: str) -> dict[str, Any] | None: ...
    def thread_runs(self, thread_id: str) -> list[dict[str, Any]]: ...
    def delete_thread(self, thread_id: str, run_ids: Sequence[str] | None = None) -> None: ...
    def fail_unfinished(self, message: str) -> int: ...
    def wait_turn(self, run_id: str, thread_id: str, timeout: float) -> bool: ...
    def idle_threads(self, ttl: timedelta) -> list[str]: ...
    def close(self) -> None: ...


def open_records(
    url: str, *, restart_grace: float | None = None
) -> RunRecords | PostgresRunRecords:
    """Run records at `url`: `postgresql://…` (or `postgres://…`), `sqlite:///path`, or a path.
    `restart_grace`: see `PostgresRunRecords`."""
    if url.startswith(("postgres://", "postgresql://")):
        if restart_grace is None:
            return PostgresRunRecords(url)
        return PostgresRunRecords(url, restart_grace=restart_grace)
    return RunRecords(url.removeprefix("sqlite:///"))


# -- PostgreSQL ----------------------------------------------------------------------------------

log = logging.getLogger("agent_service")

PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_threads (
    thread_id text PRIMARY KEY,
    user_id text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_runs (
    run_id text PRIMARY KEY,
    seq bigserial,
    thread_id text NOT NULL,
    user_id text NOT NULL,
    message text NOT NULL,
    status text NOT NULL,
    step text,
    result jsonb,
    error jsonb,
    worker bigint,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_runs_thread ON chat_runs (thread_id, created_at, seq);
CREATE INDEX IF NOT EXISTS chat_runs_unfinished ON chat_runs (status)
    WHERE status IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS chat_threads_updated ON chat_threads (updated_at);
ALTER TABLE chat_runs ADD COLUMN IF NOT EXISTS client_message_id text;
CREATE UNIQUE INDEX IF NOT EXISTS chat_runs_client_message
    ON chat_runs (thread_id, client_message_id);
ALTER TABLE chat_threads ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_runs ENABLE ROW LEVEL SECURITY;
-- On Supabase, keep the public API roles away from the conversations (see leads migration 0004).
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE format('REVOKE ALL ON TABLE chat_threads, chat_runs FROM %I', api_role);
        END IF;
    END LOOP;
END;
$$;
"""

# Advisory lock keys (two-int form): (SCHEMA_LOCK, 0) serializes schema creation, and
# (WORKER_LOCK, worker) is held by each live process for as long as it runs.
SCHEMA_LOCK = 0x52554E53  # "RUNS"
WORKER_LOCK = 0x574F524B  # "WORK"
RUN_COLUMNS = (
    "run_id, thread_id, user_id, message, status, step, result, error, created_at, "
    "client_message_id"
)
# After a database restart every worker lock is gone until its process takes it again (within
# a second, see `_keep_worker_lock`): for this long after the server started, a free lock does
# not mean a dead process.
RESTART_GRACE_SECONDS = 5.0
KEEPER_SECONDS = 0.5
# A run is orphaned (its process is gone) when its worker's lock is free, outside the grace.
ORPHANED_SQL = (
    "(r.worker IS NULL OR (r.worker <> %(me)s AND NOT EXISTS ("
    "  SELECT 1 FROM pg_locks AS l"
    "  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
    "    AND l.classid::bigint = %(lock)s"
    "    AND l.objid::bigint = (r.worker %% 2147483647) + 1)"
    "  AND pg_postmaster_start_time() < now() - %(grace)s * interval '1 second'))"
)
UPDATABLE = frozenset({"status", "step", "result", "error"})
UNAVAILABLE = "The run database is unavailable right now."
ORPHANED = "The service process running this message stopped; nothing more was done."


def _pg_run_row(row: tuple) -> dict[str, Any]:
    run_id, thread_id, user_id, message, status, step, result, error, created_at, client_id = row
    return {
        "run_id": run_id,
        "thread_id": thread_id,
        "user_id": user_id,
        "message": message,
        "status": status,
        "step": step,
        "result": result,
        "error": error,
        "created_at": created_at.astimezone(UTC).isoformat(),
        "client_message_id": client_id,
    }


class PostgresRunRecords:
    """Threads and runs in PostgreSQL, shared by every agent-service process of a deployment."""

    def __init__(
        self, url: str, *, max_size: int = 10, restart_grace: float = RESTART_GRACE_SECONDS
    ) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        from agent_service.leads.postgres import connection_kwargs

        self._psycopg = psycopg
        self.url = url
        # A random positive key per process; collisions over 2**62 are not a concern.
        self.worker = secrets.randbits(62) + 1
        self.restart_grace = restart_grace
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs=connection_kwargs(url, "crm-run-records"),
            check=ConnectionPool.check_connection,
            timeout=3.0,
            name="crm-runs",
            open=False,
        )
        self._lock = threading.Lock()
        self._ready = False
        self._worker_conn: Any = None
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    # -- connections ---------------------------------------------------------------------------

    def _ensure_ready(self) -> None:
        """Open the pool, create the schema and take this worker's lock (once, lazily, so a
        database that is down at start-up is retried on the next call)."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            # The worker connection first: a database that is down fails here at once.
            worker_conn = self._psycopg.connect(
                self.url, autocommit=True, connect_timeout=2, application_name="crm-run-worker"
            )
            try:
                worker_conn.execute(
                    "SELECT pg_advisory_lock(%s, %s)", (WORKER_LOCK, self._lock_key(self.worker))
                )
                if self._pool.closed:
                    self._pool.open(wait=False)
                with self._pool.connection() as conn:
                    conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (SCHEMA_LOCK,))
                    conn.execute(PG_SCHEMA)
            except BaseException:
                worker_conn.close()
                raise
            self._worker_conn = worker_conn
            self._ready = True
            if self._keeper is None:
                self._keeper = threading.Thread(
                    target=self._keep_worker_lock, name="crm-run-worker-lock", daemon=True
                )
                self._keeper.start()

    def _keep_worker_lock(self) -> None:
        """Check the worker connection twice a second; when the database restarted (the
        connection and the lock with it are gone), connect again and take the same lock, so
        other processes see this one alive again within the restart grace period."""
        psycopg = self._psycopg
        while not self._stop.wait(KEEPER_SECONDS):
            conn = self._worker_conn
            try:
                if conn is None or conn.closed:
                    raise psycopg.OperationalError("worker connection closed")
                conn.execute("SELECT 1")
                continue
            except psycopg.Error:
                pass
            with self._lock:
                if self._stop.is_set():
                    return
                if conn is not None:
                    try:
                        conn.close()
                    except psycopg.Error:
                        pass
                try:
                    fresh = psycopg.connect(
                        self.url,
                        autocommit=True,
                        connect_timeout=2,
                        application_name="crm-run-worker",
                    )
                    fresh.execute(
                        "SELECT pg_advisory_lock(%s, %s)",
                        (WORKER_LOCK, self._lock_key(self.worker)),
                    )
                except psycopg.Error:
                    self._worker_conn = None
                    continue  # still down: try again on the next round
                self._worker_conn = fresh
                log.info("run records: worker lock taken again after a database restart")

    def _orphan_params(self) -> dict[str, Any]:
        """The parameters of `ORPHANED_SQL`."""
        return {"me": self.worker, "lock": WORKER_LOCK, "grace": self.restart_grace}

    @staticmethod
    def _lock_key(worker: int) -> int:
        """The int4 half of the advisory lock key for a worker id."""
        return (worker % (2**31 - 1)) + 1

    @contextmanager
    def _db(self) -> Iterator[Any]:
        psycopg = self._psycopg
        try:
            self._ensure_ready()
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise StoreUnavailable(UNAVAILABLE) from exc

    # -- threads -------------------------------------------------------------------------------

    def claim_thread(self, thread_id: str, user_id: str) -> bool:
        """Give a new thread to `user_id`; False if it belongs to someone else."""
        stamp = datetime.now(UTC)
        with self._db() as conn:
            conn.execute(
                "INSERT INTO chat_threads (thread_id, user_id, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (thread_id) DO NOTHING",
                (thread_id, user_id, stamp, stamp),
            )
            row = conn.execute(
                "SELECT user_id FROM chat_threads WHERE thread_id = %s", (thread_id,)
            ).fetchone()
        return row is not None and row[0] == user_id

    def owner(self, thread_id: str) -> str | None:
        with self._db() as conn:
            row = conn.execute(
                "SELECT user_id FROM chat_threads WHERE thread_id = %s", (thread_id,)
            ).fetchone()
        return row[0] if row else None

    def touch_thread(self, thread_id: str) -> None:
        with self._db() as conn:
            conn.execute(
                "UPDATE chat_threads SET updated_at = %s WHERE thread_id = %s",
                (datetime.now(UTC), thread_id),
            )

    def delete_thread(self, thread_id: str, run_ids: Sequence[str] | None = None) -> None:
        """As `RunRecords.delete_thread`."""
        with self._db() as conn:
            if run_ids is None:
                conn.execute("DELETE FROM chat_runs WHERE thread_id = %s", (thread_id,))
            else:
                conn.execute("DELETE FROM chat_runs WHERE run_id = ANY(%s)", (list(run_ids),))
            conn.execute(
                "DELETE FROM chat_threads WHERE thread_id = %s AND NOT EXISTS "
                "(SELECT 1 FROM chat_runs WHERE thread_id = %s)",
                (thread_id, thread_id),
            )

    def idle_threads(self, ttl: timedelta) -> list[str]:
        cutoff = datetime.now(UTC) - ttl
        with self._db() as conn:
            rows = conn.execute(
                "SELECT thread_id FROM chat_threads WHERE updated_at < %s", (cutoff,)
            ).fetchall()
        return [r[0] for r in rows]

    # -- runs ----------------------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        thread_id: str,
        user_id: str,
        message: str,
        client_message_id: str | None = None,
    ) -> dict[str, Any]:
        """As `RunRecords.create_run`: a repeated `client_message_id` returns the earlier run."""
        stamp = datetime.now(UTC)
        with self._db() as conn:
            row = conn.execute(
                "INSERT INTO chat_runs (run_id, thread_id, user_id, message, status, worker, "
                "created_at, updated_at, client_message_id) "
                "VALUES (%s, %s, %s, %s, 'queued', %s, %s, %s, %s) "
                "ON CONFLICT (thread_id, client_message_id) DO NOTHING "
                f"RETURNING {RUN_COLUMNS}",
                (run_id, thread_id, user_id, message, self.worker, stamp, stamp, client_message_id),
            ).fetchone()
            if row is None:  # the id was used before (perhaps by a racing request)
                row = conn.execute(
                    f"SELECT {RUN_COLUMNS} FROM chat_runs "
                    "WHERE thread_id = %s AND client_message_id = %s",
                    (thread_id, client_message_id),
                ).fetchone()
        return _pg_run_row(row) if row else {}

    def update_run(self, run_id: str, **fields: Any) -> bool:
        """As `RunRecords.update_run`: a finished run is never changed again."""
        from psycopg import sql
        from psycopg.types.json import Jsonb

        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"not run fields: {', '.join(sorted(unknown))}")
        values = {
            k: (Jsonb(v) if k in {"result", "error"} and v is not None else v)
            for k, v in fields.items()
        }
        values["updated_at"] = datetime.now(UTC)
        query = sql.SQL(
            "UPDATE chat_runs SET {} WHERE run_id = %s AND status NOT IN " + TERMINAL_SQL
        ).format(sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values))
        with self._db() as conn:
            cur = conn.execute(query, [*values.values(), run_id])
            return cur.rowcount > 0

    def unfinished_runs(self, *, stale_after: timedelta | None = None) -> list[dict[str, Any]]:
        """Queued/running runs no live process works on: those of processes that are gone (their
        worker lock is free), and with `stale_after`, any unchanged for longer than that (a
        process that is alive but stuck past the run timeout)."""
        params: dict[str, Any] = self._orphan_params()
        condition = ORPHANED_SQL
        if stale_after is not None:
            params["cutoff"] = datetime.now(UTC) - stale_after
            condition = f"({ORPHANED_SQL} OR r.updated_at < %(cutoff)s)"
        with self._db() as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM chat_runs AS r "
                f"WHERE r.status IN ('queued', 'running') AND {condition} "
                "ORDER BY r.created_at, r.seq",
                params,
            ).fetchall()
        return [_pg_run_row(r) for r in rows]

    def unverified_runs(self) -> list[dict[str, Any]]:
        """As `RunRecords.unverified_runs`."""
        with self._db() as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM chat_runs WHERE status = 'failed' "
                "AND error @> '{\"unverified\": true}'::jsonb"
            ).fetchall()
        return [_pg_run_row(r) for r in rows]

    def amend_run(self, run_id: str, result: dict[str, Any] | None) -> bool:
        """As `RunRecords.amend_run`."""
        from psycopg.types.json import Jsonb

        unverified = "status = 'failed' AND error @> '{\"unverified\": true}'::jsonb"
        with self._db() as conn:
            if result is not None:
                cur = conn.execute(
                    "UPDATE chat_runs SET status = 'succeeded', result = %s, error = NULL, "
                    f"updated_at = now() WHERE run_id = %s AND {unverified}",
                    (Jsonb(result), run_id),
                )
            else:
                cur = conn.execute(
                    "UPDATE chat_runs SET error = error - 'unverified', updated_at = now() "
                    f"WHERE run_id = %s AND {unverified}",
                    (run_id,),
                )
            return cur.rowcount > 0

    def prune_runs(self, older_than: timedelta) -> int:
        """Delete finished runs last changed before `older_than` ago; returns how many."""
        with self._db() as conn:
            cur = conn.execute(
                f"DELETE FROM chat_runs WHERE status IN {TERMINAL_SQL} AND updated_at < %s",
                (datetime.now(UTC) - older_than,),
            )
            return cur.rowcount

    def ping(self) -> None:
        """Raise `StoreUnavailable` unless the run records answer."""
        with self._db() as conn:
            conn.execute("SELECT 1").fetchone()

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._db() as conn:
            row = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM chat_runs WHERE run_id = %s", (run_id,)
            ).fetchone()
        return _pg_run_row(row) if row else None

    def thread_runs(self, thread_id: str) -> list[dict[str, Any]]:
        with self._db() as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM chat_runs WHERE thread_id = %s "
                "ORDER BY created_at, seq",
                (thread_id,),
            ).fetchall()
        return [_pg_run_row(r) for r in rows]

    def fail_unfinished(self, message: str) -> int:
        """Mark failed the queued/running runs of processes that are gone (their worker lock is
        free); the runs of other live processes are left alone."""
        from psycopg.types.json import Jsonb

        error = Jsonb({"type": "internal", "message": message})
        with self._db() as conn:
            cur = conn.execute(
                "UPDATE chat_runs AS r SET status = 'failed', step = NULL, error = %(error)s, "
                "updated_at = now() "
                "WHERE r.status IN ('queued', 'running') "
                f"AND (r.worker = %(me)s OR {ORPHANED_SQL})",
                {"error": error, **self._orphan_params()},
            )
            return cur.rowcount

    def wait_turn(self, run_id: str, thread_id: str, timeout: float) -> bool:
        """Wait until no other process has an earlier unfinished run of this thread; False after
        `timeout` seconds. This process's own earlier runs are not waited for: the run manager's
        per-thread lock already orders them (and a run whose final status could not be written
        must not block its thread). An earlier run left unfinished by a process that died (its
        worker lock is free) is not waited for either: the run manager's sweep finishes it
        from the change log."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        params = {**self._orphan_params(), "thread": thread_id, "run": run_id}
        while True:
            with self._db() as conn:
                row = conn.execute(
                    "SELECT r.run_id FROM chat_runs AS r WHERE r.thread_id = %(thread)s "
                    "AND r.status IN ('queued', 'running') "
                    "AND (r.run_id = %(run)s OR (r.worker IS DISTINCT FROM %(me)s "
                    f"  AND NOT {ORPHANED_SQL})) "
                    "ORDER BY r.created_at, r.seq LIMIT 1",
                    params,
                ).fetchone()
                if row is None or row[0] == run_id:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.1)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._worker_conn is not None:
                try:
                    # Released now, not whenever the server notices the closed connection.
                    self._worker_conn.execute("SELECT pg_advisory_unlock_all()")
                except self._psycopg.Error:
                    pass  # the connection is gone already, and the lock with it
                self._worker_conn.close()
                self._worker_conn = None
            if not self._pool.closed:
                self._pool.close()
            self._ready = False

"""PostgreSQL lead store (psycopg 3 with a connection pool); works on Supabase's Postgres.

- Schema: the versioned SQL files in `migrations/` (`0001_*.sql`, …), applied in order by
  `migrate()` in one transaction under an advisory lock, so two processes starting together
  neither fail nor apply a file twice; each file records itself in `schema_migrations` and is
  idempotent, so the same files can also be pasted into Supabase's SQL editor.
- Concurrency: optimistic, through `version`: a write is `UPDATE … WHERE id = … AND version = …`;
  if another writer got there first, the caller's stale version is a `VersionConflict`. An
  update without an expected version locks the row while reading it, so it always applies.
- Fuzzy search: the `search_leads()` SQL function (migration 0002) matches the query's words
  against a trigram-indexed dictionary of the leads' name, company and e-mail words, kept in
  step by a trigger, and proposes the leads holding the closest ones; `matching.rank` orders
  them exactly as on SQLite. Top-5 at 1M leads takes a few milliseconds (bench/search.py).
- Failures: a database that is down or unreachable is `StoreUnavailable` (HTTP 503) within a
  moment: short connect and pool timeouts, a failed connection attempt ends the wait of the
  requests queued for it, and while the database is known to be down requests fail at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from agent_service.errors import InvalidInput, LeadNotFound, StoreUnavailable, VersionConflict
from agent_service.leads.changelog import (
    CHANGE_COLUMNS,
    DEFAULT_LIMIT,
    Op,
    change_row,
    changes_query,
    utc,
)
from agent_service.leads.matching import Match, normalize, rank, search_keys
from agent_service.leads.models import (
    Actor,
    Lead,
    LeadChange,
    LeadCreate,
    LeadUpdate,
    Pipeline,
    has_bad_text,
)
from agent_service.leads.sql import (
    COLUMNS,
    DEFAULT_PAGE,
    SELECT,
    SUMMARY_SQL,
    count_sql,
    insert_params,
    insert_sql,
    list_sql,
    summary_from_rows,
)
from agent_service.leads.store import check_id, new_id, now, validate_create, validate_update

# Any constant shared by every process migrating this schema (pg_advisory_xact_lock key).
MIGRATION_LOCK = 0x4C454144  # "LEAD"
CONNECT_TIMEOUT_S = 2
TRANSACTION_POOLER_PORT = "6543"
POOL_TIMEOUT_S = 3.0
WAIT_SLICE_S = 0.1
DOWN_GRACE_S = 5.0
UPDATE_RETRIES = 5  # Supabase: optimistic retries of an update without a version
LISTEN_SLICE_S = 0.5  # the listener checks for close() this often
LISTEN_RETRY_S = 1.0  # a lost listener connection is reopened after this
LISTEN_FALLBACK_POLL_S = 0.25  # waiters poll while the listener is down
SEARCH_CANDIDATES = 50  # leads proposed by search_leads() for matching.rank to order

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[str, str, str]]:
    """The schema migrations in order: (version, file name, SQL)."""
    found = []
    for entry in resources.files("agent_service.leads.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((match.group(1), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def connection_kwargs(url: str, application_name: str) -> dict[str, Any]:
    """psycopg connection options: a short connect timeout and, behind a transaction-mode
    pooler (Supabase's on port 6543, PgBouncer), no server-side prepared statements, which such
    poolers cannot keep across transactions."""
    kwargs: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": application_name,
    }
    if str(conninfo_to_dict(url).get("port", "")) == TRANSACTION_POOLER_PORT:
        kwargs["prepare_threshold"] = None
    return kwargs


def _row_to_change(row: tuple) -> LeadChange:
    data = dict(zip(CHANGE_COLUMNS, row, strict=True))
    data["at"] = data["at"].astimezone(UTC)
    return LeadChange(**data)


def _row_to_lead(row: tuple) -> Lead:
    data = dict(zip(COLUMNS, row, strict=True))
    data["created_at"] = data["created_at"].astimezone(UTC)
    data["updated_at"] = data["updated_at"].astimezone(UTC)
    return Lead(**data)


class PostgresLeadStore:
    """Leads in a PostgreSQL database (15+, with the pg_trgm extension available)."""

    def __init__(
        self,
        url: str,
        pipeline: Pipeline,
        *,
        min_size: int = 1,
        max_size: int = 10,
        pool_timeout: float = POOL_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.pipeline = pipeline
        self.pool_timeout = pool_timeout
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs=connection_kwargs(url, "crm-lead-store"),
            check=ConnectionPool.check_connection,
            timeout=pool_timeout,
            # A failed connection attempt is given up at once (the next request tries again)
            # and marks the database down, so waiting requests fail fast instead of queueing.
            reconnect_timeout=0,
            reconnect_failed=self._mark_down,
            name="crm-leads",
            open=False,
        )
        self._opened = False
        # wait_for_change: the highest seq heard from NOTIFY, and whether the listener is up.
        self._heard = 0
        self._listening = False
        self._heard_cond = threading.Condition()
        self._listener: threading.Thread | None = None
        self._listener_stop = threading.Event()

    # -- connections -------------------------------------------------------------------------

    def _mark_down(self, _pool: object = None) -> None:
        self._down_until = time.monotonic() + DOWN_GRACE_S

    def _open(self) -> None:
        if self._opened:
            return
        with self._lock:
            if not self._opened:
                # Without waiting: the service starts (and answers 503) while the database is down.
                self._pool.open(wait=False)
                self._opened = True

    def _getconn(self) -> psycopg.Connection:
        """A pooled connection, waiting in short slices so a failed connection attempt (the
        pool marks the database down) ends the wait at once instead of at the timeout."""
        self._open()
        started = time.monotonic()
        deadline = started + self.pool_timeout
        known_down = started < self._down_until
        while True:
            try:
                return self._pool.getconn(timeout=WAIT_SLICE_S)
            except PoolTimeout:
                now = time.monotonic()
                if now >= deadline or known_down or self._down_until > started:
                    raise

    @contextmanager
    def _db(self) -> Iterator[psycopg.Connection]:
        """A pooled connection in a transaction (committed on success); errors mapped."""
        try:
            conn = self._getconn()
            try:
                with conn.transaction():
                    yield conn
            finally:
                self._pool.putconn(conn)
        except (VersionConflict, LeadNotFound, InvalidInput):
            raise
        except psycopg.IntegrityError as exc:
            raise InvalidInput(f"Conflicting lead data: {exc.diag.message_primary}") from exc
        except psycopg.DataError as exc:
            raise InvalidInput(f"Invalid lead data: {exc.diag.message_primary}") from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if not isinstance(exc, PoolTimeout):
                self._mark_down()
            raise StoreUnavailable() from exc
        except psycopg.Error as exc:  # e.g. the schema is missing
            raise StoreUnavailable() from exc
        self._down_until = 0.0

    def migrate(self) -> None:
        """Apply the migrations not yet recorded in `schema_migrations`, in order."""
        with self._db() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, _name, script in migrations():
                if version in applied:
                    continue
                conn.execute(script)  # no parameters: the file runs as one multi-statement script
                conn.execute(
                    "INSERT INTO schema_migrations (version) VALUES (%s) "
                    "ON CONFLICT (version) DO NOTHING",
                    (version,),
                )

    def applied_migrations(self) -> list[str]:
        with self._db() as conn:
            return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]

    def ping(self) -> None:
        with self._db() as conn:
            conn.execute("SELECT 1 FROM leads LIMIT 1").fetchall()

    def health(self) -> dict[str, Any]:
        """The truth about writes: a write probe (an UPDATE that matches no row, which a
        read-only database or transaction refuses) on a checked pooled connection. Never
        raises."""
        try:
            with self._db() as conn:
                conn.execute("UPDATE leads SET version = version WHERE false")
                conn.execute("SELECT 1 FROM lead_changes LIMIT 1").fetchall()
        except StoreUnavailable as exc:
            cause = exc.__cause__
            error = f"{type(cause).__name__}: {cause}" if cause else exc.detail
            return {"ok": False, "backend": "postgres", "error": error}
        return {"ok": True, "backend": "postgres", "error": None}

    def close(self) -> None:
        self._listener_stop.set()
        listener = self._listener
        if listener is not None and listener is not threading.current_thread():
            listener.join(timeout=LISTEN_SLICE_S + 1.0)
        with self._lock:
            if self._opened:
                self._pool.close()
                self._opened = False

    # -- reads ---------------------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead:
        check_id(lead_id)
        with self._db() as conn:
            row = conn.execute(f"{SELECT} WHERE id = %s", (lead_id,)).fetchone()
        if row is None:
            raise LeadNotFound(lead_id)
        return _row_to_lead(row)

    def list(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        limit: int = DEFAULT_PAGE,
        offset: int = 0,
    ) -> list[Lead]:
        # COLLATE "C" sorts like SQLite's binary comparison, so both backends list alike.
        query, params = list_sql(
            self.pipeline,
            "%s",
            status=status,
            q=q,
            limit=limit,
            offset=offset,
            collate=' COLLATE "C"',
        )
        with self._db() as conn:
            rows = conn.execute(query, params).fetchall()
        return [_row_to_lead(r) for r in rows]

    def count(self, *, status: str | None = None, q: str | None = None) -> int:
        query, params = count_sql(self.pipeline, "%s", status=status, q=q)
        with self._db() as conn:
            return conn.execute(query, params).fetchone()[0]

    def summary(self) -> dict[str, dict[str, Any]]:
        with self._db() as conn:
            rows = conn.execute(SUMMARY_SQL).fetchall()
        return summary_from_rows(self.pipeline, rows)

    # -- writes --------------------------------------------------------------------------------

    def create(
        self,
        data: LeadCreate | Mapping[str, Any],
        *,
        lead_id: str | None = None,
        actor: Actor | None = None,
    ) -> Lead:
        fields = validate_create(self.pipeline, data)
        if lead_id is not None and has_bad_text(lead_id):
            raise InvalidInput("Invalid lead id: NUL characters and lone surrogates are refused")
        stamp = now()
        lead = Lead(id=lead_id or new_id(), created_at=stamp, updated_at=stamp, version=1, **fields)
        with self._db() as conn:
            self._insert(conn, lead)
            self._log(conn, actor, "create", lead.id, None, lead)
        return lead

    @staticmethod
    def _log(
        conn: psycopg.Connection,
        actor: Actor | None,
        op: Op,
        lead_id: str,
        before: Lead | None,
        after: Lead | None,
    ) -> None:
        """The change row of this write, in its transaction (crm_log_change, migration 0005:
        in seq order under a lock held to commit, with a NOTIFY delivered at commit)."""
        conn.execute(
            "SELECT crm_log_change(%s)", (Jsonb(change_row(actor, op, lead_id, before, after)),)
        )

    def _insert(self, conn: psycopg.Connection, lead: Lead) -> None:
        conn.execute(insert_sql("%s"), insert_params(lead, iso_times=False))

    def update(
        self,
        lead_id: str,
        changes: LeadUpdate | Mapping[str, Any],
        *,
        expected_version: int | None = None,
        actor: Actor | None = None,
    ) -> Lead:
        check_id(lead_id)
        fields, body_version = validate_update(self.pipeline, changes)
        expected = expected_version if expected_version is not None else body_version
        with self._db() as conn:
            # Without an expected version the change must apply whatever happened before, so the
            # row is locked while it is read; with one, a concurrent writer makes it stale.
            lock = " FOR UPDATE" if expected is None else ""
            row = conn.execute(f"{SELECT} WHERE id = %s{lock}", (lead_id,)).fetchone()
            if row is None:
                raise LeadNotFound(lead_id)
            current = _row_to_lead(row)
            if expected is not None and expected != current.version:
                raise VersionConflict(lead_id, expected, current.version)
            updated = current.model_copy(
                update={**fields, "updated_at": now(), "version": current.version + 1}
            )
            keys = search_keys(updated.name, updated.company, updated.email)
            sets = {
                **fields,
                "updated_at": updated.updated_at,
                "version": updated.version,
                "search_name": keys["name"],
                "search_company": keys["company"],
                "search_email": keys["email"],
            }
            query = sql.SQL("UPDATE leads SET {} WHERE id = %s AND version = %s").format(
                sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in sets)
            )
            cur = conn.execute(query, [*sets.values(), lead_id, current.version])
            if cur.rowcount != 1:  # another writer got there between our read and our write
                raise VersionConflict(lead_id, current.version, current.version + 1)
            self._log(conn, actor, "update", lead_id, current, updated)
        return updated

    def delete(
        self, lead_id: str, *, expected_version: int | None = None, actor: Actor | None = None
    ) -> Lead:
        check_id(lead_id)
        with self._db() as conn:
            if expected_version is None:
                row = conn.execute(
                    f"DELETE FROM leads WHERE id = %s RETURNING {', '.join(COLUMNS)}", (lead_id,)
                ).fetchone()
            else:
                row = conn.execute(
                    f"DELETE FROM leads WHERE id = %s AND version = %s "
                    f"RETURNING {', '.join(COLUMNS)}",
                    (lead_id, expected_version),
                ).fetchone()
            if row is None:
                current = conn.execute("SELECT version FROM leads WHERE id = %s", (lead_id,))
                found = current.fetchone()
                if found is None:
                    raise LeadNotFound(lead_id)
                raise VersionConflict(lead_id, expected_version or 0, found[0])
            lead = _row_to_lead(row)
            self._log(conn, actor, "delete", lead_id, lead, None)
        return lead

    def restore(self, lead: Lead, *, actor: Actor | None = None) -> Lead:
        restored = lead.model_copy(update={"updated_at": now(), "version": lead.version + 1})
        with self._db() as conn:
            if conn.execute("SELECT 1 FROM leads WHERE id = %s", (lead.id,)).fetchone():
                raise InvalidInput(f"Lead '{lead.id}' already exists.")
            self._insert(conn, restored)
            self._log(conn, actor, "restore", lead.id, None, restored)
        return restored

    # -- the change log ------------------------------------------------------------------------

    def changes(
        self,
        *,
        after: int = 0,
        before: int | None = None,
        lead_id: str | None = None,
        user_id: str | None = None,
        run_id: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        newest_first: bool = False,
        limit: int = DEFAULT_LIMIT,
    ) -> list[LeadChange]:
        query, params = changes_query(
            "%s",
            after=after,
            before=before,
            lead_id=lead_id,
            user_id=user_id,
            run_id=run_id,
            source=source,
            since=utc(since) if since is not None else None,
            newest_first=newest_first,
            limit=limit,
        )
        with self._db() as conn:
            rows = conn.execute(query, params).fetchall()
        return [_row_to_change(r) for r in rows]

    def last_seq(self) -> int:
        with self._db() as conn:
            return conn.execute("SELECT coalesce(max(seq), 0) FROM lead_changes").fetchone()[0]

    def prune_changes(self, older_than: datetime) -> int:
        with self._db() as conn:
            return conn.execute("SELECT crm_prune_changes(%s)", (utc(older_than),)).fetchone()[0]

    def wait_for_change(self, after_seq: int, timeout: float) -> int:
        """Waits for a NOTIFY from a write's commit, heard by one listener thread per store on
        its own connection (started on first use). Without a working listener (database
        down, reconnecting) it falls back to polling every LISTEN_FALLBACK_POLL_S."""
        deadline = time.monotonic() + max(0.0, timeout)
        self._start_listener()
        seq = self.last_seq()
        with self._heard_cond:
            self._heard = max(self._heard, seq)
            while self._heard <= after_seq:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                slice_s = remaining if self._listening else min(remaining, LISTEN_FALLBACK_POLL_S)
                self._heard_cond.wait(slice_s)
                if not self._listening and self._heard <= after_seq:
                    self._heard_cond.release()
                    try:
                        seq = self.last_seq()
                    finally:
                        self._heard_cond.acquire()
                    self._heard = max(self._heard, seq)
        return self.last_seq()

    def _start_listener(self) -> None:
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener_stop.clear()
                self._listener = threading.Thread(
                    target=self._listen, name="crm-lead-changes-listener", daemon=True
                )
                self._listener.start()

    def _listen(self) -> None:
        """LISTEN lead_changes on a dedicated autocommit connection; every notification (or a
        reconnection, which may have missed some) raises `_heard` and wakes the waiters."""
        while not self._listener_stop.is_set():
            try:
                with psycopg.connect(
                    self.url, autocommit=True, **connection_kwargs(self.url, "crm-lead-listener")
                ) as conn:
                    conn.execute("LISTEN lead_changes")
                    # After LISTEN: what committed before is read here, what commits after is
                    # notified, so no change falls in between.
                    seq = conn.execute("SELECT coalesce(max(seq), 0) FROM lead_changes")
                    self._hear(seq.fetchone()[0], listening=True)
                    while not self._listener_stop.is_set():
                        for note in conn.notifies(timeout=LISTEN_SLICE_S):
                            self._hear(int(note.payload or 0), listening=True)
            except (psycopg.Error, OSError, ValueError):
                self._hear(0, listening=False)
                self._listener_stop.wait(LISTEN_RETRY_S)
        self._hear(0, listening=False)

    def _hear(self, seq: int, *, listening: bool) -> None:
        with self._heard_cond:
            self._listening = listening
            self._heard = max(self._heard, seq)
            self._heard_cond.notify_all()

    # -- search --------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 5) -> list[Match]:
        query = normalize(text)
        if not query or limit <= 0:
            return []
        with self._db() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM search_leads(%s, %s)",
                (query, max(SEARCH_CANDIDATES, limit * 10)),
            ).fetchall()
        return rank(text, (_row_to_lead(r) for r in rows), limit)

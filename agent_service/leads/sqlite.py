"""SQLite lead store: the embedded default (one file under `var/`, WAL mode).

Safe under concurrent requests: one connection per thread, writes in `BEGIN IMMEDIATE`
transactions, optimistic concurrency through `version`. Fuzzy search keeps an in-memory corpus
of normalized names that is rebuilt only when the `revision` counter (bumped by every write,
in the same transaction, by any process) has moved.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from agent_service.errors import InvalidInput, LeadNotFound, StoreUnavailable, VersionConflict
from agent_service.leads.changelog import (
    CHANGE_COLUMNS,
    DEFAULT_LIMIT,
    POLL_S,
    Op,
    change_row,
    changes_query,
    iso,
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

MIGRATIONS_PACKAGE = "agent_service.leads.migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def sqlite_migrations() -> list[tuple[str, str, str]]:
    """The SQLite schema migrations in order: (version, file name, SQL)."""
    found = []
    for entry in resources.files(MIGRATIONS_PACKAGE).joinpath("sqlite").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((match.group(1), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _statements(script: str) -> Iterator[str]:
    """The statements of an SQL script (triggers included), to run inside one transaction
    (`executescript` would commit first)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip() and not all(
        not ln.strip() or ln.strip().startswith("--") for ln in pending.splitlines()
    ):
        yield pending


def _row_to_lead(row: sqlite3.Row | tuple) -> Lead:
    data = dict(zip(COLUMNS, row, strict=True))
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    data["updated_at"] = datetime.fromisoformat(data["updated_at"])
    return Lead(**data)


def _row_to_change(row: sqlite3.Row | tuple) -> LeadChange:
    data = dict(zip(CHANGE_COLUMNS, row, strict=True))
    for key in ("before", "after"):
        data[key] = json.loads(data[key]) if data[key] is not None else None
    data["at"] = datetime.fromisoformat(data["at"])
    return LeadChange(**data)


class _Corpus:
    """Normalized search keys of every lead, for rapidfuzz candidate generation."""

    def __init__(self, revision: int, rows: list[tuple[str, str, str, str]]) -> None:
        self.revision = revision
        self.choices: list[str] = []
        self.owner: list[str] = []
        self.names: list[str] = []
        self.name_owner: list[str] = []
        for lead_id, name, company, email in rows:
            self.names.append(name)
            self.name_owner.append(lead_id)
            keys = [name, *name.split(), company, email, email.split("@", 1)[0]]
            for key in dict.fromkeys(k for k in keys if k):
                self.choices.append(key)
                self.owner.append(lead_id)

    def candidates(self, query: str, limit: int) -> list[str]:
        found: dict[str, None] = {}
        for choice_idx in _top(query, self.choices, fuzz.ratio, limit):
            found[self.owner[choice_idx]] = None
        for name_idx in _top(query, self.names, fuzz.token_set_ratio, limit):
            found[self.name_owner[name_idx]] = None
        for name_idx in _top(query, self.names, fuzz.partial_ratio, limit):
            found[self.name_owner[name_idx]] = None
        return list(found)


def _top(query: str, choices: list[str], scorer: Any, limit: int) -> list[int]:
    return [
        idx
        for _, _, idx in process.extract(
            query, choices, scorer=scorer, limit=limit, score_cutoff=45
        )
    ]


def _writable(path: str) -> bool:
    """Whether this process may open the database file for writing (a missing file will be
    created). `os.access` also sees what stops root: an immutable or read-only-mounted file."""
    if path == ":memory:" or path.startswith("file:"):
        return True
    target = Path(path)
    return os.access(target, os.W_OK) if target.exists() else os.access(target.parent, os.W_OK)


class _Holder:
    """Lives in a thread's local storage; collected when the thread ends."""


def _release(
    conn: sqlite3.Connection, connections: list[sqlite3.Connection], lock: threading.Lock
) -> None:
    with lock:
        if conn in connections:
            connections.remove(conn)
    try:
        conn.close()
    except sqlite3.Error:
        pass


class SqliteLeadStore:
    """Leads in one SQLite file."""

    def __init__(self, path: str | Path, pipeline: Pipeline) -> None:
        self.path = str(path)
        self.pipeline = pipeline
        self._local = threading.local()
        self._corpus: _Corpus | None = None
        self._corpus_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_error: str | None = None  # the last failed write, until one succeeds

    # -- connections -------------------------------------------------------------------------

    def _connect(self, write: bool = False) -> sqlite3.Connection:
        """This thread's connection, opened on first use. SQLite silently opens a file it may
        not write read-only, and such a connection would refuse every write for the thread's
        life: a connection opened so is used for reads only, and replaced before a write."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if not (write and getattr(self._local, "readonly", False)):
                return conn
            self._discard(conn)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        readonly = not _writable(self.path)
        conn = sqlite3.connect(
            self.path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error:
            conn.close()
            raise
        self._local.conn = conn
        self._local.readonly = readonly
        with self._connections_lock:
            self._connections.append(conn)
        # Worker threads come and go (anyio retires idle ones): when this thread ends, its
        # thread-local holder is collected and the connection is closed, not leaked.
        holder = _Holder()
        self._local.holder = holder
        weakref.finalize(holder, _release, conn, self._connections, self._connections_lock)
        return conn

    @contextmanager
    def _db(self, write: bool = False, bump: bool | None = None) -> Iterator[sqlite3.Connection]:
        """This thread's connection; with `write`, inside `BEGIN IMMEDIATE` … `COMMIT` (which
        also bumps `revision`, unless `bump` is False). Errors are mapped to store errors."""
        bump = write if bump is None else bump
        try:
            conn = self._connect(write)
        except (sqlite3.Error, OSError) as exc:
            if write:
                self._write_error = f"{type(exc).__name__}: {exc}"
            raise StoreUnavailable() from exc
        try:
            if write:
                conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if write and conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if write:
                try:
                    if bump:
                        conn.execute(
                            "UPDATE store_meta SET value = value + 1 WHERE key = 'revision'"
                        )
                    conn.execute("COMMIT")
                finally:  # a failed COMMIT must not leave this connection holding the lock
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
        except sqlite3.IntegrityError as exc:
            raise InvalidInput(f"Conflicting lead data: {exc}") from exc
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            # This connection may be the cause (opened read-only while the file was not
            # writable, or on a file since replaced): the next call opens a fresh one.
            self._discard(conn)
            if write:
                self._write_error = f"{type(exc).__name__}: {exc}"
            raise StoreUnavailable() from exc
        if write:
            self._write_error = None

    def migrate(self) -> None:
        """Apply the migrations of `migrations/sqlite/` not yet recorded in
        `schema_migrations`, in order, in one `BEGIN IMMEDIATE` transaction (so two processes
        starting together apply each file once)."""
        with self._db(write=True) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, _name, script in sqlite_migrations():
                if version in applied:
                    continue
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, iso(now())),
                )

    def applied_migrations(self) -> list[str]:
        with self._db() as conn:
            return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]

    def _discard(self, conn: sqlite3.Connection) -> None:
        """Forget and close this thread's connection `conn`."""
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
            self._local.holder = None
        _release(conn, self._connections, self._connections_lock)

    def ping(self) -> None:
        with self._db() as conn:
            conn.execute("SELECT 1 FROM leads LIMIT 1").fetchall()

    def health(self) -> dict[str, Any]:
        """The truth about writes: a write probe (a committed no-op on `store_meta`, which
        fails on a read-only or full disk, a locked or broken file). Never raises."""
        try:
            with self._db(write=True, bump=False) as conn:
                conn.execute("UPDATE store_meta SET value = value WHERE key = 'revision'")
        except StoreUnavailable:
            return {"ok": False, "backend": "sqlite", "error": self._write_error}
        return {"ok": True, "backend": "sqlite", "error": None}

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    # -- reads ---------------------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead:
        check_id(lead_id)
        with self._db() as conn:
            row = conn.execute(f"{SELECT} WHERE id = ?", (lead_id,)).fetchone()
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
        query, params = list_sql(self.pipeline, "?", status=status, q=q, limit=limit, offset=offset)
        with self._db() as conn:
            rows = conn.execute(query, params).fetchall()
        return [_row_to_lead(r) for r in rows]

    def count(self, *, status: str | None = None, q: str | None = None) -> int:
        query, params = count_sql(self.pipeline, "?", status=status, q=q)
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
        with self._db(write=True) as conn:
            self._insert(conn, lead)
            self._log(conn, actor, "create", lead.id, None, lead)
        return lead

    def _log(
        self,
        conn: sqlite3.Connection,
        actor: Actor | None,
        op: Op,
        lead_id: str,
        before: Lead | None,
        after: Lead | None,
    ) -> None:
        """The change row of this write, in its transaction."""
        row = change_row(actor, op, lead_id, before, after)
        row["before"] = json.dumps(row["before"]) if row["before"] is not None else None
        row["after"] = json.dumps(row["after"]) if row["after"] is not None else None
        row["at"] = iso(now())
        conn.execute(
            f"INSERT INTO lead_changes ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )

    def _insert(self, conn: sqlite3.Connection, lead: Lead) -> None:
        conn.execute(insert_sql("?"), insert_params(lead, iso_times=True))

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
        with self._db(write=True) as conn:
            row = conn.execute(f"{SELECT} WHERE id = ?", (lead_id,)).fetchone()
            if row is None:
                raise LeadNotFound(lead_id)
            current = _row_to_lead(row)
            if expected is not None and expected != current.version:
                raise VersionConflict(lead_id, expected, current.version)
            updated = current.model_copy(
                update={**fields, "updated_at": now(), "version": current.version + 1}
            )
            keys = search_keys(updated.name, updated.company, updated.email)
            sets = [
                *fields,
                "updated_at",
                "version",
                "search_name",
                "search_company",
                "search_email",
            ]
            params = [
                *fields.values(),
                updated.updated_at.isoformat(),
                updated.version,
                keys["name"],
                keys["company"],
                keys["email"],
                lead_id,
                current.version,
            ]
            cur = conn.execute(
                f"UPDATE leads SET {', '.join(f'{c} = ?' for c in sets)} WHERE id = ? AND version = ?",
                params,
            )
            if cur.rowcount != 1:  # cannot happen inside BEGIN IMMEDIATE; kept as a guard
                raise VersionConflict(lead_id, current.version, current.version + 1)
            self._log(conn, actor, "update", lead_id, current, updated)
        return updated

    def delete(
        self, lead_id: str, *, expected_version: int | None = None, actor: Actor | None = None
    ) -> Lead:
        check_id(lead_id)
        with self._db(write=True) as conn:
            row = conn.execute(f"{SELECT} WHERE id = ?", (lead_id,)).fetchone()
            if row is None:
                raise LeadNotFound(lead_id)
            lead = _row_to_lead(row)
            if expected_version is not None and expected_version != lead.version:
                raise VersionConflict(lead_id, expected_version, lead.version)
            conn.execute("DELETE FROM leads WHERE id = ?", (lead_id,))
            self._log(conn, actor, "delete", lead_id, lead, None)
        return lead

    def restore(self, lead: Lead, *, actor: Actor | None = None) -> Lead:
        restored = lead.model_copy(update={"updated_at": now(), "version": lead.version + 1})
        with self._db(write=True) as conn:
            if conn.execute("SELECT 1 FROM leads WHERE id = ?", (lead.id,)).fetchone():
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
            "?",
            after=after,
            before=before,
            lead_id=lead_id,
            user_id=user_id,
            run_id=run_id,
            source=source,
            since=iso(since) if since is not None else None,
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
        with self._db(write=True, bump=False) as conn:
            cur = conn.execute(
                "DELETE FROM lead_changes WHERE at < ? "
                "AND seq < (SELECT max(seq) FROM lead_changes)",
                (iso(older_than),),
            )
            return cur.rowcount

    def wait_for_change(self, after_seq: int, timeout: float) -> int:
        """Polls `last_seq()` (an index lookup) every POLL_S: SQLite has no notifications
        across processes."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            seq = self.last_seq()
            remaining = deadline - time.monotonic()
            if seq > after_seq or remaining <= 0:
                return seq
            time.sleep(min(POLL_S, remaining))

    # -- search --------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 5) -> list[Match]:
        query = normalize(text)
        if not query:
            return []
        corpus = self._current_corpus()
        ids = corpus.candidates(query, max(50, limit * 10))
        if not ids:
            return []
        with self._db() as conn:
            rows = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows += conn.execute(
                    f"{SELECT} WHERE id IN ({', '.join('?' * len(chunk))})", chunk
                ).fetchall()
        return rank(text, (_row_to_lead(r) for r in rows), limit)

    def _current_corpus(self) -> _Corpus:
        with self._db() as conn:
            revision = conn.execute(
                "SELECT value FROM store_meta WHERE key = 'revision'"
            ).fetchone()[0]
            corpus = self._corpus
            if corpus is not None and corpus.revision == revision:
                return corpus
            with self._corpus_lock:
                if self._corpus is not None and self._corpus.revision == revision:
                    return self._corpus
                # Read the keys and the revision in one snapshot.
                conn.execute("BEGIN")
                try:
                    revision = conn.execute(
                        "SELECT value FROM store_meta WHERE key = 'revision'"
                    ).fetchone()[0]
                    rows = conn.execute(
                        "SELECT id, search_name, search_company, search_email FROM leads"
                    ).fetchall()
                finally:
                    conn.execute("COMMIT")
                self._corpus = _Corpus(revision, rows)
                return self._corpus

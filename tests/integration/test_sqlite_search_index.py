"""The SQLite search index (leads/sqlite_search.py, migration sqlite/0007): kept by every
write in its transaction, seen by other processes at once, and built for databases made
before it existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore, sqlite_migrations

PIPELINE = Pipeline(("New", "Won"))

OLD_SCHEMA = """
CREATE TABLE leads (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, company TEXT, email TEXT, phone TEXT,
    status TEXT NOT NULL, value REAL, notes TEXT, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1,
    search_name TEXT NOT NULL DEFAULT '', search_company TEXT NOT NULL DEFAULT '',
    search_email TEXT NOT NULL DEFAULT ''
);
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO store_meta(key, value) VALUES ('revision', 3);
INSERT INTO leads VALUES ('old1', 'Zoë Kowalski', 'Umbrella Corp', 'zoe.k@umbrella.com', NULL,
    'New', NULL, NULL, '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00', 1,
    'zoe kowalski', 'umbrella corp', 'zoe.k@umbrella.com');
"""


def test_a_database_from_before_the_versioned_migrations_is_upgraded_and_indexed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crm.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    store = SqliteLeadStore(path, PIPELINE)
    try:
        store.migrate()
        store.migrate()  # idempotent
        assert store.applied_migrations() == [v for v, _, _ in sqlite_migrations()]
        assert store.get("old1").name == "Zoë Kowalski"
        assert store.search("Kowalsky")[0].lead.id == "old1"
        assert store.search("umbrella")[0].lead.id == "old1"
        assert store.last_seq() == 0  # nothing was logged by the upgrade
    finally:
        store.close()


def test_another_processes_writes_are_searchable_at_once(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite3"
    reader, writer = SqliteLeadStore(path, PIPELINE), SqliteLeadStore(path, PIPELINE)
    try:
        reader.migrate()
        reader.create({"name": "Ann Lee"})
        assert reader.search("Zephyr") == []  # the reader's memo now knows "zephyr"
        zephyr = writer.create({"name": "Quentin Zephyr"})  # a new word: the memo is stale
        assert reader.search("Zephyr")[0].lead.id == zephyr.id
        assert reader.search("Quentin Zefir")[0].lead.id == zephyr.id
        writer.update(zephyr.id, {"name": "Quentin Zed"})
        assert zephyr.id not in {m.lead.id for m in reader.search("Zephyr")}
        writer.delete(zephyr.id)
        assert reader.search("Quentin Zed") == []
        writer.create({"name": "Zara Zephyr"})  # the word comes back with another lead
        assert reader.search("Zephyr")[0].lead.name == "Zara Zephyr"
    finally:
        reader.close()
        writer.close()


def test_the_index_counts_follow_every_write(tmp_path: Path) -> None:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", PIPELINE)
    try:
        store.migrate()
        a = store.create({"name": "Ann Lee", "company": "Acme", "email": "ann.lee@acme.com"})
        store.create({"name": "Bob Lee"})

        def terms() -> dict[str, int]:
            with store._db() as conn:  # noqa: SLF001 - the index itself is what is tested
                return dict(conn.execute("SELECT term, leads FROM search_terms WHERE leads > 0"))

        assert terms() == {"ann": 1, "lee": 2, "acme": 1, "bob": 1}
        store.update(a.id, {"name": "Anna Lee", "company": None})
        assert terms() == {"anna": 1, "ann": 1, "lee": 2, "bob": 1}  # ann: from the e-mail
        deleted = store.delete(a.id)
        assert terms() == {"lee": 1, "bob": 1}
        store.restore(deleted)
        assert terms() == {"anna": 1, "ann": 1, "lee": 2, "bob": 1}
        with store._db() as conn:  # noqa: SLF001
            rebuilt = dict(conn.execute("SELECT term, leads FROM search_terms WHERE leads > 0"))
        assert rebuilt == terms()
        assert store.rebuild_search_index() == 5  # (term, lead) pairs: anna ann lee, bob lee
        assert terms() == {"anna": 1, "ann": 1, "lee": 2, "bob": 1}
    finally:
        store.close()

-- 0001 (SQLite): the leads table with normalized search columns (matching.search_keys) and the
-- `revision` counter bumped by every write. Applied by `SqliteLeadStore.migrate()`, which
-- records each file in `schema_migrations`; idempotent, so databases made before the
-- migrations were versioned take it as it is.

CREATE TABLE IF NOT EXISTS leads (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    company TEXT,
    email TEXT,
    phone TEXT,
    status TEXT NOT NULL,
    value REAL,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    search_name TEXT NOT NULL DEFAULT '',
    search_company TEXT NOT NULL DEFAULT '',
    search_email TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS leads_status ON leads(status);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO store_meta(key, value) VALUES ('revision', 0);

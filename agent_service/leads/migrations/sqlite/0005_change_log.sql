-- 0005 (SQLite): the change log, one row per lead write, written in the write's transaction
-- (docs/change-log.md). AUTOINCREMENT: a seq is never reused, even after pruning; writes are
-- serialized (BEGIN IMMEDIATE), so seqs commit in order. `at` is UTC ISO 8601 with
-- microseconds, so it sorts as text; `before`/`after` are the lead as JSON.

CREATE TABLE IF NOT EXISTS lead_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT,
    source TEXT NOT NULL CHECK (source IN ('chat', 'board', 'undo')),
    run_id TEXT,
    thread_id TEXT,
    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore')),
    before TEXT,
    after TEXT,
    reverts INTEGER,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lead_changes_lead ON lead_changes(lead_id, seq);
CREATE INDEX IF NOT EXISTS lead_changes_user ON lead_changes(user_id, seq);
CREATE INDEX IF NOT EXISTS lead_changes_run ON lead_changes(run_id) WHERE run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS lead_changes_at ON lead_changes(at);

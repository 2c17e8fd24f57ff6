-- 0007 (SQLite): the search index of leads/sqlite_search.py, kept in each write's transaction
-- (no in-memory corpus to rebuild after a write). `migrate()` fills it from the existing leads
-- when this file is applied.

CREATE TABLE IF NOT EXISTS lead_terms (
    term TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    PRIMARY KEY (term, sort_key, lead_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lead_terms_lead ON lead_terms(lead_id, term);
CREATE TABLE IF NOT EXISTS search_terms (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE,
    leads INTEGER NOT NULL DEFAULT 0,
    grams INTEGER NOT NULL  -- distinct trigrams of the padded term, for the similarity
);
-- Pairs of a lead's name and company terms: the leads holding two given words, found without
-- intersecting two long lists (two-word queries: "john smith").
CREATE TABLE IF NOT EXISTS lead_pairs (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    PRIMARY KEY (a, b, sort_key, lead_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lead_pairs_lead ON lead_pairs(lead_id);
-- Contentless: only the trigrams are stored; rowid = search_terms.id.
CREATE VIRTUAL TABLE IF NOT EXISTS search_terms_trgm USING fts5(
    padded, tokenize = 'trigram', content = ''
);
CREATE INDEX IF NOT EXISTS leads_search_name ON leads(search_name);
CREATE INDEX IF NOT EXISTS leads_search_email ON leads(search_email);

-- 0001: the leads table with normalized search columns and trigram indexes.
--
-- Applied by `PostgresLeadStore.migrate()` (in one transaction, under an advisory lock), or
-- pasted as it is into Supabase's SQL editor. Every statement is idempotent, so running this
-- file twice, or after migrate(), changes nothing.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- On Supabase the extension may already live in the `extensions` schema; IF NOT EXISTS keeps it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS leads (
    id text PRIMARY KEY,
    name text NOT NULL,
    company text,
    email text,
    phone text,
    status text NOT NULL,
    value double precision,
    notes text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version integer NOT NULL DEFAULT 1,
    -- matching.search_keys(name, company, email): lower-case ASCII, accents removed.
    search_name text NOT NULL DEFAULT '',
    search_company text NOT NULL DEFAULT '',
    search_email text NOT NULL DEFAULT ''
);

CREATE INDEX IF NOT EXISTS leads_status ON leads (status);
CREATE INDEX IF NOT EXISTS leads_search_name_trgm ON leads USING gin (search_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS leads_search_company_trgm ON leads USING gin (search_company gin_trgm_ops);
CREATE INDEX IF NOT EXISTS leads_search_email_trgm ON leads USING gin (search_email gin_trgm_ops);

-- Supabase exposes the public schema through its REST API: with row level security on and no
-- policy, the public `anon` key sees nothing, while the service-role key (what the agent
-- service uses) and the table owner (a direct Postgres connection) are unaffected.
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE schema_migrations ENABLE ROW LEVEL SECURITY;

INSERT INTO schema_migrations (version) VALUES ('0001') ON CONFLICT (version) DO NOTHING;

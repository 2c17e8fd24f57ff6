-- 0006: paging and the board summary for the Supabase client (the Postgres backend runs the
-- same queries directly). `list_leads` gains `skip` (replacing the 0003 signature, so
-- PostgREST sees one function); `count_leads` counts what `list_leads` pages through;
-- `lead_summary` gives every stage's lead count and total value.

DROP FUNCTION IF EXISTS list_leads(text[], text, text, integer);

CREATE OR REPLACE FUNCTION list_leads(
    stages text[],
    only_status text DEFAULT NULL,
    pattern text DEFAULT NULL,
    max_rows integer DEFAULT 100,
    skip integer DEFAULT 0
)
RETURNS SETOF leads
LANGUAGE sql
STABLE
SET search_path = public, extensions
AS $$
    SELECT l.*
    FROM leads AS l
    WHERE (only_status IS NULL OR l.status = only_status)
      AND (
          pattern IS NULL
          OR l.search_name LIKE pattern ESCAPE '\'
          OR l.search_company LIKE pattern ESCAPE '\'
          OR l.search_email LIKE pattern ESCAPE '\'
      )
    ORDER BY coalesce(array_position(stages, l.status), cardinality(stages)),
             lower(l.name) COLLATE "C",
             l.id
    LIMIT greatest(max_rows, 0)
    OFFSET greatest(skip, 0)
$$;

CREATE OR REPLACE FUNCTION count_leads(only_status text DEFAULT NULL, pattern text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
STABLE
SET search_path = public, extensions
AS $$
    SELECT count(*)
    FROM leads AS l
    WHERE (only_status IS NULL OR l.status = only_status)
      AND (
          pattern IS NULL
          OR l.search_name LIKE pattern ESCAPE '\'
          OR l.search_company LIKE pattern ESCAPE '\'
          OR l.search_email LIKE pattern ESCAPE '\'
      )
$$;

CREATE OR REPLACE FUNCTION lead_summary()
RETURNS TABLE (status text, leads bigint, total double precision)
LANGUAGE sql
STABLE
SET search_path = public, extensions
AS $$
    SELECT l.status, count(*), coalesce(sum(l.value), 0) FROM leads AS l GROUP BY l.status
$$;

DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE format(
                'REVOKE ALL ON FUNCTION list_leads(text[], text, text, integer, integer), '
                'count_leads(text, text), lead_summary() FROM PUBLIC, %I',
                api_role
            );
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION list_leads(text[], text, text, integer, integer),
            count_leads(text, text), lead_summary()
            TO service_role;
    END IF;
END;
$$;

INSERT INTO schema_migrations (version) VALUES ('0006') ON CONFLICT (version) DO NOTHING;

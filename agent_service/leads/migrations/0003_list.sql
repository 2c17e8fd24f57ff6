-- 0003: the board's list query as a function, for the Supabase client (PostgREST cannot order
-- by pipeline stage). Same order as the other backends: pipeline stage, then name, then id.

CREATE OR REPLACE FUNCTION list_leads(
    stages text[],
    only_status text DEFAULT NULL,
    pattern text DEFAULT NULL,
    max_rows integer DEFAULT 1000
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
$$;

INSERT INTO schema_migrations (version) VALUES ('0003') ON CONFLICT (version) DO NOTHING;

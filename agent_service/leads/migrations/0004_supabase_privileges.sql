-- 0004: on Supabase, keep the CRM tables and functions away from the public API roles.
--
-- Supabase grants the `anon` and `authenticated` roles every privilege on new tables and
-- functions of the public schema, and its REST API serves them. Row level security (0001,
-- 0002) already hides the rows, but not TRUNCATE or the functions. The CRM is used only by the
-- agent service (service-role key or a direct connection), so those roles lose everything
-- here. On a plain PostgreSQL server these roles do not exist and this file changes nothing.

DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE format(
                'REVOKE ALL ON TABLE leads, lead_terms, search_terms, schema_migrations FROM %I',
                api_role
            );
            EXECUTE format(
                'REVOKE ALL ON FUNCTION search_leads(text, integer, integer, integer, integer), '
                'list_leads(text[], text, text, integer), rebuild_search_terms(), '
                'lead_search_terms(text, text, text) FROM PUBLIC, %I',
                api_role
            );
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION search_leads(text, integer, integer, integer, integer),
            list_leads(text[], text, text, integer), lead_search_terms(text, text, text)
            TO service_role;
    END IF;
END;
$$;

INSERT INTO schema_migrations (version) VALUES ('0004') ON CONFLICT (version) DO NOTHING;

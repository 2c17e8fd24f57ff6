-- 0002: fuzzy search, shared by the Postgres backend and the Supabase client (as an RPC).
--
-- Matching every query against a million full names is slow however it is indexed: common
-- first names share trigrams with a large part of the table. Instead each lead is cut into
-- search terms (the words of its name and company, and the letter runs of its e-mail's local
-- part), kept in `lead_terms`; the distinct terms, far fewer than the leads, live in
-- `search_terms` with a trigram index and the number of leads holding each. A query is matched
-- word by word against the distinct terms (typos included; the caller has already removed
-- accents and case), and the leads holding close terms of every word are the candidates. The
-- caller ranks them (matching.rank) the same way on every backend. A trigger keeps the terms in
-- step with `leads`, whoever writes.

CREATE TABLE IF NOT EXISTS search_terms (
    term text PRIMARY KEY,
    leads integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS search_terms_trgm ON search_terms USING gin (term gin_trgm_ops);

CREATE TABLE IF NOT EXISTS lead_terms (
    term text NOT NULL,
    sort_key text NOT NULL,
    lead_id text NOT NULL,
    PRIMARY KEY (term, sort_key, lead_id)
);
CREATE INDEX IF NOT EXISTS lead_terms_lead ON lead_terms (lead_id, term);
CREATE INDEX IF NOT EXISTS leads_search_email ON leads (search_email);
CREATE INDEX IF NOT EXISTS leads_search_name ON leads (search_name);

ALTER TABLE search_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_terms ENABLE ROW LEVEL SECURITY;

-- The terms a lead can be found by, from its normalized search columns.
CREATE OR REPLACE FUNCTION lead_search_terms(search_name text, search_company text, search_email text)
RETURNS SETOF text
LANGUAGE sql
IMMUTABLE
AS $$
    SELECT DISTINCT t
    FROM (
        SELECT regexp_split_to_table(search_name, '[ .@]+')
        UNION ALL SELECT regexp_split_to_table(search_company, '[ .@]+')
        UNION ALL SELECT regexp_split_to_table(split_part(search_email, '@', 1), '[^a-z]+')
    ) AS parts(t)
    WHERE length(t) > 1
    ORDER BY t
$$;

CREATE OR REPLACE FUNCTION leads_sync_terms()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, extensions
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        WITH gone AS (
            DELETE FROM lead_terms WHERE lead_id = OLD.id RETURNING term
        )
        UPDATE search_terms AS s SET leads = s.leads - 1
        FROM (SELECT term FROM gone ORDER BY term) AS g
        WHERE s.term = g.term;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO lead_terms (term, sort_key, lead_id)
        SELECT t, NEW.search_name, NEW.id
        FROM lead_search_terms(NEW.search_name, NEW.search_company, NEW.search_email) AS t;
        -- In term order, so concurrent writers lock shared terms in the same order.
        INSERT INTO search_terms AS s (term, leads)
        SELECT t, 1
        FROM lead_search_terms(NEW.search_name, NEW.search_company, NEW.search_email) AS t
        ORDER BY t
        ON CONFLICT (term) DO UPDATE SET leads = s.leads + 1;
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS leads_sync_terms ON leads;
CREATE TRIGGER leads_sync_terms
    AFTER INSERT OR DELETE OR UPDATE OF search_name, search_company, search_email ON leads
    FOR EACH ROW EXECUTE FUNCTION leads_sync_terms();

-- Rebuild every term from the leads (after a bulk load with the trigger disabled).
CREATE OR REPLACE FUNCTION rebuild_search_terms()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, extensions
AS $$
DECLARE
    total bigint;
BEGIN
    TRUNCATE lead_terms, search_terms;
    -- In index order: filling the primary key sequentially is much faster at a million leads.
    INSERT INTO lead_terms (term, sort_key, lead_id)
    SELECT t, l.search_name, l.id
    FROM leads AS l, lead_search_terms(l.search_name, l.search_company, l.search_email) AS t
    ORDER BY 1, 2, 3;
    INSERT INTO search_terms (term, leads) SELECT term, count(*) FROM lead_terms GROUP BY term;
    SELECT count(*) INTO total FROM lead_terms;
    RETURN total;
END;
$$;

-- Candidate leads for a normalized query, best first, at most `candidates`:
--   1. exact e-mail or exact full name;
--   2. leads holding, for every word of the query (of an e-mail: of its local part), one of
--      that word's close terms: among the `per_word` distinct terms most similar to the word
--      (trigram similarity), those at least half as similar as the best. When few leads hold
--      them (at most `budget` over all words) the sets are intersected with a hash; otherwise
--      the leads of the rarest word are walked in name order, checking the other words, and
--      the walk stops after `scan` leads per term, which bounds the work for common words;
--   3. leads holding a close term of any word: each term's first leads in name order, taken in
--      turns across terms, so one common term cannot crowd out a rarer, closer one and a
--      misspelt word among several still finds something.
CREATE OR REPLACE FUNCTION search_leads(
    query text,
    candidates integer DEFAULT 50,
    per_word integer DEFAULT 6,
    scan integer DEFAULT 3000,
    budget integer DEFAULT 15000
)
RETURNS SETOF leads
LANGUAGE plpgsql
STABLE
SET search_path = public, extensions
AS $$
DECLARE
    words text[];
    nmatch integer;
    c_word integer[];
    c_term text[];
    c_sim real[];
    c_strong boolean[];
    driver integer;
    held bigint;
    found_words integer;
    every_id text[] := '{}';
BEGIN
    query := btrim(coalesce(query, ''));
    IF query = '' THEN
        RETURN;
    END IF;
    -- The words every candidate must match first (an e-mail's local part), then the others.
    words := ARRAY(
        SELECT DISTINCT w
        FROM regexp_split_to_table(
            CASE WHEN strpos(query, '@') > 0 THEN split_part(query, '@', 1) ELSE query END,
            '[ .@]+'
        ) AS w
        WHERE w <> ''
    );
    nmatch := cardinality(words);
    IF strpos(query, '@') > 0 THEN
        words := words || ARRAY(
            SELECT DISTINCT w FROM regexp_split_to_table(split_part(query, '@', 2), '[ .@]+') AS w
            WHERE w <> '' AND w <> ALL(words)
        );
    END IF;
    PERFORM set_config('pg_trgm.similarity_threshold', '0.2', true);

    SELECT array_agg(t.i), array_agg(t.term), array_agg(t.sim),
           array_agg(t.sim >= 0.5 * t.best)
    INTO c_word, c_term, c_sim, c_strong
    FROM (
        SELECT w.i::integer AS i, t.term, t.sim, max(t.sim) OVER (PARTITION BY w.i) AS best
        FROM unnest(words) WITH ORDINALITY AS w(word, i)
        CROSS JOIN LATERAL (
            SELECT s.term, similarity(s.term, w.word) AS sim
            FROM search_terms AS s
            WHERE s.term % w.word AND s.leads > 0
            ORDER BY sim DESC, s.term
            LIMIT per_word
        ) AS t
    ) AS t;

    IF nmatch > 1 THEN
        -- How many leads hold the strong terms of each word; the rarest word drives.
        SELECT count(*), sum(g.leads), (array_agg(g.word ORDER BY g.leads, g.word))[1]
        INTO found_words, held, driver
        FROM (
            SELECT c.word, sum(s.leads) AS leads
            FROM unnest(c_word, c_term, c_strong) AS c(word, term, strong)
            JOIN search_terms AS s ON s.term = c.term
            WHERE c.strong AND c.word <= nmatch
            GROUP BY c.word
        ) AS g;

        IF found_words < nmatch THEN
            NULL;  -- a word matches no term: no lead holds them all
        ELSIF held <= budget THEN
            every_id := ARRAY(
                SELECT lt.lead_id
                FROM unnest(c_word, c_term, c_strong) AS c(word, term, strong)
                JOIN lead_terms AS lt ON lt.term = c.term
                WHERE c.strong AND c.word <= nmatch
                GROUP BY lt.lead_id
                HAVING bit_or(1::bigint << (c.word - 1)) = (1::bigint << nmatch) - 1
                LIMIT 10 * candidates
            );
        ELSE
            every_id := ARRAY(
                SELECT x.lead_id
                FROM unnest(c_word, c_term, c_strong) AS d(word, term, strong)
                CROSS JOIN LATERAL (
                    SELECT lt.lead_id
                    FROM (
                        SELECT y.lead_id
                        FROM lead_terms AS y
                        WHERE y.term = d.term
                        ORDER BY y.sort_key, y.lead_id
                        LIMIT scan
                    ) AS lt
                    WHERE NOT EXISTS (
                        SELECT 1 FROM generate_series(1, nmatch) AS o(word)
                        WHERE o.word <> driver AND NOT EXISTS (
                            SELECT 1
                            FROM lead_terms AS z
                            JOIN unnest(c_word, c_term, c_strong) AS c(word, term, strong)
                              ON c.term = z.term AND c.word = o.word AND c.strong
                            WHERE z.lead_id = lt.lead_id
                        )
                    )
                    LIMIT candidates
                ) AS x
                WHERE d.word = driver AND d.strong
            );
        END IF;
    END IF;

    RETURN QUERY
    WITH close_terms AS (
        SELECT * FROM unnest(c_word, c_term, c_sim) AS c(word, term, sim)
    ),
    any_word AS (
        SELECT x.lead_id, x.sort_key, c.sim, x.turn
        FROM close_terms AS c
        CROSS JOIN LATERAL (
            SELECT lt.lead_id, lt.sort_key,
                   row_number() OVER (ORDER BY lt.sort_key, lt.lead_id) AS turn
            FROM lead_terms AS lt
            WHERE lt.term = c.term
            ORDER BY lt.sort_key, lt.lead_id
            LIMIT candidates
        ) AS x
    ),
    ranked AS (
        SELECT l.id, 0 AS tier, 0::bigint AS turn, 1.0::real AS sim, l.search_name AS sort_key
        FROM leads AS l
        WHERE l.search_email = query OR l.search_name = query
        UNION ALL
        SELECT l.id, 1, 0::bigint, 1.0::real, l.search_name
        FROM leads AS l
        WHERE l.id = ANY(every_id)
        UNION ALL
        SELECT a.lead_id, 2, a.turn, a.sim, a.sort_key
        FROM any_word AS a
    ),
    best AS (
        SELECT r.id, min(r.tier) AS tier, min(r.turn) AS turn, max(r.sim) AS sim,
               min(r.sort_key) AS sort_key
        FROM ranked AS r
        GROUP BY r.id
        ORDER BY min(r.tier), min(r.turn), max(r.sim) DESC, min(r.sort_key), r.id
        LIMIT candidates
    )
    SELECT l.*
    FROM best AS b JOIN leads AS l ON l.id = b.id
    ORDER BY b.tier, b.turn, b.sim DESC, b.sort_key, b.id;
END;
$$;

SELECT rebuild_search_terms();

INSERT INTO schema_migrations (version) VALUES ('0002') ON CONFLICT (version) DO NOTHING;

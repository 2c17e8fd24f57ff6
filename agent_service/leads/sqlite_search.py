"""SQLite fuzzy search over an index kept in the database (migration sqlite/0007), so a
search costs about the same at 100 leads and at 100k, and no write makes the next search
rebuild anything (issue 14).

The same design as Postgres' `search_leads()` (migrations/0002_search.sql), ported:
- each lead is cut into search terms (`matching.lead_terms`), kept in `lead_terms` (term,
  sort_key, lead_id) in the write's transaction; the distinct terms live in `search_terms`
  with the number of leads holding each, and their trigrams (pg_trgm's padding: two spaces
  before, one after) in the FTS5 `trigram` table `search_terms_trgm`;
- a query word is matched against the distinct terms sharing a trigram with it, scored by
  trigram similarity (as pg_trgm's `similarity`); its `PER_WORD` closest are its close terms,
  the strong ones at least half as similar as the best;
- candidates, best first: exact e-mail or full name; leads holding a strong term of every word
  (grouped in SQL, or, when the words are common, the rarest word's leads walked in name order
  and checked); then each close term's first leads in name order, taken in turns;
- `matching.rank` orders the candidates exactly as on every backend.
Terms are never removed from the trigram table (a term with no lead left is skipped), as on
Postgres, so it needs no deletes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from itertools import combinations

from agent_service.leads.matching import lead_terms, query_words

PER_WORD = 6
LONG_WORD = 5
THRESHOLD = 0.2  # pg_trgm.similarity_threshold used by search_leads()
# Leads ranked per search (Postgres: 50). The first ones by (tier, turn, similarity, name)
# are the exact and every-word matches, then each close term's first leads in turns; fewer
# keeps the ranking (`matching.rank`, the main cost) flat as the leads grow.
CANDIDATES = 10
SCAN = 3000
BUDGET = 15000


@lru_cache(maxsize=1 << 16)
def trigrams(word: str) -> frozenset[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after (cached:
    the same few thousand terms come back in every search)."""
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """pg_trgm's `similarity`: shared trigrams over all trigrams of both."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


# -- keeping the index ------------------------------------------------------------------------


def pair_terms(search_name: str, search_company: str) -> list[tuple[str, str]]:
    """The pairs (a < b) of a lead's name and company terms, for `lead_pairs`."""
    terms = lead_terms(search_name, search_company, "")
    return list(combinations(terms, 2))


def index_lead(conn: sqlite3.Connection, lead_id: str, keys: dict[str, str]) -> None:
    """Add the terms of one lead (its normalized search keys) to the index."""
    terms = lead_terms(keys["name"], keys["company"], keys["email"])
    conn.executemany(
        "INSERT OR IGNORE INTO lead_pairs (a, b, sort_key, lead_id) VALUES (?, ?, ?, ?)",
        [(a, b, keys["name"], lead_id) for a, b in pair_terms(keys["name"], keys["company"])],
    )
    for term in terms:
        found = conn.execute(
            "SELECT id, leads FROM search_terms WHERE term = ?", (term,)
        ).fetchone()
        if found:
            conn.execute("UPDATE search_terms SET leads = leads + 1 WHERE id = ?", (found[0],))
            if found[1] == 0:
                _vocabulary_changed(conn)
        else:
            _vocabulary_changed(conn)
            cur = conn.execute(
                "INSERT INTO search_terms (term, leads, grams) VALUES (?, 1, ?)",
                (term, len(trigrams(term))),
            )
            conn.execute(
                "INSERT INTO search_terms_trgm (rowid, padded) VALUES (?, ?)",
                (cur.lastrowid, f"  {term} "),
            )
    conn.executemany(
        "INSERT OR IGNORE INTO lead_terms (term, sort_key, lead_id) VALUES (?, ?, ?)",
        [(term, keys["name"], lead_id) for term in terms],
    )


def unindex_lead(conn: sqlite3.Connection, lead_id: str) -> None:
    """Remove the terms of one lead from the index."""
    terms = [
        r[0] for r in conn.execute("SELECT term FROM lead_terms WHERE lead_id = ?", (lead_id,))
    ]
    conn.execute("DELETE FROM lead_terms WHERE lead_id = ?", (lead_id,))
    conn.execute("DELETE FROM lead_pairs WHERE lead_id = ?", (lead_id,))
    conn.executemany(
        "UPDATE search_terms SET leads = leads - 1 WHERE term = ?", [(t,) for t in terms]
    )
    if (
        terms
        and conn.execute(
            f"SELECT 1 FROM search_terms WHERE leads = 0 AND term IN ({', '.join('?' * len(terms))})",
            terms,
        ).fetchone()
    ):
        _vocabulary_changed(conn)


def _vocabulary_changed(conn: sqlite3.Connection) -> None:
    """A term appeared, or gained its first lead or lost its last: every process's memo of
    close terms (`CloseTerms`) is stale."""
    conn.execute("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('vocabulary', 0)")
    conn.execute("UPDATE store_meta SET value = value + 1 WHERE key = 'vocabulary'")


def vocabulary_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM store_meta WHERE key = 'vocabulary'").fetchone()
    return row[0] if row else 0


class CloseTerms:
    """A memo of `_close_terms` per word, valid while the vocabulary version stays the same
    (a write that adds no new word and empties no word leaves it valid): matching a word
    against every distinct term is the part of a search that grows with the vocabulary."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.version = -1
        self.found: dict[str, list[tuple[str, float, int]]] = {}

    def get(
        self, conn: sqlite3.Connection, word: str, version: int
    ) -> list[tuple[str, float, int]]:
        if version != self.version:
            self.found, self.version = {}, version
        found = self.found.get(word)
        if found is None:
            found = _close_terms(conn, word)
            if len(self.found) >= self.size:
                self.found.clear()
            self.found[word] = found
        return found


def rebuild_index(conn: sqlite3.Connection) -> int:
    """Rebuild the whole index from the leads' search columns (after a bulk load, or when the
    migration creating it runs on existing leads). Returns the number of (term, lead) pairs."""
    conn.execute("DELETE FROM lead_terms")
    conn.execute("DELETE FROM lead_pairs")
    conn.execute("DELETE FROM search_terms")
    conn.execute("INSERT INTO search_terms_trgm (search_terms_trgm) VALUES ('delete-all')")
    _vocabulary_changed(conn)
    pairs: list[tuple[str, str, str]] = []
    counts: dict[str, int] = {}
    for lead_id, name, company, email in conn.execute(
        "SELECT id, search_name, search_company, search_email FROM leads"
    ):
        for term in lead_terms(name, company, email):
            pairs.append((term, name, lead_id))
            counts[term] = counts.get(term, 0) + 1
    pairs.sort()
    conn.executemany("INSERT INTO lead_terms (term, sort_key, lead_id) VALUES (?, ?, ?)", pairs)
    two = sorted(
        (a, b, name, lead_id)
        for lead_id, name, company in conn.execute(
            "SELECT id, search_name, search_company FROM leads"
        )
        for a, b in pair_terms(name, company)
    )
    conn.executemany(
        "INSERT OR IGNORE INTO lead_pairs (a, b, sort_key, lead_id) VALUES (?, ?, ?, ?)", two
    )
    for term, count in sorted(counts.items()):
        cur = conn.execute(
            "INSERT INTO search_terms (term, leads, grams) VALUES (?, ?, ?)",
            (term, count, len(trigrams(term))),
        )
        conn.execute(
            "INSERT INTO search_terms_trgm (rowid, padded) VALUES (?, ?)",
            (cur.lastrowid, f"  {term} "),
        )
    return len(pairs)


def _both_words(
    conn: sqlite3.Connection, strong: list[tuple[int, str, int]], candidates: int
) -> list[tuple[str, str]]:
    """Leads holding a strong term of each of two words, from `lead_pairs` (name and company
    terms; a word found only in an e-mail's letters is left to the any-word tier), so the
    work is the few pairs asked, not the long lists of common words' leads."""
    first = [term for word, term, _ in strong if word == 1]
    second = [term for word, term, _ in strong if word == 2]
    found: dict[str, str] = {}
    for x in first:
        for y in second:
            if x == y:  # one term close to both words
                rows = conn.execute(
                    "SELECT lead_id, sort_key FROM lead_terms WHERE term = ? "
                    "ORDER BY sort_key, lead_id LIMIT ?",
                    (x, 10 * candidates),
                )
            else:
                a, b = sorted((x, y))
                rows = conn.execute(
                    "SELECT lead_id, sort_key FROM lead_pairs WHERE a = ? AND b = ? "
                    "ORDER BY sort_key, lead_id LIMIT ?",
                    (a, b, 10 * candidates),
                )
            for lead_id, sort_key in rows:
                found[lead_id] = sort_key
    ranked = sorted(found.items(), key=lambda item: (item[1], item[0]))
    return ranked[: 10 * candidates]


# -- searching --------------------------------------------------------------------------------


def _close_terms(conn: sqlite3.Connection, word: str) -> list[tuple[str, float, int]]:
    """The word's `PER_WORD` most similar terms held by some lead: (term, similarity, leads).
    The trigrams shared with each term are counted by SQLite (one FTS5 lookup per trigram of
    the word), so the work grows with the terms sharing them, not with the leads. For a word
    of LONG_WORD letters or more, the edge trigrams ("  j", " jo", "hn ": every term starting
    or ending with the same letters) are not looked up but added to the count of the terms
    found by the inner ones: a term sharing nothing else with such a word is too far from it
    to be proposed."""
    grams = trigrams(word)
    edges = {f"  {word[0]}", f" {word[:2]}", f"{word[-2:]} "} if len(word) >= LONG_WORD else set()
    looked_up = sorted(grams - edges)
    lookups = " UNION ALL ".join(
        "SELECT rowid FROM search_terms_trgm WHERE search_terms_trgm MATCH ?" for _ in looked_up
    )
    first, first_two, last_two = (
        (word[0], word[:2], word[-2:]) if edges else ("\x00", "\x00", "\x00")
    )
    return conn.execute(
        f"WITH m(id) AS ({lookups}), "
        "shared(id, n) AS ("
        "  SELECT s.id, count(*) + (substr(s.term, 1, 1) = ?) + (substr(s.term, 1, 2) = ?) "
        "    + (substr(s.term, -2, 2) = ?) "
        "  FROM m JOIN search_terms AS s ON s.id = m.id WHERE s.leads > 0 GROUP BY s.id"
        ") "
        "SELECT s.term, shared.n * 1.0 / (? + s.grams - shared.n) AS sim, s.leads "
        "FROM shared JOIN search_terms AS s ON s.id = shared.id "
        "WHERE sim >= ? ORDER BY sim DESC, s.term LIMIT ?",
        [
            *(f'"{g}"' for g in looked_up),
            *(first, first_two, last_two),
            *(len(grams), THRESHOLD, PER_WORD),
        ],
    ).fetchall()


def candidate_ids(
    conn: sqlite3.Connection,
    query: str,
    candidates: int = CANDIDATES,
    memo: CloseTerms | None = None,
) -> list[str]:
    """Candidate lead ids for the normalized `query`, best first (see the module doc). Call
    inside a transaction: the memo's version and the index are then one snapshot."""
    words, nmatch = query_words(query)
    if not words:
        return []
    version = vocabulary_version(conn) if memo is not None else 0
    # (word number from 1, term, similarity, strong, leads holding it)
    close: list[tuple[int, str, float, bool, int]] = []
    for number, word in enumerate(words, 1):
        found = memo.get(conn, word, version) if memo is not None else _close_terms(conn, word)
        if found:
            best = found[0][1]
            close += [(number, t, sim, sim >= 0.5 * best, n) for t, sim, n in found]

    # (tier, turn, -similarity, sort key) per lead; the smallest wins, as in search_leads().
    best_of: dict[str, tuple[int, int, float, str]] = {}

    def offer(lead_id: str, tier: int, turn: int, sim: float, sort_key: str) -> None:
        key = (tier, turn, -sim, sort_key)
        old = best_of.get(lead_id)
        if old is None:
            best_of[lead_id] = key
        else:  # per component, like min(tier), min(turn), max(sim), min(sort_key)
            best_of[lead_id] = tuple(min(a, b) for a, b in zip(old, key, strict=True))  # type: ignore[assignment]

    for lead_id, sort_key in conn.execute(
        "SELECT id, search_name FROM leads WHERE search_email = ? OR search_name = ?",
        (query, query),
    ):
        offer(lead_id, 0, 0, 1.0, sort_key)

    if nmatch > 1:
        for lead_id, sort_key in _every_word(conn, close, nmatch, candidates):
            offer(lead_id, 1, 0, 1.0, sort_key)

    # Taken in turns across the close terms, only the first few of each can make the cut:
    # twice a fair share, so that leads holding several close terms do not leave it short.
    per_term = min(candidates, 2 * -(-candidates // max(1, len(close))) + 1)
    for _, term, sim, _, _ in close:
        rows = conn.execute(
            "SELECT lead_id, sort_key FROM lead_terms WHERE term = ? "
            "ORDER BY sort_key, lead_id LIMIT ?",
            (term, per_term),
        )
        for turn, (lead_id, sort_key) in enumerate(rows, 1):
            offer(lead_id, 2, turn, sim, sort_key)

    ranked = sorted(best_of.items(), key=lambda item: (*item[1], item[0]))
    return [lead_id for lead_id, _ in ranked[:candidates]]


def _every_word(
    conn: sqlite3.Connection,
    close: Iterable[tuple[int, str, float, bool, int]],
    nmatch: int,
    candidates: int,
) -> list[tuple[str, str]]:
    """Leads holding a strong term of each of the first `nmatch` words: (id, sort key)."""
    strong = [(word, term, leads) for word, term, _, is_strong, leads in close if is_strong]
    strong = [s for s in strong if s[0] <= nmatch]
    per_word: dict[int, int] = {}
    for word, _, leads in strong:
        per_word[word] = per_word.get(word, 0) + leads
    if len(per_word) < nmatch:
        return []  # a word matches no term: no lead holds them all
    if nmatch == 2:
        return _both_words(conn, strong, candidates)
    values = ", ".join("(?, ?)" for _ in strong)
    params: list[object] = [x for word, term, _ in strong for x in (word, term)]
    if sum(per_word.values()) <= BUDGET:
        return conn.execute(
            f"WITH c(word, term) AS (VALUES {values}) "
            # CROSS JOIN: the few close terms drive, each reading its leads from the index.
            "SELECT lt.lead_id, min(lt.sort_key) FROM c CROSS JOIN lead_terms AS lt "
            "ON lt.term = c.term "
            "GROUP BY lt.lead_id HAVING count(DISTINCT c.word) = ? "
            "ORDER BY 2, 1 LIMIT ?",
            [*params, nmatch, 10 * candidates],
        ).fetchall()
    # Common words: walk the rarest word's leads in name order, checking the other words.
    driver = min(per_word, key=lambda w: (per_word[w], w))
    driver_terms = [term for word, term, _ in strong if word == driver]
    found: list[tuple[str, str]] = []
    for term in driver_terms:
        found += conn.execute(
            f"WITH c(word, term) AS (VALUES {values}) "
            "SELECT d.lead_id, d.sort_key FROM ("
            "  SELECT lead_id, sort_key FROM lead_terms WHERE term = ? "
            "  ORDER BY sort_key, lead_id LIMIT ?"
            ") AS d "
            "WHERE (SELECT count(DISTINCT c.word) FROM c CROSS JOIN lead_terms AS z "
            "       ON z.term = c.term WHERE z.lead_id = d.lead_id AND c.word <> ?) = ? "
            "LIMIT ?",
            [*params, term, SCAN, driver, nmatch - 1, candidates],
        ).fetchall()
    return found

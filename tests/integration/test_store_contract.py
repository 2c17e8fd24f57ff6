"""The lead store contract, one suite run against every backend.

SQLite (a file in a temporary directory) and PostgreSQL (a fresh database on the throwaway
server of `tests/conftest.py`) always run. The Supabase client backend runs only when
SUPABASE_URL and SUPABASE_KEY are set, against a project whose `leads` table is empty (the
suite deletes every lead between tests), and is reported as skipped with the reason otherwise.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from agent_service.errors import (
    InvalidInput,
    LeadNotFound,
    StoreUnavailable,
    UnknownStage,
    VersionConflict,
)
from agent_service.leads.models import Actor, Lead, Pipeline
from agent_service.leads.postgres import PostgresLeadStore, migrations
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.leads.store import LeadStore, now
from tests.utils.servers import free_port

STAGES = ("New", "Contacted", "Meeting booked", "Proposal sent", "Won", "Lost")
PIPELINE = Pipeline(STAGES)

SUPABASE_SKIP = (
    "Supabase client backend not tested: set SUPABASE_URL and SUPABASE_KEY (service-role key) "
    "of a project with the migrations applied and an empty leads table to run it"
)


def _supabase_store() -> LeadStore:
    url, key = os.environ.get("SUPABASE_URL"), os.environ.get("SUPABASE_KEY")
    if not (url and key):
        pytest.skip(SUPABASE_SKIP)
    from agent_service.leads.supabase import SupabaseLeadStore

    store = SupabaseLeadStore(url, key, PIPELINE)
    store.migrate()
    if store.count() and os.environ.get("SUPABASE_TEST_WIPE") != "1":
        pytest.skip(
            f"Supabase project at {url} already has {store.count()} leads; the contract suite "
            "empties the table between tests, so it runs only on an empty project "
            "(or with SUPABASE_TEST_WIPE=1)"
        )
    store._leads().delete().neq("id", "").execute()  # noqa: SLF001 - test cleanup
    return store


BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("supabase", marks=pytest.mark.supabase),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    backend = request.param
    if backend == "sqlite":
        lead_store: LeadStore = SqliteLeadStore(tmp_path / "crm.sqlite3", PIPELINE)
    elif backend == "postgres":
        lead_store = PostgresLeadStore(request.getfixturevalue("fresh_postgres_url"), PIPELINE)
    else:
        lead_store = _supabase_store()
    lead_store.migrate()
    try:
        yield lead_store
    finally:
        lead_store.close()


def names(leads: list[Lead]) -> list[str]:
    return [lead.name for lead in leads]


# -- create, get, list, count ---------------------------------------------------------------


def test_create_then_get_returns_the_same_lead(store: LeadStore) -> None:
    lead = store.create(
        {
            "name": "  Ann Lee ",
            "company": "Acme",
            "email": "ann@acme.com",
            "phone": "+1 555-0100",
            "status": "contacted",
            "value": 1200.5,
            "notes": "met at the fair",
        }
    )
    assert lead.name == "Ann Lee"
    assert lead.status == "Contacted"  # canonical spelling of the stage
    assert lead.version == 1
    assert lead.created_at == lead.updated_at
    assert lead.created_at.tzinfo is not None
    assert store.get(lead.id) == lead


def test_create_defaults_to_the_first_stage_and_blank_fields_to_none(store: LeadStore) -> None:
    lead = store.create({"name": "Bo", "company": "  ", "email": ""})
    assert lead.status == "New"
    assert store.get(lead.id).company is None
    assert store.get(lead.id).email is None


def test_create_with_a_given_id(store: LeadStore) -> None:
    lead = store.create({"name": "Cy"}, lead_id="lead-42")
    assert store.get("lead-42") == lead
    with pytest.raises(InvalidInput):
        store.create({"name": "Cy again"}, lead_id="lead-42")
    assert store.count() == 1


def test_list_is_in_pipeline_order_then_by_name(store: LeadStore) -> None:
    for name, status in [
        ("zed", "New"),
        ("Amy", "Won"),
        ("bob", "New"),
        ("Carl", "Contacted"),
        ("Abe", "New"),
        ("Dora", "Lost"),
        ("Eve", "Meeting booked"),
    ]:
        store.create({"name": name, "status": status})
    assert names(store.list()) == ["Abe", "bob", "zed", "Carl", "Eve", "Amy", "Dora"]
    assert names(store.list(limit=2)) == ["Abe", "bob"]


def test_list_filters_by_status_and_text(store: LeadStore) -> None:
    store.create({"name": "François Dupré", "company": "Société Générale", "status": "Won"})
    store.create({"name": "John Smith", "email": "john@acme.com", "status": "New"})
    store.create({"name": "Sarah Lee", "company": "100% Juice", "status": "new"})
    assert names(store.list(status="new")) == ["John Smith", "Sarah Lee"]
    assert names(store.list(q="dupre")) == ["François Dupré"]  # accents and case ignored
    assert names(store.list(q="GENERALE")) == ["François Dupré"]
    assert names(store.list(q="acme.com")) == ["John Smith"]
    assert names(store.list(q="100%")) == ["Sarah Lee"]
    assert names(store.list(q="o_b")) == []  # never a LIKE wildcard
    assert names(store.list(status="Won", q="smith")) == []
    assert len(store.list(q="   ")) == 3  # a blank filter filters nothing
    assert len(store.list(q="%")) == 3  # punctuation alone is blank once normalized
    with pytest.raises(UnknownStage) as info:
        store.list(status="Maybe")
    assert info.value.stages == list(STAGES)


def test_count(store: LeadStore) -> None:
    assert store.count() == 0
    store.create({"name": "A", "status": "Won"})
    store.create({"name": "B", "status": "Won"})
    store.create({"name": "C"})
    assert store.count() == 3
    assert store.count(status="won") == 2
    assert store.count(status="Lost") == 0


def test_list_pages_with_limit_and_offset_and_has_no_cap(store: LeadStore) -> None:
    for i in range(130):
        store.create({"name": f"Lead {i:03d}", "status": "Won" if i % 2 else "New"})
    assert len(store.list()) == 100  # the default page
    everything = store.list(limit=1000)
    assert len(everything) == 130 == store.count()
    assert (
        store.list(limit=40, offset=0)
        + store.list(limit=40, offset=40)
        + store.list(limit=100, offset=80)
        == everything
    )
    assert store.list(offset=130) == []
    assert store.list(limit=0) == []
    assert names(store.list(status="won", limit=3, offset=1)) == [
        "Lead 003",
        "Lead 005",
        "Lead 007",
    ]
    assert store.count(status="won") == 65
    assert store.count(q="lead 12") == 10  # 120-129
    assert store.count(status="New", q="lead 12") == 5
    assert len(store.list(q="lead 12", limit=1000)) == 10
    for bad in (dict(limit=-1), dict(offset=-1)):
        with pytest.raises(InvalidInput):
            store.list(**bad)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_list_has_no_silent_cap_at_a_thousand(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from bench.search import load_postgres, load_sqlite, synthetic_leads

    leads = synthetic_leads(1500)
    if backend == "sqlite":
        store: LeadStore = SqliteLeadStore(tmp_path / "crm.sqlite3", PIPELINE)
        store.migrate()
        load_sqlite(store, leads)
    else:
        url = request.getfixturevalue("fresh_postgres_url")
        store = PostgresLeadStore(url, PIPELINE)
        store.migrate()
        load_postgres(url, leads)
    try:
        assert store.count() == 1500
        assert len(store.list(limit=5000)) == 1500
        assert len(store.list(limit=1000, offset=1000)) == 500
    finally:
        store.close()


def test_summary_counts_and_sums_every_stage(store: LeadStore) -> None:
    empty = store.summary()
    assert list(empty) == list(STAGES)
    assert all(v == {"count": 0, "value": 0.0} for v in empty.values())
    store.create({"name": "A", "status": "Won", "value": 1000})
    store.create({"name": "B", "status": "Won", "value": 250.5})
    store.create({"name": "C", "status": "Won"})  # no value
    store.create({"name": "D", "status": "Contacted", "value": 10})
    summary = store.summary()
    assert list(summary) == list(STAGES)
    assert summary["Won"] == {"count": 3, "value": 1250.5}
    assert summary["Contacted"] == {"count": 1, "value": 10.0}
    assert summary["New"] == {"count": 0, "value": 0.0}
    assert sum(v["count"] for v in summary.values()) == store.count() == 4


# -- bad input ------------------------------------------------------------------------------


BAD_FIELDS = [
    pytest.param({"name": ""}, "name", id="empty-name"),
    pytest.param({"name": "   "}, "name", id="blank-name"),
    pytest.param({"name": "x" * 201}, "name", id="oversized-name"),
    pytest.param({}, "name", id="missing-name"),
    pytest.param({"name": "A", "email": "not-an-email"}, "email", id="bad-email"),
    pytest.param({"name": "A", "value": "lots"}, "value", id="non-numeric-value"),
    pytest.param({"name": "A", "value": -5}, "value", id="negative-value"),
    pytest.param({"name": "A", "value": math.nan}, "value", id="nan-value"),
    pytest.param({"name": "A", "value": True}, "value", id="bool-value"),
    pytest.param({"name": "A", "phone": "call me"}, "phone", id="bad-phone"),
    pytest.param({"name": "A", "owner": "me"}, "owner", id="unknown-field"),
]


@pytest.mark.parametrize(("fields", "mentioned"), BAD_FIELDS)
def test_bad_fields_are_refused_and_change_nothing(
    store: LeadStore, fields: dict, mentioned: str
) -> None:
    existing = store.create({"name": "Keep Me"})
    with pytest.raises(InvalidInput) as info:
        store.create(fields)
    assert mentioned in info.value.detail
    change = {k: v for k, v in fields.items() if k != "name" or mentioned == "name"}
    if change:
        with pytest.raises(InvalidInput):
            store.update(existing.id, change)
    assert store.count() == 1
    assert store.get(existing.id) == existing


def test_unknown_stage_lists_the_valid_ones_and_changes_nothing(store: LeadStore) -> None:
    lead = store.create({"name": "Ann"})
    for call in (
        lambda: store.create({"name": "Bob", "status": "Negotiation"}),
        lambda: store.update(lead.id, {"status": "Negotiation"}),
    ):
        with pytest.raises(UnknownStage) as info:
            call()
        assert "Negotiation" in info.value.detail
        assert all(stage in info.value.detail for stage in STAGES)
    assert store.count() == 1
    assert store.get(lead.id) == lead


BAD_TEXT = [pytest.param("Nul\x00Byte", id="nul"), pytest.param("Lone\ud800Half", id="surrogate")]
TEXT_FIELDS = ["name", "company", "email", "phone", "notes", "status"]


@pytest.mark.parametrize("bad", BAD_TEXT)
def test_nul_and_lone_surrogates_are_invalid_input_and_change_nothing(
    store: LeadStore, bad: str
) -> None:
    """PostgreSQL text cannot hold NUL and UTF-8 cannot encode a lone surrogate: the models
    refuse both (422) on every backend, never a 500 or a 503."""
    lead = store.create({"name": "Keep Me"})
    seq = store.last_seq()
    for field in TEXT_FIELDS:
        with pytest.raises(InvalidInput) as info:
            store.create({"name": "Ann", field: bad} if field != "name" else {"name": bad})
        assert field in info.value.detail
        with pytest.raises(InvalidInput):
            store.update(lead.id, {field: bad})
    with pytest.raises(InvalidInput):
        store.create({"name": "Ann"}, lead_id=bad)
    for call in (
        lambda: store.get(bad),
        lambda: store.update(bad, {"notes": "x"}),
        lambda: store.delete(bad),
    ):
        with pytest.raises(LeadNotFound) as not_found:
            call()
        not_found.value.detail.encode("utf-8")  # the message itself is valid UTF-8
    for call in (
        lambda: store.list(status=bad),
        lambda: store.count(status=bad),
        lambda: store.changes(lead_id=bad),
        lambda: store.changes(user_id=bad),
    ):
        with pytest.raises(InvalidInput):
            call()
    assert store.search(bad) == [] or all(m.lead.id == lead.id for m in store.search(bad))
    assert store.list(q=bad, limit=10) == [] or store.count(q=bad) >= 0
    assert store.count() == 1 and store.get(lead.id) == lead
    assert store.last_seq() == seq


# -- not found, update, versions ------------------------------------------------------------


def test_unknown_id_is_lead_not_found(store: LeadStore) -> None:
    for call in (
        lambda: store.get("nope"),
        lambda: store.update("nope", {"name": "X"}),
        lambda: store.delete("nope"),
        lambda: store.delete("nope", expected_version=1),
    ):
        with pytest.raises(LeadNotFound) as info:
            call()
        assert "nope" in info.value.detail


def test_update_changes_fields_and_bumps_the_version(store: LeadStore) -> None:
    lead = store.create({"name": "Ann", "phone": "555-0100", "value": 10})
    time.sleep(0.002)
    updated = store.update(lead.id, {"status": "Proposal sent", "value": 99.5, "phone": None})
    assert (updated.status, updated.value, updated.phone) == ("Proposal sent", 99.5, None)
    assert updated.version == 2
    assert updated.updated_at > lead.updated_at
    assert updated.created_at == lead.created_at
    assert store.get(lead.id) == updated
    with pytest.raises(InvalidInput):
        store.update(lead.id, {"name": None})
    with pytest.raises(InvalidInput):
        store.update(lead.id, {"status": None})
    assert store.get(lead.id) == updated


def test_stale_version_is_a_conflict_and_changes_nothing(store: LeadStore) -> None:
    lead = store.create({"name": "Ann", "company": "Globex"})
    store.update(lead.id, {"company": "Initech"}, expected_version=1)
    with pytest.raises(VersionConflict) as info:
        store.update(lead.id, {"company": "Hooli"}, expected_version=1)
    assert (info.value.expected, info.value.actual) == (1, 2)
    with pytest.raises(VersionConflict):
        store.update(lead.id, {"company": "Hooli", "version": 1})  # version in the body
    current = store.get(lead.id)
    assert (current.company, current.version) == ("Initech", 2)
    assert store.update(lead.id, {"company": "Hooli", "version": 2}).version == 3


def test_delete_and_restore_keep_the_id(store: LeadStore) -> None:
    lead = store.create({"name": "Gone Soon", "company": "Acme", "value": 5})
    store.update(lead.id, {"notes": "important"})
    deleted = store.delete(lead.id)
    assert deleted.id == lead.id
    assert deleted.notes == "important"
    with pytest.raises(LeadNotFound):
        store.get(lead.id)
    assert store.search("Gone Soon") == []
    restored = store.restore(deleted)
    assert restored.id == lead.id
    assert restored.version == deleted.version + 1
    assert store.get(lead.id) == restored
    assert store.search("Gone Soon")[0].lead.id == lead.id
    with pytest.raises(InvalidInput):
        store.restore(deleted)  # the id is taken again
    assert store.count() == 1


def test_delete_with_a_stale_version_is_refused(store: LeadStore) -> None:
    lead = store.create({"name": "Ann"})
    store.update(lead.id, {"notes": "x"})
    with pytest.raises(VersionConflict):
        store.delete(lead.id, expected_version=1)
    assert store.get(lead.id).version == 2
    assert store.delete(lead.id, expected_version=2).id == lead.id


def test_fifty_parallel_updates_with_one_version_exactly_one_wins(store: LeadStore) -> None:
    lead = store.create({"name": "Race Condition"})
    start = threading.Barrier(50)

    def attempt(i: int) -> str:
        start.wait()
        try:
            store.update(lead.id, {"notes": f"writer {i}"}, expected_version=1)
        except VersionConflict:
            return "conflict"
        return "won"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count("won") == 1
    assert outcomes.count("conflict") == 49
    final = store.get(lead.id)
    assert final.version == 2
    assert final.notes == f"writer {outcomes.index('won')}"


def test_parallel_updates_without_a_version_all_apply(store: LeadStore) -> None:
    lead = store.create({"name": "Counter"})
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: store.update(lead.id, {"notes": f"n{i}"}), range(8)))
    assert store.get(lead.id).version == 9


# -- fuzzy search ---------------------------------------------------------------------------

SEARCH_LEADS = [
    {"name": "François Dupré-Ştefan", "company": "Société Générale", "email": "fd@sg.fr"},
    {"name": "Michael Smith", "company": "Acme Inc", "email": "michael.smith@acme.com"},
    {"name": "John Smith", "company": "Globex", "email": "jsmith@globex.com"},
    {"name": "Johnny Walker", "company": "Initech", "email": "johnny@initech.io"},
    {"name": "Sarah Lee", "company": "TechCorp", "email": "sarah@techcorp.io"},
    {"name": "Michelle O'Brien", "company": "Hooli", "email": "m.obrien@hooli.com"},
    {"name": "Zoë Kowalski", "company": "Umbrella Corp", "email": "zoe.k@umbrella.com"},
    {"name": "Anna Müller", "company": "Stark Industries", "email": "anna@stark.de"},
]

# (query, the name that must come first)
SEARCH_TABLE = [
    ("Francois Dupre", "François Dupré-Ştefan"),  # accents dropped, part of the surname
    ("françois", "François Dupré-Ştefan"),  # first name only
    ("dupre", "François Dupré-Ştefan"),  # last name only
    ("stefan", "François Dupré-Ştefan"),
    ("Micheal", "Michael Smith"),  # misspelt, and not Michelle
    ("michael", "Michael Smith"),
    ("John", "John Smith"),  # not Johnny
    ("Jon Smith", "John Smith"),
    ("JOHN SMITH", "John Smith"),
    ("Walker", "Johnny Walker"),
    ("acme", "Michael Smith"),  # company
    ("Acme Inc.", "Michael Smith"),
    ("techcorp", "Sarah Lee"),
    ("sarah@techcorp.io", "Sarah Lee"),  # e-mail
    ("jsmith", "John Smith"),  # e-mail local part
    ("michael.smith", "Michael Smith"),
    ("Muller", "Anna Müller"),
    ("Zoe", "Zoë Kowalski"),
    ("Kowalsky", "Zoë Kowalski"),
    ("umbrella", "Zoë Kowalski"),
    ("obrien", "Michelle O'Brien"),
]


@pytest.fixture
def searchable(store: LeadStore) -> LeadStore:
    for i, fields in enumerate(SEARCH_LEADS):
        store.create(fields, lead_id=f"s{i}")
    return store


@pytest.mark.parametrize(("query", "expected"), SEARCH_TABLE, ids=[q for q, _ in SEARCH_TABLE])
def test_fuzzy_search_finds_the_lead(searchable: LeadStore, query: str, expected: str) -> None:
    matches = searchable.search(query, limit=5)
    assert matches, f"nothing found for {query!r}"
    assert matches[0].lead.name == expected, [(m.lead.name, m.score) for m in matches]
    assert all(0 < m.score <= 100 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_search_ties_are_all_offered(searchable: LeadStore) -> None:
    top = searchable.search("Smith", limit=5)
    assert {m.lead.name for m in top[:2]} == {"John Smith", "Michael Smith"}
    assert top[0].score == top[1].score


def test_search_without_a_match_or_text_finds_nothing(searchable: LeadStore) -> None:
    assert searchable.search("xyzzy qwrtp") == []
    assert searchable.search("") == []
    assert searchable.search("  ,. ") == []
    assert len(searchable.search("smith", limit=1)) == 1


def test_search_follows_renames(searchable: LeadStore) -> None:
    searchable.update("s3", {"name": "Quentin Zephyr", "email": "qz@initech.io"})
    assert "s3" not in {m.lead.id for m in searchable.search("Walker")}
    assert "s3" not in {m.lead.id for m in searchable.search("johnny")}
    assert searchable.search("Zephyr")[0].lead.id == "s3"
    assert searchable.search("Quentin Zefir")[0].lead.id == "s3"
    assert searchable.search("qz")[0].lead.id == "s3"


# -- the same answers on every backend ------------------------------------------------------


GOOD = 70.0


@pytest.mark.postgres
def test_postgres_ranks_exactly_like_sqlite(tmp_path: Path, fresh_postgres_url: str) -> None:
    sqlite = SqliteLeadStore(tmp_path / "crm.sqlite3", PIPELINE)
    postgres = PostgresLeadStore(fresh_postgres_url, PIPELINE)
    extra = [
        {"name": "Jon Smithers", "company": "Smith & Sons", "email": "jon@smithsons.com"},
        {"name": "Sara Lee-Chan", "company": "Lee Foods", "email": "sara.lc@leefoods.com"},
        {"name": "Mikael Schmidt", "company": "Acme GmbH", "email": "mikael@acme.de"},
    ]
    try:
        for store in (sqlite, postgres):
            store.migrate()
            for i, fields in enumerate(SEARCH_LEADS + extra):
                store.create(fields, lead_id=f"s{i}")
        queries = [q for q, _ in SEARCH_TABLE] + ["smith", "lee", "acme", "mikael", "sara"]
        for query in queries:
            # Good matches are identical, scores included. Far-fetched ones (below GOOD) may
            # differ: rapidfuzz over every lead proposes more of them than the trigram terms.
            expected = [(m.lead.id, m.score, m.field) for m in sqlite.search(query, 5)]
            got = [(m.lead.id, m.score, m.field) for m in postgres.search(query, 5)]
            assert [g for g in got if g[1] >= GOOD] == [e for e in expected if e[1] >= GOOD], query
            assert got[0] == expected[0], query
        assert names(postgres.list()) == names(sqlite.list())
        assert names(postgres.list(q="smith")) == names(sqlite.list(q="smith"))
    finally:
        sqlite.close()
        postgres.close()


# -- the database is down -------------------------------------------------------------------


def _unavailable_store(backend: str, tmp_path: Path) -> LeadStore:
    if backend == "sqlite":
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("a file where a directory should be")
        return SqliteLeadStore(blocker / "crm.sqlite3", PIPELINE)
    if backend == "postgres":
        return PostgresLeadStore(f"postgresql://postgres@127.0.0.1:{free_port()}/crm", PIPELINE)
    from agent_service.leads.supabase import SupabaseLeadStore

    return SupabaseLeadStore(f"http://127.0.0.1:{free_port()}", "sb_secret_test", PIPELINE)


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "supabase"])
def test_database_down_is_store_unavailable_quickly(backend: str, tmp_path: Path) -> None:
    store = _unavailable_store(backend, tmp_path)
    lead = Lead(id="x", name="X", status="New", created_at=time_now(), updated_at=time_now())
    calls = [
        store.migrate,
        store.ping,
        lambda: store.get("x"),
        lambda: store.list(),
        lambda: store.count(),
        lambda: store.create({"name": "Ann"}),
        lambda: store.update("x", {"name": "Bo"}),
        lambda: store.delete("x"),
        lambda: store.restore(lead),
        lambda: store.search("john"),
    ]
    try:
        for call in calls:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                call()
            assert time.monotonic() - started < 4.0  # a 503 at once, not after a long timeout
    finally:
        store.close()


def time_now() -> datetime:
    return now()


# -- the Postgres schema: versioned migrations ----------------------------------------------


@pytest.mark.postgres
def test_migrations_are_versioned_idempotent_and_safe_in_parallel(fresh_postgres_url: str) -> None:
    versions = [version for version, _, _ in migrations()]
    assert versions == sorted(versions) and versions[0] == "0001"
    stores = [PostgresLeadStore(fresh_postgres_url, PIPELINE) for _ in range(4)]
    try:
        start = threading.Barrier(len(stores))

        def migrate(store: PostgresLeadStore) -> None:
            start.wait()
            store.migrate()

        with ThreadPoolExecutor(max_workers=len(stores)) as pool:
            list(pool.map(migrate, stores))  # four processes starting at once: no error
        stores[0].migrate()  # and again: nothing to do
        assert stores[0].applied_migrations() == versions
        lead = stores[1].create({"name": "Ann Lee"})
        assert stores[2].search("ann")[0].lead == lead
    finally:
        for store in stores:
            store.close()


@pytest.mark.postgres
def test_migration_files_run_as_they_are_like_in_supabases_sql_editor(
    fresh_postgres_url: str,
) -> None:
    """Each file, pasted as it is and run twice (autocommit, as the SQL editor does), leaves a
    schema that `migrate()` accepts without applying anything, and that search works on."""
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        for _ in range(2):
            for _, _, script in migrations():
                conn.execute(script)
        conn.execute(
            "INSERT INTO leads (id, name, status, created_at, updated_at, search_name) "
            "VALUES ('raw', 'Zoë Raw', 'New', now(), now(), 'zoe raw')"
        )
    store = PostgresLeadStore(fresh_postgres_url, PIPELINE)
    try:
        store.migrate()
        assert store.applied_migrations() == [version for version, _, _ in migrations()]
        assert store.search("Zoe")[0].lead.id == "raw"  # the trigger indexed a raw insert
    finally:
        store.close()


@pytest.mark.postgres
def test_both_ways_of_matching_every_word_agree(fresh_postgres_url: str) -> None:
    """search_leads() intersects the words' leads with a hash when few leads hold them and walks
    the rarest word's leads otherwise (forced here with budget 0): same candidates either way."""
    from bench.search import load_postgres, synthetic_leads

    store = PostgresLeadStore(fresh_postgres_url, PIPELINE)
    try:
        store.migrate()
        load_postgres(fresh_postgres_url, synthetic_leads(2000))
        with psycopg.connect(fresh_postgres_url) as conn:
            for query in ["john smith", "jenifer lopes", "hooli software", "sarah.lee@acme.com"]:
                hashed = conn.execute("SELECT id FROM search_leads(%s)", (query,)).fetchall()
                walked = conn.execute(
                    "SELECT id FROM search_leads(%s, budget => 0)", (query,)
                ).fetchall()
                assert hashed == walked, query
                assert hashed, query
        lopez = store.create({"name": "Jennifer López", "email": "jlo@example.com"})
        assert store.search("Jenifer Lopes")[0].lead == lopez
        assert store.search("jlo@example.com")[0].lead == lopez
    finally:
        store.close()


@pytest.mark.postgres
def test_search_terms_follow_every_write(fresh_postgres_url: str) -> None:
    store = PostgresLeadStore(fresh_postgres_url, PIPELINE)
    try:
        store.migrate()
        a = store.create({"name": "Ann Lee", "company": "Acme", "email": "ann.lee@acme.com"})
        store.create({"name": "Bob Lee"})

        def terms() -> dict[str, int]:
            with psycopg.connect(fresh_postgres_url) as conn:
                return dict(conn.execute("SELECT term, leads FROM search_terms WHERE leads > 0"))

        assert terms() == {"ann": 1, "lee": 2, "acme": 1, "bob": 1}
        store.update(a.id, {"name": "Anna Lee", "company": None})
        assert terms() == {"anna": 1, "ann": 1, "lee": 2, "bob": 1}  # ann: from the e-mail
        store.delete(a.id)
        assert terms() == {"lee": 1, "bob": 1}
    finally:
        store.close()


@pytest.mark.postgres
def test_on_supabase_the_public_api_roles_cannot_touch_the_crm(
    postgres_server, fresh_postgres_url: str
) -> None:
    """Supabase's `anon`/`authenticated` roles (created here as Supabase has them) may neither
    read leads nor call the search functions; `service_role` (the agent service's key) may."""
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        for role, extra in [("anon", ""), ("authenticated", ""), ("service_role", " BYPASSRLS")]:
            exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if not exists.fetchone():
                admin.execute(f"CREATE ROLE {role} NOLOGIN{extra}")
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        # Supabase's default privileges: everything in public to the API roles.
        conn.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES "
            "TO anon, authenticated, service_role"
        )
        conn.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS "
            "TO anon, authenticated, service_role"
        )
        conn.execute("GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role")
    store = PostgresLeadStore(fresh_postgres_url, PIPELINE)
    try:
        store.migrate()
        store.create({"name": "Secret Lead"})
    finally:
        store.close()
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        for role in ("anon", "authenticated"):
            for statement in (
                "SELECT count(*) FROM leads",
                "SELECT count(*) FROM search_leads('secret')",
                "SELECT rebuild_search_terms()",
                "TRUNCATE search_terms",
                "SELECT count(*) FROM lead_changes",
                "SELECT crm_log_change('{}'::jsonb)",
                "SELECT crm_delete_lead('x', 1, '{}'::jsonb)",
            ):
                conn.execute(f"SET ROLE {role}")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
                conn.execute("RESET ROLE")
        conn.execute("SET ROLE service_role")
        assert conn.execute("SELECT name FROM search_leads('secret')").fetchone() == (
            "Secret Lead",
        )
        assert conn.execute("SELECT count(*) FROM list_leads(ARRAY['New'])").fetchone() == (1,)
        conn.execute("RESET ROLE")


# -- the change log (docs/change-log.md) ----------------------------------------------------


def _twin(store: LeadStore) -> LeadStore:
    """Another store object on the same database: its own connections, like another process."""
    if isinstance(store, SqliteLeadStore):
        return SqliteLeadStore(store.path, PIPELINE)
    if isinstance(store, PostgresLeadStore):
        return PostgresLeadStore(store.url, PIPELINE)
    return _supabase_store_twin(store)


def _supabase_store_twin(store: LeadStore) -> LeadStore:
    from agent_service.leads.supabase import SupabaseLeadStore

    return SupabaseLeadStore(os.environ["SUPABASE_URL"], os.environ["SUPABASE_KEY"], PIPELINE)


BOB = Actor(user_id="u-bob", user_name="bob", source="board")
CHAT = Actor(user_id="u-ann", user_name="ann", source="chat", run_id="run-1", thread_id="t-1")


def test_every_write_logs_one_row_with_before_after_and_actor(store: LeadStore) -> None:
    assert store.last_seq() == 0
    assert store.changes() == []
    lead = store.create({"name": "Ann Lee", "status": "New"}, actor=CHAT)
    moved = store.update(lead.id, {"status": "Won"}, expected_version=1, actor=BOB)
    gone = store.delete(lead.id, actor=BOB)
    back = store.restore(gone, actor=Actor(user_id="u-bob", source="undo", reverts=3))
    plain = store.create({"name": "No Actor"})
    log = store.changes()
    assert [c.op for c in log] == ["create", "update", "delete", "restore", "create"]
    seqs = [c.seq for c in log]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert store.last_seq() == seqs[-1]
    create, update, delete, restore, system = log
    assert (create.before, create.after) == (None, lead.model_dump(mode="json"))
    assert (create.user_id, create.user_name, create.source) == ("u-ann", "ann", "chat")
    assert (create.run_id, create.thread_id, create.reverts) == ("run-1", "t-1", None)
    assert update.before == lead.model_dump(mode="json")
    assert update.after == moved.model_dump(mode="json")
    assert (update.user_id, update.user_name, update.source, update.run_id) == (
        "u-bob",
        "bob",
        "board",
        None,
    )
    assert (delete.before, delete.after) == (moved.model_dump(mode="json"), None)
    assert (restore.before, restore.after) == (None, back.model_dump(mode="json"))
    assert (restore.source, restore.reverts) == ("undo", 3)
    assert (system.user_id, system.user_name, system.source) == ("system", None, "board")
    assert all(c.lead_id == lead.id for c in log[:4]) and system.lead_id == plain.id
    assert all(c.at.tzinfo is not None for c in log)
    assert [c.at for c in log] == sorted(c.at for c in log)
    # Lead.model_validate reads a logged lead back as it was.
    assert Lead.model_validate(update.after) == moved


def test_a_failed_write_logs_nothing(store: LeadStore) -> None:
    lead = store.create({"name": "Ann"})
    store.update(lead.id, {"notes": "x"})
    before = store.last_seq()
    failing = [
        (VersionConflict, lambda: store.update(lead.id, {"notes": "y"}, expected_version=1)),
        (VersionConflict, lambda: store.delete(lead.id, expected_version=1)),
        (UnknownStage, lambda: store.update(lead.id, {"status": "Maybe"})),
        (UnknownStage, lambda: store.create({"name": "Bo", "status": "Maybe"})),
        (InvalidInput, lambda: store.create({"name": ""})),
        (InvalidInput, lambda: store.create({"name": "Dup"}, lead_id=lead.id)),
        (InvalidInput, lambda: store.restore(lead)),  # the id is taken
        (LeadNotFound, lambda: store.update("nope", {"notes": "y"})),
        (LeadNotFound, lambda: store.delete("nope")),
    ]
    for error, call in failing:
        with pytest.raises(error):
            call()
    assert store.last_seq() == before
    assert len(store.changes()) == 2


def test_changes_are_filtered_and_paged(store: LeadStore) -> None:
    a = store.create({"name": "A"}, actor=CHAT)
    b = store.create({"name": "B"}, actor=BOB)
    store.update(a.id, {"notes": "1"}, actor=BOB)
    store.update(b.id, {"notes": "2"}, actor=CHAT.model_copy(update={"run_id": "run-2"}))
    everything = store.changes()
    assert len(everything) == 4
    assert [c.seq for c in store.changes(after=everything[1].seq)] == [
        c.seq for c in everything[2:]
    ]
    assert [c.lead_id for c in store.changes(lead_id=a.id)] == [a.id, a.id]
    assert {c.user_id for c in store.changes(user_id="u-bob")} == {"u-bob"}
    assert len(store.changes(user_id="u-bob")) == 2
    assert [c.seq for c in store.changes(run_id="run-1")] == [everything[0].seq]
    assert [c.source for c in store.changes(source="chat")] == ["chat", "chat"]
    assert store.changes(source="undo") == []
    with pytest.raises(InvalidInput):
        store.changes(source="fax")
    assert [c.seq for c in store.changes(newest_first=True, limit=2)] == [
        everything[3].seq,
        everything[2].seq,
    ]
    assert len(store.changes(limit=1)) == 1
    assert [c.seq for c in store.changes(since=everything[2].at)] == [c.seq for c in everything[2:]]


def test_seq_is_monotonic_and_gap_free_for_a_reader_under_concurrent_writers(
    store: LeadStore,
) -> None:
    """20 threads write while a reader follows `changes(after=last seen)`: the reader sees every
    row exactly once, in seq order (a seq never becomes visible before a smaller one)."""
    leads = [store.create({"name": f"Lead {i}"}) for i in range(20)]
    start = threading.Barrier(21)
    done = threading.Event()
    seen: list[int] = []

    def write(i: int) -> None:
        start.wait()
        for n in range(5):
            store.update(leads[i].id, {"notes": f"{i}-{n}"})

    def follow() -> None:
        cursor = store.last_seq()
        start.wait()
        while True:
            finished = done.is_set()
            for change in store.changes(after=cursor, limit=1000):
                seen.append(change.seq)
                cursor = change.seq
            if finished:
                return

    reader = threading.Thread(target=follow)
    reader.start()
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(write, range(20)))
    done.set()
    reader.join(timeout=30)
    logged = [c.seq for c in store.changes(after=0, limit=1000)][20:]
    assert len(logged) == 100
    assert logged == sorted(set(logged))
    assert seen == logged


def test_wait_for_change_wakes_when_another_connection_writes(store: LeadStore) -> None:
    other = _twin(store)
    try:
        start = store.last_seq()
        started = time.monotonic()
        assert store.wait_for_change(start, timeout=0.3) == start  # nothing happened
        assert 0.25 <= time.monotonic() - started < 2.0
        woke: dict[str, float] = {}

        def waiter() -> None:
            began = time.monotonic()
            woke["seq"] = store.wait_for_change(start, timeout=10)
            woke["at"] = time.monotonic()
            woke["waited"] = woke["at"] - began

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.5)  # the waiter is waiting
        wrote_at = time.monotonic()
        other.create({"name": "Written Elsewhere"})
        thread.join(timeout=10)
        assert woke["seq"] == start + 1 == store.last_seq()
        assert woke["at"] - wrote_at < 0.5, woke  # woken promptly, not at the timeout
        # A change already there returns at once.
        began = time.monotonic()
        assert store.wait_for_change(start, timeout=5) == start + 1
        assert time.monotonic() - began < 0.5
    finally:
        other.close()


def test_prune_changes_by_age_keeps_the_newest(store: LeadStore) -> None:
    assert store.prune_changes(now()) == 0
    lead = store.create({"name": "Old"})
    store.update(lead.id, {"notes": "old too"})
    time.sleep(0.05)
    cut = now()
    time.sleep(0.05)
    store.update(lead.id, {"notes": "new"})
    store.update(lead.id, {"notes": "newer"})
    assert store.prune_changes(cut) == 2
    kept = store.changes()
    assert [c.after["notes"] for c in kept] == ["new", "newer"]
    last = store.last_seq()
    # Everything is old now, but the newest row stays: last_seq never goes back.
    assert store.prune_changes(now() + timedelta(days=1)) == 1
    assert [c.seq for c in store.changes()] == [last]
    assert store.last_seq() == last
    assert store.create({"name": "Next"}) and store.last_seq() > last


@pytest.mark.postgres
def test_supabase_write_functions_log_in_the_same_transaction(fresh_postgres_url: str) -> None:
    """The RPC functions the Supabase client writes through (migration 0005), called as
    PostgREST calls them: lead row and change row together, nothing logged when they miss."""
    import json

    from agent_service.leads.changelog import change_row
    from agent_service.leads.supabase import _row_values

    store = PostgresLeadStore(fresh_postgres_url, PIPELINE)
    try:
        store.migrate()
        stamp = now()
        lead = Lead(id="sb1", name="Ann Lee", status="New", created_at=stamp, updated_at=stamp)
        moved = lead.model_copy(update={"status": "Won", "version": 2})
        with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:

            def call(sql_text: str, *args: object) -> object:
                params = [json.dumps(a) if isinstance(a, dict) else a for a in args]
                return conn.execute(sql_text, params).fetchone()[0]

            seq = call(
                "SELECT crm_insert_lead(%s::jsonb, %s::jsonb)",
                _row_values(lead),
                change_row(BOB, "create", "sb1", None, lead),
            )
            assert seq == 1
            stale = call(
                "SELECT crm_update_lead('sb1', 7, %s::jsonb, %s::jsonb)",
                _row_values(moved),
                change_row(BOB, "update", "sb1", lead, moved),
            )
            assert stale is None
            assert (
                call(
                    "SELECT crm_update_lead('sb1', 1, %s::jsonb, %s::jsonb)",
                    _row_values(moved),
                    change_row(BOB, "update", "sb1", lead, moved),
                )
                == 2
            )
            with pytest.raises(psycopg.errors.UniqueViolation):
                call(
                    "SELECT crm_insert_lead(%s::jsonb, %s::jsonb)",
                    _row_values(lead),
                    change_row(BOB, "restore", "sb1", None, lead),
                )
            assert call("SELECT crm_delete_lead('sb1', 1, %s::jsonb)", {"op": "delete"}) is None
            assert (
                call(
                    "SELECT crm_delete_lead('sb1', 2, %s::jsonb)",
                    change_row(BOB, "delete", "sb1", moved, None),
                )
                == 3
            )
        assert [c.op for c in store.changes()] == ["create", "update", "delete"]
        assert store.changes()[1].after == moved.model_dump(mode="json")
        assert store.search("Ann Lee") == []
    finally:
        store.close()

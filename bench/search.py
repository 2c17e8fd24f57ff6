"""Fuzzy top-5 lead search latency at 1k … 1M leads: SQLite (rapidfuzz) and Postgres (pg_trgm).

    python -m bench.search                     # 1k, 10k, 100k, 1M on both backends
    python -m bench.search --sizes 1000,10000  # fewer sizes
    python -m bench.search --backends sqlite
    python -m bench.search --flat              # SQLite search after a write: 100 vs 100k

`run(sizes)` returns the figures as a dict (used by `make bench`). Each store is filled with
synthetic but realistic leads (first/last names from several languages, accents, company
names with suffixes, e-mail addresses in the usual patterns), bulk-loaded (COPY on Postgres,
executemany on SQLite), then queried with a fixed mix of searches a user would type: full
names, first or last names alone, misspellings, names without accents, companies, e-mails.
Postgres runs on a throwaway server started here (tests/utils/postgres.py), on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from agent_service.leads.matching import normalize, search_keys
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite_search import rebuild_index

DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
STAGES = ("New", "Contacted", "Meeting booked", "Proposal sent", "Won", "Lost")
TARGET_P95_MS_AT_1M = 20.0

FIRST_NAMES = """
James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald
Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy
Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott
Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra
Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler
Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia Douglas Victoria Zachary
Kelly Peter Lauren Kyle Christina Ethan Joan Walter Evelyn Noah Judith Jeremy Megan Christian
Andrea Keith Cheryl Roger Hannah Terry Jacqueline Gerald Martha Harold Gloria Sean Teresa
François Zoë José Jürgen Søren Åsa Björn Chloé Renée Inès Anaïs Mikaël Łukasz Ştefan Ana
Giulia Marco Luca Sofia Hiroshi Yuki Wei Mei Arjun Priya Oluwaseun Chidi Fatima Omar Leila
Mateo Valentina Santiago Camila Nikolai Olga Dmitri Ivana Lars Ingrid Sven Astrid Pierre
""".split()

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina
Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington
Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter
Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black
Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Dupré Müller Schröder Öztürk Łukasiewicz Ştefănescu Nørgaard Håkansson Béranger Lefèvre
Rossi Bianchi Esposito Tanaka Suzuki Watanabe Wang Zhang Kumar Sharma Okafor Adeyemi Haddad
Novak Kowalski Ivanova Petrov Lindqvist Johansson Andersen Dubois Moreau Laurent Fontaine
""".split()

COMPANY_WORDS = """
Acme Globex Initech Umbrella Hooli Stark Wayne Wonka Tyrell Cyberdyne Soylent Vandelay
Pied Piper Aperture Black Mesa Massive Dynamic Oscorp Gringotts Nakatomi Virtucon Monarch
Blue Sun Weyland Yutani Duff Prestige Sterling Cooper Dunder Mifflin Bluth Gekko Oceanic
Northwind Contoso Fabrikam Tailspin Wingtip Adventure Litware Proseware Lucerne Margie
Alpine Summit Harbor Beacon Vertex Quantum Nimbus Orbit Atlas Zenith Pioneer Horizon Keystone
Redwood Silverline Brightpath Clearwater Evergreen Ironclad Lighthouse Meridian Northstar
""".split()
COMPANY_KINDS = (
    "Labs Systems Software Logistics Consulting Media Health Energy Foods Partners".split()
)
COMPANY_SUFFIXES = ["Inc", "Ltd", "LLC", "GmbH", "SA", "Corp", "", "", ""]


@cache
def _normalized(text: str) -> str:
    return normalize(text)


def synthetic_leads(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """`n` plausible leads, the same ones for the same seed. Each carries its search keys
    under `_search` (normalized per vocabulary word and cached: generating 1M stays quick)."""
    rng = random.Random(seed)
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if rng.random() < 0.05:
            last = f"{last}-{rng.choice(LAST_NAMES)}"
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
        suffix = rng.choice(COMPANY_SUFFIXES)
        if suffix:
            company = f"{company} {suffix}"
        search_company = _normalized(company)
        domain = search_company.split()[0] + rng.choice([".com", ".io", ".co", ".de", ".fr"])
        search_name = f"{_normalized(first)} {_normalized(last)}"
        keys = search_name.split()
        local = [
            f"{keys[0]}.{keys[-1]}",
            f"{keys[0][0]}{keys[-1]}",
            keys[0],
            f"{keys[0]}{i % 100}",
        ][rng.randrange(4)]
        email = f"{local}@{domain}"  # already lower-case ASCII: its own search key
        yield {
            "id": f"b{i:07d}",
            "name": f"{first} {last}",
            "company": company,
            "email": email,
            "phone": f"+1 555 {rng.randrange(10**7):07d}",
            "status": STAGES[rng.randrange(len(STAGES))],
            "value": float(rng.randrange(100, 100_000)),
            "notes": None,
            "created_at": stamp,
            "updated_at": stamp,
            "version": 1,
            "_search": (search_name, search_company, email),
        }


# A query mix a user would type: (text, what it exercises).
QUERIES = [
    ("John Smith", "full name"),
    ("Francois Dupre", "accents dropped"),
    ("Micheal", "misspelled first name"),
    ("johnson", "last name"),
    ("Jenifer Lopes", "two typos"),
    ("Acme", "company"),
    ("hooli software", "company words"),
    ("jsmith", "e-mail local part"),
    ("sarah.lee@acme.com", "e-mail"),
    ("Stefanescu", "accented last name"),
    ("Kowalsky", "misspelled last name"),
    ("Priya", "first name"),
]

COLUMNS = (
    "id",
    "name",
    "company",
    "email",
    "phone",
    "status",
    "value",
    "notes",
    "created_at",
    "updated_at",
    "version",
)


def _search_columns(lead: dict[str, Any]) -> tuple[str, str, str]:
    if "_search" in lead:
        return lead["_search"]
    keys = search_keys(lead["name"], lead["company"], lead["email"])
    return keys["name"], keys["company"], keys["email"]


def load_sqlite(store: Any, leads: Iterable[dict[str, Any]]) -> None:
    """Bulk insert with executemany in one transaction (search keys included), then the search
    index is built once from all of them (as `migrate()` does for existing leads)."""
    rows = []
    for lead in leads:
        values = [lead[c] for c in COLUMNS]
        values[COLUMNS.index("created_at")] = lead["created_at"].isoformat()
        values[COLUMNS.index("updated_at")] = lead["updated_at"].isoformat()
        rows.append((*values, *_search_columns(lead)))
    placeholders = ", ".join("?" * (len(COLUMNS) + 3))
    with store._db(write=True) as conn:  # noqa: SLF001 - a benchmark may use the backend's own connection
        conn.executemany(
            f"INSERT INTO leads ({', '.join(COLUMNS)}, search_name, search_company, search_email) "
            f"VALUES ({placeholders})",
            rows,
        )
        rebuild_index(conn)


def load_postgres(url: str, leads: Iterable[dict[str, Any]]) -> None:
    """Bulk load with COPY, then VACUUM ANALYZE (as autovacuum would after a bulk load)."""
    import psycopg

    columns = [*COLUMNS, "search_name", "search_company", "search_email"]
    with psycopg.connect(url) as conn:
        # Terms are built once at the end instead of row by row by the trigger.
        conn.execute("ALTER TABLE leads DISABLE TRIGGER leads_sync_terms")
        with conn.cursor() as cur:
            with cur.copy(f"COPY leads ({', '.join(columns)}) FROM STDIN") as copy:
                for lead in leads:
                    copy.write_row([*(lead[c] for c in COLUMNS), *_search_columns(lead)])
        conn.execute("SELECT rebuild_search_terms()")
        conn.execute("ALTER TABLE leads ENABLE TRIGGER leads_sync_terms")
    # VACUUM also merges the GIN indexes' pending lists, which a search would otherwise scan.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE leads, lead_terms, search_terms")


def measure(search: Callable[[str], Any], repeat: int, warm_up: bool = True) -> dict[str, float]:
    """p50/p95/max in milliseconds over `repeat` rounds of the query mix (after one warm-up)."""
    for text, _ in QUERIES if warm_up else ():
        search(text)
    samples = []
    for _ in range(repeat):
        for text, _ in QUERIES:
            start = time.perf_counter()
            search(text)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
        "max_ms": round(samples[-1], 2),
        "queries": len(samples),
    }


def _repeat_for(size: int, backend: str) -> int:
    """Rounds of the query mix: fewer where one query takes long (SQLite at 1M: seconds)."""
    if size <= 100_000:
        return 10
    return 5 if backend == "postgres" else 1


def bench_sqlite(sizes: Iterable[int], workdir: Path) -> dict[int, dict[str, float]]:
    from agent_service.leads.sqlite import SqliteLeadStore

    results = {}
    for size in sizes:
        store = SqliteLeadStore(workdir / f"bench-{size}.sqlite3", Pipeline(STAGES))
        store.migrate()
        started = time.perf_counter()
        load_sqlite(store, synthetic_leads(size))
        load_s = time.perf_counter() - started
        store.search("warm up the corpus")
        results[size] = {
            **measure(
                lambda text, s=store: s.search(text, 5),
                _repeat_for(size, "sqlite"),
                warm_up=size <= 100_000,  # at 1M one query takes seconds; the corpus is warm
            ),
            "load_s": round(load_s, 1),
        }
        store.close()
        (workdir / f"bench-{size}.sqlite3").unlink(missing_ok=True)
        _progress("sqlite", size, results[size])
    return results


def bench_postgres(sizes: Iterable[int]) -> dict[int, dict[str, float]]:
    from agent_service.leads.postgres import PostgresLeadStore
    from tests.utils.postgres import PostgresServer

    results = {}
    with PostgresServer(settings={"shared_buffers": "256MB", "work_mem": "16MB"}) as server:
        for size in sizes:
            url = server.create_database(f"bench_{size}")
            store = PostgresLeadStore(url, Pipeline(STAGES))
            store.migrate()
            started = time.perf_counter()
            load_postgres(url, synthetic_leads(size))
            load_s = time.perf_counter() - started
            results[size] = {
                **measure(lambda text, s=store: s.search(text, 5), _repeat_for(size, "postgres")),
                "load_s": round(load_s, 1),
            }
            store.close()
            server.drop_database(f"bench_{size}")
            _progress("postgres", size, results[size])
    return results


def _progress(backend: str, size: int, figures: dict[str, float]) -> None:
    print(
        f"  {backend:<8} {size:>9,} leads: p50 {figures['p50_ms']:.2f} ms, "
        f"p95 {figures['p95_ms']:.2f} ms (loaded in {figures['load_s']} s)",
        file=sys.stderr,
        flush=True,
    )


def run(
    sizes: Iterable[int] = DEFAULT_SIZES, backends: Iterable[str] = ("sqlite", "postgres")
) -> dict[str, Any]:
    """Measure both backends; returns `{"sizes", "queries", "sqlite": {size: …}, "postgres": …}`."""
    sizes = list(sizes)
    out: dict[str, Any] = {
        "sizes": sizes,
        "queries": [text for text, _ in QUERIES],
        "target": {"postgres_p95_ms_at_1M": TARGET_P95_MS_AT_1M},
    }
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        if "sqlite" in backends:
            out["sqlite"] = bench_sqlite(sizes, Path(tmp))
        if "postgres" in backends:
            out["postgres"] = bench_postgres(sizes)
    if 1_000_000 in out.get("postgres", {}):
        out["target"]["met"] = out["postgres"][1_000_000]["p95_ms"] <= TARGET_P95_MS_AT_1M
    return out


def table(results: dict[str, Any]) -> str:
    """The figures as a markdown table."""
    lines = [
        "| leads | SQLite p50 (ms) | SQLite p95 (ms) | Postgres p50 (ms) | Postgres p95 (ms) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        cells = [f"{size:,}"]
        for backend in ("sqlite", "postgres"):
            figures = results.get(backend, {}).get(size)
            cells += (
                [f"{figures['p50_ms']:.2f}", f"{figures['p95_ms']:.2f}"] if figures else ["–"] * 2
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


FLAT_SIZES = (100, 100_000)


def flat_search(
    sizes: Iterable[int] = FLAT_SIZES, turns: int = 40, seed: int = 11
) -> dict[str, Any]:
    """SQLite named-lead search right after a write, as in a chat turn (issue 14): each turn
    updates a random lead, then times the search for that lead by its full name (which must
    find it). Prints and returns p50 per size, wall and CPU (this thread's), and the ratios of
    the largest size's p50 to the smallest's (the goal: at most 2)."""
    from agent_service.leads.sqlite import SqliteLeadStore

    sizes = sorted(sizes)
    out: dict[str, Any] = {"sizes": sizes, "turns": turns, "p50_ms": {}, "cpu_p50_ms": {}}
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="crm-flat-") as tmp:
        for size in sizes:
            store = SqliteLeadStore(Path(tmp) / f"flat-{size}.sqlite3", Pipeline(STAGES))
            store.migrate()
            load_sqlite(store, synthetic_leads(size))
            for text, _ in QUERIES:  # warm the page cache, as a running service has it
                store.search(text, 5)
            samples: list[float] = []
            cpu_samples: list[float] = []
            for turn in range(turns):
                # The lead changed in this turn is searched by its name next: "move Ann Lee…".
                lead = store.update(f"b{rng.randrange(size):07d}", {"notes": f"turn {turn}"})
                start, cpu = time.perf_counter(), time.thread_time()
                found = store.search(lead.name, 5)
                samples.append((time.perf_counter() - start) * 1000)
                cpu_samples.append((time.thread_time() - cpu) * 1000)
                assert lead.id in {m.lead.id for m in found}, lead.name
            store.close()
            out["p50_ms"][size] = round(statistics.median(samples), 3)
            out["cpu_p50_ms"][size] = round(statistics.median(cpu_samples), 3)
            print(
                f"  sqlite {size:>9,} leads: named search after a write p50 "
                f"{out['p50_ms'][size]:.3f} ms (CPU {out['cpu_p50_ms'][size]:.3f} ms)",
                file=sys.stderr,
                flush=True,
            )
    big, small = sizes[-1], sizes[0]
    out["ratio"] = round(out["p50_ms"][big] / out["p50_ms"][small], 2)
    out["cpu_ratio"] = round(out["cpu_p50_ms"][big] / out["cpu_p50_ms"][small], 2)
    print(
        f"  ratio {big:,} / {small:,} leads: {out['ratio']:.2f} wall, {out['cpu_ratio']:.2f} "
        "CPU (goal: at most 2; CPU time is what other processes on the machine cannot blur)",
        file=sys.stderr,
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--flat", action="store_true", help="only SQLite named search after a write, 100 vs 100k"
    )
    args = parser.parse_args(argv)
    if args.flat:
        flat_search()
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    results = run(sizes, [b for b in args.backends.split(",") if b])
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

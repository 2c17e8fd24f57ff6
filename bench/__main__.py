"""`python -m bench` (`make bench`): run the benchmarks, write bench/results.json and .md.

    python -m bench                      # everything, full sizes (under 10 minutes on 2 cores)
    python -m bench --only overhead,load # some of them
    BENCH_QUICK=1 python -m bench        # tiny sizes (what the smoke test runs)
    BENCH_SEARCH_SIZES=1000,100000 python -m bench --only search
    BENCH_BASELINE_REF=<commit> python -m bench --only load   # compare with another commit

Each benchmark measures its figure and its reference in the same run (interleaved rounds, the
range reported); a benchmark that fails is reported as "not measured" with the reason (its
summary rows stay), and the others still run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, servers

BENCHMARKS = (
    "load",
    "overhead",
    "leads",
    "scaleout",
    "frontend",
    "studio",
    "search",
    "stream",
    "proxy",
    "changelog",
    "board",
)
# The summary rows each benchmark reports (shown as "not measured" when it fails).
ROWS = {
    "load": {
        "1a": "proxy CPU per turn ≤ 3 ms",
        "1b": "agent CPU per turn ≤ 8 ms (SQLite)",
        "2": "turns/s through the proxy ≥ 1.5× the baseline",
        "2b": "0 errors / 0 lost in every load round",
    },
    "overhead": {
        "3a": "our turn vs tuned stock LangGraph on SQLite",
        "3b": "our turn vs tuned stock LangGraph on PostgreSQL",
    },
    "leads": {"4": "SQLite named-lead turn at 100k ≤ 2× at 100 leads"},
    "scaleout": {"5": "2 vs 1 agent processes on PostgreSQL"},
    "frontend": {"6": "initial JS ≤ 80 KB gzip"},
    "studio": {"7": "langgraph dev comparison: throughput ratio"},
    "changelog": {
        "8a": "change-log cost per lead update (SQLite), p50",
        "8b": "change-log cost per lead update (PostgreSQL), p50",
        "8c": "change-log cost per lead create (SQLite), p50",
        "8d": "change-log cost per lead create (PostgreSQL), p50",
    },
    "board": {
        "9": "board event latency: change committed → card updated in a 2nd browser (SSE)",
        "10a": "board with 10,000 leads: first paint with the column counts",
        "10b": "board with 10,000 leads: counts and sums equal /api/leads/summary/",
    },
}


def _sizes_env(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name)
    return [int(s.replace("_", "")) for s in raw.split(",") if s.strip()] if raw else default


def sizes(quick: bool) -> dict[str, dict[str, Any]]:
    """Per benchmark, the keyword arguments of its `run()`.

    Search: Postgres at 1k/100k/1M; SQLite/rapidfuzz at 1k/100k only, because at 1M one query
    takes about 2 s and the full mix would cost minutes of the 10-minute budget (run
    `python -m bench.search --sizes 1000000 --backends sqlite` for it). Override with
    BENCH_SEARCH_SIZES (both backends) or BENCH_SEARCH_SQLITE_SIZES / BENCH_SEARCH_POSTGRES_SIZES.
    """
    both = _sizes_env("BENCH_SEARCH_SIZES", [1_000] if quick else [])
    sqlite = _sizes_env("BENCH_SEARCH_SQLITE_SIZES", both or [1_000, 100_000])
    postgres = _sizes_env("BENCH_SEARCH_POSTGRES_SIZES", both or [1_000, 100_000, 1_000_000])
    search = {"sizes_by_backend": {"sqlite": sqlite, "postgres": postgres}}
    if quick:
        return {
            "load": {"sessions": 3, "turns": 2, "rounds": 2},
            "overhead": {"marks": (1, 3), "window": 2, "rounds": 3},
            "leads": {"sizes": (100, 1_000), "rounds": 3, "turns": 3},
            "scaleout": {"sessions": 3, "turns": 2, "rounds": 2},
            "frontend": {},
            "studio": {"latency_turns": 4, "clients": 3, "turns_per_client": 2},
            "search": search,
            "stream": {"samples": 2},
            "proxy": {},
            "changelog": {"writes": 20, "rounds": 3},
            "board": {"changes": 3, "leads": 100, "rounds": 3},
        }
    return {
        "load": {"sessions": 50, "turns": 4, "rounds": 3},
        "overhead": {"marks": (1, 50), "window": 10, "rounds": 3},
        "leads": {"sizes": (100, 100_000), "rounds": 3, "turns": 6},
        "scaleout": {"sessions": 30, "turns": 4, "rounds": 3},
        "frontend": {},
        "studio": {"latency_turns": 10, "clients": 16, "turns_per_client": 8},
        "search": search,
        "stream": {"samples": 15},
        "proxy": {},
        "changelog": {"writes": 200, "rounds": 3},
        "board": {"changes": 15, "leads": 10_000, "rounds": 3},
    }


def run_search(sizes_by_backend: dict[str, list[int]]) -> dict[str, Any]:
    """bench/search.py's run() once per backend with that backend's sizes, merged."""
    from bench import search

    merged: dict[str, Any] = {}
    for backend, backend_sizes in sizes_by_backend.items():
        if not backend_sizes:
            continue
        result = search.run(backend_sizes, backends=[backend])
        merged.setdefault("queries", result.get("queries", []))
        merged[backend] = result.get(backend, {})
    merged["sizes"] = sorted({s for sizes_ in sizes_by_backend.values() for s in sizes_})
    return merged


def _call(run: Callable[..., Any], **kwargs: Any) -> Any:
    """Call `run` with the keyword arguments it accepts."""
    params = inspect.signature(run).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return run(**kwargs)
    return run(**{k: v for k, v in kwargs.items() if k in params})


SEARCH_TARGET_MS = 20.0


def search_section(result: dict[str, Any]) -> dict[str, Any]:
    """bench/search.py's figures (`{"sizes", "sqlite": {size: …}, "postgres": …}`) as a section."""
    sizes = result.get("sizes", [])

    def cell(backend: str, size: int, key: str) -> Any:
        figures = result.get(backend, {}).get(size) or result.get(backend, {}).get(str(size))
        return figures.get(key) if figures else None

    rows = [
        [
            f"{size:,}",
            cell("sqlite", size, "p50_ms"),
            cell("sqlite", size, "p95_ms"),
            cell("postgres", size, "p50_ms"),
            cell("postgres", size, "p95_ms"),
            cell("postgres", size, "load_s"),
        ]
        for size in sizes
    ]
    at_1m = cell("postgres", 1_000_000, "p95_ms")
    target = {
        "target": f"Postgres/pg_trgm top-5 p95 ≤ {SEARCH_TARGET_MS:g} ms at 1M leads",
        "measured": f"p95 {at_1m:.2f} ms"
        if at_1m is not None
        else "1M not run (sizes: " + ", ".join(f"{s:,}" for s in sizes) + ")",
        "met": None if at_1m is None else at_1m <= SEARCH_TARGET_MS,
    }
    notes = [
        "Query mix: " + ", ".join(result.get("queries", [])) + ".",
        "Reference (NOTES.md, measured earlier on this kind of machine, not in this run): a naive "
        "pg_trgm `similarity` top-5 over 1M names takes 39–111 ms; rapidfuzz `WRatio` over 1M "
        "names 2.0 s.",
    ]
    return {
        "title": "3. Fuzzy top-5 lead search (bench/search.py)",
        "columns": [
            "leads",
            "SQLite p50 ms",
            "SQLite p95 ms",
            "Postgres p50 ms",
            "Postgres p95 ms",
            "Postgres load s",
        ],
        "rows": rows,
        "targets": [target],
        "notes": notes,
        "data": result,
    }


def _as_section(key: str, result: Any) -> dict[str, Any]:
    """Sections from other helpers' modules may be plain dicts of figures: wrap them."""
    if isinstance(result, dict) and ("rows" in result or "targets" in result):
        return result
    if key == "search" and isinstance(result, dict) and "sizes" in result:
        return search_section(result)
    return {"title": key, "columns": [], "rows": [], "targets": [], "notes": [], "data": result}


def run_one(key: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    if key == "search" and (Path(__file__).parent / "search.py").exists():
        return search_section(_call(run_search, **kwargs))
    try:
        module = importlib.import_module(f"bench.{key}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{key}":
            return {"title": key, "error": f"bench/{key}.py does not exist yet", "targets": []}
        raise
    run = getattr(module, "run", None)
    if run is None:
        return {"title": key, "error": f"bench/{key}.py has no run()", "targets": []}
    adapt = getattr(module, "section", None)
    result = _call(run, **kwargs)
    return (
        adapt(result)
        if callable(adapt) and not isinstance(result, dict)
        else _as_section(key, result)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (or BENCH_QUICK=1)")
    parser.add_argument("--out", type=Path, default=report.HERE, help="folder for results.*")
    parser.add_argument("--profile", action="store_true", help="profile our turn even if fast")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    chosen = [b.strip() for b in args.only.split(",")] if args.only else list(BENCHMARKS)
    unknown = [b for b in chosen if b not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )

    started = time.monotonic()
    results: dict[str, Any] = {
        "meta": {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "quick": quick,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "sections": {},
    }
    config = sizes(quick)
    with contextlib.ExitStack() as stack:
        postgres_url = None
        if {"overhead", "scaleout", "changelog"} & set(chosen) and servers.postgres_available():
            try:
                postgres_url = stack.enter_context(servers.postgres())
            except Exception as exc:  # noqa: BLE001 - reported, the SQLite figures still run
                print(f"PostgreSQL could not start: {exc}", file=sys.stderr)
        for key in chosen:
            kwargs = dict(config[key])
            kwargs["postgres_url"] = postgres_url
            kwargs["quick"] = quick
            if key == "overhead":
                kwargs["force_profile"] = args.profile
            print(f"[bench] {key} …", file=sys.stderr, flush=True)
            t0 = time.monotonic()
            try:
                section = run_one(key, kwargs)
            except Exception as exc:  # noqa: BLE001 - one failure must not hide the others
                traceback.print_exc()
                section = {"title": key, "error": f"{type(exc).__name__}: {exc}", "targets": []}
            if section.get("error") and not section.get("targets"):
                section["targets"] = [
                    {
                        "row": row,
                        "target": name,
                        "measured": f"not measured: {section['error'][:200]}",
                        "reference": "–",
                        "met": None,
                    }
                    for row, name in ROWS.get(key, {}).items()
                ]
            section["seconds"] = round(time.monotonic() - t0, 1)
            section["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            results["sections"][key] = section
            print(f"[bench] {key} done in {section['seconds']:.0f} s", file=sys.stderr, flush=True)
            results["meta"]["total_seconds"] = round(time.monotonic() - started, 1)
            report.write(results, args.out)  # partial results survive a later crash
    results["meta"]["total_seconds"] = round(time.monotonic() - started, 1)
    json_path, md_path = report.write(results, args.out)
    print(report.markdown(results))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""8. Change-log write cost per lead write: today's store vs the pre-log store of the baseline.

Today's lead store writes one change-log row in the same transaction as every lead write
(docs/change-log.md); the baseline commit's store (`BENCH_BASELINE_REF`, default `cc2161a`,
prepared by bench/baseline.py) has no log. Each side runs in its own subprocess with its own
virtualenv and source tree (parity: same interpreter start, same store factory
`open_store(Settings(...))`), on its own database (a SQLite file, a PostgreSQL database on one
throwaway server). Each round runs baseline then ours, per backend; the subprocess times each
`create` and each `update` (a status change, alternating stages) after a short warm-up, with
`time.perf_counter()` around the store call only. Per round the p50 of each side; the ratio
ours / baseline per round; the range over the rounds is reported.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import baseline, servers

# Runs inside each side's own virtualenv and tree: prints the per-call ms as JSON.
WORKER = r"""
import json, sys, time
from agent_service.settings import Settings
try:
    from agent_service.leads.factory import open_store
except ImportError:  # the baseline keeps open_store in leads/store.py
    from agent_service.leads.store import open_store

url, count, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = open_store(Settings(crm_model="offline", crm_database_url=url))
store.migrate()
stages = ("Contacted", "Meeting booked")
tag = str(time.time_ns())
created, create_ms, update_ms = [], [], []
for i in range(warm + count):
    start = time.perf_counter()
    lead = store.create({"name": f"Bench {tag} {i}", "company": "Bench Co", "status": "New"})
    ms = (time.perf_counter() - start) * 1000
    created.append(lead)
    if i >= warm:
        create_ms.append(ms)
for i, lead in enumerate(created):
    start = time.perf_counter()
    store.update(lead.id, {"status": stages[i % 2]})
    ms = (time.perf_counter() - start) * 1000
    if i >= warm:
        update_ms.append(ms)
extra = {}
if hasattr(store, "last_seq"):
    extra["last_seq"] = store.last_seq()
store.close()
print(json.dumps({"create_ms": create_ms, "update_ms": update_ms, **extra}))
"""

OPS = ("update", "create")
WARM_UP = 5


def measure(stack: servers.Stack, url: str, count: int) -> dict[str, Any]:
    """One subprocess of `stack` doing `count` timed creates and updates on `url`."""
    done = subprocess.run(
        [stack.python, "-c", WORKER, url, str(count), str(WARM_UP)],
        cwd=stack.root,
        env=servers.service_env(Path(tempfile.gettempdir())),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"{stack.label} store writes failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _range(values: list[float], digits: int = 2) -> str:
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def run(
    writes: int = 200,
    rounds: int = 3,
    postgres_url: str | None = None,
    quick: bool = False,
) -> dict[str, Any]:
    """p50 per lead create/update, ours (with the log) vs the baseline store, per backend."""
    base = baseline.stack()
    sides = {"baseline": base, "ours": servers.CURRENT}
    with ExitStack() as opened, tempfile.TemporaryDirectory(prefix="bench-changelog-") as tmp:
        folder = Path(tmp)
        urls: dict[str, dict[str, str]] = {
            "SQLite": {side: f"sqlite:///{folder / f'{side}.sqlite3'}" for side in sides}
        }
        if postgres_url is None and servers.postgres_available():
            postgres_url = opened.enter_context(servers.postgres())
        if postgres_url:
            urls["PostgreSQL"] = {
                side: servers.create_database(postgres_url, f"bench_changelog_{side}")
                for side in sides
            }
        # p50[backend][op][side] = one p50 per round
        p50: dict[str, dict[str, dict[str, list[float]]]] = {
            backend: {op: {side: [] for side in sides} for op in OPS} for backend in urls
        }
        samples: dict[str, dict[str, list[Any]]] = {b: {s: [] for s in sides} for b in urls}
        logged: dict[str, int] = {}
        for _ in range(rounds):
            for backend, by_side in urls.items():
                for side, stack in sides.items():
                    got = measure(stack, by_side[side], writes)
                    samples[backend][side].append(got)
                    for op in OPS:
                        p50[backend][op][side].append(statistics.median(got[f"{op}_ms"]))
                    if side == "ours":
                        logged[backend] = got.get("last_seq", 0)
        # Every write of ours must have written its log row (2 writes per lead, warm-up too).
        expected_rows = rounds * 2 * (writes + WARM_UP)
        for backend, seq in logged.items():
            if seq < expected_rows:
                raise RuntimeError(
                    f"{backend}: the change log has {seq} rows after {expected_rows} writes"
                )

    rows, targets = [], []
    row_ids = {("SQLite", "update"): "8a", ("PostgreSQL", "update"): "8b"}
    for backend in urls:
        for op in OPS:
            ours, theirs = p50[backend][op]["ours"], p50[backend][op]["baseline"]
            ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
            rows.append(
                [
                    f"{backend} · {op}",
                    _range(theirs),
                    _range(ours),
                    _range([o - t for o, t in zip(ours, theirs, strict=True)]),
                    _range(ratios),
                ]
            )
            row = row_ids.get((backend, op), "8c" if backend == "SQLite" else "8d")
            targets.append(
                {
                    "row": row,
                    "target": f"change-log cost per lead {op} ({backend}), p50",
                    "measured": f"{_range(ours)} ms with the log; ratio {_range(ratios)}",
                    "reference": f"{_range(theirs)} ms without (baseline {base.label[9:]})",
                    # No target in the issue: reported only.
                    "met": None,
                    "result": "reported",
                }
            )
    return {
        "title": "8. Change-log write cost per lead write (store, p50, ours vs pre-log baseline)",
        "columns": [
            "backend · write",
            "baseline p50 ms (no log)",
            "ours p50 ms (with log)",
            "difference ms",
            "ratio ours / baseline",
        ],
        "rows": rows,
        "targets": targets,
        "notes": [
            f"{rounds} rounds, baseline then ours per backend; {writes} timed creates and "
            f"{writes} timed updates per side per round after {WARM_UP} warm-up leads; each "
            "side in its own subprocess with its own tree and virtualenv "
            f"({base.label} vs this checkout); ranges are over the rounds.",
            "The timer wraps only the store call (the lead write and, for ours, its change-log "
            "row in the same transaction; on PostgreSQL also the NOTIFY).",
            f"Checked: ours wrote ≥ {rounds * 2 * (writes + WARM_UP)} log rows per backend "
            f"(last seq: {logged}).",
        ],
        "data": {"p50_ms": p50, "last_seq": logged, "backends": list(urls)},
    }

"""5. Scale-out on PostgreSQL: the same load on 1 and on 2 agent-service processes.

One throwaway PostgreSQL holds the leads, the checkpoints and the run records; two
`python -m agent_service` processes run on it. The load client talks to the agents directly
(agent token + `X-CRM-User`), with a sticky round-robin of its own: session i always talks to
agent i mod n (a run's events are served by the process that runs it; the Django proxy forwards
to one agent URL). Rounds alternate: 1 agent, 2 agents, 1 agent, … each on fresh leads and
threads; per round turns/s, errors and lost messages, and the ratio 2 / 1 per pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import servers
from bench.load import Crowd, Via, _range
from bench.studio import lead_name


def _seed_postgres(url: str, count: int) -> None:
    from agent_service.leads.models import Pipeline
    from agent_service.leads.postgres import PostgresLeadStore
    from agent_service.settings import DEFAULT_STAGES

    store = PostgresLeadStore(url, Pipeline(DEFAULT_STAGES))
    try:
        store.migrate()
        for i in range(count):
            store.create({"name": lead_name(i), "company": f"Company {i}", "status": "New"})
    finally:
        store.close()


def run(
    sessions: int = 50,
    turns: int = 6,
    rounds: int = 3,
    postgres_url: str | None = None,
) -> dict[str, Any]:
    """turns/s with 1 and with 2 agent processes on one PostgreSQL, rounds interleaved."""
    by_round: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    with (
        contextlib.ExitStack() as running,
        tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp,
    ):
        if postgres_url is None:
            postgres_url = running.enter_context(servers.postgres())
        db = servers.create_database(postgres_url, "bench_scaleout")
        _seed_postgres(db, sessions * rounds * 2)
        folder = Path(tmp)
        urls, pids = [], {}
        for n in (1, 2):
            url = running.enter_context(
                servers.agent_service(
                    folder,
                    log_name=f"agent{n}.log",
                    CRM_DATABASE_URL=db,
                    CHECKPOINT_DATABASE_URL=db,
                )
            )
            urls.append(url)
            pids[f"agent {n}"] = servers.PIDS[url]
        loop = asyncio.new_event_loop()
        crowds = {
            1: Crowd(Via(urls[:1], False, {"agent 1": pids["agent 1"]}), sessions),
            2: Crowd(Via(urls, False, pids), sessions),
        }
        try:
            phase = 0
            for r in range(rounds):
                for n in (1, 2):
                    leads = list(range(phase * sessions, (phase + 1) * sessions))
                    phase += 1
                    figures = loop.run_until_complete(
                        crowds[n].round(leads, turns, f"scale{n}-r{r}")
                    )
                    figures["round"] = r + 1
                    by_round[n].append(figures)
                    print(
                        f"[bench] scale-out round {r + 1}, {n} agent(s): "
                        f"{figures['turns_per_s']:.1f} turns/s, {figures['errors']} errors",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            for crowd in crowds.values():
                loop.run_until_complete(crowd.close())
            loop.close()

    ratios = [
        two["turns_per_s"] / one["turns_per_s"]
        for one, two in zip(by_round[1], by_round[2], strict=True)
    ]
    rows = []
    for r in range(rounds):
        for n in (1, 2):
            d = by_round[n][r]
            cpu = d["cpu_ms_per_turn"]
            rows.append(
                [
                    f"{n} agent process{'es' if n > 1 else ''}",
                    r + 1,
                    round(d["turns_per_s"], 1),
                    d["latency_ms"]["p50"],
                    d["latency_ms"]["p99"],
                    d["errors"],
                    d["lost"],
                    round(sum(v for k, v in cpu.items() if k.startswith("agent") and v), 2),
                    cpu.get("load client"),
                ]
            )
    clean = all(d["errors"] == 0 and d["lost"] == 0 for n in by_round for d in by_round[n])
    notes = [
        f"{rounds} rounds, 1 and 2 agents alternating, each {sessions} sessions × {turns} turns "
        "straight to the agents (no proxy), a sticky round-robin in the load client.",
        "Both agents run on the same 2 cores as the client and PostgreSQL: a ratio near 1 means "
        "the cores are the limit, not the single process.",
    ]
    samples = [e for n in by_round for d in by_round[n] for e in d["error_samples"]]
    if samples:
        notes.append("Error samples: " + " | ".join(samples[:4]))
    return {
        "title": "5. PostgreSQL: 1 vs 2 agent-service processes (same run)",
        "columns": [
            "agents",
            "round",
            "turns/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "lost",
            "agents' CPU ms/turn",
            "client CPU ms/turn",
        ],
        "rows": rows,
        "targets": [
            {
                "row": "5",
                "target": "2 vs 1 agent processes on PostgreSQL: throughput ratio "
                "(reported; > 1 with 0 errors)",
                "measured": f"2 agents {_range([d['turns_per_s'] for d in by_round[2]])} "
                f"turns/s; ratio {_range(ratios, 2)}×",
                "reference": f"1 agent {_range([d['turns_per_s'] for d in by_round[1]])} turns/s",
                "met": clean and min(ratios) > 1.0,
            }
        ],
        "notes": notes,
        "data": {"rounds": by_round, "ratios": ratios},
    }

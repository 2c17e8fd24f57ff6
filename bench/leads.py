"""4. A chat turn naming a lead on the embedded SQLite store: 100 leads vs 100k leads.

The service's own path, in process: the store `open_store()` gives for a `sqlite:///` URL, the
checkpoints `open_checkpoints()` gives, `ChatAgent` as `agent_service/main.py` builds it, the
offline model. The big store is filled with bench/search.py's synthetic leads (bulk insert, as
the search benchmark does), then a few leads with names found nowhere else are created through
the store. Each measured turn is "Move <name> to <stage>" (a real write, alternating stages), so
every turn both searches the leads and changes one, as a sales person's turn does; the reply is
checked. The prune the service does after each turn is on the clock, as in bench/overhead.py.

Rounds alternate the sizes (small, big, small, big, …); per round the p50 of each size, and the
ratio big / small per round.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

TARGET_RATIO = 2.0
NAMED = [
    "Zebulon Quimby",
    "Thaddeus Farnsworth",
    "Ignatius Pettigrew",
    "Cornelius Blackwood",
    "Evander Merriweather",
    "Percival Thistlewood",
    "Octavia Ravenscroft",
    "Philippa Abernathy",
]
STAGES = ("Won", "Contacted")
WARM_UP = 2


class Sized:
    """One store of `size` leads with the service's agent on it."""

    def __init__(self, folder: Path, size: int, opened: ExitStack) -> None:
        from agent_service.leads.factory import open_store
        from agent_service.runs.checkpoints import open_checkpoints
        from agent_service.settings import Settings
        from bench.overhead import service_agent, service_prunes_per_turn

        folder.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            crm_model="offline",
            crm_database_url=f"sqlite:///{folder / 'crm.sqlite3'}",
            checkpoint_database_url=f"sqlite:///{folder / 'checkpoints.sqlite3'}",
        )
        self.size = size
        self.store = open_store(settings)
        opened.callback(self.store.close)
        self.store.migrate()
        t0 = time.perf_counter()
        fill(self.store, size - len(NAMED))
        for name in NAMED:
            self.store.create({"name": name, "company": "Bench Co", "status": "New"})
        self.seed_s = time.perf_counter() - t0
        checkpoints = open_checkpoints(settings.checkpoint_url)
        opened.callback(checkpoints.close)
        self.agent = service_agent(self.store, settings, checkpoints)
        self.with_prune = service_prunes_per_turn()
        self.moves: dict[int, int] = {}
        self.wrong: list[str] = []

    def turn(self, lead: int) -> float:
        """One timed turn naming lead `lead`: its ms."""
        from bench.overhead import send_turn

        name = NAMED[lead % len(NAMED)]
        self.moves[lead] = self.moves.get(lead, 0) + 1
        stage = STAGES[(self.moves[lead] - 1) % 2]  # each turn really changes the lead
        thread = f"lead-{lead}"
        start = time.perf_counter()
        result = send_turn(self.agent, thread, f"Move {name} to {stage}", self.with_prune)
        elapsed = (time.perf_counter() - start) * 1000
        expected = f"Lead '{name}' status updated to '{stage}'."
        if result.reply != expected:
            self.wrong.append(result.reply[:200])
        return elapsed


def fill(store: Any, count: int) -> None:
    """`count` synthetic leads, bulk inserted (bench/search.py's loader when it has one)."""
    if count <= 0:
        return
    from bench import search

    search.load_sqlite(store, search.synthetic_leads(count))


def run(sizes: tuple[int, int] = (100, 100_000), rounds: int = 3, turns: int = 8) -> dict[str, Any]:
    """Per round, the p50 ms of a named-lead turn at each size; the ratio big / small."""
    small, big = sizes
    p50: dict[int, list[float]] = {small: [], big: []}
    wrong: list[str] = []
    seed_s: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-leads-") as tmp, ExitStack() as opened:
        stores = {size: Sized(Path(tmp) / str(size), size, opened) for size in (small, big)}
        for size, sized in stores.items():
            seed_s[size] = sized.seed_s
            for lead in range(WARM_UP):  # warm-up (imports, caches), off the clock
                sized.turn(lead)
        for r in range(rounds):
            for size in (small, big):
                sized = stores[size]
                samples = [sized.turn(t % len(NAMED)) for t in range(turns)]
                p50[size].append(statistics.median(samples))
                print(
                    f"[bench] leads round {r + 1} {size:,} leads: p50 {p50[size][-1]:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )
        for sized in stores.values():
            wrong += sized.wrong
    ratios = [b / s for s, b in zip(p50[small], p50[big], strict=True)]
    rows = [
        [f"{size:,}", *[round(v, 2) for v in p50[size]], round(seed_s[size], 1)]
        for size in (small, big)
    ]
    rows.append([f"{big:,} / {small:,}", *[f"{r:.2f}×" for r in ratios], None])
    notes = [
        f"{rounds} rounds, sizes alternating; per round and size {turns} turns "
        f"'Move <name> to {STAGES[0]}/{STAGES[1]}' (each a search and a write), p50 per round.",
        "The service's code path in process: open_store(sqlite:///…), open_checkpoints, "
        "ChatAgent, offline model; the per-turn prune on the clock when the service prunes "
        "per turn.",
    ]
    if wrong:
        notes.append(f"{len(wrong)} unexpected replies, e.g. {wrong[0]!r}")
    return {
        "title": "4. SQLite store: a turn naming a lead at "
        f"{small:,} vs {big:,} leads (ms per turn)",
        "columns": ["leads", *[f"round {r + 1} p50 ms" for r in range(rounds)], "fill s"],
        "rows": rows,
        "targets": [
            {
                "row": "4",
                "target": f"SQLite named-lead turn p50 at {big:,} leads ≤ {TARGET_RATIO:g}× "
                f"at {small:,}",
                "measured": f"{_range(p50[big])} ms; ratio {_range(ratios)}×",
                "reference": f"{small:,} leads {_range(p50[small])} ms",
                "met": max(ratios) <= TARGET_RATIO and not wrong,
            }
        ],
        "notes": notes,
        "data": {"p50_ms": p50, "ratios": ratios, "wrong_replies": wrong[:5], "fill_s": seed_s},
    }


def _range(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}" if round(low, 2) == round(high, 2) else f"{low:.2f}–{high:.2f}"

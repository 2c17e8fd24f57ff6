"""1. Agent overhead per turn (offline model: no model time) at turns 1, 50 and 200 of a thread.

Ours: the service's setup, exactly as `agent_service/main.py` builds it —
`ChatAgent(store, model, settings, checkpointer=checkpoints.saver, prune=checkpoints.prune)`
on `open_checkpoints(url)` (one checkpoint per turn, pruned to the latest, bounded window).
Stock: the same graph compiled with LangGraph's stock saver (`SqliteSaver` / `PostgresSaver`),
default durability, no pruning and no trimming (`history_window=200`).

Every thread runs the same conversation: a mix of status changes, field updates and questions
about the lead in focus. The measured turns are all status changes (real writes): for mark k,
turns k, k+1, … of a thread brought to k-1 turns, interleaved with the other marks (see
`run_threads`); the p50 over them is the figure for turn k. Warm-up turns are not counted.
"""

from __future__ import annotations

import cProfile
import pstats
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models import build_chat_model
from agent_service.leads.models import Pipeline
from agent_service.leads.store import LeadStore
from agent_service.runs.checkpoints import open_checkpoints
from agent_service.settings import DEFAULT_STAGES, Settings

TARGET_MS = 5.0
FLAT_RATIO = 1.2
MARKS = (1, 50, 200)
# Turns between the marks: what a sales person says about the lead in focus.
FILLER = ("change her phone to 555-0100", "what's her email?", "change her phone to 555-0199")
STAGES = ("Meeting booked", "Contacted")


class Messages:
    """The conversation's messages. Every status change moves Sarah to the stage she is not in
    (all threads share the store), so each measured turn is a real write, never a no-op."""

    def __init__(self) -> None:
        self.moves = 0

    def move(self) -> str:
        self.moves += 1
        return f"Move Sarah to {STAGES[self.moves % 2]}"

    def filler(self, turn: int) -> str:
        """Turn 1 names the lead (a pronoun needs a lead in focus); later turns vary."""
        return self.move() if turn == 1 else FILLER[turn % len(FILLER)]


def _seed(store: LeadStore) -> None:
    store.migrate()
    store.create({"name": "Sarah Lee", "company": "TechCorp", "email": "sarah@techcorp.io"})
    store.create({"name": "John Smith", "company": "Acme", "email": "john@acme.com"})


def run_threads(
    send: Callable[[str, str], Any],
    *,
    threads: int,
    marks: tuple[int, ...],
    window: int,
    prefix: str,
    after: Callable[[str], Any] | None = None,
) -> dict[int, list[float]]:
    """Per mark, the ms of the measured turns.

    For each round, one thread per mark is first brought to `mark - 1` turns; then the marks
    are measured in turn, interleaved (a fresh thread's turn 1, the next turn of the thread at
    50, of the thread at 200, and again, `window` times), so all marks see the same machine
    load even when other work comes and goes on the machine.
    """
    messages = Messages()

    def untimed(thread: str, text: str) -> None:
        send(thread, text)
        if after is not None:
            after(thread)

    for turn in range(1, 4):  # warm-up: imports, caches, prepared statements
        untimed(f"{prefix}-warm", messages.filler(turn))
    samples: dict[int, list[float]] = {mark: [] for mark in marks}
    for t in range(threads):
        for mark in marks:
            for turn in range(1, mark):
                untimed(f"{prefix}-{t}-{mark}", messages.filler(turn))
        for i in range(window):
            for mark in marks:
                thread = f"{prefix}-{t}-{mark}" if mark > 1 else f"{prefix}-{t}-first-{i}"
                text = messages.move()
                start = time.perf_counter()
                send(thread, text)
                samples[mark].append((time.perf_counter() - start) * 1000)
                if after is not None:  # off the clock, as the service does it after the reply
                    after(thread)
    return samples


def reply_path(agent: ChatAgent) -> Callable[[str, str], Any]:
    """What the run manager times until the reply is out: the turn without pruning, which it
    does right after publishing the reply (the prune is still run, after the clock stops, and
    its cost is shown in the per-part table)."""

    def send(thread_id: str, text: str) -> Any:
        return agent.send(thread_id, text, prune=False)

    return send


def stock_send(agent: ChatAgent) -> Callable[[str, str], Any]:
    """What stock LangGraph code does per message: look for an interrupt, then `invoke`."""

    def send(thread_id: str, text: str) -> Any:
        config = agent.config(thread_id)
        paused = bool(agent.graph.get_state(config).interrupts)
        graph_input: Any = Command(resume=text) if paused else {"messages": [HumanMessage(text)]}
        return agent.graph.invoke(graph_input, config, context=agent.context)

    return send


@contextmanager
def ours(store: LeadStore, checkpoint_url: str) -> Iterator[ChatAgent]:
    settings = Settings(crm_model="offline")
    checkpoints = open_checkpoints(checkpoint_url)
    agent = ChatAgent(
        store,
        build_chat_model(settings),
        settings,
        checkpointer=checkpoints.saver,
        prune=checkpoints.prune,
    )
    try:
        yield agent
    finally:
        checkpoints.close()


@contextmanager
def stock(store: LeadStore, checkpoint_url: str) -> Iterator[ChatAgent]:
    settings = Settings(crm_model="offline", history_window=200)  # no trimming in 200 turns
    if checkpoint_url.startswith("sqlite:///"):
        conn = sqlite3.connect(checkpoint_url.removeprefix("sqlite:///"), check_same_thread=False)
        saver: Any = SqliteSaver(conn)
        close = conn.close
    else:
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg import Connection
        from psycopg.rows import dict_row

        pg = Connection.connect(
            checkpoint_url, autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
        saver = PostgresSaver(pg)  # type: ignore[arg-type]
        close = pg.close
    saver.setup()
    try:
        yield ChatAgent(store, build_chat_model(settings), settings, checkpointer=saver)
    finally:
        close()


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": statistics.median(ordered), "p95": p95, "n": len(ordered)}


class _Timed:
    """Wraps methods of an object in place and adds up the time spent in them."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, obj: Any, method: str, label: str) -> None:
        inner = getattr(obj, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.ms[label] = self.ms.get(label, 0.0) + (time.perf_counter() - start) * 1000
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(obj, method, timed)


def breakdown(
    agent: ChatAgent, prune: Callable[[str], None] | None, turns: int = 30
) -> dict[str, float]:
    """Where one of our turns goes (ms per turn), measured with plain timers on a warm thread:
    checkpoint reads and writes, pruning, lead store calls; the rest is LangGraph's loop, the
    nodes' own work and the offline model."""
    thread, messages = "breakdown", Messages()
    for turn in range(1, 21):
        agent.send(thread, messages.filler(turn))
    timer = _Timed()
    saver = agent.checkpointer
    for method in ("get_tuple",):
        timer.wrap(saver, method, "checkpoint read (get_tuple)")
    for method in ("put", "put_writes"):
        timer.wrap(saver, method, "checkpoint write (put, put_writes)")
    if prune is not None:
        timer.wrap(agent, "_prune", "prune older checkpoints")
    for method in ("get", "search", "update", "list", "create"):
        if hasattr(agent.store, method):
            timer.wrap(agent.store, method, "lead store calls")
    start = time.perf_counter()
    for _ in range(turns):
        agent.send(thread, messages.move())
    total = (time.perf_counter() - start) * 1000 / turns
    out = {
        f"{label} ({timer.calls[label] / turns:.1f} calls)": ms / turns
        for label, ms in sorted(timer.ms.items())
    }
    out["graph loop, nodes, offline model (rest)"] = total - sum(out.values())
    out["total"] = total
    return {k: round(v, 2) for k, v in out.items()}


def profile(agent: ChatAgent, turns: int = 60, top: int = 25) -> dict[str, Any]:
    """cProfile of `turns` turns of one thread of our setup: where a turn's time goes."""
    messages = Messages()
    for turn in range(1, 4):
        agent.send("profile-warm", messages.filler(turn))
    profiler = cProfile.Profile()
    profiler.enable()
    start = time.perf_counter()
    for turn in range(1, turns + 1):
        agent.send("profile", messages.move() if turn % 2 else messages.filler(turn))
    elapsed = (time.perf_counter() - start) * 1000 / turns
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{_short(file)}:{line}({func})"
        rows.append((cumtime, tottime, calls, where))
    by_cum = sorted(rows, reverse=True)[:top]
    by_self = sorted(rows, key=lambda r: r[1], reverse=True)[:top]

    def fmt(row: tuple) -> dict[str, Any]:
        cum, own, calls, where = row
        return {
            "function": where,
            "cum_ms_per_turn": round(cum * 1000 / turns, 3),
            "self_ms_per_turn": round(own * 1000 / turns, 3),
            "calls_per_turn": round(calls / turns, 1),
        }

    return {
        "turns": turns,
        "ms_per_turn_under_profiler": round(elapsed, 2),
        "by_cumulative": [fmt(r) for r in by_cum],
        "by_self": [fmt(r) for r in by_self],
    }


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def run(
    *,
    marks: tuple[int, ...] = MARKS,
    window: int = 5,
    threads: int = 3,
    postgres_url: str | None = None,
    force_profile: bool = False,
) -> dict[str, Any]:
    """Per-mark p50/p95 (ms) for ours and stock, on SQLite and (with a URL) on Postgres."""
    from agent_service.leads.sqlite import SqliteLeadStore

    setups: dict[str, dict[int, list[float]]] = {}
    parts: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    kwargs = {"threads": threads, "marks": marks, "window": window}
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        folder = Path(tmp)
        store = SqliteLeadStore(str(folder / "crm.sqlite3"), Pipeline(DEFAULT_STAGES))
        _seed(store)
        with ours(store, f"sqlite:///{folder / 'ours.sqlite3'}") as agent:
            setups["ours · SQLite"] = run_threads(
                reply_path(agent), prefix="ours", after=agent.prune, **kwargs
            )
            parts["ours · SQLite"] = breakdown(agent, agent._prune)
        with stock(store, f"sqlite:///{folder / 'stock.sqlite3'}") as agent:
            setups["stock · SqliteSaver"] = run_threads(stock_send(agent), prefix="stock", **kwargs)
        stock_file_mb = (folder / "stock.sqlite3").stat().st_size / 1e6
        ours_file_mb = (folder / "ours.sqlite3").stat().st_size / 1e6
        notes.append(
            f"Checkpoint file after the run: ours {ours_file_mb:.2f} MB, stock {stock_file_mb:.1f} MB."
        )
        if postgres_url:
            from bench.servers import create_database

            pg_store, store_kind = _postgres_store(create_database(postgres_url, "bench_leads"))
            if pg_store is None:
                pg_store = store
            notes.append(f"Postgres rows: lead store on {store_kind}; checkpoints on Postgres.")
            with ours(pg_store, create_database(postgres_url, "bench_ours")) as agent:
                setups["ours · Postgres"] = run_threads(
                    reply_path(agent), prefix="ours", after=agent.prune, **kwargs
                )
                parts["ours · Postgres"] = breakdown(agent, agent._prune)
            with stock(pg_store, create_database(postgres_url, "bench_stock")) as agent:
                setups["stock · PostgresSaver"] = run_threads(
                    stock_send(agent), prefix="stock", **kwargs
                )
            if pg_store is not store:
                pg_store.close()
        else:
            notes.append("PostgreSQL not available: Postgres rows not measured.")

        figures = {
            name: {mark: _stats(s) for mark, s in by_mark.items()}
            for name, by_mark in setups.items()
        }
        targets = []
        missed = False
        for name, by_mark in figures.items():
            if not name.startswith("ours"):
                continue
            first, last = by_mark[marks[0]]["p50"], by_mark[marks[-1]]["p50"]
            worst = max(v["p50"] for v in by_mark.values())
            ok_speed = worst <= TARGET_MS
            ok_flat = last <= FLAT_RATIO * first
            missed = missed or not (ok_speed and ok_flat)
            targets.append(
                {
                    "target": f"{name}: p50 ≤ {TARGET_MS:g} ms at every mark",
                    "measured": f"worst p50 {worst:.2f} ms",
                    "met": ok_speed,
                }
            )
            targets.append(
                {
                    "target": f"{name}: flat, turn {marks[-1]} ≤ {FLAT_RATIO}× turn {marks[0]}",
                    "measured": f"{last:.2f} / {first:.2f} ms = {last / first:.2f}×",
                    "met": ok_flat,
                }
            )
        profile_data = None
        if missed or force_profile:
            with ours(store, f"sqlite:///{folder / 'profile.sqlite3'}") as agent:
                profile_data = profile(agent)
        store.close()

    columns = [
        "setup",
        *[f"turn {m} p50 ms" for m in marks],
        *[f"turn {m} p95 ms" for m in marks[-1:]],
        f"turn {marks[-1]} / turn {marks[0]}",
    ]
    rows = []
    for name, by_mark in figures.items():
        first, last = by_mark[marks[0]]["p50"], by_mark[marks[-1]]["p50"]
        rows.append(
            [
                name,
                *[round(by_mark[m]["p50"], 2) for m in marks],
                round(by_mark[marks[-1]]["p95"], 2),
                f"{last / first:.2f}×",
            ]
        )
    for backend, stock_name in (
        ("SQLite", "stock · SqliteSaver"),
        ("Postgres", "stock · PostgresSaver"),
    ):
        ours_name = f"ours · {backend}"
        if ours_name in figures and stock_name in figures:
            speedup = figures[stock_name][marks[-1]]["p50"] / figures[ours_name][marks[-1]]["p50"]
            notes.append(
                f"{backend}: at turn {marks[-1]} ours is {speedup:.1f}× faster than stock."
            )
    notes.append(
        f"{threads} round(s) per setup, each measuring {window} status changes per mark, the "
        "marks interleaved (a fresh thread's turn 1, the next turn of a thread at 50, of one at "
        "200, …) so they share the machine's load; offline model (no model time)."
    )
    return {
        "title": "1. Agent overhead per turn (offline model)",
        "columns": columns,
        "rows": rows,
        "targets": targets,
        "notes": notes,
        "data": {
            "marks": list(marks),
            "figures": {n: {str(m): v for m, v in f.items()} for n, f in figures.items()},
        },
        "profile": profile_data,
        "tables": [_breakdown_table(parts)] if parts else [],
    }


def _breakdown_table(parts: dict[str, dict[str, float]]) -> dict[str, Any]:
    labels: list[str] = []
    for figures in parts.values():
        labels += [label for label in figures if label not in labels and label != "total"]
    labels.append("total")
    return {
        "title": "Where our turn goes (ms per turn, status changes on a warm thread, plain timers)",
        "columns": ["part", *parts],
        "rows": [[label, *(parts[name].get(label) for name in parts)] for label in labels],
    }


def _postgres_store(url: str) -> tuple[LeadStore | None, str]:
    """The Postgres lead store when that backend exists, else None (the SQLite store is used)."""
    try:
        from agent_service.leads.postgres import PostgresLeadStore
    except ImportError:
        return None, "SQLite (agent_service.leads.postgres not available)"
    store = PostgresLeadStore(url, Pipeline(DEFAULT_STAGES))
    _seed(store)
    return store, "Postgres"

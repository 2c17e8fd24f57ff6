"""3. Our turn vs *tuned* stock LangGraph at turn 1 and turn 50 of a thread (offline model).

Both sides run the same `ChatAgent` (same graph, same 20-message window, `durability="exit"`,
the same lead store), so the only difference is the checkpoint code:

- ours: `agent_service/runs/checkpoints.py` exactly as `agent_service/main.py` opens it, and
  the per-turn pruning of older checkpoints ON the clock when the run manager does it after
  each turn (it holds the thread, and it is CPU the service pays per turn); when pruning has
  moved to the expiry sweep, only the turn is timed and the notes say so;
- tuned stock: LangGraph's `SqliteSaver` on a connection in WAL mode (`synchronous=NORMAL`,
  the setting SQLite documents for WAL) / `PostgresSaver` as `from_conn_string` opens it; no
  pruning (stock keeps every checkpoint).

Rounds: each round gives every setup fresh threads, then measures them turn by turn across
the setups (ours, stock, ours, stock, …) so both see the same machine load; per round the p50
at each mark, and the range over rounds is reported.
"""

from __future__ import annotations

import cProfile
import inspect
import pstats
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models import build_chat_model
from agent_service.leads.models import Pipeline
from agent_service.leads.store import LeadStore
from agent_service.runs.checkpoints import open_checkpoints
from agent_service.settings import DEFAULT_STAGES, Settings

MARKS = (1, 50)
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


def _accepts(func: Callable[..., Any], name: str) -> bool:
    return name in inspect.signature(func).parameters


def service_agent(store: LeadStore, settings: Settings, checkpoints: Any) -> ChatAgent:
    """`ChatAgent` as agent_service/main.py builds it (with the checkpoints' prune while the
    agent still takes one)."""
    extra: dict[str, Any] = {"checkpointer": checkpoints.saver}
    if getattr(checkpoints, "prune", None) and _accepts(ChatAgent.__init__, "prune"):
        extra["prune"] = checkpoints.prune
    return ChatAgent(store, build_chat_model(settings), settings, **extra)


def send_turn(agent: ChatAgent, thread_id: str, text: str, with_prune: bool) -> Any:
    """One turn as the service pays it: the reply path, then (when the service prunes per
    turn) the prune of the thread's older checkpoints."""
    if not _accepts(agent.send, "prune"):
        return agent.send(thread_id, text)
    result = agent.send(thread_id, text, prune=False)
    if with_prune:
        agent.prune(thread_id)
    return result


@contextmanager
def ours(store: LeadStore, checkpoint_url: str) -> Iterator[ChatAgent]:
    settings = Settings(crm_model="offline")
    checkpoints = open_checkpoints(checkpoint_url)
    agent = service_agent(store, settings, checkpoints)
    try:
        yield agent
    finally:
        checkpoints.close()


@contextmanager
def stock(store: LeadStore, checkpoint_url: str) -> Iterator[ChatAgent]:
    """Tuned stock: the service's settings (20-message window), LangGraph's own savers, SQLite
    in WAL mode; no pruning."""
    settings = Settings(crm_model="offline")
    if checkpoint_url.startswith("sqlite:///"):
        conn = sqlite3.connect(checkpoint_url.removeprefix("sqlite:///"), check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
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
    agent: ChatAgent, prune: Callable[[str], None] | None, turns: int = 30, warm: int = 20
) -> dict[str, float]:
    """Where one of our turns goes (ms per turn), measured with plain timers on a warm thread:
    checkpoint reads and writes, pruning, lead store calls; the rest is LangGraph's loop, the
    nodes' own work and the offline model."""
    thread, messages = "breakdown", Messages()
    for turn in range(1, warm + 1):
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


def run_interleaved(
    setups: list[tuple[str, Callable[[str, str], Any], Messages]],
    *,
    marks: tuple[int, ...],
    window: int,
    tag: str,
) -> dict[str, dict[int, list[float]]]:
    """One round: per setup and mark, the ms of the measured turns.

    Every setup gets fresh threads brought to `mark - 1` turns (untimed); then the measured
    turns go setup by setup, turn by turn (ours, stock, ours, stock, … at each mark), so the
    sides share whatever else the machine does at that moment. Setups on the same lead store
    share one `Messages`, so each status change really changes the lead.
    """
    for j, (_, send, messages) in enumerate(setups):  # warm-up: imports, caches, statements
        for turn in range(1, 4):
            send(f"{tag}-s{j}-warm", messages.filler(turn))
    for mark in marks:
        for j, (_, send, messages) in enumerate(setups):
            for turn in range(1, mark):
                send(f"{tag}-s{j}-{mark}", messages.filler(turn))
    samples: dict[str, dict[int, list[float]]] = {
        name: {m: [] for m in marks} for name, *_ in setups
    }
    for i in range(window):
        for mark in marks:
            for j, (name, send, messages) in enumerate(setups):
                thread = f"{tag}-s{j}-{mark}" if mark > 1 else f"{tag}-s{j}-first-{i}"
                text = messages.move()
                start = time.perf_counter()
                send(thread, text)
                samples[name][mark].append((time.perf_counter() - start) * 1000)
    return samples


def service_prunes_per_turn() -> bool:
    """Whether the run manager prunes a thread's checkpoints after each turn (today's code)
    rather than in the expiry sweep: then the prune is part of what a turn costs."""
    from agent_service.runs import manager

    return _accepts(ChatAgent.__init__, "prune") and "to_thread(self._prune" in (
        inspect.getsource(manager)
    )


def our_turn(agent: ChatAgent, with_prune: bool) -> Callable[[str, str], Any]:
    """Our turn as the service pays it: the reply path, then (when the service does it per
    turn) the prune of older checkpoints, both on the clock."""

    def send(thread_id: str, text: str) -> Any:
        return send_turn(agent, thread_id, text, with_prune)

    return send


def tuned_send(agent: ChatAgent) -> Callable[[str, str], Any]:
    """The same ChatAgent on a stock saver (it has no prune): one call per message."""

    def send(thread_id: str, text: str) -> Any:
        return send_turn(agent, thread_id, text, with_prune=False)

    return send


def _range(values: list[float], digits: int = 2) -> str:
    low, high = min(values), max(values)
    if round(low, digits) == round(high, digits):
        return f"{low:.{digits}f}"
    return f"{low:.{digits}f}–{high:.{digits}f}"


def run(
    *,
    marks: tuple[int, ...] = MARKS,
    window: int = 5,
    rounds: int = 3,
    threads: int | None = None,
    postgres_url: str | None = None,
    force_profile: bool = False,
    quick: bool = False,
) -> dict[str, Any]:
    """Per round and mark, p50 ms of ours and tuned stock on SQLite and (with a URL) Postgres."""
    from agent_service.leads.sqlite import SqliteLeadStore

    rounds = max(rounds, threads or 0)
    with_prune = service_prunes_per_turn()
    # samples[setup][round][mark] -> ms
    samples: dict[str, list[dict[int, list[float]]]] = {}
    parts: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp, ExitStack() as opened:
        folder = Path(tmp)
        store = SqliteLeadStore(str(folder / "crm.sqlite3"), Pipeline(DEFAULT_STAGES))
        opened.callback(store.close)
        _seed(store)
        sqlite_messages = Messages()
        setups: list[tuple[str, Callable[[str, str], Any], Messages]] = []
        ours_sqlite = opened.enter_context(ours(store, f"sqlite:///{folder / 'ours.sqlite3'}"))
        stock_sqlite = opened.enter_context(stock(store, f"sqlite:///{folder / 'stock.sqlite3'}"))
        setups += [
            ("ours · SQLite", our_turn(ours_sqlite, with_prune), sqlite_messages),
            ("tuned stock · SqliteSaver (WAL)", tuned_send(stock_sqlite), sqlite_messages),
        ]
        if postgres_url:
            from bench.servers import create_database

            pg_store, store_kind = _postgres_store(create_database(postgres_url, "bench_leads"))
            if pg_store is None:
                pg_store, pg_messages = store, sqlite_messages
            else:
                opened.callback(pg_store.close)
                pg_messages = Messages()
            notes.append(f"Postgres rows: lead store on {store_kind}; checkpoints on Postgres.")
            ours_pg = opened.enter_context(
                ours(pg_store, create_database(postgres_url, "bench_ours"))
            )
            stock_pg = opened.enter_context(
                stock(pg_store, create_database(postgres_url, "bench_stock"))
            )
            setups += [
                ("ours · Postgres", our_turn(ours_pg, with_prune), pg_messages),
                ("tuned stock · PostgresSaver", tuned_send(stock_pg), pg_messages),
            ]
        else:
            notes.append("PostgreSQL not available: Postgres rows not measured.")
        for r in range(rounds):
            by_setup = run_interleaved(setups, marks=marks, window=window, tag=f"r{r}")
            for name, by_mark in by_setup.items():
                samples.setdefault(name, []).append(by_mark)
        sizes = {"turns": 4, "warm": 3} if quick else {}
        parts["ours · SQLite"] = breakdown(
            ours_sqlite, getattr(ours_sqlite, "_prune", None), **sizes
        )
        if postgres_url:
            parts["ours · Postgres"] = breakdown(ours_pg, getattr(ours_pg, "_prune", None), **sizes)
        stock_file_mb, ours_file_mb = (
            sum(p.stat().st_size for p in folder.glob(f"{name}.sqlite3*")) / 1e6
            for name in ("stock", "ours")
        )
        notes.append(
            f"SQLite checkpoint files (with -wal) after the run: ours {ours_file_mb:.2f} MB, tuned stock "
            f"{stock_file_mb:.2f} MB (stock keeps every turn's checkpoint)."
        )
        profile_data = None
        if force_profile:
            with ours(store, f"sqlite:///{folder / 'profile.sqlite3'}") as agent:
                profile_data = profile(agent)

    # p50 per setup, round and mark
    p50 = {
        name: [{m: statistics.median(by_mark[m]) for m in marks} for by_mark in per_round]
        for name, per_round in samples.items()
    }
    last = marks[-1]
    rows = []
    for name, per_round in p50.items():
        rows.append(
            [
                name,
                *[_range([pr[m] for pr in per_round]) for m in marks],
                _range([pr[last] / pr[marks[0]] for pr in per_round]),
            ]
        )
    targets = []
    for backend, ours_name, stock_name, row in (
        ("SQLite", "ours · SQLite", "tuned stock · SqliteSaver (WAL)", "3a"),
        ("PostgreSQL", "ours · Postgres", "tuned stock · PostgresSaver", "3b"),
    ):
        if ours_name not in p50:
            targets.append(
                {
                    "row": row,
                    "target": f"our turn vs tuned stock LangGraph on {backend}",
                    "measured": "not measured",
                    "reference": "–",
                    "met": None,
                }
            )
            continue
        by_mark = {
            m: [o[m] / s_[m] for o, s_ in zip(p50[ours_name], p50[stock_name], strict=True)]
            for m in marks
        }
        wins = [m for m in marks if max(by_mark[m]) < 1.0]
        notes.append(
            f"{backend}: ours / tuned stock per round: "
            + "; ".join(f"turn {m} {_range(by_mark[m])}×" for m in marks)
            + (
                f". Ours is faster in every round at turn(s) {', '.join(map(str, wins))}."
                if wins
                else ". Ours is not faster than tuned stock in every round at any mark."
            )
        )
        targets.append(
            {
                "row": row,
                "target": f"our turn vs tuned stock LangGraph on {backend} (ours / stock, "
                f"turn {last} p50; custom code kept only where < 1 in every round)",
                "measured": f"ours {_range([pr[last] for pr in p50[ours_name]])} ms; "
                f"ratio {_range(by_mark[last])}×",
                "reference": f"tuned stock {_range([pr[last] for pr in p50[stock_name]])} ms",
                "met": max(by_mark[last]) < 1.0,
            }
        )
    notes += [
        "Per-turn prune of older checkpoints "
        + (
            "ON the clock (the run manager prunes after every turn, holding the thread)."
            if with_prune
            else "not timed: the run manager no longer prunes per turn (moved to the sweep)."
        ),
        f"{rounds} round(s); each round every setup gets fresh threads brought to turn "
        f"{', '.join(map(str, marks))}, then {window} status changes per mark, measured turn by "
        "turn across the setups (ours, stock, ours, stock, …) so both sides see the same machine "
        "load; the p50 of a round is one figure, the cells show the range over rounds.",
        "Both sides: the same ChatAgent (20-message window, durability='exit', one interrupt "
        "check per message), the same lead store, offline model (no model time).",
    ]
    return {
        "title": "3. Our turn vs tuned stock LangGraph (offline model, ms per turn)",
        "columns": [
            "setup",
            *[f"turn {m} p50 ms (range)" for m in marks],
            f"turn {last} / turn {marks[0]}",
        ],
        "rows": rows,
        "targets": targets,
        "notes": notes,
        "data": {"marks": list(marks), "p50_by_round": p50, "prune_per_turn": with_prune},
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

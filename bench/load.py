"""Rows 1–2: load through Django + agent, ours vs a baseline commit, in interleaved rounds.

Real stacks on loopback: `python -m agent_service` (offline model, SQLite lead store and
checkpoints) behind `python -m django_proxy`, once for this checkout and once for the baseline
commit (bench/baseline.py, `BENCH_BASELINE_REF`), side by side on their own databases. One
client process (httpx, asyncio): every session logs in once through Django's login form (a real
password check, before any clock); each round it starts a new conversation and sends its turns
one after another, each waiting for its result on the run's event stream
(`/api/chat/events/<task_id>/`). Each session works on its own lead; its messages alternate a
status change and a phone change by pronoun ("change her phone to …"), so a reply from another
session's thread, or from an earlier message, cannot pass the check. After each round every
session's history (`/api/chat/history/`) must hold its messages in the order sent, each followed
by its reply. Rounds go baseline, ours, baseline, ours, …; per round the CPU time the proxy, the
agent and the client spent per answered turn (/proc).

`Crowd` and `Via` also serve bench/scaleout.py (straight to one or more agents, no Django).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import servers
from bench.clients import agent_headers, follow, summary
from bench.studio import lead_name, seed

TARGET_TURNS_PER_S = 200.0
STAGES = ("Contacted", "Meeting booked", "Proposal sent", "Won", "Lost")
PASSWORD = "bench-Password-7f3a9c"  # noqa: S105 - a throwaway user in a throwaway database
PHASE_TIMEOUT_S = 300.0
LOGIN_CONCURRENCY = 8
FORM_LOGINS = 4  # sessions per stack signing in through the form; the others get one made ahead


def script(session: int, turns: int) -> list[tuple[str, str]]:
    """(message, exact expected reply) for each turn of `session`."""
    name = lead_name(session)
    out = []
    for t in range(turns):
        if t % 2 == 0:
            stage = STAGES[(t // 2) % len(STAGES)]
            out.append((f"Move {name} to {stage}", f"Lead '{name}' status updated to '{stage}'."))
        else:
            phone = f"555-{session:03d}{t:02d}"
            out.append(
                (f"change her phone to {phone}", f"Lead '{name}' updated: phone set to '{phone}'.")
            )
    return out


@dataclass
class Session:
    """One signed-in user (`index`) of one stack; `turns` and `thread` change every round."""

    index: int
    client: httpx.AsyncClient
    turns: list[tuple[str, str]] = field(default_factory=list)
    thread: str = ""
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong_replies: int = 0
    login: str = ""  # "form" (login form) or "made" (a session made ahead, checked)

    def next_round(self, turns: list[tuple[str, str]], thread: str) -> None:
        self.turns, self.thread = turns, thread
        self.latencies, self.errors, self.wrong_replies = [], [], 0


class Via:
    """How a session talks to the stack: through Django (one URL), or straight to the agent
    service(s): with several agent URLs, session i always talks to agent i mod n (a sticky
    round-robin: a run's events are served by the process that runs it)."""

    def __init__(
        self, url: str | list[str], django: bool, pids: dict[str, int] | None = None
    ) -> None:
        self.urls = [url] if isinstance(url, str) else list(url)
        self.url, self.django = self.urls[0], django
        self.pids = pids or {}
        self.made: dict[int, tuple[str, str]] = {}  # session index → (cookie, key), made ahead

    def client(self, index: int) -> httpx.AsyncClient:
        headers = {} if self.django else agent_headers(f"user-{index}")
        return httpx.AsyncClient(
            base_url=self.urls[index % len(self.urls)],
            headers=headers,
            timeout=httpx.Timeout(60, connect=10),
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )

    async def login(self, session: Session) -> None:
        """Sign in: with a session made beforehand (`self.made`), take its cookie and check that
        it is signed in; otherwise (or when that check fails) through the login form."""
        if not self.django:
            return
        made = self.made.get(session.index)
        if made and await self._adopt(session, *made):
            session.login = "made"
            return
        await self._form_login(session)
        session.login = "form"

    async def _adopt(self, session: Session, cookie: str, key: str) -> bool:
        http = session.client
        http.cookies.set(cookie, key)
        page = await http.get("/accounts/login/")
        token = http.cookies.get("csrftoken")
        if not token:  # a double-submit token of our own: what Django's CSRF check compares
            token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
            http.cookies.set("csrftoken", token)
        http.headers["X-CSRFToken"] = token
        check = await http.get("/api/chat/history/")
        if page.status_code < 400 and check.status_code == 200:
            return True
        http.cookies.clear()
        http.headers.pop("X-CSRFToken", None)
        return False

    async def _form_login(self, session: Session) -> None:
        http = session.client
        for attempt in range(5):  # a burst of new connections may find the backlog full
            try:
                page = await http.get("/accounts/login/")
                break
            except httpx.ConnectError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))
        token = http.cookies.get("csrftoken")
        if page.status_code != 200 or not token:
            raise RuntimeError(f"login page: {page.status_code}, csrf cookie {bool(token)}")
        done = await http.post(
            "/accounts/login/",
            data={
                "username": f"bench{session.index}",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
        )
        if done.status_code != 302 or "sessionid" not in http.cookies:
            raise RuntimeError(f"login refused: {done.status_code} {done.text[:200]}")
        http.headers["X-CSRFToken"] = http.cookies["csrftoken"]

    async def clear(self, session: Session) -> None:
        """Start a new conversation (Django keeps one thread per user): before a round."""
        if self.django:
            done = await session.client.post("/api/chat/clear/")
            if done.status_code >= 300:
                raise RuntimeError(f"POST /api/chat/clear/: {done.status_code} {done.text[:200]}")

    async def send(self, session: Session, message: str) -> dict[str, Any]:
        http = session.client
        if self.django:
            created = await http.post("/api/chat/", json={"message": message})
            if created.status_code != 202:
                raise RuntimeError(f"POST /api/chat/: {created.status_code} {created.text[:200]}")
            return await follow(http, f"/api/chat/events/{created.json()['task_id']}/")
        created = await http.post(f"/threads/{session.thread}/runs", json={"message": message})
        if created.status_code != 202:
            raise RuntimeError(f"POST runs: {created.status_code} {created.text[:200]}")
        return await follow(http, f"/runs/{created.json()['run_id']}/events")

    async def history(self, session: Session) -> dict[str, Any]:
        path = "/api/chat/history/" if self.django else f"/threads/{session.thread}"
        response = await session.client.get(path)
        response.raise_for_status()
        return response.json()


async def play(session: Session, via: Via, start: asyncio.Event) -> None:
    await start.wait()
    for message, expected in session.turns:
        began = time.perf_counter()
        try:
            run = await via.send(session, message)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            session.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            continue
        session.latencies.append((time.perf_counter() - began) * 1000)
        if run.get("status") != "succeeded" or (run.get("result") or {}).get("reply") != expected:
            session.wrong_replies += 1


def check_history(history: dict[str, Any], turns: list[tuple[str, str]]) -> tuple[int, int]:
    """(lost, out of order) messages: each sent message, in order, followed by its reply."""
    messages = history.get("messages") or []
    pairs = [(m.get("role"), m.get("content")) for m in messages]
    lost = interleaved = 0
    expected_seq = []
    for message, reply in turns:
        expected_seq += [("user", message), ("assistant", reply)]
    present = set(pairs)
    for item in expected_seq:
        if item not in present:
            lost += 1
    if not lost and pairs != expected_seq:
        interleaved = sum(1 for a, b in zip(pairs, expected_seq, strict=False) if a != b) or abs(
            len(pairs) - len(expected_seq)
        )
    return lost, interleaved


class Crowd:
    """The signed-in sessions of one stack, kept for all rounds (logins are paid once, before
    any clock: a password check costs far more than a turn)."""

    def __init__(self, via: Via, sessions: int) -> None:
        self.via = via
        self.people = [Session(i, via.client(i)) for i in range(sessions)]
        self.login_s = 0.0

    async def login(self) -> None:
        gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

        async def one(session: Session) -> None:
            async with gate:
                await self.via.login(session)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(s) for s in self.people))
        self.login_s = time.perf_counter() - t0

    async def close(self) -> None:
        await asyncio.gather(*(s.client.aclose() for s in self.people), return_exceptions=True)

    async def round(self, leads: list[int], turns: int, tag: str) -> dict[str, Any]:
        """One timed round: session i works on lead `leads[i]` in a new conversation."""
        via, people = self.via, self.people
        gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

        async def fresh(session: Session) -> None:
            async with gate:
                await via.clear(session)

        for session, lead in zip(people, leads, strict=True):
            session.next_round(script(lead, turns), f"load-{tag}-{session.index}")
        await asyncio.gather(*(fresh(s) for s in people))

        start = asyncio.Event()
        tasks = [asyncio.create_task(play(s, via, start)) for s in people]
        await asyncio.sleep(0)
        cpu_before = cpu_snapshot(via.pids)
        t0 = time.perf_counter()
        start.set()
        done, pending = await asyncio.wait(tasks, timeout=PHASE_TIMEOUT_S)
        wall = time.perf_counter() - t0
        cpu = {k: v - cpu_before[k] for k, v in cpu_snapshot(via.pids).items()}
        for task in pending:
            task.cancel()

        checks = asyncio.Semaphore(20)
        lost = interleaved = 0
        history_errors: list[str] = []

        async def check(session: Session) -> tuple[int, int]:
            async with checks:
                try:
                    return check_history(await via.history(session), session.turns)
                except Exception as exc:  # noqa: BLE001
                    history_errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    return len(session.turns) * 2, 0

        for lost_n, inter_n in await asyncio.gather(*(check(s) for s in people)):
            lost += lost_n
            interleaved += inter_n

        latencies = [v for s in people for v in s.latencies]
        errors = [e for s in people for e in s.errors]
        ok = len(latencies)
        return {
            "sessions": len(people),
            "turns_per_session": turns,
            "turns_sent": len(people) * turns,
            "turns_ok": ok,
            "wall_s": wall,
            "turns_per_s": ok / wall if wall else 0.0,
            "latency_ms": summary(latencies),
            "errors": len(errors) + sum(s.wrong_replies for s in people),
            "run_errors": len(errors),
            "wrong_replies": sum(s.wrong_replies for s in people),
            "error_samples": errors[:5] + history_errors[:3],
            "lost": lost,
            "interleaved": interleaved,
            "login_s": self.login_s,
            "logins": {
                kind: sum(1 for s in people if s.login == kind) for kind in ("form", "made")
            },
            "timed_out": bool(pending),
            "cpu_s": cpu,
            "cpu_ms_per_turn": {k: v * 1000 / ok if ok else None for k, v in cpu.items()},
        }


async def drive(via: Via, sessions: int, turns: int) -> dict[str, Any]:
    """One crowd, one round (sessions on leads 0…): the figures of that round."""
    crowd = Crowd(via, sessions)
    try:
        await crowd.login()
        return await crowd.round(list(range(sessions)), turns, "r0")
    finally:
        await crowd.close()


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each server process (with its workers) and by this client."""
    snap = {name: servers.tree_cpu_seconds(pid) for name, pid in pids.items()}
    snap["load client"] = servers.cpu_seconds()
    return snap


def create_users(
    folder: Path,
    agent_url: str,
    count: int,
    stack: servers.Stack | None = None,
    migrate: bool = False,
    sessions_from: int | None = None,
) -> dict[int, tuple[str, str]]:
    """`count` users bench0… sharing one password hash (hashed once: creating them is quick);
    with `migrate`, the Django database is migrated first in the same process. With
    `sessions_from`, users from that index on also get a signed-in session made the way
    `django.contrib.auth.login` makes one (through the configured session engine): index →
    (cookie name, session key)."""
    code = (
        (
            "from django.core.management import call_command\n"
            "call_command('migrate', interactive=False, verbosity=0)\n"
        )
        if migrate
        else ""
    ) + (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        f"h = make_password({PASSWORD!r})\n"
        "U = get_user_model()\n"
        f"U.objects.bulk_create([U(username=f'bench{{i}}', password=h) for i in range({count})],"
        " ignore_conflicts=True)\n"
    )
    if sessions_from is not None and sessions_from < count:
        code += (
            "import json\n"
            "from importlib import import_module\n"
            "from django.conf import settings\n"
            "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY\n"
            "Store = import_module(settings.SESSION_ENGINE).SessionStore\n"
            "made = {}\n"
            f"for u in U.objects.filter(username__in=[f'bench{{i}}' for i in range({sessions_from}, {count})]):\n"
            "    s = Store()\n"
            "    s[SESSION_KEY] = u._meta.pk.value_to_string(u)\n"
            "    s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]\n"
            "    s[HASH_SESSION_KEY] = u.get_session_auth_hash()\n"
            "    s.save()\n"
            "    made[int(u.username[5:])] = s.session_key\n"
            "print('BENCH-SESSIONS=' + json.dumps([settings.SESSION_COOKIE_NAME, made]))\n"
        )
    out = servers.manage(folder, agent_url, "shell", "-c", code, stack=stack)
    for line in out.splitlines():
        if line.startswith("BENCH-SESSIONS="):
            cookie, made = json.loads(line.removeprefix("BENCH-SESSIONS="))
            return {int(i): (cookie, key) for i, key in made.items()}
    return {}


PROXY_CPU_TARGET_MS = 3.0
AGENT_CPU_TARGET_MS = 8.0
SPEEDUP_TARGET = 1.5
RATE_LIMIT = "100000"  # the limiter still runs; a user's many bench turns stay under it


def prepare(
    folder: Path, users: int, leads: int, stack: servers.Stack | None = None
) -> dict[int, tuple[str, str]]:
    """The databases of one stack: `leads` leads, the Django tables and `users` users, all but
    the first FORM_LOGINS with a signed-in session made ahead (see `create_users`)."""
    folder.mkdir(parents=True, exist_ok=True)
    seed(folder / "crm.sqlite3", leads)
    return create_users(
        folder, "http://127.0.0.1:9", users, stack=stack, migrate=True, sessions_from=FORM_LOGINS
    )


def start_stack(
    folder: Path, stack: servers.Stack | None = None
) -> tuple[ExitStack, str, dict[str, int]]:
    """Agent service (SQLite) + Django proxy of `stack` on the databases in `folder`: the
    ExitStack that stops them, the proxy's URL and the process ids to account CPU to."""
    with ExitStack() as started:
        agent_url = started.enter_context(servers.agent_service(folder, stack=stack))
        proxy_url = started.enter_context(
            servers.django_proxy(folder, agent_url, stack=stack, CHAT_RATE_LIMIT=RATE_LIMIT)
        )
        pids = {"proxy": servers.PIDS[proxy_url], "agent": servers.PIDS[agent_url]}
        return started.pop_all(), proxy_url, pids


def start_stacks(
    running: ExitStack,
    stacks: list[tuple[str, servers.Stack | None]],
    root: Path,
    users: int,
    leads: int,
) -> dict[str, tuple[str, dict[str, int], dict[int, tuple[str, str]]]]:
    """All stacks prepared and started side by side (threads: it is mostly waiting on child
    processes); each stops when `running` closes. Name → (proxy URL, process ids, sessions made
    ahead)."""

    def one(name: str, stack: servers.Stack | None) -> tuple[ExitStack, str, dict]:
        made = prepare(root / name, users, leads, stack)
        started, url, pids = start_stack(root / name, stack)
        return started, url, {"pids": pids, "made": made}

    with ThreadPoolExecutor(len(stacks)) as pool:
        futures = {name: pool.submit(one, name, stack) for name, stack in stacks}
    out, failure = {}, None
    for name, future in futures.items():
        try:
            started, url, pids = future.result()
        except Exception as exc:  # noqa: BLE001 - re-raised once the others are registered
            failure = failure or exc
            continue
        running.enter_context(started)
        out[name] = (url, pids["pids"], pids["made"])
    if failure is not None:
        raise failure
    return out


def _range(values: list[float], digits: int = 1) -> str:
    """`low–high` of the values (one value as itself)."""
    if not values:
        return "–"
    low, high = min(values), max(values)
    return (
        f"{low:.{digits}f}"
        if round(low, digits) == round(high, digits)
        else (f"{low:.{digits}f}–{high:.{digits}f}")
    )


def run(
    sessions: int = 100,
    turns: int = 6,
    rounds: int = 3,
    baseline: bool = True,
    baseline_ref: str | None = None,
) -> dict[str, Any]:
    """Load rounds through Django + agent, ours and (interleaved) the baseline commit's.

    Order: baseline, ours, baseline, ours, … (both stacks stay up; only one is loaded at a
    time). Per round: turns/s, latency, errors, lost/out-of-order messages, and the CPU each
    process spent per answered turn.
    """
    from bench import baseline as baseline_mod

    notes: list[str] = []
    stacks: list[tuple[str, servers.Stack | None]] = []
    if baseline:
        try:
            stacks.append(("baseline", baseline_mod.stack(baseline_ref)))
        except Exception as exc:  # noqa: BLE001 - ours is still measured; the ratio is not
            notes.append(f"Baseline not measured: {type(exc).__name__}: {str(exc)[:300]}")
    stacks.append(("ours", None))
    labels = {name: (stack.label if stack else "ours (this checkout)") for name, stack in stacks}
    leads = sessions * rounds
    by_round: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in stacks}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, ExitStack() as running:
        crowds: dict[str, Crowd] = {}
        started = start_stacks(running, stacks, Path(tmp), sessions, leads)
        loop = asyncio.new_event_loop()
        try:
            for name, (url, pids, made) in started.items():
                via = Via(url, True, pids)
                via.made = made
                crowds[name] = Crowd(via, sessions)

            async def login_all() -> None:
                await asyncio.gather(*(c.login() for c in crowds.values()))

            loop.run_until_complete(login_all())
            for r in range(rounds):
                for name, _ in stacks:
                    lead_ids = list(range(r * sessions, (r + 1) * sessions))
                    figures = loop.run_until_complete(crowds[name].round(lead_ids, turns, f"r{r}"))
                    figures["round"] = r + 1
                    by_round[name].append(figures)
                    print(
                        f"[bench] load round {r + 1} {name}: {figures['turns_per_s']:.1f} turns/s, "
                        f"{figures['errors']} errors, {figures['lost']} lost",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            for crowd in crowds.values():
                loop.run_until_complete(crowd.close())
            loop.close()
    return section(by_round, labels, sessions, turns, notes)


def section(
    by_round: dict[str, list[dict[str, Any]]],
    labels: dict[str, str],
    sessions: int,
    turns: int,
    notes: list[str],
) -> dict[str, Any]:
    """The report section of the rounds: one row per stack and round, the targets."""
    rows = []
    for r in range(max(len(v) for v in by_round.values())):
        for name, rounds_ in by_round.items():
            if r >= len(rounds_):
                continue
            d = rounds_[r]
            cpu = d["cpu_ms_per_turn"]
            rows.append(
                [
                    labels[name],
                    r + 1,
                    round(d["turns_per_s"], 1),
                    d["latency_ms"]["p50"],
                    d["latency_ms"]["p99"],
                    d["errors"],
                    d["lost"],
                    d["interleaved"],
                    cpu.get("proxy"),
                    cpu.get("agent"),
                    cpu.get("load client"),
                ]
            )
    ours = by_round["ours"]
    base = by_round.get("baseline") or []

    def cpu(rounds_: list[dict[str, Any]], who: str) -> list[float]:
        return [d["cpu_ms_per_turn"][who] for d in rounds_ if d["cpu_ms_per_turn"].get(who)]

    targets = []
    for who, target_ms, row in (
        ("proxy", PROXY_CPU_TARGET_MS, "1a"),
        ("agent", AGENT_CPU_TARGET_MS, "1b"),
    ):
        values = cpu(ours, who)
        targets.append(
            {
                "row": row,
                "target": f"{who} CPU per turn ≤ {target_ms:g} ms (SQLite, through the proxy)",
                "measured": f"{_range(values, 2)} ms",
                "reference": f"baseline {_range(cpu(base, who), 2)} ms" if base else "–",
                "met": bool(values) and max(values) <= target_ms,
            }
        )
    if base:
        ratios = [o["turns_per_s"] / b["turns_per_s"] for o, b in zip(ours, base, strict=False)]
        targets.append(
            {
                "row": "2",
                "target": f"turns/s through the proxy ≥ {SPEEDUP_TARGET:g}× the baseline "
                "(same run, interleaved)",
                "measured": f"{_range([d['turns_per_s'] for d in ours])} turns/s; "
                f"ratio per round {_range(ratios, 2)}×",
                "reference": f"{labels['baseline']} {_range([d['turns_per_s'] for d in base])} "
                "turns/s",
                "met": min(ratios) >= SPEEDUP_TARGET,
            }
        )
    else:
        targets.append(
            {
                "row": "2",
                "target": f"turns/s through the proxy ≥ {SPEEDUP_TARGET:g}× the baseline",
                "measured": f"{_range([d['turns_per_s'] for d in ours])} turns/s",
                "reference": "baseline not run",
                "met": None,
            }
        )
    per_round = "; ".join(
        f"{labels[name]} r{d['round']}: {d['errors']}/{d['lost']}"
        for name, rounds_ in by_round.items()
        for d in rounds_
    )
    every = [d for rounds_ in by_round.values() for d in rounds_]
    targets.append(
        {
            "row": "2b",
            "target": "0 errors / 0 lost (and 0 out of order) in every load round",
            "measured": "ours: "
            + ", ".join(f"{d['errors']}/{d['lost']}/{d['interleaved']}" for d in ours)
            + " (errors/lost/out of order per round)",
            "reference": "baseline: "
            + ", ".join(f"{d['errors']}/{d['lost']}/{d['interleaved']}" for d in base)
            if base
            else "–",
            "met": all(d["errors"] == 0 and d["lost"] == 0 and d["interleaved"] == 0 for d in ours),
        }
    )
    client = cpu(ours, "load client")
    notes += [
        f"{len(ours)} round(s) per stack, interleaved (baseline, ours, baseline, ours, …); each "
        f"round {sessions} sessions × {turns} turns, every session on its own lead and in a new "
        "conversation (POST /api/chat/clear/ before the round, off the clock).",
        "Each turn = POST /api/chat/ (session cookie + CSRF) + the run's event stream until "
        "`result`; every reply is compared with the exact expected text, every history checked "
        "afterwards. Sign-ins happen once per stack, before any clock: "
        f"{ours[0]['logins']['form'] if ours else 0} session(s) through the login form (a real "
        "password check each), the others with a session made ahead through Django's session "
        "engine, as `login()` makes it, each checked with GET /api/chat/history/ (hashing "
        "a password ~100 times would take minutes on 2 shared cores).",
        "CPU per answered turn = CPU seconds (/proc/<pid>/stat, the process and its children) "
        "of the Django proxy and of the agent service over the round, divided by the turns; "
        f"the load client (one asyncio + httpx process) used {_range(client, 2)} ms per turn "
        "in our rounds. All three share the same 2 cores.",
        "Per round errors/lost: " + per_round + ".",
    ]
    samples = [e for d in every for e in d["error_samples"]]
    if samples:
        notes.append("Error samples: " + " | ".join(samples[:6]))
    return {
        "title": "1–2. Load through the Django proxy: ours vs the baseline commit, interleaved "
        "rounds",
        "columns": [
            "stack",
            "round",
            "turns/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "lost",
            "out of order",
            "proxy CPU ms/turn",
            "agent CPU ms/turn",
            "client CPU ms/turn",
        ],
        "rows": rows,
        "targets": targets,
        "notes": notes,
        "data": {"rounds": by_round, "labels": labels},
    }

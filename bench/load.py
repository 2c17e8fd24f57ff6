"""4. Load through Django + agent: many concurrent chat sessions, each sending its turns in order.

Real stack on loopback: `python -m agent_service` (offline model, SQLite lead store and
checkpoints) behind `python -m django_proxy` (ASGI). One client process (httpx, asyncio):
every session logs in once through Django's login form (a real password check), then sends
its messages one after another, each waiting for its result on the run's event stream
(`/api/chat/events/<task_id>/`). Each session works on its own lead; its messages alternate a
status change and a phone change by pronoun ("change her phone to …"), so a reply from another
session's thread, or from an earlier message, cannot pass the check. After the run every
session's history (`/api/chat/history/`) must hold its messages in the order sent, each followed
by its reply.

Without django_proxy/ the same load goes straight to the agent service (no login) and the
section says so.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
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
    index: int
    client: httpx.AsyncClient
    turns: list[tuple[str, str]]
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong_replies: int = 0


class Via:
    """How a session talks to the stack: through Django, or straight to the agent service."""

    def __init__(self, url: str, django: bool, pids: dict[str, int] | None = None) -> None:
        self.url, self.django = url, django
        self.pids = pids or {}

    def client(self, index: int) -> httpx.AsyncClient:
        headers = {} if self.django else agent_headers(f"user-{index}")
        return httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(60, connect=10),
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )

    async def login(self, session: Session) -> None:
        if not self.django:
            return
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

    async def send(self, session: Session, message: str) -> dict[str, Any]:
        http = session.client
        if self.django:
            created = await http.post("/api/chat/", json={"message": message})
            if created.status_code != 202:
                raise RuntimeError(f"POST /api/chat/: {created.status_code} {created.text[:200]}")
            return await follow(http, f"/api/chat/events/{created.json()['task_id']}/")
        created = await http.post(f"/threads/load-{session.index}/runs", json={"message": message})
        if created.status_code != 202:
            raise RuntimeError(f"POST runs: {created.status_code} {created.text[:200]}")
        return await follow(http, f"/runs/{created.json()['run_id']}/events")

    async def history(self, session: Session) -> dict[str, Any]:
        path = "/api/chat/history/" if self.django else f"/threads/load-{session.index}"
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


async def drive(via: Via, sessions: int, turns: int) -> dict[str, Any]:
    people = [Session(i, via.client(i), script(i, turns)) for i in range(sessions)]
    try:
        gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

        async def login(session: Session) -> None:
            async with gate:
                await via.login(session)

        t0 = time.perf_counter()
        await asyncio.gather(*(login(s) for s in people))
        login_s = time.perf_counter() - t0

        start = asyncio.Event()
        tasks = [asyncio.create_task(play(s, via, start)) for s in people]
        cpu_before = cpu_snapshot(via.pids)
        t0 = time.perf_counter()
        start.set()
        done, pending = await asyncio.wait(tasks, timeout=PHASE_TIMEOUT_S)
        wall = time.perf_counter() - t0
        cpu = {k: v - cpu_before[k] for k, v in cpu_snapshot(via.pids).items()}
        for task in pending:
            task.cancel()
        timed_out = bool(pending)

        checks = asyncio.Semaphore(20)
        lost = interleaved = 0
        history_errors = []

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
    finally:
        await asyncio.gather(*(s.client.aclose() for s in people), return_exceptions=True)

    latencies = [v for s in people for v in s.latencies]
    errors = [e for s in people for e in s.errors]
    return {
        "sessions": sessions,
        "turns_per_session": turns,
        "turns_sent": sessions * turns,
        "turns_ok": len(latencies),
        "wall_s": wall,
        "turns_per_s": len(latencies) / wall if wall else 0.0,
        "latency_ms": summary(latencies),
        "errors": len(errors) + sum(s.wrong_replies for s in people),
        "run_errors": len(errors),
        "wrong_replies": sum(s.wrong_replies for s in people),
        "error_samples": errors[:5] + history_errors[:3],
        "lost": lost,
        "interleaved": interleaved,
        "login_s": login_s,
        "timed_out": timed_out,
        "cpu_s": cpu,
    }


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each server process and by this client."""
    snap = {name: servers.cpu_seconds(pid) for name, pid in pids.items()}
    snap["load client"] = servers.cpu_seconds()
    return snap


def create_users(folder: Path, agent_url: str, count: int) -> None:
    """`count` users bench0… sharing one password hash (hashed once: creating them is quick)."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        f"h = make_password({PASSWORD!r})\n"
        "U = get_user_model()\n"
        f"U.objects.bulk_create([U(username=f'bench{{i}}', password=h) for i in range({count})],"
        " ignore_conflicts=True)\n"
    )
    servers.manage(folder, agent_url, "shell", "-c", code)


def run(sessions: int = 200, turns: int = 10) -> dict[str, Any]:
    """turns/s, latency, errors and lost/interleaved messages of the load."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        folder = Path(tmp)
        seed(folder / "crm.sqlite3", sessions)
        notes = []
        with servers.agent_service(folder) as agent_url:
            if servers.django_available():
                servers.manage(folder, agent_url, "migrate", "--noinput", "-v", "0")
                create_users(folder, agent_url, sessions)
                with servers.django_proxy(folder, agent_url) as proxy_url:
                    pids = {
                        "Django proxy": servers.PIDS[proxy_url],
                        "agent service": servers.PIDS[agent_url],
                    }
                    data = asyncio.run(drive(Via(proxy_url, True, pids), sessions, turns))
                path = "browser client → Django proxy (ASGI) → agent service"
            else:
                pids = {"agent service": servers.PIDS[agent_url]}
                data = asyncio.run(drive(Via(agent_url, False, pids), sessions, turns))
                path = "client → agent service directly (django_proxy/ is not there yet)"
                notes.append("django_proxy/ missing: measured directly against the agent service.")

    ok_zero = data["lost"] == 0 and data["interleaved"] == 0 and data["errors"] == 0
    rows = [
        [
            path,
            f"{data['sessions']} × {data['turns_per_session']}",
            round(data["turns_per_s"], 1),
            data["latency_ms"]["p50"],
            data["latency_ms"]["p99"],
            data["errors"],
            data["lost"],
            data["interleaved"],
        ]
    ]
    notes += [
        f"{data['turns_ok']} of {data['turns_sent']} turns answered in {data['wall_s']:.1f} s "
        f"(logins before the clock: {data['login_s']:.1f} s for {data['sessions']} password checks).",
        "Each turn = POST /api/chat/ + the run's event stream until `result`; every reply is "
        "compared with the exact expected text; histories checked afterwards.",
        "One client process on the same 2 cores as both servers (the client's CPU counts against "
        "the servers).",
    ]
    if data["turns_ok"]:
        per_turn = ", ".join(
            f"{name} {seconds * 1000 / data['turns_ok']:.1f} ms"
            for name, seconds in data["cpu_s"].items()
        )
        notes.append(
            f"CPU per answered turn during the run: {per_turn}; the target of "
            f"{TARGET_TURNS_PER_S:.0f} turns/s on 2 cores leaves "
            f"{2000 / TARGET_TURNS_PER_S:.0f} core-ms per turn for all of them together."
        )
    if data["timed_out"]:
        notes.append(f"Stopped after {PHASE_TIMEOUT_S:.0f} s: unfinished sessions were cancelled.")
    if data["error_samples"]:
        notes.append("Error samples: " + " | ".join(data["error_samples"]))
    return {
        "title": "4. Load through Django + agent service",
        "columns": [
            "path",
            "sessions × turns",
            "turns/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "lost",
            "interleaved",
        ],
        "rows": rows,
        "targets": [
            {
                "target": f"≥ {TARGET_TURNS_PER_S:.0f} turns/s on 2 cores",
                "measured": f"{data['turns_per_s']:.1f} turns/s",
                "met": data["turns_per_s"] >= TARGET_TURNS_PER_S,
            },
            {
                "target": "0 errors, 0 lost, 0 interleaved messages",
                "measured": f"{data['errors']} errors, {data['lost']} lost, "
                f"{data['interleaved']} interleaved",
                "met": ok_zero,
            },
        ],
        "notes": notes,
        "data": data,
    }

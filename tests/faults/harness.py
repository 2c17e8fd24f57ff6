"""The fault suite's moving parts: a real `python -m agent_service` process that can be killed
with SIGKILL, sessions that send creates and updates with client message ids, and the check
that every run is reported truthfully against the lead store and its change log."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.utils.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "fault-test-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "faulty"}


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, killed but not yet reaped by the launcher, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


def _wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Agent:
    """The agent service (`agent_service.__main__.main`, forked by `tests/faults/launcher.py`)
    on a fixed loopback port, restartable, killable with -9."""

    def __init__(self, directory: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "agent.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CRM_", "AGENT_", "OPENAI_", "CHECKPOINT_", "SUPABASE_"))
        }
        self.env.update(
            PYTHONUNBUFFERED="1",
            CRM_ENV="test",
            CRM_MODEL="offline",
            AGENT_SERVICE_TOKEN=TOKEN,
            AGENT_HOST="127.0.0.1",
            AGENT_PORT=str(self.port),
            CRM_DATABASE_URL=f"sqlite:///{directory / 'crm.sqlite3'}",
            CHECKPOINT_DATABASE_URL=f"sqlite:///{directory / 'cp.sqlite3'}",
            RECOVERY_SECONDS="0.5",
            RUN_RESTART_GRACE_SECONDS="2",
        )
        self.env.update(env)
        self.launcher: subprocess.Popen[str] | None = None
        self.pid: int | None = None

    def start(self, timeout: float = 90) -> None:
        """Start the agent (forked from the launcher, which imports it once) and wait until
        it answers /healthz."""
        if self.launcher is None:
            out = self.log.open("ab")
            self.launcher = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.launcher"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
            )
        assert self.launcher.stdin is not None and self.launcher.stdout is not None
        self.launcher.stdin.write("start\n")
        self.launcher.stdin.flush()
        self.pid = int(self.launcher.stdout.readline())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(self.pid):
                raise RuntimeError(f"agent exited:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"agent did not start:\n{self.tail()}")

    def kill9(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _wait_gone(self.pid)
            self.pid = None

    def stop(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not _wait_gone(self.pid, 15):
                self.kill9()
            self.pid = None
        if self.launcher is not None:
            self.launcher.kill()
            self.launcher.wait(timeout=10)
            self.launcher = None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Sent:
    """One message a session sent (or tried to)."""

    thread: str
    cmid: str
    message: str
    kind: str  # "create" or "update"
    name: str  # the lead's name
    run_id: str | None = None


@dataclass
class Sessions:
    """N chat sessions, each sending creates and updates one after another until stopped."""

    url: str
    count: int
    round_no: int
    sent: list[Sent] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for session in range(self.count):
            thread = threading.Thread(target=self._session, args=(session,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _session(self, session: int) -> None:
        rng = random.Random(self.round_no * 1000 + session)
        thread_id = f"s{session}"
        made: list[str] = []
        with httpx.Client(base_url=self.url, headers=HEADERS, timeout=5) as client:
            step = 0
            while not self._stop.is_set():
                step += 1
                if made and rng.random() < 0.5:
                    name = rng.choice(made)
                    phone = f"555-{self.round_no:02d}{session}{step:03d}"
                    item = Sent(
                        thread_id,
                        f"r{self.round_no}-s{session}-m{step}",
                        f"change {name}'s phone to {phone}",
                        "update",
                        name,
                    )
                else:
                    name = lead_name(self.round_no, session, step)
                    item = Sent(
                        thread_id,
                        f"r{self.round_no}-s{session}-m{step}",
                        f"Add new lead {name} from Co{session}",
                        "create",
                        name,
                    )
                with self._lock:
                    self.sent.append(item)
                try:
                    answer = client.post(
                        f"/threads/{thread_id}/runs",
                        json={"message": item.message, "client_message_id": item.cmid},
                    )
                except httpx.HTTPError:
                    return  # the agent is gone: this session's round is over
                if answer.status_code != 202:
                    return
                item.run_id = answer.json()["run_id"]
                if item.kind == "create":
                    made.append(name)
                # Wait for the run (as the widget does) before the next message.
                while not self._stop.is_set():
                    try:
                        run = client.get(f"/runs/{item.run_id}").json()
                    except (httpx.HTTPError, ValueError):
                        return
                    if run.get("status") in {"succeeded", "failed"}:
                        break
                    time.sleep(0.01)


def _letters(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = "abcdefghijklmnopqrstuvwxyz"[digit] + text
        if not number:
            return text


def lead_name(round_no: int, session: int, step: int) -> str:
    """A unique, parser-friendly person's name: `Qa Bcd` (letters only)."""
    return f"Q{_letters(round_no * 10 + session)} Z{_letters(step + 26)}"


def wait_terminal(client: httpx.Client, run_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/runs/{run_id}").json()
        if run.get("status") in {"succeeded", "failed"}:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} stayed {run.get('status')}: {run}")
        time.sleep(0.05)


def resend_unknown(client: httpx.Client, sent: list[Sent]) -> None:
    """Messages whose post got no answer (the agent died meanwhile) are sent again with the
    same client message id, as the widget does: the run they started, or a new one."""
    for item in sent:
        if item.run_id is None:
            answer = client.post(
                f"/threads/{item.thread}/runs",
                json={"message": item.message, "client_message_id": item.cmid},
            )
            assert answer.status_code == 202, answer.text
            item.run_id = answer.json()["run_id"]


def verify(client: httpx.Client, store: Any, sent: list[Sent]) -> dict[str, int]:
    """Every run: `succeeded` with exactly its actions in the log (and the store), or
    `failed` with no change; resending with the same id starts nothing new; resending a
    failed create with a new id leaves exactly one lead of that name."""
    counts: dict[str, int] = {"succeeded": 0, "failed": 0, "changes": 0}
    for item in sent:
        assert item.run_id is not None
        run = wait_terminal(client, item.run_id)
        changes = store.changes(run_id=item.run_id, limit=1000)
        counts[run["status"]] += 1
        counts["changes"] += len(changes)
        if run["status"] == "succeeded":
            actions = [a for a in run["result"]["actions"] if a["type"] != "undo"]
            assert len(actions) == len(changes), (item, run, changes)
            for change in changes:
                lead = store.get(change.lead_id)  # in the store (nothing deletes here)
                assert lead.version >= change.after["version"], (item, change)
        else:
            assert changes == [], (item, run, changes)
            reason = run["error"]["message"][:40]
            counts[reason] = counts.get(reason, 0) + 1
        again = client.post(
            f"/threads/{item.thread}/runs",
            json={"message": item.message, "client_message_id": item.cmid},
        )
        assert again.status_code == 202 and again.json()["run_id"] == item.run_id
    for item in sent:
        run = client.get(f"/runs/{item.run_id}").json()
        if item.kind == "create" and run["status"] == "failed":
            answer = client.post(
                f"/threads/{item.thread}/runs",
                json={"message": item.message, "client_message_id": item.cmid + "-again"},
            )
            assert wait_terminal(client, answer.json()["run_id"])["status"] == "succeeded"
    for item in sent:
        if item.kind == "create":
            same = [lead for lead in store.list(q=item.name, limit=10) if lead.name == item.name]
            assert len(same) <= 1, (item, same)  # never a duplicate
    return counts

"""The run records locked past the proxy timeout (issue 10, "runs reported truthfully").

Through the real stack: the Django proxy (agent timeout 2 s) in front of a real agent service
process (SQLite, offline model). Another SQLite connection holds `BEGIN EXCLUSIVE` on the
agent's run-records file (`cp-runs.sqlite3`), so the agent cannot record the message: it waits
(its busy timeout is 30 s) while the proxy gives up. Then:

- the proxy answers the truthful timeout (504 `timeout`, "may still be processed", the client
  message id), never "nothing was changed", and the session keeps its thread;
- once the lock is gone, the message recorded by the request that waited runs once; sending it
  again with the same client message id (also while still locked, and once more after)
  attaches to that run; the store holds one lead, the change log one `create` row with the
  run's id, the conversation shows the message once.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.proxy.conftest import write_frontend
from tests.proxy.stack import Browser, Stack, running_stack

pytestmark = pytest.mark.timeout(60)

USERS = {"lena": "lena-pass-3391", "omar": "omar-pass-7714"}
PROXY_TIMEOUT = 2.0  # AGENT_TIMEOUT_SECONDS of the proxy
NOTHING_CHANGED = "nothing was changed"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The agent (offline model, SQLite) behind the proxy with a 2 s agent timeout."""
    directory = tmp_path_factory.mktemp("records-locked")
    write_frontend(directory / "dist")
    with running_stack(
        directory, USERS, AGENT_TIMEOUT_SECONDS=str(PROXY_TIMEOUT), CHAT_RATE_LIMIT="1000"
    ) as running:
        yield running


class RecordsLock:
    """An exclusive write lock on the agent's run-records file, held by another connection
    (as a backup, a `sqlite3` shell or a stuck writer would), released on `release()`."""

    def __init__(self, path: Path) -> None:
        assert path.exists(), f"no run records at {path}"
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        self._conn.execute("BEGIN EXCLUSIVE")
        self.since = time.monotonic()
        self.held = True

    def release(self) -> float:
        """End the transaction; returns how long the lock was held (s)."""
        if self.held:
            self._conn.execute("ROLLBACK")
            self._conn.close()
            self.held = False
        return time.monotonic() - self.since


def records_file(stack: Stack) -> Path:
    """The run records beside the SQLite checkpoints (`agent_service.main.runs_url`)."""
    return stack.directory / "cp-runs.sqlite3"


def post_chat(browser: Browser, message: str, cmid: str) -> tuple[Any, float]:
    """POST /api/chat/ with the client message id (CSRF header by `Browser`); the answer and
    how long it took."""
    started = time.monotonic()
    answer = browser.post("/api/chat/", json={"message": message, "client_message_id": cmid})
    return answer, time.monotonic() - started


def assert_truthful_timeout(answer: Any, elapsed: float, cmid: str) -> None:
    """504 `timeout` after about the proxy's timeout, saying the message may still run."""
    assert answer.status_code == 504, answer.text
    body = answer.json()
    assert body["type"] == "timeout", body
    assert body["client_message_id"] == cmid, body
    assert "may still be processed" in body["detail"], body
    assert NOTHING_CHANGED not in body["detail"].lower(), body
    assert PROXY_TIMEOUT - 0.2 <= elapsed < PROXY_TIMEOUT + 8, elapsed


def wait_task(browser: Browser, task_id: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = browser.get(f"/api/chat/status/{task_id}/")
        assert answer.status_code == 200, answer.text
        run = answer.json()
        if run["status"] in {"succeeded", "failed"}:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def resend(browser: Browser, message: str, cmid: str) -> str:
    """Send the message again with its id once the records answer: the run's task id."""
    answer, _ = post_chat(browser, message, cmid)
    assert answer.status_code == 202, answer.text
    assert answer.json()["client_message_id"] == cmid
    return answer.json()["task_id"]


def check_once(browser: Browser, name: str, message: str, task_id: str) -> None:
    """One `succeeded` run; one lead `name`; one `create` row in the log for it, with that
    run's id; the conversation in the session shows the message once."""
    run = wait_task(browser, task_id)
    assert run["status"] == "succeeded", run
    assert [a["type"] for a in run["result"]["actions"]] == ["create_lead"], run

    leads = browser.get("/api/leads/", params={"q": name}).json()
    same = [lead for lead in leads["leads"] if lead["name"] == name]
    assert len(same) == 1, leads
    lead_id = same[0]["id"]

    log = browser.get("/api/leads/changes/", params={"lead_id": lead_id}).json()["changes"]
    creates = [change for change in log if change["op"] == "create"]
    assert len(creates) == 1, log
    assert creates[0]["run_id"] == task_id, (creates, task_id)
    assert creates[0]["source"] == "chat", creates
    # Every change this run made (the agent's /leads/changes filters by lead only).
    whole = browser.get("/api/leads/changes/", params={"limit": "1000"}).json()["changes"]
    by_run = [change for change in whole if change["run_id"] == task_id]
    assert [(c["op"], c["lead_id"]) for c in by_run] == [("create", lead_id)], by_run

    history = browser.get("/api/chat/history/")
    assert history.status_code == 200, history.text
    conversation = history.json()
    assert conversation["thread_id"] == run["thread_id"], (conversation, run)  # kept
    said = [m for m in conversation["messages"] if m["role"] == "user" and m["content"] == message]
    assert len(said) == 1, conversation["messages"]


def test_a_message_sent_while_the_records_are_locked_runs_once(stack: Stack) -> None:
    browser = stack.browser("lena")
    name = "Lockie Zed"
    message = f"Add new lead {name} from Lockworks"
    cmid = f"locked-{uuid.uuid4()}"

    lock = RecordsLock(records_file(stack))
    try:
        answer, elapsed = post_chat(browser, message, cmid)
        assert_truthful_timeout(answer, elapsed, cmid)
        # The session cookie was saved before the agent was called (a 504 does not save it).
        assert browser.cookies.get("sessionid"), browser.cookies
        time.sleep(max(0.0, PROXY_TIMEOUT + 1.0 - (time.monotonic() - lock.since)))
    finally:
        held = lock.release()
    assert held > PROXY_TIMEOUT, held

    task_id = resend(browser, message, cmid)
    assert resend(browser, message, cmid) == task_id  # the same run, every time
    check_once(browser, name, message, task_id)


def test_a_resend_while_still_locked_and_after_still_makes_one_lead(stack: Stack) -> None:
    browser = stack.browser("omar")
    name = "Lockwood Quay"
    message = f"Add new lead {name} from Harbour"
    cmid = f"locked-{uuid.uuid4()}"

    lock = RecordsLock(records_file(stack))
    try:
        first, elapsed = post_chat(browser, message, cmid)
        assert_truthful_timeout(first, elapsed, cmid)
        # The widget re-sends while the records are still locked: the same truthful answer.
        again, elapsed = post_chat(browser, message, cmid)
        assert_truthful_timeout(again, elapsed, cmid)
        # A reload meanwhile never shows an empty conversation as if the message were lost:
        # it answers with the session's thread, or says it cannot load it now.
        reload = browser.get("/api/chat/history/")
        if reload.status_code == 200:
            assert reload.json()["thread_id"], reload.json()
        else:
            assert reload.status_code in (503, 504), reload.text
            assert reload.json()["type"] in ("agent_unavailable", "timeout"), reload.text
        assert lock.held
    finally:
        held = lock.release()
    assert held > 2 * PROXY_TIMEOUT, held

    # Two requests were waiting in the agent with the same id; a third comes now.
    task_id = resend(browser, message, cmid)
    check_once(browser, name, message, task_id)
    assert resend(browser, message, cmid) == task_id
    check_once(browser, name, message, task_id)


def test_a_message_sent_after_the_lock_still_runs(stack: Stack) -> None:
    """The records work normally again: a new message (new id) on the same thread runs."""
    browser = stack.browser("lena")
    name = "Unlocked Vale"
    message = f"Add new lead {name} from Afterco"
    answer, _ = post_chat(browser, message, f"after-{uuid.uuid4()}")
    assert answer.status_code == 202, answer.text
    check_once(browser, name, message, answer.json()["task_id"])

"""Two agent-service processes on one PostgreSQL database behave as one service.

Leads, checkpoints and run records all live in the database; messages of one thread posted
alternately to both processes, all at once, are processed one at a time in the order posted,
each reply following its own message, and either process can show any run and the history.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.proxy.stack import TOKEN, agent_process

HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "alice"}
STAGES = ["Contacted", "Meeting booked", "Proposal sent", "Won", "Lost", "New"] * 2


def _wait(client: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = client.get(f"/runs/{run_id}").json()
        if run["status"] in {"succeeded", "failed"}:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def test_one_thread_across_two_processes_keeps_its_order(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    env = {"CRM_DATABASE_URL": fresh_postgres_url, "CHECKPOINT_DATABASE_URL": fresh_postgres_url}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        agent_process(tmp_path / "a", **env) as first,
        agent_process(tmp_path / "b", **env) as second,
        httpx.Client(base_url=first.url, headers=HEADERS, timeout=30) as a,
        httpx.Client(base_url=second.url, headers=HEADERS, timeout=30) as b,
    ):
        lead = a.post("/leads", json={"name": "Olga Order", "company": "Seq"}).json()
        assert b.get(f"/leads/{lead['id']}").json()["name"] == "Olga Order"

        messages = [f"Move Olga to {stage}" for stage in STAGES]
        clients = [a, b] * (len(messages) // 2)

        run_ids = []
        for message, client in zip(messages, clients, strict=True):
            # Posted one after the other without waiting for any reply: the runs queue up in
            # both processes at once.
            response = client.post("/threads/shared/runs", json={"message": message})
            assert response.status_code == 202, response.text
            run_ids.append(response.json()["run_id"])
        runs = [_wait(b if i % 2 == 0 else a, r) for i, r in enumerate(run_ids)]  # cross-read
        assert [r["status"] for r in runs] == ["succeeded"] * len(messages), runs
        for run, stage in zip(runs, STAGES, strict=True):
            assert run["result"]["reply"] == f"Lead 'Olga Order' status updated to '{stage}'."
            assert run["result"]["actions"][0]["changes"]["status"][1] == stage

        for client in (a, b):
            history = client.get("/threads/shared").json()["messages"]
            assert [m["content"] for m in history[::2]] == messages
            assert [m["role"] for m in history] == ["user", "assistant"] * len(messages)
        assert a.get(f"/leads/{lead['id']}").json()["status"] == STAGES[-1]

        # The conversation's context is shared too: a pronoun resolves in the other process.
        run = _wait(b, b.post("/threads/shared/runs", json={"message": "undo"}).json()["run_id"])
        assert run["result"]["reply"] == "Undone: lead 'Olga Order' status restored to 'Lost'."
        other = {**HEADERS, "X-CRM-User": "mallory"}
        assert a.get("/threads/shared", headers=other).status_code == 404

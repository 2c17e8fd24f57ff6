"""Exactly-once runs over real HTTP (SQLite and PostgreSQL): a repeated client message id
returns the run it started; runs cut off by a restart are finished from the change log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from agent_service.leads.factory import open_store
from agent_service.leads.models import Actor
from agent_service.main import create_app, runs_url
from agent_service.runs.records import open_records
from tests.api.conftest import TOKEN, make_settings
from tests.api.test_runs_api import HEADERS, wait_run
from tests.utils.servers import free_port, serve


def test_a_repeated_client_message_id_returns_the_same_run(client: httpx.Client) -> None:
    body = {"message": "Add new lead Zed Once from Acme", "client_message_id": "msg-1"}
    first = client.post("/threads/once/runs", json=body)
    again = client.post("/threads/once/runs", json=body)
    assert first.status_code == again.status_code == 202
    assert again.json()["run_id"] == first.json()["run_id"]
    run = wait_run(client, first.json()["run_id"])
    assert run["status"] == "succeeded"
    # After it finished, a retry still gets that run (and its result), not a second lead.
    late = client.post("/threads/once/runs", json=body)
    assert late.status_code == 202 and late.json()["run_id"] == run["run_id"]
    assert late.json()["status"] == "succeeded"
    leads = client.get("/leads", params={"q": "Zed Once"}).json()
    assert leads["total"] == 1
    assert len(client.get("/threads/once").json()["messages"]) == 2


def test_concurrent_duplicates_start_one_run(client: httpx.Client) -> None:
    body = {"message": "Add new lead Yara Race from Acme", "client_message_id": "race-1"}
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: client.post("/threads/race/runs", json=body), range(12)))
    assert {a.status_code for a in answers} == {202}
    run_ids = {a.json()["run_id"] for a in answers}
    assert len(run_ids) == 1
    wait_run(client, run_ids.pop())
    assert client.get("/leads", params={"q": "Yara Race"}).json()["total"] == 1
    assert len(client.get("/threads/race").json()["messages"]) == 2


@pytest.mark.parametrize("bad", ["", "x" * 101, None, 5])
def test_a_bad_client_message_id_is_422_and_claims_nothing(client: httpx.Client, bad) -> None:
    body = {"message": "hello", "client_message_id": bad}
    if bad is None:
        assert client.post("/threads/cm-ok/runs", json=body).status_code == 202
        return
    response = client.post("/threads/cm-bad/runs", json=body)
    assert response.status_code == 422 and response.json()["type"] == "invalid_input"
    assert client.get("/threads/cm-bad").status_code == 404


def _leave_unfinished(settings, run_id: str, thread: str, message: str) -> None:
    records = open_records(runs_url(settings))
    try:
        records.claim_thread(thread, "alice")
        records.create_run(run_id, thread, "alice", message, client_message_id=run_id)
        records.update_run(run_id, status="running", step="create_lead")
    finally:
        records.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_restart_finishes_cut_off_runs_from_the_log(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    overrides: dict[str, object] = {"run_restart_grace_seconds": 0}
    if backend == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
        overrides.update(crm_database_url=url, checkpoint_database_url=url)
    settings = make_settings(tmp_path, **overrides)
    with serve(create_app(settings)):
        pass  # creates the schemas
    # A crash after the lead write (the log has it) and one before any write.
    store = open_store(settings)
    try:
        store.migrate()
        lead = store.create(
            {"name": "Rita Restart", "company": "Acme"},
            actor=Actor(user_id="alice", source="chat", run_id="did", thread_id="t-crash"),
        )
    finally:
        store.close()
    _leave_unfinished(settings, "did", "t-crash", "Add new lead Rita Restart from Acme")
    _leave_unfinished(settings, "didnt", "t-crash", "Add new lead Nora Never")
    with (
        serve(create_app(settings)) as url,
        httpx.Client(base_url=url, headers=HEADERS, timeout=30) as client,
    ):
        did = client.get("/runs/did").json()
        assert did["status"] == "succeeded", did
        assert did["result"]["reply"].startswith("Done before a restart: ")
        assert "Rita Restart" in did["result"]["reply"]
        assert did["result"]["actions"] == [
            {
                "type": "create_lead",
                "lead_id": lead.id,
                "lead_name": "Rita Restart",
                "changes": did["result"]["actions"][0]["changes"],
            }
        ]
        didnt = client.get("/runs/didnt").json()
        assert didnt["status"] == "failed"
        assert "please send it again" in didnt["error"]["message"]
        # Sending both again with their ids: no second run, no second lead.
        for run_id, message in (("did", "Add new lead Rita Restart from Acme"),):
            again = client.post(
                "/threads/t-crash/runs", json={"message": message, "client_message_id": run_id}
            )
            assert again.json()["run_id"] == run_id
        assert client.get("/leads", params={"q": "Rita Restart"}).json()["total"] == 1


def test_a_run_stuck_past_the_timeout_is_finished_by_the_sweep(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, run_timeout_seconds=0.5, recovery_seconds=0.2)
    with (
        serve(create_app(settings)) as url,
        httpx.Client(base_url=url, headers=HEADERS, timeout=30) as client,
    ):
        # A run this process does not know (its task lost): silent past the timeout.
        _leave_unfinished(settings, "lost", "t-stuck", "Move nobody anywhere")
        deadline = time.monotonic() + 10
        while client.get("/runs/lost").json()["status"] == "running":
            assert time.monotonic() < deadline, "the sweep never finished the stuck run"
            time.sleep(0.1)
        assert client.get("/runs/lost").json()["status"] == "failed"


def test_a_second_process_on_the_same_sqlite_files_refuses_to_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    env = {
        **os.environ,
        "CRM_ENV": "test",
        "CRM_MODEL": "offline",
        "CRM_DATABASE_URL": settings.crm_database_url,
        "CHECKPOINT_DATABASE_URL": settings.checkpoint_url,
        "AGENT_SERVICE_TOKEN": TOKEN,
        "AGENT_PORT": str(free_port()),
    }
    with serve(create_app(settings)) as url:
        second = subprocess.run(
            [sys.executable, "-m", "agent_service"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert "Another agent-service process already uses the SQLite database" in second.stderr
        assert httpx.get(f"{url}/healthz").json()["status"] == "ok"  # the first one is fine


def test_housekeeping_prunes_old_runs_and_change_log_rows(tmp_path: Path) -> None:
    tiny = 1e-9  # days: everything finished is "old"
    settings = make_settings(tmp_path, run_retention_days=tiny, change_log_retention_days=tiny)
    app = create_app(settings)
    with (
        serve(app) as url,
        httpx.Client(base_url=url, headers=HEADERS, timeout=30) as client,
    ):
        client.post("/leads", json={"name": "Old Change"})
        run = client.post("/threads/hk/runs", json={"message": "Move Old to Won"}).json()
        wait_run(client, run["run_id"])
        assert client.get("/leads/changes").json()["changes"]
        time.sleep(0.05)
        import asyncio

        asyncio.run_coroutine_threadsafe(app.state.runs.housekeeping(), _loop_of(app)).result(10)
        assert client.get(f"/runs/{run['run_id']}").status_code == 404
        left = client.get("/leads/changes").json()
        # The store keeps the newest row (the log's seq never goes back); older ones are gone.
        assert [c["seq"] for c in left["changes"]] == [left["last_seq"]]
        assert client.get("/leads").json()["total"] == 1  # leads themselves stay


def _loop_of(app):  # the server's event loop (the feed/runs live there)
    return app.state.loop

"""PostgreSQL restarted while the agent is idle: the very next chat succeeds (the checkpoint,
store and run-record pools check their connections; a checkpoint read failing would be
reported as an outage, never as an internal error)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from agent_service.main import create_app
from tests.api.conftest import make_settings
from tests.api.test_runs_api import HEADERS, wait_run
from tests.faults.pg import restart_postgres
from tests.utils.postgres import PostgresServer
from tests.utils.servers import serve


@pytest.mark.postgres
def test_first_chat_after_a_postgres_restart_succeeds(tmp_path: Path) -> None:
    with PostgresServer() as server:
        url = server.create_database("crm")
        settings = make_settings(tmp_path, crm_database_url=url, checkpoint_database_url=url)
        with (
            serve(create_app(settings)) as agent,
            httpx.Client(base_url=agent, headers=HEADERS, timeout=30) as client,
        ):
            client.post("/leads", json={"name": "Rhea Restart", "status": "New"})
            for message in ("Move Rhea to Contacted", "Move Rhea to Won"):
                run_id = client.post("/threads/t1/runs", json={"message": message}).json()["run_id"]
                assert wait_run(client, run_id)["status"] == "succeeded"
            restart_postgres(server)
            answer = client.post("/threads/t1/runs", json={"message": "Move Rhea to Lost"})
            assert answer.status_code == 202, answer.text
            run = wait_run(client, answer.json()["run_id"])
            assert run["status"] == "succeeded", run
            assert run["result"]["reply"] == "Lead 'Rhea Restart' status updated to 'Lost'."
            assert client.get("/healthz").json()["status"] == "ok"

"""The graph loads in LangGraph Studio's server (`langgraph dev`) and answers through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES
from tests.utils.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SqliteLeadStore]]:
    tmp_path = tmp_path_factory.mktemp("studio")
    db = tmp_path / "crm.sqlite3"
    store = SqliteLeadStore(db, Pipeline(DEFAULT_STAGES))
    store.migrate()
    port = free_port()
    env = {
        **os.environ,
        "CRM_MODEL": "offline",
        "CRM_DATABASE_URL": f"sqlite:///{db}",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    }
    # The committed langgraph.json, with paths made absolute so the server can run in tmp_path
    # (its .langgraph_api/ folder then stays out of the repository).
    config = json.loads((ROOT / "langgraph.json").read_text())
    config["dependencies"] = [str(ROOT)]
    config["graphs"] = {
        name: str(ROOT / spec.removeprefix("./")) for name, spec in config["graphs"].items()
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    log = (tmp_path / "studio.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "langgraph"),
            "dev",
            "--no-browser",
            "--no-reload",
            "--port",
            str(port),
            "--config",
            str(tmp_path / "langgraph.json"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "langgraph dev did not start:\n" + (tmp_path / "studio.log").read_text()
                )
            time.sleep(0.2)
        yield url, store
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_graph_answers_and_pauses_through_langgraph_dev(
    studio: tuple[str, SqliteLeadStore],
) -> None:
    url, store = studio
    store.create({"name": "John Smith", "company": "Acme", "status": "Contacted"})
    with httpx.Client(base_url=url, timeout=60) as client:
        assistants = client.post("/assistants/search", json={"graph_id": "crm_agent"}).json()
        assert assistants and assistants[0]["graph_id"] == "crm_agent"
        assistant = assistants[0]["assistant_id"]
        thread = client.post("/threads", json={}).json()["thread_id"]

        def wait(body: dict) -> dict:
            response = client.post(
                f"/threads/{thread}/runs/wait", json={"assistant_id": assistant, **body}
            )
            assert response.status_code == 200, response.text
            return response.json()

        state = wait(
            {"input": {"messages": [{"role": "user", "content": "Move John to Meeting booked"}]}}
        )
        assert "turn" in state, state
        assert state["turn"]["reply"] == "Lead 'John Smith' status updated to 'Meeting booked'."
        assert store.search("John Smith")[0].lead.status == "Meeting booked"

        state = wait({"input": {"messages": [{"role": "user", "content": "delete John"}]}})
        assert state["turn"]["needs"] == "confirmation"
        paused = client.get(f"/threads/{thread}/state").json()
        assert paused["next"] == ["ask"]  # Studio shows the pause on the ask node
        assert store.search("John Smith")[0].lead.name == "John Smith"

        state = wait({"command": {"resume": "yes"}})
        assert state["turn"]["reply"] == "Lead 'John Smith' deleted."
        assert store.search("John Smith") == []


def test_schemas_give_studio_an_input_form_and_context_settings(
    studio: tuple[str, SqliteLeadStore],
) -> None:
    url, _ = studio
    with httpx.Client(base_url=url, timeout=60) as client:
        assistant = client.post("/assistants/search", json={"graph_id": "crm_agent"}).json()[0]
        schemas = client.get(f"/assistants/{assistant['assistant_id']}/schemas")
        assert schemas.status_code == 200, schemas.text
        body = schemas.json()
    assert body["input_schema"] is not None
    assert "messages" in body["input_schema"]["properties"]
    context = body["context_schema"]
    assert context is not None
    assert context["properties"]["crm_model"]["anyOf"][0]["enum"] == ["openai", "offline"]
    assert context["properties"]["user_id"]["default"] == "studio"
    assert {"store", "model", "actor"}.isdisjoint(context["properties"])  # live objects


def test_a_delete_resumed_with_a_structured_answer_deletes(
    studio: tuple[str, SqliteLeadStore],
) -> None:
    url, store = studio
    lead = store.create({"name": "Priya Raman", "company": "Initech", "status": "New"})
    with httpx.Client(base_url=url, timeout=60) as client:
        assistant = client.post("/assistants/search", json={"graph_id": "crm_agent"}).json()[0]
        thread = client.post("/threads", json={}).json()["thread_id"]

        def wait(body: dict) -> dict:
            response = client.post(
                f"/threads/{thread}/runs/wait",
                json={"assistant_id": assistant["assistant_id"], **body},
            )
            assert response.status_code == 200, response.text
            return response.json()

        state = wait(
            {
                "input": {"messages": [{"role": "user", "content": "delete Priya"}]},
                "context": {"crm_model": "offline", "history_window": 10},
            }
        )
        assert state["turn"]["needs"] == "confirmation", state
        assert store.get(lead.id).name == "Priya Raman"
        state = wait({"command": {"resume": {"answer": "yes"}}, "context": {"user_id": "dev"}})
        assert state["turn"]["reply"] == "Lead 'Priya Raman' deleted."
    assert store.search("Priya Raman") == []
    row = store.changes(lead_id=lead.id, newest_first=True, limit=1)[0]
    assert (row.op, row.source, row.user_id, row.thread_id) == ("delete", "chat", "dev", thread)
    assert row.run_id  # the Studio run's id

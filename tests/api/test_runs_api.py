"""Runs, events and threads over real HTTP with the offline model on a SQLite store."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_service.main import create_app
from tests.api.conftest import TOKEN, make_settings
from tests.utils.servers import free_port, serve

HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "alice"}


def seed(client: httpx.Client) -> dict[str, dict[str, Any]]:
    leads = {}
    for body in (
        {"name": "John Smith", "company": "Acme", "email": "john@acme.com", "status": "Contacted"},
        {"name": "Sarah Lee", "company": "TechCorp", "status": "New"},
    ):
        lead = client.post("/leads", json=body).json()
        leads[lead["name"]] = lead
    return leads


def wait_run(client: httpx.Client, run_id: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/runs/{run_id}").json()
        if run["status"] in {"succeeded", "failed"}:
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not finish")


def say(client: httpx.Client, thread: str, message: str) -> dict[str, Any]:
    created = client.post(f"/threads/{thread}/runs", json={"message": message})
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["status"] == "queued" and body["thread_id"] == thread
    return wait_run(client, body["run_id"])


def test_the_acceptance_conversation(client: httpx.Client) -> None:
    leads = seed(client)
    john, sarah = leads["John Smith"], leads["Sarah Lee"]

    run = say(client, "t1", "Move John to Meeting booked")
    assert run["status"] == "succeeded"
    assert run["result"]["reply"] == "Lead 'John Smith' status updated to 'Meeting booked'."
    assert run["result"]["actions"] == [
        {
            "type": "change_status",
            "lead_id": john["id"],
            "lead_name": "John Smith",
            "changes": {"status": ["Contacted", "Meeting booked"]},
        }
    ]
    assert client.get(f"/leads/{john['id']}").json()["status"] == "Meeting booked"

    run = say(client, "t1", "change his email to john.smith@acme.com")
    assert run["result"]["actions"][0]["changes"] == {
        "email": ["john@acme.com", "john.smith@acme.com"]
    }
    assert client.get(f"/leads/{john['id']}").json()["email"] == "john.smith@acme.com"

    run = say(client, "t1", "delete Sarah")
    assert run["result"]["needs"] == "confirmation"
    assert run["result"]["reply"] == "Delete lead 'Sarah Lee' (TechCorp)? Reply yes to confirm."
    assert run["result"]["actions"] == []
    assert client.get(f"/leads/{sarah['id']}").status_code == 200
    pending = client.get("/threads/t1").json()["pending"]
    assert pending["needs"] == "confirmation"

    run = say(client, "t1", "yes")
    assert run["result"]["actions"][0]["type"] == "delete_lead"
    assert client.get(f"/leads/{sarah['id']}").status_code == 404

    run = say(client, "t1", "undo")
    assert run["result"]["actions"][0]["type"] == "undo"
    assert "restored" in run["result"]["reply"]
    restored = client.get(f"/leads/{sarah['id']}").json()
    assert restored["name"] == "Sarah Lee" and restored["company"] == "TechCorp"

    history = client.get("/threads/t1").json()
    assert history["pending"] is None
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"] * 5
    assert history["messages"][0]["content"] == "Move John to Meeting booked"
    assert history["messages"][1]["actions"][0]["type"] == "change_status"


def test_clarification_is_answered_by_number(client: httpx.Client) -> None:
    seed(client)
    client.post("/leads", json={"name": "John Doe", "company": "Globex"})
    run = say(client, "t2", "move John to Won")
    assert run["result"]["needs"] == "clarification"
    labels = [c["label"] for c in run["result"]["choices"]]
    assert sorted(labels) == ["John Doe (Globex)", "John Smith (Acme)"]
    chosen = labels.index("John Smith (Acme)") + 1
    run = say(client, "t2", str(chosen))
    assert run["result"]["reply"] == "Lead 'John Smith' status updated to 'Won'."


def test_events_stream_steps_then_result(client: httpx.Client) -> None:
    seed(client)
    run_id = client.post("/threads/t3/runs", json={"message": "Move Sarah to Contacted"}).json()[
        "run_id"
    ]
    events = []
    with client.stream("GET", f"/runs/{run_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-accel-buffering"] == "no"
        name = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
    kinds = [e for e, _ in events]
    assert kinds[0] == "status" and kinds[-1] == "result"
    steps = [d["step"] for e, d in events if e == "step"]
    assert (
        steps[:2] == ["router", "lead_matcher"]
        and "change_status" in steps
        and steps[-1] == "respond"
    )
    assert events[-1][1]["result"]["reply"] == "Lead 'Sarah Lee' status updated to 'Contacted'."
    # A finished run replays its result.
    replay = client.get(f"/runs/{run_id}/events").text
    assert "event: result" in replay


def test_messages_on_one_thread_run_in_order(client: httpx.Client) -> None:
    lead = client.post("/leads", json={"name": "Olga Order", "company": "Seq"}).json()
    stages = [
        "Contacted",
        "Meeting booked",
        "Proposal sent",
        "Won",
        "Lost",
        "New",
        "Contacted",
        "Won",
    ]
    messages = [f"Move Olga to {stage}" for stage in stages]

    def post(message: str) -> str:
        return client.post("/threads/t4/runs", json={"message": message}).json()["run_id"]

    run_ids = [post(m) for m in messages]  # posted in order, quickly
    runs = [wait_run(client, r) for r in run_ids]
    assert all(r["status"] == "succeeded" for r in runs)
    assert client.get(f"/leads/{lead['id']}").json()["status"] == "Won"
    replies = [
        m["content"]
        for m in client.get("/threads/t4").json()["messages"]
        if m["role"] == "assistant"
    ]
    assert replies == [f"Lead 'Olga Order' status updated to '{s}'." for s in stages]


def test_concurrent_posts_to_one_thread_never_interleave(client: httpx.Client) -> None:
    client.post("/leads", json={"name": "Paula Parallel"})
    with ThreadPoolExecutor(max_workers=10) as pool:
        run_ids = list(
            pool.map(
                lambda i: client.post(
                    "/threads/t5/runs", json={"message": f"Paula's phone is 555-01{i:02d}"}
                ).json()["run_id"],
                range(10),
            )
        )
    runs = [wait_run(client, r) for r in run_ids]
    assert all(r["status"] == "succeeded" for r in runs)
    history = client.get("/threads/t5").json()["messages"]
    assert len(history) == 20
    roles = [m["role"] for m in history]
    assert roles == ["user", "assistant"] * 10  # each reply follows its own message


def test_other_users_get_404(client: httpx.Client, agent_url: str) -> None:
    seed(client)
    run = say(client, "t6", "Move Sarah to Won")
    mallory = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "mallory"}
    with httpx.Client(base_url=agent_url, headers=mallory) as other:
        assert other.get(f"/runs/{run['run_id']}").status_code == 404
        assert other.get(f"/runs/{run['run_id']}/events").status_code == 404
        assert other.get("/threads/t6").status_code == 404
        assert other.post("/threads/t6/runs", json={"message": "delete Sarah"}).status_code == 404
        assert other.delete("/threads/t6").status_code == 404
    assert len(client.get("/threads/t6").json()["messages"]) == 2


@pytest.mark.parametrize("message", ["", "   ", "x" * 2001])
def test_bad_messages_are_422_before_any_run(client: httpx.Client, message: str) -> None:
    response = client.post("/threads/t7/runs", json={"message": message})
    assert response.status_code == 422
    assert response.json()["type"] == "invalid_input"
    assert client.get("/threads/t7").status_code == 404


def test_malformed_run_body(client: httpx.Client) -> None:
    assert (
        client.post(
            "/threads/t8/runs", content=b"{oops", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert client.post("/threads/t8/runs", json={"text": "hi"}).status_code == 422
    assert client.get("/runs/nope").status_code == 404


def test_clear_forgets_the_conversation(client: httpx.Client) -> None:
    seed(client)
    say(client, "t9", "Move John to Won")
    assert client.delete("/threads/t9").status_code == 204
    assert client.get("/threads/t9").status_code == 404
    assert client.delete("/threads/t9").status_code == 204  # idempotent
    run = say(client, "t9", "undo")
    assert run["result"]["reply"].startswith("Undone: lead 'John Smith'")  # undo is per user


def test_restart_keeps_context_and_fails_cut_off_runs(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, headers=HEADERS) as client:
        seed(client)
        say(client, "t10", "Move Sarah to Won")
    # A run left 'running' by a crash is reported failed after the restart.
    from agent_service.main import runs_url
    from agent_service.runs.records import open_records

    records = open_records(runs_url(settings))
    records.create_run("cut-off", "t10", "alice", "Move John to Lost")
    records.update_run("cut-off", status="running")
    records.close()
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, headers=HEADERS) as client:
        run = say(client, "t10", "undo")
        assert run["result"]["reply"] == "Undone: lead 'Sarah Lee' status restored to 'New'."
        cut = client.get("/runs/cut-off").json()
        assert cut["status"] == "failed" and cut["error"]["type"] == "internal"


def test_database_down_fails_the_run_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database directory should be")
    settings = make_settings(tmp_path, crm_database_url=f"sqlite:///{blocker}/crm.sqlite3")
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, headers=HEADERS) as client:
        run = say(client, "t11", "Move John to Won")
        assert run["status"] == "failed"
        # Reported at once, but without claiming "nothing was changed": with the database
        # down, the change log that would say so cannot be read.
        assert run["error"] == {
            "type": "database_unavailable",
            "message": "The lead database is unavailable right now. "
            "Please check the board before sending it again.",
        }
        history = client.get("/threads/t11").json()["messages"]
        assert history[-1]["error"] is True


def test_starts_and_answers_503_while_its_postgres_is_down(tmp_path: Path) -> None:
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/crm?connect_timeout=1"
    settings = make_settings(tmp_path, checkpoint_database_url=down)
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, headers=HEADERS) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/leads").status_code == 200  # the lead store (SQLite) still works
        response = client.post("/threads/t12/runs", json={"message": "Move John to Won"})
        assert response.status_code == 503
        assert response.json()["type"] == "database_unavailable"

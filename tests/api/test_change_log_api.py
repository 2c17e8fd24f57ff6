"""The change-log routes over real HTTP (SQLite and PostgreSQL): paging, summary, changes, the
live event stream (resumable), undo across board users, who made a board change, the docs."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from agent_service.main import create_app
from tests.api.conftest import TOKEN, make_settings
from tests.utils.servers import free_port, serve


def test_leads_are_paged_with_a_total(client: httpx.Client) -> None:
    for i in range(7):
        client.post("/leads", json={"name": f"Page Person {i}", "status": "New", "value": 10})
    first = client.get("/leads", params={"limit": 3}).json()
    assert (first["total"], first["limit"], first["offset"], len(first["leads"])) == (7, 3, 0, 3)
    rest = client.get("/leads", params={"limit": 3, "offset": 6}).json()
    assert len(rest["leads"]) == 1 and rest["total"] == 7
    names = {
        lead["name"]
        for page in (0, 3, 6)
        for lead in client.get("/leads", params={"limit": 3, "offset": page}).json()["leads"]
    }
    assert len(names) == 7
    assert client.get("/leads", params={"limit": 1001}).status_code == 422
    assert client.get("/leads", params={"q": "Person 3"}).json()["total"] == 1


def test_summary_counts_and_sums_per_stage(client: httpx.Client) -> None:
    client.post("/leads", json={"name": "A", "status": "New", "value": 100})
    client.post("/leads", json={"name": "B", "status": "New", "value": 50.5})
    client.post("/leads", json={"name": "C", "status": "Won"})
    summary = client.get("/leads/summary").json()
    stages = {s["status"]: s for s in summary["stages"]}
    assert [s["status"] for s in summary["stages"]][0] == "New"
    assert stages["New"] == {"status": "New", "count": 2, "value": 150.5}
    assert stages["Won"]["count"] == 1 and stages["Lost"]["count"] == 0
    assert summary["total"] == 3 and summary["value"] == 150.5


def test_board_changes_are_logged_with_who(client: httpx.Client) -> None:
    start = client.get("/leads/changes").json()["last_seq"]
    name = quote("Zoë Ünal")
    lead = client.post("/leads", json={"name": "Log Me"}, headers={"X-CRM-User-Name": name}).json()
    client.patch(f"/leads/{lead['id']}", json={"status": "Won"})
    page = client.get("/leads/changes", params={"after": start}).json()
    assert [c["op"] for c in page["changes"]] == ["create", "update"]
    created = page["changes"][0]
    assert (created["user_id"], created["user_name"], created["source"]) == (
        "user-1",
        "Zoë Ünal",
        "board",
    )
    assert page["last_seq"] == page["changes"][-1]["seq"]
    only = client.get("/leads/changes", params={"after": start, "lead_id": lead["id"], "limit": 1})
    assert len(only.json()["changes"]) == 1


def test_undo_reverts_the_users_latest_board_change(client: httpx.Client, agent_url: str) -> None:
    lead = client.post("/leads", json={"name": "Undo Target", "status": "New"}).json()
    client.patch(f"/leads/{lead['id']}", json={"status": "Won"})
    answer = client.post("/leads/undo", json={})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["undone"] is True and body["action"]["lead_id"] == lead["id"]
    assert client.get(f"/leads/{lead['id']}").json()["status"] == "New"
    # Another user has nothing to undo, and cannot undo this user's change by seq.
    other = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "bob"}
    with httpx.Client(base_url=agent_url, headers=other) as bob:
        nothing = bob.post("/leads/undo", json={"seq": None}).json()
        assert nothing == {"reply": "There is nothing to undo.", "undone": False, "action": None}
    changes = client.get("/leads/changes", params={"lead_id": lead["id"]}).json()["changes"]
    assert changes[-1]["source"] == "undo" and changes[-1]["reverts"] == changes[-2]["seq"]


def _read_events(url: str, headers: dict, count: int, out: list, ready: threading.Event) -> None:
    with (
        httpx.Client(timeout=15) as http,
        http.stream("GET", url, headers=headers) as response,
    ):
        out.append(("headers", dict(response.headers)))
        ready.set()
        event: dict = {}
        for line in response.iter_lines():
            if line.startswith("id:"):
                event["id"] = line[3:].strip()
            elif line.startswith("event:"):
                event["event"] = line[6:].strip()
            elif line.startswith("data:"):
                event["data"] = json.loads(line[5:])
            elif not line and event:
                out.append(("event", event))
                event = {}
                if sum(1 for kind, _ in out if kind == "event") >= count:
                    return


def test_events_stream_new_changes_and_resume(client: httpx.Client, agent_url: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "watcher"}
    seen: list = []
    ready = threading.Event()
    reader = threading.Thread(
        target=_read_events, args=(f"{agent_url}/leads/events", auth, 2, seen, ready)
    )
    reader.start()
    assert ready.wait(10)
    time.sleep(0.3)  # the stream has started from the current seq
    started = time.monotonic()
    lead = client.post("/leads", json={"name": "Live One"}).json()
    client.patch(f"/leads/{lead['id']}", json={"status": "Won"})
    reader.join(timeout=10)
    assert not reader.is_alive()
    elapsed = time.monotonic() - started
    headers = seen[0][1]
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["x-accel-buffering"] == "no" and headers["cache-control"] == "no-cache"
    events = [e for kind, e in seen if kind == "event"]
    assert [e["event"] for e in events] == ["change", "change"]
    assert [e["data"]["op"] for e in events] == ["create", "update"]
    assert events[0]["id"] == str(events[0]["data"]["seq"])
    assert elapsed < 3, elapsed  # within a second or so (SQLite polls)
    # Resuming after the first event replays the second, with Last-Event-ID or ?after=.
    for extra_headers, query in (
        ({"Last-Event-ID": events[0]["id"]}, ""),
        ({}, f"?after={events[0]['id']}"),
    ):
        again: list = []
        _read_events(
            f"{agent_url}/leads/events{query}",
            {**auth, **extra_headers},
            1,
            again,
            threading.Event(),
        )
        assert [e["data"]["seq"] for kind, e in again if kind == "event"] == [
            events[1]["data"]["seq"]
        ]
    bad = httpx.get(f"{agent_url}/leads/events", headers={**auth, "Last-Event-ID": "abc"})
    assert bad.status_code == 422 and bad.json()["type"] == "invalid_input"


def test_docs_need_the_token(tmp_path: Path) -> None:
    with serve(create_app(make_settings(tmp_path))) as url:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert httpx.get(url + path).status_code == 401
            assert (
                httpx.get(url + path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
                == 200
            )
        schema = httpx.get(url + "/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"})
        paths = schema.json()["paths"]
        events = paths["/leads/events"]["get"]["responses"]["200"]["content"]
        assert "text/event-stream" in events
        run = paths["/threads/{thread_id}/runs"]["post"]
        for code in ("400", "401", "404", "422", "503"):
            assert run["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
        create = schema.json()["components"]["schemas"]["RunCreate"]["properties"]
        assert create["message"]["minLength"] == 1
        assert create["client_message_id"]["anyOf"][0]["maxLength"] == 100
        name = schema.json()["components"]["schemas"]["LeadUpdate"]["properties"]["name"]
        assert name.get("type") == "string" and "anyOf" not in name
    with serve(create_app(make_settings(tmp_path / "p", CRM_ENV="production"))) as url:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert httpx.get(url + path, headers=auth).status_code == 404


def test_healthz_tells_the_truth(tmp_path: Path) -> None:
    with serve(create_app(make_settings(tmp_path))) as url:
        assert httpx.get(url + "/healthz").json() == {
            "status": "ok",
            "database": "ok",
            "runs": "ok",
        }
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/crm?connect_timeout=1"
    settings = make_settings(tmp_path / "down", checkpoint_database_url=down)
    with serve(create_app(settings)) as url:
        answer = httpx.get(url + "/healthz", timeout=30)
        assert answer.status_code == 200
        assert answer.json() == {"status": "degraded", "database": "ok", "runs": "unavailable"}

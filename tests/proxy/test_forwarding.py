"""Every route forwarded to a real agent service (offline model): leads, pipeline, chat,
events, history, clear; two users kept apart; message limits; the chat rate limit."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.proxy.stack import Browser, Stack, prepare_proxy, proxy_env, proxy_process


def wait_task(browser: Browser, task_id: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = browser.get(f"/api/chat/status/{task_id}/")
        assert response.status_code == 200, response.text
        run = response.json()
        if run["status"] in {"succeeded", "failed"}:
            return run
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} did not finish")


def say(browser: Browser, message: str) -> dict[str, Any]:
    response = browser.post("/api/chat/", json={"message": message})
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"task_id", "client_message_id"}
    uuid.UUID(body["client_message_id"])  # generated: the browser sent none
    run = wait_task(browser, body["task_id"])
    assert run["status"] == "succeeded", run
    return run


def create_lead(browser: Browser, **fields: Any) -> dict[str, Any]:
    response = browser.post("/api/leads/", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def alice(stack: Stack) -> Browser:
    return stack.browser("alice")


@pytest.fixture(scope="module")
def bob(stack: Stack) -> Browser:
    return stack.browser("bob")


@pytest.fixture(scope="module")
def seeded(alice: Browser) -> dict[str, dict[str, Any]]:
    john = create_lead(
        alice, name="John Smith", company="Acme", email="john@acme.com", status="Contacted"
    )
    sarah = create_lead(alice, name="Sarah Lee", company="TechCorp", status="New")
    return {"john": john, "sarah": sarah}


# -- leads and pipeline --------------------------------------------------------------------------


def test_pipeline_is_forwarded(alice: Browser) -> None:
    response = alice.get("/api/pipeline/")
    assert response.status_code == 200
    assert response.json() == {
        "statuses": ["New", "Contacted", "Meeting booked", "Proposal sent", "Won", "Lost"]
    }


def test_lead_crud_is_forwarded_with_the_agents_answers(stack: Stack, alice: Browser) -> None:
    lead = create_lead(alice, name="Dana Forward", company="Relay Inc", value=1200)
    assert lead["status"] == "New" and lead["version"] == 1
    direct = stack.agent_get(f"/leads/{lead['id']}", "anyone")
    assert direct.json() == lead  # what the proxy returned is what the agent stored

    assert alice.get(f"/api/leads/{lead['id']}/").json() == lead
    assert alice.get(f"/api/leads/{lead['id']}").json() == lead  # trailing slash optional

    patched = alice.patch(f"/api/leads/{lead['id']}/", json={"status": "Won", "phone": "555-0100"})
    assert patched.status_code == 200
    assert patched.json()["status"] == "Won" and patched.json()["version"] == 2

    won = alice.get("/api/leads/", params={"status": "Won"}).json()["leads"]
    assert [item["id"] for item in won] == [lead["id"]]
    found = alice.get("/api/leads/", params={"q": "Relay"}).json()["leads"]
    assert [item["id"] for item in found] == [lead["id"]]

    stale = alice.patch(f"/api/leads/{lead['id']}/", json={"notes": "x", "version": 1})
    assert stale.status_code == 409 and stale.json()["type"] == "conflict"

    unknown_stage = alice.patch(f"/api/leads/{lead['id']}/", json={"status": "Dreaming"})
    assert unknown_stage.status_code == 422
    assert unknown_stage.json()["type"] == "invalid_input"
    assert "Meeting booked" in unknown_stage.json()["stages"]

    deleted = alice.delete(f"/api/leads/{lead['id']}/")
    assert deleted.status_code == 204 and deleted.content == b""
    gone = alice.get(f"/api/leads/{lead['id']}/")
    assert gone.status_code == 404
    assert gone.json()["type"] == "not_found"
    assert stack.agent_get(f"/leads/{lead['id']}", "anyone").status_code == 404


def test_bad_lead_bodies_get_clear_errors_and_create_nothing(stack: Stack, alice: Browser) -> None:
    before = len(stack.agent_get("/leads", "x").json()["leads"])
    malformed = alice.post(
        "/api/leads/", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json() == {
        "detail": "The request body is not valid JSON.",
        "type": "invalid_input",
    }
    not_object = alice.post("/api/leads/", json=["Sarah"])
    assert not_object.status_code == 400
    assert not_object.json()["detail"] == "The request body must be a JSON object."
    invalid = alice.post("/api/leads/", json={"name": "Eve", "email": "not-an-email"})
    assert invalid.status_code == 422 and "email" in invalid.json()["detail"]
    assert len(stack.agent_get("/leads", "x").json()["leads"]) == before


# -- chat ----------------------------------------------------------------------------------------


def test_the_acceptance_conversation_through_the_proxy(
    stack: Stack, alice: Browser, seeded: dict[str, dict[str, Any]]
) -> None:
    john, sarah = seeded["john"], seeded["sarah"]

    run = say(alice, "Move John to Meeting booked")
    assert run["result"]["reply"] == "Lead 'John Smith' status updated to 'Meeting booked'."
    assert run["result"]["actions"][0]["type"] == "change_status"
    assert alice.get(f"/api/leads/{john['id']}/").json()["status"] == "Meeting booked"

    run = say(alice, "delete Sarah")
    assert run["result"]["needs"] == "confirmation"
    assert alice.get(f"/api/leads/{sarah['id']}/").status_code == 200

    run = say(alice, "yes")
    assert run["result"]["actions"][0]["type"] == "delete_lead"
    assert alice.get(f"/api/leads/{sarah['id']}/").status_code == 404

    run = say(alice, "undo")
    assert run["result"]["actions"][0]["type"] == "undo"
    assert alice.get(f"/api/leads/{sarah['id']}/").json()["name"] == "Sarah Lee"

    run = say(alice, "who is in Meeting booked?")
    assert "John Smith" in run["result"]["reply"]

    history = alice.get("/api/chat/history/")
    assert history.status_code == 200
    body = history.json()
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"] * 5
    assert body["messages"][0]["content"] == "Move John to Meeting booked"
    assert body["pending"] is None

    # The thread belongs to alice's Django user id (X-CRM-User), and to nobody else.
    user_id = alice.user_id()
    assert stack.agent_get(f"/threads/{body['thread_id']}", user_id).json() == body
    assert stack.agent_get(f"/threads/{body['thread_id']}", "someone-else").status_code == 404


def read_events(response: requests.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    name = None
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name:
            yield name, json.loads(line.split(":", 1)[1])
            name = None


def test_the_event_stream_is_passed_through(alice: Browser, seeded: dict[str, Any]) -> None:
    task_id = alice.post("/api/chat/", json={"message": "Move Sarah to Contacted"}).json()[
        "task_id"
    ]
    with alice.get(f"/api/chat/events/{task_id}/", stream=True) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["X-Accel-Buffering"] == "no"
        assert response.headers["Cache-Control"] == "no-cache"
        assert "Content-Length" not in response.headers
        events = list(read_events(response))
    names = [name for name, _ in events]
    assert names[0] == "status" and names[-1] == "result"
    assert "step" in names
    final = events[-1][1]
    assert final["run_id"] == task_id and final["status"] == "succeeded"
    assert final["result"]["reply"] == "Lead 'Sarah Lee' status updated to 'Contacted'."


def test_two_users_are_kept_apart(stack: Stack, alice: Browser, bob: Browser, seeded: Any) -> None:
    alice_task = alice.post("/api/chat/", json={"message": "who is in Contacted?"}).json()[
        "task_id"
    ]
    wait_task(alice, alice_task)

    # bob cannot see alice's task, its events, or her conversation.
    status = bob.get(f"/api/chat/status/{alice_task}/")
    assert status.status_code == 404 and status.json()["type"] == "not_found"
    events = bob.get(f"/api/chat/events/{alice_task}/")
    assert events.status_code == 404 and events.json()["type"] == "not_found"
    assert bob.get("/api/chat/history/").json()["messages"] == []

    # bob's own conversation lives on his own thread.
    say(bob, "who is in New?")
    bob_history = bob.get("/api/chat/history/").json()
    alice_history = alice.get("/api/chat/history/").json()
    assert bob_history["thread_id"] != alice_history["thread_id"]
    assert [m["content"] for m in bob_history["messages"] if m["role"] == "user"] == [
        "who is in New?"
    ]
    assert "who is in New?" not in [m["content"] for m in alice_history["messages"]]
    bob_id = bob.user_id()
    assert bob_id != alice.user_id()
    assert stack.agent_get(f"/threads/{bob_history['thread_id']}", bob_id).status_code == 200
    assert stack.agent_get(f"/threads/{alice_history['thread_id']}", bob_id).status_code == 404


def test_clear_deletes_the_thread_and_rotates_the_id(stack: Stack, seeded: Any) -> None:
    browser = stack.browser("carol")
    assert browser.post("/api/chat/clear/").status_code == 204  # nothing to clear yet

    run = say(browser, "who is in Contacted?")
    old = browser.get("/api/chat/history/").json()
    assert len(old["messages"]) == 2
    user_id = browser.user_id()

    cleared = browser.post("/api/chat/clear/")
    assert cleared.status_code == 204 and cleared.content == b""
    assert browser.get("/api/chat/history/").json() == {
        "thread_id": None,
        "messages": [],
        "pending": None,
    }
    assert stack.agent_get(f"/threads/{old['thread_id']}", user_id).status_code == 404
    assert browser.get(f"/api/chat/status/{run['run_id']}/").status_code == 404

    say(browser, "who is in New?")
    new = browser.get("/api/chat/history/").json()
    assert new["thread_id"] and new["thread_id"] != old["thread_id"]
    assert [m["content"] for m in new["messages"]][0] == "who is in New?"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"message": ""}, "The message is empty."),
        ({"message": "   \n "}, "The message is empty."),
        ({"message": "x" * 2001}, "The message is too long (2001 characters; at most 2000)."),
        ({}, 'The request needs a "message" with the text to send.'),
        ({"message": 42}, 'The request needs a "message" with the text to send.'),
    ],
)
def test_bad_chat_messages_get_400_and_start_nothing(
    bob: Browser, body: dict[str, Any], detail: str
) -> None:
    before = bob.get("/api/chat/history/").json()
    response = bob.post("/api/chat/", json=body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "type": "invalid_input"}
    assert bob.get("/api/chat/history/").json() == before


def test_malformed_chat_json_gets_400(bob: Browser) -> None:
    response = bob.post("/api/chat/", data=b"\xff{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "type": "invalid_input",
    }


def test_a_message_of_exactly_the_limit_is_accepted(bob: Browser) -> None:
    run = say(bob, "who is in Won? " + "x" * (2000 - len("who is in Won? ")))
    assert run["status"] == "succeeded"


def test_unknown_task_ids_are_404_json(alice: Browser) -> None:
    response = alice.get("/api/chat/status/0123456789abcdef/")
    assert response.status_code == 404 and response.json()["type"] == "not_found"


# -- the chat rate limit (a second proxy process, same agent and database, limit 3) -------------


DAVE = "dave-pass-8086"


@pytest.fixture(scope="module")
def limited(stack: Stack) -> Iterator[str]:
    env = proxy_env(stack.directory, stack.agent.url, CHAT_RATE_LIMIT="3")
    prepare_proxy(env, {"dave": DAVE})  # same database: already migrated; dave is new
    with proxy_process(env, stack.directory, name="limited-proxy") as proxy:
        yield proxy.url


def test_the_chat_rate_limit_is_per_user_and_answers_429(stack: Stack, limited: str) -> None:
    # The count is shared by the proxy processes (the database cache): two messages through
    # the other proxy count here too.
    elsewhere = Browser(stack.proxy.url)
    elsewhere.login("dave", DAVE)
    for n in range(2):
        assert (
            elsewhere.post("/api/chat/", json={"message": f"who is in Lost? {n}"}).status_code
            == 202
        )
    carol = Browser(limited)
    carol.login("dave", DAVE)
    # A refused message does not count: 400 does not use up the allowance.
    assert carol.post("/api/chat/", json={"message": ""}).status_code == 400
    assert carol.post("/api/chat/", json={"message": "who is in Lost? 2"}).status_code == 202
    refused = carol.post("/api/chat/", json={"message": "who is in Lost? again"})
    assert refused.status_code == 429
    assert refused.json()["type"] == "rate_limited"
    assert refused.json()["detail"].startswith("Too many messages: at most 3 a minute.")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    history = carol.get("/api/chat/history/").json()
    assert "who is in Lost? again" not in [m["content"] for m in history["messages"]]

    # Reading is not limited, and another user has their own allowance.
    assert carol.get("/api/leads/").status_code == 200
    bob = Browser(limited)
    bob.login("bob", stack.users["bob"])
    assert bob.post("/api/chat/", json={"message": "who is in Lost?"}).status_code == 202


def test_a_body_over_the_size_limit_gets_413_json(alice: Browser) -> None:
    response = alice.post(
        "/api/leads/",
        data=b'{"name": "' + b"x" * 3_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large.", "type": "invalid_input"}

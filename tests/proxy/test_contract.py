"""What the proxy sends the agent service under the change-log contract (docs/change-log.md),
and how it reports faults truthfully.

The agent service here is a recording stand-in on a real socket (the real one does not have the
change-log routes yet, and cannot be made to time out or reset on cue): it records every call
and answers like the contract says. The proxy is the real process.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.proxy.stack import Browser, Service, prepare_proxy, proxy_env, proxy_process
from tests.utils.servers import free_port, serve

USERS = {"zoë": "zoe-pass-5150", "yann": "yann-pass-6161"}


class Recorder:
    """The stand-in agent: records calls; runs are deduplicated by client message id."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.runs: dict[tuple[str, str], str] = {}
        self.slow_once: set[str] = set()
        self.app = FastAPI()
        app = self.app

        def record(request: Request, body: Any = None) -> None:
            self.calls.append(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "params": dict(request.query_params),
                    "headers": dict(request.headers),
                    "body": body,
                }
            )

        @app.post("/threads/{thread_id}/runs")
        async def create_run(thread_id: str, request: Request) -> Response:
            body = await request.json()
            record(request, body)
            message, cmid = body["message"], body.get("client_message_id", "")
            if message == "fail":
                return JSONResponse(
                    {"detail": "The database is unavailable.", "type": "database_unavailable"},
                    status_code=503,
                )
            if message == "slow" and cmid not in self.slow_once:
                self.slow_once.add(cmid)
                self.runs[(thread_id, cmid)] = f"run-{len(self.runs)}"
                await asyncio.sleep(3)  # past the proxy's timeout; the run is made all the same
            run_id = self.runs.setdefault((thread_id, cmid), f"run-{len(self.runs)}")
            return JSONResponse(
                {"run_id": run_id, "thread_id": thread_id, "status": "queued"}, status_code=202
            )

        @app.get("/threads/{thread_id}")
        async def thread(thread_id: str, request: Request) -> dict[str, Any]:
            record(request)
            return {"thread_id": thread_id, "messages": [], "pending": None}

        @app.delete("/threads/{thread_id}")
        async def clear(thread_id: str, request: Request) -> Response:
            record(request)
            return Response(status_code=204)

        @app.get("/leads")
        async def leads(request: Request) -> dict[str, Any]:
            record(request)
            return {"leads": [], "total": 0, "limit": 100, "offset": 0}

        @app.get("/leads/summary")
        async def summary(request: Request) -> dict[str, Any]:
            record(request)
            return {"stages": [{"status": "New", "count": 0, "value": 0}], "total": 0, "value": 0}

        @app.get("/leads/changes")
        async def changes(request: Request) -> dict[str, Any]:
            record(request)
            return {"changes": [], "last_seq": 0}

        @app.post("/leads/undo")
        async def undo(request: Request) -> dict[str, Any]:
            record(request, await request.json())
            return {"reply": "There is nothing to undo.", "undone": False, "action": None}

        @app.get("/leads/events")
        async def events(request: Request) -> StreamingResponse:
            record(request)
            start = int(request.headers.get("last-event-id") or request.query_params["after"])
            name = request.headers.get("x-crm-user-name", "")

            async def stream() -> Any:
                for seq in (start + 1, start + 2):
                    data = json.dumps({"seq": seq, "user_name": name})
                    yield f"id: {seq}\nevent: change\ndata: {data}\n\n".encode()
                    await asyncio.sleep(1.0)  # quiet: the proxy sends keep-alive comments

            return StreamingResponse(stream(), media_type="text/event-stream")

    def last(self, path: str, method: str = "GET") -> dict[str, Any]:
        return [c for c in self.calls if c["path"] == path and c["method"] == method][-1]


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[Recorder, str]]:
    agent = Recorder()
    with serve(agent.app) as url:
        yield agent, url


@pytest.fixture(scope="module")
def proxy(
    recorder: tuple[Recorder, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    directory: Path = tmp_path_factory.mktemp("proxy-contract")
    _, url = recorder
    env = proxy_env(
        directory, url, AGENT_TIMEOUT_SECONDS="1", SSE_KEEPALIVE_SECONDS="0.3", CHAT_RATE_LIMIT="6"
    )
    prepare_proxy(env, USERS)
    with proxy_process(env, directory) as service:
        yield service


def signed_in(proxy: Service, name: str) -> Browser:
    browser = Browser(proxy.url)
    assert browser.login(name, USERS[name]).status_code == 302
    return browser


def test_every_call_names_the_user_and_paging_is_forwarded(
    proxy: Service, recorder: tuple[Recorder, str]
) -> None:
    agent, _ = recorder
    zoe = signed_in(proxy, "zoë")
    user_id = zoe.user_id()
    query = "?limit=5&offset=10&status=Won&q=ac&evil=1"
    assert zoe.get(f"/api/leads/{query}").status_code == 200
    call = agent.last("/leads")
    assert call["params"] == {"limit": "5", "offset": "10", "status": "Won", "q": "ac"}
    assert call["headers"]["x-crm-user"] == user_id
    assert call["headers"]["x-crm-user-name"] == "zo%C3%AB"  # percent-encoded UTF-8


def test_summary_changes_and_undo_are_forwarded(
    proxy: Service, recorder: tuple[Recorder, str]
) -> None:
    agent, _ = recorder
    zoe = signed_in(proxy, "zoë")
    summary = zoe.get("/api/leads/summary/")
    assert summary.status_code == 200 and summary.json()["stages"][0]["status"] == "New"
    changes = zoe.get("/api/leads/changes/?after=7&lead_id=abc&limit=20&other=x")
    assert changes.json() == {"changes": [], "last_seq": 0}
    assert agent.last("/leads/changes")["params"] == {"after": "7", "lead_id": "abc", "limit": "20"}
    undone = zoe.post("/api/leads/undo/", json={"seq": 12})
    assert undone.status_code == 200 and undone.json()["undone"] is False
    assert agent.last("/leads/undo", "POST")["body"] == {"seq": 12}
    assert zoe.post("/api/leads/undo/").status_code == 200  # no body: the latest change
    assert agent.last("/leads/undo", "POST")["body"] == {}
    assert zoe.post("/api/leads/undo/", csrf=False).status_code == 403


def test_a_chat_message_carries_its_client_message_id_and_a_repeat_is_the_same_run(
    proxy: Service, recorder: tuple[Recorder, str]
) -> None:
    agent, _ = recorder
    zoe = signed_in(proxy, "zoë")
    first = zoe.post("/api/chat/", json={"message": "hello", "client_message_id": "m-1"})
    again = zoe.post("/api/chat/", json={"message": "hello", "client_message_id": "m-1"})
    assert first.status_code == again.status_code == 202
    assert (
        first.json()
        == again.json()
        == {"task_id": first.json()["task_id"], "client_message_id": "m-1"}
    )
    call = [c for c in agent.calls if c["method"] == "POST" and c["path"].endswith("/runs")][-1]
    assert call["body"] == {"message": "hello", "client_message_id": "m-1"}
    fresh = zoe.post("/api/chat/", json={"message": "hello again"})
    generated = fresh.json()["client_message_id"]
    assert len(generated) == 36
    call = [c for c in agent.calls if c["method"] == "POST" and c["path"].endswith("/runs")][-1]
    assert call["body"]["client_message_id"] == generated


def test_a_timeout_says_the_message_may_still_run_and_a_resend_reattaches(
    proxy: Service, recorder: tuple[Recorder, str]
) -> None:
    agent, _ = recorder
    yann = signed_in(proxy, "yann")
    started = time.monotonic()
    late = yann.post("/api/chat/", json={"message": "slow", "client_message_id": "m-slow"})
    assert time.monotonic() - started < 2.5
    assert late.status_code == 504
    body = late.json()
    assert body["type"] == "timeout" and body["client_message_id"] == "m-slow"
    assert "may still be processed" in body["detail"]
    assert "nothing was changed" not in body["detail"]
    thread_path = [
        c["path"]
        for c in agent.calls
        if c["body"] and c["body"].get("client_message_id") == "m-slow"
    ][-1]
    resent = yann.post("/api/chat/", json={"message": "slow", "client_message_id": "m-slow"})
    assert resent.status_code == 202
    # The same thread (kept in the session despite the 504), the same run.
    runs = [c for c in agent.calls if c["body"] and c["body"].get("client_message_id") == "m-slow"]
    assert {c["path"] for c in runs} == {thread_path}
    assert resent.json()["task_id"] == agent.runs[(thread_path.split("/")[2], "m-slow")]


def test_the_thread_id_is_kept_when_the_agent_answers_5xx(
    proxy: Service, recorder: tuple[Recorder, str]
) -> None:
    agent, _ = recorder
    browser = signed_in(proxy, "yann")  # a new session: no thread id in it yet
    refused = browser.post("/api/chat/", json={"message": "fail"})
    assert refused.status_code == 503 and refused.json()["type"] == "database_unavailable"
    failed = [c for c in agent.calls if c["body"] and c["body"].get("message") == "fail"][-1]
    thread_id = failed["path"].split("/")[2]
    calls_before = len(agent.calls)
    assert browser.get("/api/chat/history/").status_code == 200
    # The conversation asked for is the one the failed message went to (the id was saved).
    assert [c["path"] for c in agent.calls[calls_before:]] == [f"/threads/{thread_id}"]


def test_only_accepted_messages_count_against_the_rate_limit(
    proxy: Service, recorder: tuple[Recorder, str]
) -> None:
    browser = signed_in(proxy, "yann")  # 1 accepted message so far (limit 6)
    for _ in range(8):  # refused by the agent (503): none of them counts
        assert browser.post("/api/chat/", json={"message": "fail"}).status_code == 503
    for n in range(5):
        assert browser.post("/api/chat/", json={"message": f"hi {n}"}).status_code == 202
    refused = browser.post("/api/chat/", json={"message": "one too many"})
    assert refused.status_code == 429 and refused.json()["type"] == "rate_limited"


def read_stream(browser: Browser, path: str, headers: dict[str, str]) -> tuple[Any, list[str]]:
    lines: list[str] = []
    with browser.get(path, stream=True, headers=headers) as response:
        for line in response.iter_lines(decode_unicode=True):
            lines.append(line)
        return response, lines


def test_lead_events_are_relayed_unbuffered_and_resumable(
    proxy: Service, recorder: tuple[Recorder, str]
) -> None:
    agent, _ = recorder
    zoe = signed_in(proxy, "zoë")
    response, lines = read_stream(zoe, "/api/leads/events/", {"Last-Event-ID": "41"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["X-Accel-Buffering"] == "no"
    assert response.headers["Cache-Control"] == "no-cache"
    assert agent.last("/leads/events")["headers"]["last-event-id"] == "41"
    ids = [line for line in lines if line.startswith("id:")]
    assert ids == ["id: 42", "id: 43"]
    between = lines[lines.index("id: 42") : lines.index("id: 43")]
    assert ": keep-alive" in between  # the quiet second between the two events
    data = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
    assert data["user_name"] == "zo%C3%AB"
    _, lines = read_stream(zoe, "/api/leads/events/?after=7", {})
    assert [line for line in lines if line.startswith("id:")] == ["id: 8", "id: 9"]
    bad = zoe.get("/api/leads/events/", headers={"Last-Event-ID": "x; drop"})
    assert bad.status_code == 400 and bad.json()["type"] == "invalid_input"


# -- the keep-alive race: a connection closed under a request ------------------------------------


class ClosingAgent:
    """A raw HTTP server whose first answer to each request path is a closed connection (as when
    uvicorn's keep-alive ends just as a request is sent); the next try is answered."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            method, path = head.split(b" ")[:2]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(rest) < length:
                rest += conn.recv(65536)
            key = f"{method.decode()} {path.decode().split('?')[0]}"
            self.seen[key] = self.seen.get(key, 0) + 1
            if self.seen[key] == 1:
                return  # closed without an answer
            if key.endswith("/runs"):
                body = json.dumps({"run_id": "run-1", "thread_id": "t", "status": "queued"})
                status = b"202 Accepted"
            else:
                body = json.dumps({"leads": [], "total": 0, "limit": 100, "offset": 0})
                status = b"200 OK"
            conn.sendall(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                b"Connection: close\r\n\r\n" + body.encode()
            )


def test_a_closed_connection_is_retried_once_where_that_is_safe(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    agent = ClosingAgent()
    directory: Path = tmp_path_factory.mktemp("proxy-closing")
    env = proxy_env(directory, agent.url, AGENT_TIMEOUT_SECONDS="2")
    prepare_proxy(env, USERS)
    with proxy_process(env, directory) as proxy:
        zoe = signed_in(proxy, "zoë")
        assert zoe.get("/api/leads/").status_code == 200  # a read: sent again
        assert agent.seen["GET /leads"] == 2
        chat = zoe.post("/api/chat/", json={"message": "hi", "client_message_id": "m-r"})
        assert chat.status_code == 202  # a chat post carries its id: sent again
        assert chat.json() == {"task_id": "run-1", "client_message_id": "m-r"}
        patch = zoe.patch("/api/leads/abc/", json={"status": "Won"})  # not sent twice
        assert patch.status_code == 503
        assert patch.json()["type"] == "timeout"
        assert "may or may not have been made" in patch.json()["detail"]
        assert agent.seen["PATCH /leads/abc"] == 1
    agent.sock.close()

"""The agent service down or timing out: 503 `agent_unavailable` JSON, never an HTML page;
signing in and out still work. Also: the page shown when the frontend is not built."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxy.stack import (
    Browser,
    Service,
    agent_process,
    prepare_proxy,
    proxy_env,
    proxy_process,
)
from tests.utils.servers import free_port

UNAVAILABLE = {
    "detail": "The assistant is unavailable right now; nothing was changed.",
    "type": "agent_unavailable",
}
USERS = {"dora": "dora-pass-2718"}
FORWARDED = [
    ("GET", "/api/leads/"),
    ("POST", "/api/leads/"),
    ("GET", "/api/leads/abc/"),
    ("PATCH", "/api/leads/abc/"),
    ("DELETE", "/api/leads/abc/"),
    ("GET", "/api/pipeline/"),
    ("POST", "/api/chat/"),
    ("GET", "/api/chat/status/abc/"),
    ("GET", "/api/chat/events/abc/"),
    ("GET", "/api/chat/history/"),
    ("POST", "/api/chat/clear/"),
]


@pytest.fixture(scope="module")
def agent_port() -> int:
    """A port where no agent service listens (tests may put a silent listener on it)."""
    return free_port()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, agent_port: int) -> Iterator[Service]:
    directory: Path = tmp_path_factory.mktemp("proxy-agent-down")
    env = proxy_env(
        directory, f"http://127.0.0.1:{agent_port}", AGENT_TIMEOUT_SECONDS="1"
    )  # FRONTEND_DIST points at a folder that does not exist
    prepare_proxy(env, USERS)
    with proxy_process(env, directory) as service:
        yield service


@pytest.fixture(scope="module")
def dora(proxy: Service, agent_port: int, tmp_path_factory: pytest.TempPathFactory) -> Browser:
    """Signed in, with a conversation started while the agent service was up; then it stops."""
    browser = Browser(proxy.url)
    assert browser.login("dora", USERS["dora"]).status_code == 302
    with agent_process(tmp_path_factory.mktemp("agent-then-down"), port=agent_port):
        task_id = browser.post("/api/chat/", json={"message": "who is in New?"}).json()["task_id"]
        deadline = time.monotonic() + 20
        while browser.get(f"/api/chat/status/{task_id}/").json()["status"] != "succeeded":
            assert time.monotonic() < deadline, "the first message did not finish"
            time.sleep(0.05)
        assert len(browser.get("/api/chat/history/").json()["messages"]) == 2
    return browser


def test_an_agent_that_does_not_answer_gives_503_after_the_timeout(
    dora: Browser, agent_port: int
) -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog), never answers
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", agent_port))
        silent.listen(64)
        started = time.monotonic()
        response = dora.get("/api/leads/")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert 0.9 <= elapsed < 5


@pytest.mark.parametrize(("method", "path"), FORWARDED)
def test_an_agent_that_is_down_gives_503_json_on_every_forwarded_route(
    dora: Browser, method: str, path: str
) -> None:
    response = dora.request(method, path, json={"message": "hello", "name": "X"})
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == UNAVAILABLE


def test_checks_of_the_proxy_itself_come_before_the_agent(dora: Browser) -> None:
    assert dora.post("/api/chat/", json={"message": ""}).status_code == 400
    assert dora.post("/api/chat/", csrf=False, json={"message": "hi"}).status_code == 403
    me = dora.get("/api/me/")
    assert me.status_code == 200 and me.json()["username"] == "dora"


def test_the_app_page_says_when_the_frontend_is_not_built(proxy: Service) -> None:
    browser = Browser(proxy.url)
    browser.login("dora", USERS["dora"])
    page = browser.get("/")
    assert page.status_code == 503
    assert "The frontend is not built yet" in page.text
    assert "make install" in page.text


def test_logging_out_works_while_the_agent_is_down(dora: Browser) -> None:
    assert dora.get("/api/chat/history/").status_code == 503  # a thread id is in the session
    response = dora.post("/accounts/logout/")
    assert response.status_code == 302
    assert dora.get("/api/me/").status_code == 401

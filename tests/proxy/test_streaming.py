"""Events pass through the proxy as they happen, with keep-alive comments while a run is idle.

To hold a run open for as long as the test needs, the agent service runs on the OpenAI path
against a local OpenAI-compatible server whose answer waits for the test to release it (the
only mocked part: the OpenAI API).
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.proxy.stack import Browser, Stack, running_stack
from tests.utils.servers import serve

USERS = {"erin": "erin-pass-3141"}
REPLY = "Good morning. How can I help with your leads?"


class GatedModel:
    """An OpenAI-compatible chat completions endpoint that answers only once `release()`d."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls = 0
        self.app = FastAPI()

        @self.app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.calls += 1
            await asyncio.to_thread(self.gate.wait, 30)
            message = {"role": "assistant", "content": REPLY}
            return JSONResponse(
                {
                    "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "gpt-4.1"),
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
            )


@pytest.fixture(scope="module")
def model() -> Iterator[tuple[GatedModel, str]]:
    gated = GatedModel()
    with serve(gated.app) as url:
        yield gated, f"{url}/v1"
    gated.gate.set()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, model: tuple[GatedModel, str]
) -> Iterator[Stack]:
    directory: Path = tmp_path_factory.mktemp("proxy-streaming")
    _, model_url = model
    openai = {
        "CRM_MODEL": "openai",
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": model_url,
        "OPENAI_MAX_RETRIES": "0",
    }
    with running_stack(directory, USERS, openai, SSE_KEEPALIVE_SECONDS="0.3") as running:
        yield running


def read_lines(browser: Browser, path: str, lines: queue.Queue[str | None]) -> None:
    """Read the stream in the background, line by line, as the bytes arrive."""
    with browser.get(path, stream=True) as response:
        assert response.status_code == 200
        buffer = ""
        for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
            buffer += chunk
            while "\n" in buffer:
                line, buffer = buffer.split("\n", 1)
                lines.put(line.rstrip("\r"))
    lines.put(None)


def next_line(lines: queue.Queue[str | None], wanted: str, timeout: float) -> list[str]:
    """The lines up to and including the first that starts with `wanted`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {wanted!r} line within {timeout} s; saw {seen}") from None
        if line is None:
            raise AssertionError(f"the stream ended before {wanted!r}; saw {seen}")
        seen.append(line)
        if line.startswith(wanted):
            return seen


def test_the_first_event_arrives_while_the_run_is_still_running(
    stack: Stack, model: tuple[GatedModel, str]
) -> None:
    gated, _ = model
    gated.gate.clear()
    browser = stack.browser("erin")
    task_id = browser.post("/api/chat/", json={"message": "Good morning"}).json()["task_id"]

    listener = Browser(stack.proxy.url)
    listener.cookies.update(browser.cookies)
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(
        target=read_lines, args=(listener, f"/api/chat/events/{task_id}/", lines), daemon=True
    )
    reader.start()

    first = next_line(lines, "event:", timeout=5)
    assert first[-1] == "event: status"
    # The model has not answered: the run is still going, yet its first event is here.
    run: dict[str, Any] = browser.get(f"/api/chat/status/{task_id}/").json()
    assert run["status"] in {"queued", "running"}
    assert run["result"] is None

    # While the run is idle (waiting for the model), comment lines keep the stream open.
    before_keepalive = next_line(lines, ": keep-alive", timeout=5)
    assert not any(line == "event: result" for line in before_keepalive)
    assert gated.calls == 1

    gated.gate.set()
    rest = next_line(lines, "event: result", timeout=15)
    data = next_line(lines, "data:", timeout=5)[-1]
    result = json.loads(data.split(":", 1)[1])
    assert result["status"] == "succeeded"
    assert result["result"]["reply"] == REPLY
    assert "event: step" in first + before_keepalive + rest
    reader.join(timeout=5)
    assert not reader.is_alive()  # the stream ends after the result
    assert browser.get(f"/api/chat/status/{task_id}/").json()["status"] == "succeeded"


def test_a_browser_leaving_mid_stream_is_harmless(
    stack: Stack, model: tuple[GatedModel, str]
) -> None:
    gated, _ = model
    gated.gate.clear()
    browser = stack.browser("erin")
    task_id = browser.post("/api/chat/", json={"message": "Good evening"}).json()["task_id"]
    response = browser.get(f"/api/chat/events/{task_id}/", stream=True)
    assert response.status_code == 200
    first = next(response.iter_lines(decode_unicode=True))
    assert first == "event: status"
    response.close()  # the tab is closed while the run is still going

    gated.gate.set()
    deadline = time.monotonic() + 15
    while browser.get(f"/api/chat/status/{task_id}/").json()["status"] != "succeeded":
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.05)
    assert browser.get("/api/leads/").status_code == 200
    log = stack.proxy.log_tail(400)
    assert "Traceback" not in log and "ERROR" not in log, log

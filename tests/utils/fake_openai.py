"""A local OpenAI-compatible server for tests: scripted chat completions, recorded requests.

Script entries: `tool(name, **args)` / `raw_tool(name, arguments_text)` tool calls, `text(...)`,
`status(429)` an HTTP error, `slow(seconds)` a response that takes too long.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.utils.servers import serve


def tool(name: str, **args: Any) -> dict[str, Any]:
    return {"tool_calls": [(name, json.dumps(args))]}


def tools(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"tool_calls": [(name, json.dumps(args)) for name, args in calls]}


def raw_tool(name: str, arguments: str) -> dict[str, Any]:
    return {"tool_calls": [(name, arguments)]}


def text(content: str) -> dict[str, Any]:
    return {"content": content}


def status(code: int) -> dict[str, Any]:
    return {"status": code}


def slow(seconds: float) -> dict[str, Any]:
    return {"sleep": seconds, "content": "too late"}


@dataclass
class FakeOpenAI:
    url: str
    script: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)


def _completion(entry: dict[str, Any], model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": entry.get("content")}
    finish = "stop"
    if entry.get("tool_calls"):
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {"name": n, "arguments": a},
            }
            for n, a in entry["tool_calls"]
        ]
        finish = "tool_calls"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132},
    }


@contextmanager
def fake_openai(script: list[dict[str, Any]]) -> Iterator[FakeOpenAI]:
    """Serve the script on 127.0.0.1; yields the handle (its `url` ends with /v1)."""
    app = FastAPI()
    handle = FakeOpenAI(url="", script=list(script))

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        handle.requests.append(body)
        if not handle.script:
            return JSONResponse({"error": {"message": "script exhausted"}}, status_code=500)
        entry = handle.script.pop(0)
        if "status" in entry:
            return JSONResponse(
                {"error": {"message": "scripted error", "type": "rate_limit_error"}},
                status_code=entry["status"],
            )
        if "sleep" in entry:
            await asyncio.sleep(entry["sleep"])
        return JSONResponse(_completion(entry, body.get("model", "gpt-4.1")))

    with serve(app) as base:
        handle.url = f"{base}/v1"
        yield handle

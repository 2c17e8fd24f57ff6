"""Cassettes: recorded chat-completion responses, served by a local OpenAI-compatible server.

`CassetteServer` listens on 127.0.0.1 and speaks `POST /v1/chat/completions`. The eval runner
points `ChatOpenAI` at it (`OPENAI_BASE_URL`) and tells it, before every turn, which
conversation and turn is being played (`begin`). Each request of the turn is the next call:

- **record** mode forwards the request to the real API (`upstream`, with the caller's
  `Authorization` header) and keeps the response under (turn, call); `save` writes one file per
  conversation, `DIR/<conversation>.json`.
- **replay** mode answers from `DIR/<conversation>.json`. A request without a recorded response,
  or one whose last user message differs from the recorded one (a stale cassette), gets an
  HTTP 500 whose message says exactly which, and is listed in `misses`.

A cassette file (hand-writable; `user` and `request` are optional)::

    {"conversation": "move-by-first-name",
     "interactions": [
       {"turn": 1, "call": 1, "user": "Move John to Meeting booked",
        "response": {"object": "chat.completion", "choices": [...], "usage": {...}}}]}
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

Mode = Literal["record", "replay"]
FORWARDED_HEADERS = ("authorization", "openai-organization", "openai-project", "content-type")


class CassetteError(RuntimeError):
    """A cassette file that cannot be read."""


def cassette_path(directory: Path, conversation: str) -> Path:
    return directory / f"{conversation}.json"


def last_user_message(body: dict[str, Any]) -> str | None:
    """The text of the last `user` message of a chat-completions request."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, list):
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return content if isinstance(content, str) else None
    return None


def load_cassette(path: Path) -> dict[tuple[int, int], dict[str, Any]]:
    """(turn, call) → interaction, validated."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CassetteError(f"{path}: cannot read cassette: {exc}") from None
    interactions = data.get("interactions") if isinstance(data, dict) else None
    if not isinstance(interactions, list):
        raise CassetteError(f"{path}: a cassette needs an `interactions` list")
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for index, item in enumerate(interactions):
        where = f"{path}: interactions[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("response"), dict):
            raise CassetteError(f"{where}: needs `turn`, `call` and a `response` object")
        key = (item.get("turn"), item.get("call", 1))
        if not all(isinstance(k, int) and k >= 1 for k in key):
            raise CassetteError(f"{where}: `turn` and `call` must be integers from 1")
        if key in out:
            raise CassetteError(f"{where}: turn {key[0]} call {key[1]} is recorded twice")
        out[key] = item  # type: ignore[index]
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CassetteServer:
    """The local OpenAI-compatible server that records or replays cassettes."""

    def __init__(self, directory: Path, mode: Mode, upstream: str | None = None) -> None:
        if mode == "record" and not upstream:
            raise ValueError("record mode needs the upstream API's base URL")
        self.directory = Path(directory)
        self.mode = mode
        self.upstream = (upstream or "").rstrip("/")
        self.url = ""
        self.misses: list[str] = []
        self._lock = threading.Lock()
        self._conversation = ""
        self._turn = 0
        self._call = 0
        self._recording = True
        self._tapes: dict[str, dict[tuple[int, int], dict[str, Any]]] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # The runner's side -------------------------------------------------------------------
    def begin(self, conversation: str, turn: int, *, record: bool = True) -> None:
        """The next requests belong to `turn` (1-based) of `conversation`."""
        with self._lock:
            if conversation != self._conversation:
                self._conversation = conversation
                if self.mode == "record" and record:
                    self._tapes[conversation] = {}
            self._turn = turn
            self._call = 0
            self._recording = record

    def save(self, conversation: str) -> Path | None:
        """Write the recorded interactions of `conversation` (record mode only)."""
        if self.mode != "record" or conversation not in self._tapes:
            return None
        tape = self._tapes[conversation]
        self.directory.mkdir(parents=True, exist_ok=True)
        path = cassette_path(self.directory, conversation)
        data = {
            "conversation": conversation,
            "interactions": [tape[key] for key in sorted(tape)],
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    # The model's side --------------------------------------------------------------------
    def _next_key(self) -> tuple[str, int, int, bool]:
        with self._lock:
            self._call += 1
            return self._conversation, self._turn, self._call, self._recording

    def _miss(self, message: str) -> JSONResponse:
        self.misses.append(message)
        return JSONResponse(
            {"error": {"message": message, "type": "cassette_miss", "code": "cassette_miss"}},
            status_code=500,
        )

    def _replay(self, body: dict[str, Any]) -> JSONResponse:
        conversation, turn, call, _ = self._next_key()
        where = f"conversation {conversation!r} turn {turn} call {call}"
        if conversation not in self._tapes:
            path = cassette_path(self.directory, conversation)
            if not path.exists():
                return self._miss(f"no recorded response for {where}: {path} does not exist")
            try:
                self._tapes[conversation] = load_cassette(path)
            except CassetteError as exc:
                return self._miss(str(exc))
        item = self._tapes[conversation].get((turn, call))
        if item is None:
            return self._miss(f"no recorded response for {where}")
        recorded, sent = item.get("user"), last_user_message(body)
        if recorded is not None and recorded != sent:
            return self._miss(
                f"stale cassette for {where}: recorded for user message {recorded!r}, "
                f"but the request's last user message is {sent!r}"
            )
        return JSONResponse(item["response"])

    async def _record(self, request: Request, body: dict[str, Any]) -> JSONResponse:
        # Only answered calls take a call number: the client's retries after an upstream
        # error must not shift the numbering that replay (which never retries) will ask for.
        with self._lock:
            conversation, turn, recording = self._conversation, self._turn, self._recording
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
        async with httpx.AsyncClient(timeout=120) as client:
            answer = await client.post(
                f"{self.upstream}/chat/completions", json=body, headers=headers
            )
        try:
            payload = answer.json()
        except ValueError:
            payload = {"error": {"message": answer.text[:500]}}
        if answer.status_code == 200:
            with self._lock:
                self._call += 1
                call = self._call
        if answer.status_code == 200 and recording:
            self._tapes.setdefault(conversation, {})[(turn, call)] = {
                "turn": turn,
                "call": call,
                "user": last_user_message(body),
                "request": {"model": body.get("model"), "messages": body.get("messages")},
                "response": payload,
            }
        return JSONResponse(payload, status_code=answer.status_code)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            if body.get("stream"):
                return self._miss("the cassette server does not support streamed completions")
            if self.mode == "replay":
                return self._replay(body)
            return await self._record(request, body)

        return app

    # Lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> CassetteServer:
        port = _free_port()
        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the cassette server did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)

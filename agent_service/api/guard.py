"""Refuse malformed input before any route runs (so nothing is claimed or written).

A pure ASGI middleware: for every request it checks the path and query string (valid UTF-8, no
NUL or control characters), and for a request with a body, reads it once (at most
`MAX_BODY_BYTES`) and, when it is JSON, parses it strictly:

- `NaN`, `Infinity`, `-Infinity` and numbers that overflow (`1e999`) are refused (Python's
  `json` accepts them, PostgreSQL and the lead model do not);
- nesting deeper than `MAX_DEPTH`, lone UTF-16 surrogates and NUL characters in any string or
  key are refused.

The body is then handed on unchanged. Every refusal is the service's usual
`{"detail", "type": "invalid_input"}` answer: 400 for bytes that are not acceptable JSON, 413 for
a body that is too large.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 32


class BadInput(Exception):
    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


def _constant(name: str) -> Any:
    raise BadInput(f"The request body contains {name}, which is not a JSON number.")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput("The request body contains a number too large to use.")
    return value


def _bad_text(text: str) -> str | None:
    for char in text:
        code = ord(char)
        if code == 0:
            return "a NUL character"
        if 0xD800 <= code <= 0xDFFF:
            return "a lone UTF-16 surrogate"
    return None


def check_json(body: bytes) -> None:
    """Raise `BadInput` unless `body` is JSON the service can store as it is."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("The request body is not UTF-8.") from exc
    # Depth before parsing: Python's parser recurses (50,000 levels would exhaust the stack).
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    raise BadInput(f"The request body is nested deeper than {MAX_DEPTH} levels.")
        elif char in "]}":
            depth -= 1
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float)
    except BadInput:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadInput("The request body is not valid JSON.") from exc
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = _bad_text(item)
            if problem:
                raise BadInput(f"The request body contains {problem}.")
        elif isinstance(item, dict):
            for key, inner in item.items():
                problem = _bad_text(key)
                if problem:
                    raise BadInput(f"The request body contains {problem}.")
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**63:
            raise BadInput("The request body contains a number too large to use.")


def _check_target(scope: Scope) -> None:
    raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    for part, name in ((raw_path, "path"), (scope.get("query_string", b""), "query")):
        try:
            decoded = unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"The request {name} is not UTF-8.") from exc
        if any(ord(c) < 32 for c in decoded):
            raise BadInput(f"The request {name} contains a control character.")


class InputGuard:
    """See the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_target(scope)
        except BadInput as exc:
            await _refuse(send, exc)
            return
        if scope["method"] in {"GET", "HEAD", "OPTIONS", "DELETE"}:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _refuse(
                    send, BadInput(f"The request body is larger than {MAX_BODY_BYTES} bytes.", 413)
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if body and ("json" in content_type or not content_type):
            try:
                check_json(body)
            except BadInput as exc:
                await _refuse(send, exc)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, exc: BadInput) -> None:
    payload = json.dumps({"detail": exc.detail, "type": "invalid_input"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})

"""The agent service client: one pooled `aiohttp` session per event loop, timeouts, retries.

Every call carries `Authorization: Bearer AGENT_SERVICE_TOKEN`, `X-CRM-User: <Django user id>`
and `X-CRM-User-Name: <username>` (percent-encoded UTF-8); the agent's status code and JSON body
reach the browser unchanged.

Why aiohttp: `bench/clients.py` measures the client CPU per request of `requests`, `httpx` and
`aiohttp` on the same loopback server; aiohttp costs the least and needs no thread per call.

Failures, told apart so the proxy never claims more than it knows:

- `AgentUnavailable`: the request never reached the agent (connection refused, our token
  refused, an answer that is not JSON) → 503 "nothing was changed".
- `AgentNoAnswer`: the request may have reached the agent, but no answer came (a timeout, or the
  connection broke off after the one retry) → 504/503 `timeout`, "may still be processed".

The keep-alive race: the agent's uvicorn closes a connection after it has been idle for its
keep-alive (5 s by default). The pool forgets idle connections sooner (`POOL_IDLE_SECONDS`), and
a request that still meets a closed connection is sent once more when that is safe (reads,
clearing a thread, and chat posts, which carry a client message id the agent deduplicates on).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from django.conf import settings
from django.http import HttpResponse

log = logging.getLogger("django_proxy.agent")

POOL_SIZE = 100
# Shorter than uvicorn's default keep-alive (5 s): the pool drops a connection before the agent
# does, so a request rarely meets a connection the agent has just closed.
POOL_IDLE_SECONDS = 3.0
KEEPALIVE_COMMENT = b": keep-alive\n\n"
# A stream that stays silent this long (the agent itself pings every 15 s) is given up.
STREAM_READ_TIMEOUT = 90.0
# Connection failures after which sending again is safe (the agent got nothing, or the request
# is one that may be repeated): the peer closed or reset the connection.
RETRYABLE = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


class AgentUnavailable(Exception):
    """The agent service could not be reached: nothing was sent to it, nothing changed."""


class AgentNoAnswer(Exception):
    """The request may have reached the agent service but no answer came (timeout or reset)."""

    def __init__(self, timed_out: bool) -> None:
        super().__init__("timeout" if timed_out else "connection broke off")
        self.timed_out = timed_out


@dataclass(frozen=True)
class Answer:
    """An agent service answer, read whole."""

    status: int
    content_type: str
    body: bytes


_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def client() -> aiohttp.ClientSession:
    """The pooled session of the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    http = _sessions.get(loop)
    if http is None or http.closed:
        connector = aiohttp.TCPConnector(
            limit=POOL_SIZE, keepalive_timeout=POOL_IDLE_SECONDS, ttl_dns_cache=300
        )
        http = aiohttp.ClientSession(
            connector=connector,
            headers={
                "Authorization": f"Bearer {settings.AGENT_SERVICE_TOKEN}",
                "User-Agent": "crm-django-proxy",
            },
            trust_env=False,  # never route the internal hop through an HTTP proxy
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
        )
        _sessions[loop] = http
    return http


def path(*parts: str) -> str:
    """An agent service path with every part URL-quoted (ids come from the browser)."""
    return "/" + "/".join(quote(part, safe="") for part in parts)


def user_headers(user: Any) -> dict[str, str]:
    """`X-CRM-User` (the Django user id) and `X-CRM-User-Name` (the username, percent-encoded)."""
    return {
        "X-CRM-User": str(user.pk),
        "X-CRM-User-Name": quote(user.get_username(), safe=""),
    }


def _timeout(read: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, connect=settings.AGENT_CONNECT_TIMEOUT, sock_read=read)


async def call(
    method: str,
    agent_path: str,
    user: Any,
    *,
    body: bytes | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float | None = None,
    retry: bool | None = None,
) -> Answer:
    """Call the agent service on behalf of `user` and read the whole answer.

    `body` is JSON already encoded. `retry` (default: for GET only) sends the request once more
    when the connection was closed or reset under it. Raises `AgentUnavailable` or
    `AgentNoAnswer`.
    """
    headers = user_headers(user)
    if body is not None:
        headers["Content-Type"] = "application/json"
    attempts = 2 if (method == "GET" if retry is None else retry) else 1
    url = settings.AGENT_SERVICE_URL + agent_path
    for attempt in range(attempts):
        try:
            async with client().request(
                method,
                url,
                data=body,
                params=params,
                headers=headers,
                timeout=_timeout(timeout or settings.AGENT_TIMEOUT_SECONDS),
                allow_redirects=False,
            ) as response:
                answer = Answer(
                    response.status, response.headers.get("Content-Type", ""), await response.read()
                )
        except aiohttp.ClientConnectorError as exc:  # refused, no route: nothing was sent
            log.warning("agent service unreachable: %s %s: %s", method, agent_path, exc)
            raise AgentUnavailable() from exc
        except TimeoutError as exc:
            log.warning("agent service did not answer in time: %s %s", method, agent_path)
            raise AgentNoAnswer(timed_out=True) from exc
        except RETRYABLE as exc:
            if attempt + 1 < attempts:
                log.info("agent connection closed under %s %s; sending again", method, agent_path)
                continue
            log.warning("agent connection broke off: %s %s: %r", method, agent_path, exc)
            raise AgentNoAnswer(timed_out=False) from exc
        except aiohttp.ClientError as exc:
            log.warning("agent service call failed: %s %s: %r", method, agent_path, exc)
            raise AgentNoAnswer(timed_out=False) from exc
        if answer.status == 401:
            log.error("the agent service refused our token: check AGENT_SERVICE_TOKEN")
            raise AgentUnavailable()
        return answer
    raise AssertionError("unreachable")  # pragma: no cover


def relay(answer: Answer) -> HttpResponse:
    """The agent's answer as a Django response: same status, same JSON bytes."""
    if answer.status == 204:
        return HttpResponse(status=204)
    if not answer.content_type.startswith("application/json"):
        log.warning("agent service answered %s with %r", answer.status, answer.content_type)
        raise AgentUnavailable()
    if answer.status >= 500 and answer.status not in (503, 504):
        log.warning("agent service error %s: %s", answer.status, answer.body[:500])
    return HttpResponse(answer.body, status=answer.status, content_type="application/json")


async def open_stream(
    agent_path: str,
    user: Any,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> aiohttp.ClientResponse:
    """Open an event stream (GET, retried once on a closed connection); the caller must
    `release()` it. Raises `AgentUnavailable` or `AgentNoAnswer`."""
    all_headers = {**user_headers(user), "Accept": "text/event-stream", **(headers or {})}
    url = settings.AGENT_SERVICE_URL + agent_path
    for attempt in range(2):
        try:
            response = await client().get(
                url,
                params=params,
                headers=all_headers,
                timeout=_timeout(STREAM_READ_TIMEOUT),
                allow_redirects=False,
            )
        except aiohttp.ClientConnectorError as exc:
            log.warning("agent service unreachable: GET %s: %s", agent_path, exc)
            raise AgentUnavailable() from exc
        except TimeoutError as exc:
            raise AgentNoAnswer(timed_out=True) from exc
        except RETRYABLE as exc:
            if attempt == 0:
                continue
            raise AgentNoAnswer(timed_out=False) from exc
        except aiohttp.ClientError as exc:
            raise AgentNoAnswer(timed_out=False) from exc
        if response.status == 401:
            response.release()
            log.error("the agent service refused our token: check AGENT_SERVICE_TOKEN")
            raise AgentUnavailable()
        return response
    raise AssertionError("unreachable")  # pragma: no cover


async def read_answer(response: aiohttp.ClientResponse) -> Answer:
    """A non-stream answer of `open_stream` read whole (and released)."""
    try:
        body = await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise AgentNoAnswer(timed_out=isinstance(exc, TimeoutError)) from exc
    finally:
        response.release()
    return Answer(response.status, response.headers.get("Content-Type", ""), body)


async def relay_stream(
    response: aiohttp.ClientResponse, keepalive_seconds: float
) -> AsyncIterator[bytes]:
    """Yield the agent's event stream chunk by chunk as it arrives, never buffering.

    When nothing arrives for `keepalive_seconds`, a comment line goes out so proxies and
    browsers keep the connection open. The upstream connection is closed when the stream ends
    or the browser goes away (Django cancels the iteration).
    """
    pending: asyncio.Task[bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(response.content.readany())
            done, _ = await asyncio.wait({pending}, timeout=keepalive_seconds)
            if not done:
                yield KEEPALIVE_COMMENT
                continue
            try:
                chunk = pending.result()
            except Exception as exc:  # a broken or cut connection: the stream just ends
                log.warning("event stream from the agent service broke off: %r", exc)
                return
            finally:
                pending = None
            if not chunk:  # end of the stream
                return
            yield chunk
    finally:
        if pending is not None:
            pending.cancel()
        response.close()  # not back to the pool: a stream cut midway cannot be reused

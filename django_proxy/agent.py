"""The agent service client: one pooled `requests.Session`, timeouts, and the answer passed through.

Every call carries `Authorization: Bearer AGENT_SERVICE_TOKEN` and `X-CRM-User: <Django user
id>`; the agent's status code and JSON body reach the browser unchanged. A refused connection,
a timeout, a token the agent rejects or an answer that is not JSON becomes `AgentUnavailable`
(503 `agent_unavailable`, see `errors.py`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.http import HttpResponse
from requests.adapters import HTTPAdapter

log = logging.getLogger("django_proxy.agent")

POOL_SIZE = 100
KEEPALIVE_COMMENT = b": keep-alive\n\n"
# A stream that stays silent this long (the agent itself pings every 15 s) is given up.
STREAM_READ_TIMEOUT = 90.0


class AgentUnavailable(Exception):
    """The agent service could not be reached or did not answer properly."""


_session: requests.Session | None = None
_session_lock = threading.Lock()
# Each open event stream blocks one thread on its socket; they get their own pool so they can
# never starve other work of the event loop's default executor.
_stream_readers = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="sse-relay")


def session() -> requests.Session:
    """The process-wide pooled session (created on first use)."""
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                http = requests.Session()
                adapter = HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
                http.mount("http://", adapter)
                http.mount("https://", adapter)
                http.headers.update(
                    {
                        "Authorization": f"Bearer {settings.AGENT_SERVICE_TOKEN}",
                        "Accept": "application/json",
                        "User-Agent": "crm-django-proxy",
                    }
                )
                http.trust_env = False  # never route the internal hop through an HTTP proxy
                _session = http
    return _session


def path(*parts: str) -> str:
    """An agent service path with every part URL-quoted (ids come from the browser)."""
    return "/" + "/".join(quote(part, safe="") for part in parts)


def request(
    method: str,
    agent_path: str,
    user_id: int | str,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
    timeout: float | None = None,
    stream: bool = False,
) -> requests.Response:
    """Call the agent service on behalf of `user_id`; raises `AgentUnavailable`."""
    read_timeout = STREAM_READ_TIMEOUT if stream else (timeout or settings.AGENT_TIMEOUT_SECONDS)
    try:
        response = session().request(
            method,
            settings.AGENT_SERVICE_URL + agent_path,
            json=json,
            params=params,
            headers={"X-CRM-User": str(user_id)},
            timeout=(settings.AGENT_CONNECT_TIMEOUT, read_timeout),
            stream=stream,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        log.warning("agent service unreachable: %s %s: %s", method, agent_path, exc)
        raise AgentUnavailable() from exc
    if response.status_code == 401:
        response.close()
        log.error("the agent service refused our token: check AGENT_SERVICE_TOKEN")
        raise AgentUnavailable()
    return response


def json_body(response: requests.Response) -> Any:
    """The decoded JSON of an agent answer; raises `AgentUnavailable` if it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        log.warning("agent service answered %s without JSON", response.status_code)
        raise AgentUnavailable() from exc


def relay(response: requests.Response) -> HttpResponse:
    """The agent's answer as a Django response: same status, same JSON bytes."""
    if response.status_code == 204:
        return HttpResponse(status=204)
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("application/json"):
        log.warning("agent service answered %s with %r", response.status_code, content_type)
        raise AgentUnavailable()
    if response.status_code >= 500 and response.status_code not in (503, 504):
        log.warning("agent service error %s: %s", response.status_code, response.text[:500])
    return HttpResponse(
        response.content, status=response.status_code, content_type="application/json"
    )


async def relay_stream(
    response: requests.Response, keepalive_seconds: float
) -> AsyncIterator[bytes]:
    """Yield the agent's event stream chunk by chunk as it arrives, never buffering.

    `requests` reads in a worker thread; when nothing arrives for `keepalive_seconds`, a
    comment line goes out so proxies and browsers keep the connection open. The upstream
    connection is closed when the stream ends or the browser goes away.
    """
    chunks = response.iter_content(chunk_size=None)
    loop = asyncio.get_running_loop()
    pending: asyncio.Future[bytes | None] | None = None
    try:
        while True:
            if pending is None:
                pending = loop.run_in_executor(_stream_readers, next, chunks, None)
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
            if chunk is None:
                return
            if chunk:
                yield chunk
    finally:
        if pending is not None:  # the browser left mid-read: the read ends when we close
            pending.add_done_callback(_discard_outcome)
        response.close()


def _discard_outcome(future: asyncio.Future[bytes | None]) -> None:
    """Collect an abandoned read's outcome (else asyncio logs "exception never retrieved")."""
    if not future.cancelled():
        future.exception()

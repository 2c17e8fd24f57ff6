"""`/api/*`: the browser's API, forwarded to the agent service on behalf of the signed-in user.

The proxy stays thin: it checks what only it can check (the session, CSRF, the body, message
limits, the chat rate limit), keeps the chat thread id in the session, and forwards. The agent's
answers (status and JSON) pass through unchanged. The views are async: under ASGI a request
costs no thread (the session and the user come from caches, the hop is one pooled `aiohttp`
call); `errors.api_view` answers failures.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from django_proxy import agent
from django_proxy.errors import ProxyError, RateLimited, api_view
from django_proxy.inputs import encode, raw_body, read_json
from django_proxy.ratelimit import chat_limiter

log = logging.getLogger("django_proxy")

THREAD_KEY = "chat_thread_id"
# Clearing waits for the thread's active run to finish, which can take a while with a real model.
CLEAR_TIMEOUT_SECONDS = 30.0
EMPTY_CONVERSATION = {"thread_id": None, "messages": [], "pending": None}
CLIENT_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MAY_STILL_RUN = (
    "The assistant did not confirm the message in time. It may still be processed; send it "
    "again with the same client_message_id to follow it (it will not run twice)."
)
# After an agent service refused client_message_id, messages go without it for this long (then
# it is tried again: the agent may have been upgraded). Without the id a post is not retried.
PLAIN_RUNS_SECONDS = 300.0
_plain_runs_until = 0.0
LEAD_LIST_PARAMS = ("status", "q", "limit", "offset")
CHANGES_PARAMS = ("after", "lead_id", "limit")  # what the agent's /leads/changes reads
OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")


def chat_message(body: dict[str, Any]) -> str:
    """The chat message of a request body, checked: present, text, not empty, not too long."""
    message = body.get("message")
    if not isinstance(message, str):
        raise ProxyError('The request needs a "message" with the text to send.')
    text = message.strip()
    if not text:
        raise ProxyError("The message is empty.")
    limit = settings.MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise ProxyError(f"The message is too long ({len(text)} characters; at most {limit}).")
    return text


def client_message_id(body: dict[str, Any]) -> str:
    """The browser's id for this message (reused when it sends the message again), or a new one."""
    value = body.get("client_message_id")
    if value is None:
        return str(uuid.uuid4())
    if not isinstance(value, str) or not CLIENT_MESSAGE_ID.fullmatch(value):
        raise ProxyError(
            '"client_message_id" must be 1–100 letters, digits or "_.:-" (a UUID is fine).'
        )
    return value


def query(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The query parameters of `names` that are present (others are not forwarded)."""
    return {name: value for name in names if (value := request.GET.get(name, ""))}


async def end_thread(request: HttpRequest, user: Any, *, timeout: float) -> HttpResponse | None:
    """Delete the session's chat thread in the agent service and forget its id.

    Returns None when done, or the agent's refusal (and keeps the id); agent failures propagate.
    """
    thread_id = await request.session.aget(THREAD_KEY)
    if not thread_id:
        return None
    answer = await agent.call(
        "DELETE", agent.path("threads", thread_id), user, timeout=timeout, retry=True
    )
    if answer.status not in (204, 404):  # 404: expired already
        return agent.relay(answer)
    await request.session.apop(THREAD_KEY)
    return None


async def event_stream(
    request: HttpRequest, user: Any, agent_path: str, **kwargs: Any
) -> HttpResponse:
    """Relay an agent event stream unbuffered (keep-alive comments while it is quiet); an
    answer that is not a stream (404, 503, …) is passed through as JSON."""
    upstream = await agent.open_stream(agent_path, user, **kwargs)
    if upstream.status != 200 or not upstream.headers.get("Content-Type", "").startswith(
        "text/event-stream"
    ):
        return agent.relay(await agent.read_answer(upstream))
    response = StreamingHttpResponse(
        agent.relay_stream(upstream, settings.SSE_KEEPALIVE_SECONDS),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# -- chat ----------------------------------------------------------------------------------------


@api_view("POST")
async def chat(request: HttpRequest, user: Any) -> HttpResponse:
    """POST /api/chat/ {"message", "client_message_id"?} → 202 {"task_id", "client_message_id"}.

    The thread id is saved in the session before the agent is called: whatever the agent
    answers (a 5xx included, when Django would not save the session), the conversation stays
    reachable. A timeout or a broken connection answers 504/503 `timeout` with the client
    message id: the message may still run, and sending it again with that id re-attaches.
    """
    body = read_json(request)
    text = chat_message(body)
    message_id = client_message_id(body)
    limiter = chat_limiter()
    key = str(user.pk)
    retry_after = await limiter.retry_after(key)
    if retry_after:
        raise RateLimited(
            f"Too many messages: at most {limiter.limit} a minute. "
            f"Try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
    thread_id = await request.session.aget(THREAD_KEY)
    if not thread_id:
        thread_id = secrets.token_hex(16)
        await request.session.aset(THREAD_KEY, thread_id)
        await request.session.asave()
    runs = agent.path("threads", thread_id, "runs")
    global _plain_runs_until
    plain = time.monotonic() < _plain_runs_until
    payload = {"message": text} if plain else {"message": text, "client_message_id": message_id}
    try:
        answer = await agent.call("POST", runs, user, body=encode(payload), retry=not plain)
        if answer.status == 422 and b"client_message_id" in answer.body:
            # An agent service from before client message ids refuses the field (nothing was
            # started): send the message without it, and so for the next minutes.
            log.warning("the agent service does not take client_message_id; sending without it")
            _plain_runs_until = time.monotonic() + PLAIN_RUNS_SECONDS
            answer = await agent.call("POST", runs, user, body=encode({"message": text}))
    except agent.AgentNoAnswer as exc:
        return JsonResponse(
            {"detail": MAY_STILL_RUN, "type": "timeout", "client_message_id": message_id},
            status=504 if exc.timed_out else 503,
        )
    if answer.status != 202:
        return agent.relay(answer)
    await limiter.count(key)  # accepted messages only
    try:
        run_id = json.loads(answer.body)["run_id"]
    except (ValueError, KeyError, TypeError):
        raise agent.AgentUnavailable() from None
    return JsonResponse({"task_id": run_id, "client_message_id": message_id}, status=202)


@api_view("GET")
async def chat_status(request: HttpRequest, user: Any, task_id: str) -> HttpResponse:
    """GET /api/chat/status/<task_id>/ → the run (404 for another user's task)."""
    return agent.relay(await agent.call("GET", agent.path("runs", task_id), user))


@api_view("GET")
async def chat_events(request: HttpRequest, user: Any, task_id: str) -> HttpResponse:
    """GET /api/chat/events/<task_id>/ → the run's server-sent events, passed through unbuffered."""
    return await event_stream(request, user, agent.path("runs", task_id, "events"))


@api_view("POST")
async def chat_clear(request: HttpRequest, user: Any) -> HttpResponse:
    """POST /api/chat/clear/ → 204: the thread is deleted; the next message starts a new one."""
    timeout = max(CLEAR_TIMEOUT_SECONDS, settings.AGENT_TIMEOUT_SECONDS)
    refusal = await end_thread(request, user, timeout=timeout)
    return refusal if refusal is not None else HttpResponse(status=204)


@api_view("GET")
async def chat_history(request: HttpRequest, user: Any) -> HttpResponse:
    """GET /api/chat/history/ → the current conversation (empty before the first message)."""
    thread_id = await request.session.aget(THREAD_KEY)
    if not thread_id:
        return JsonResponse(EMPTY_CONVERSATION)
    answer = await agent.call("GET", agent.path("threads", thread_id), user)
    if answer.status == 404:  # never used, or expired after THREAD_TTL_HOURS
        return JsonResponse(EMPTY_CONVERSATION)
    return agent.relay(answer)


# -- leads, pipeline, me -------------------------------------------------------------------------


@api_view("GET", "POST")
async def leads(request: HttpRequest, user: Any) -> HttpResponse:
    """GET /api/leads/?status=&q=&limit=&offset= (a page) and POST /api/leads/ (create)."""
    if request.method == "POST":
        body = encode(read_json(request))
        return agent.relay(await agent.call("POST", "/leads", user, body=body))
    params = query(request, LEAD_LIST_PARAMS)
    return agent.relay(await agent.call("GET", "/leads", user, params=params))


@api_view("GET", "PATCH", "DELETE")
async def lead(request: HttpRequest, user: Any, lead_id: str) -> HttpResponse:
    """GET, PATCH and DELETE /api/leads/<id>/."""
    body = encode(read_json(request)) if request.method == "PATCH" else None
    answer = await agent.call(request.method, agent.path("leads", lead_id), user, body=body)
    return agent.relay(answer)


@api_view("GET")
async def leads_summary(request: HttpRequest, user: Any) -> HttpResponse:
    """GET /api/leads/summary/ → count and value per stage (the board's column heads)."""
    return agent.relay(await agent.call("GET", "/leads/summary", user))


@api_view("GET")
async def leads_changes(request: HttpRequest, user: Any) -> HttpResponse:
    """GET /api/leads/changes/?after=&lead_id=&limit= → the change log (history, catching up)."""
    params = query(request, CHANGES_PARAMS)
    return agent.relay(await agent.call("GET", "/leads/changes", user, params=params))


@api_view("POST")
async def leads_undo(request: HttpRequest, user: Any) -> HttpResponse:
    """POST /api/leads/undo/ {"seq"?} → undo this user's latest change (board or chat)."""
    body = read_json(request) if raw_body(request).strip() else {}
    return agent.relay(await agent.call("POST", "/leads/undo", user, body=encode(body)))


@api_view("GET")
async def leads_events(request: HttpRequest, user: Any) -> HttpResponse:
    """GET /api/leads/events/ → every lead change as server-sent events, resumable with
    `Last-Event-ID` (or `?after=SEQ`), relayed unbuffered."""
    headers = {}
    last_event_id = request.headers.get("Last-Event-ID", "")
    if last_event_id:
        if not last_event_id.isdigit() or len(last_event_id) > 20:
            raise ProxyError("Last-Event-ID must be a change number.")
        headers["Last-Event-ID"] = last_event_id
    params = query(request, ("after",))
    return await event_stream(request, user, "/leads/events", params=params, headers=headers)


@api_view("GET")
async def pipeline(request: HttpRequest, user: Any) -> HttpResponse:
    """GET /api/pipeline/ → {"statuses": [...]}."""
    return agent.relay(await agent.call("GET", "/pipeline", user))


@require_GET
@ensure_csrf_cookie
def me(request: HttpRequest) -> HttpResponse:
    """GET /api/me/ → the signed-in user (and the CSRF cookie the SPA needs)."""
    user = request.user
    return JsonResponse(
        {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "email": user.email,
            "is_staff": user.is_staff,
        }
    )


@cache
def openapi_json() -> bytes:
    """`openapi.yaml` (this proxy's API, kept by hand) as JSON bytes, read once per process."""
    document = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    return json.dumps(document, ensure_ascii=False).encode()


@api_view("GET")
async def openapi(request: HttpRequest, user: Any) -> HttpResponse:
    """GET /api/openapi.json → the proxy's OpenAPI 3.1 document (signed-in users only)."""
    return HttpResponse(openapi_json(), content_type="application/json")

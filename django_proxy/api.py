"""`/api/*`: the browser's API, forwarded to the agent service on behalf of the signed-in user.

The proxy stays thin: it checks what only it can check (the session, CSRF, message limits, the
chat rate limit), keeps the chat thread id in the session, and forwards. The agent's answers
(status and JSON) pass through unchanged; `ApiMiddleware` (errors.py) handles failures.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from django_proxy import agent
from django_proxy.errors import ProxyError, RateLimited
from django_proxy.ratelimit import SlidingWindowLimiter

THREAD_KEY = "chat_thread_id"
# Clearing waits for the thread's active run to finish, which can take a while with a real model.
CLEAR_TIMEOUT_SECONDS = 30.0
EMPTY_CONVERSATION = {"thread_id": None, "messages": [], "pending": None}

_limiter: SlidingWindowLimiter | None = None


def chat_limiter() -> SlidingWindowLimiter:
    """The process-wide chat limiter, built from the settings on first use."""
    global _limiter
    if _limiter is None:
        _limiter = SlidingWindowLimiter(settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_WINDOW_SECONDS)
    return _limiter


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body; `ProxyError` (400) when it is not one."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ProxyError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ProxyError("The request body must be a JSON object.")
    return body


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


def end_thread(request: HttpRequest, user_id: int | str, *, timeout: float) -> HttpResponse | None:
    """Delete the session's chat thread in the agent service and forget its id.

    Returns None when done, or the agent's refusal (and keeps the id); `AgentUnavailable`
    propagates.
    """
    thread_id = request.session.get(THREAD_KEY)
    if not thread_id:
        return None
    response = agent.request("DELETE", agent.path("threads", thread_id), user_id, timeout=timeout)
    if response.status_code not in (204, 404):  # 404: expired already
        return agent.relay(response)
    del request.session[THREAD_KEY]
    return None


# -- chat ----------------------------------------------------------------------------------------


@require_POST
def chat(request: HttpRequest) -> HttpResponse:
    """POST /api/chat/ {"message"} → 202 {"task_id"}: a run on the session's thread."""
    text = chat_message(read_json(request))
    limiter = chat_limiter()
    retry_after = limiter.hit(str(request.user.pk))
    if retry_after:
        raise RateLimited(
            f"Too many messages: at most {limiter.limit} a minute. "
            f"Try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
    thread_id = request.session.get(THREAD_KEY)
    if not thread_id:
        thread_id = request.session[THREAD_KEY] = secrets.token_hex(16)
    response = agent.request(
        "POST", agent.path("threads", thread_id, "runs"), request.user.pk, json={"message": text}
    )
    if response.status_code != 202:
        return agent.relay(response)
    run = agent.json_body(response)
    return JsonResponse({"task_id": run["run_id"]}, status=202)


@require_GET
def chat_status(request: HttpRequest, task_id: str) -> HttpResponse:
    """GET /api/chat/status/<task_id>/ → the run (404 for another user's task)."""
    return agent.relay(agent.request("GET", agent.path("runs", task_id), request.user.pk))


@require_GET
def chat_events(request: HttpRequest, task_id: str) -> HttpResponse:
    """GET /api/chat/events/<task_id>/ → the run's server-sent events, passed through unbuffered."""
    upstream = agent.request(
        "GET", agent.path("runs", task_id, "events"), request.user.pk, stream=True
    )
    if upstream.status_code != 200 or not upstream.headers.get("Content-Type", "").startswith(
        "text/event-stream"
    ):
        try:
            return agent.relay(upstream)
        finally:
            upstream.close()
    response = StreamingHttpResponse(
        agent.relay_stream(upstream, settings.SSE_KEEPALIVE_SECONDS),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@require_POST
def chat_clear(request: HttpRequest) -> HttpResponse:
    """POST /api/chat/clear/ → 204: the thread is deleted; the next message starts a new one."""
    timeout = max(CLEAR_TIMEOUT_SECONDS, settings.AGENT_TIMEOUT_SECONDS)
    refusal = end_thread(request, request.user.pk, timeout=timeout)
    return refusal if refusal is not None else HttpResponse(status=204)


@require_GET
def chat_history(request: HttpRequest) -> HttpResponse:
    """GET /api/chat/history/ → the current conversation (empty before the first message)."""
    thread_id = request.session.get(THREAD_KEY)
    if not thread_id:
        return JsonResponse(EMPTY_CONVERSATION)
    response = agent.request("GET", agent.path("threads", thread_id), request.user.pk)
    if response.status_code == 404:  # never used, or expired after THREAD_TTL_HOURS
        return JsonResponse(EMPTY_CONVERSATION)
    return agent.relay(response)


# -- leads, pipeline, me -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def leads(request: HttpRequest) -> HttpResponse:
    """GET /api/leads/?status=&q= (the list) and POST /api/leads/ (create)."""
    if request.method == "POST":
        return agent.relay(
            agent.request("POST", "/leads", request.user.pk, json=read_json(request))
        )
    params = {key: value for key in ("status", "q") if (value := request.GET.get(key, ""))}
    return agent.relay(agent.request("GET", "/leads", request.user.pk, params=params))


@require_http_methods(["GET", "PATCH", "DELETE"])
def lead(request: HttpRequest, lead_id: str) -> HttpResponse:
    """GET, PATCH and DELETE /api/leads/<id>/."""
    body = read_json(request) if request.method == "PATCH" else None
    return agent.relay(
        agent.request(request.method, agent.path("leads", lead_id), request.user.pk, json=body)
    )


@require_GET
def pipeline(request: HttpRequest) -> HttpResponse:
    """GET /api/pipeline/ → {"statuses": [...]}."""
    return agent.relay(agent.request("GET", "/pipeline", request.user.pk))


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

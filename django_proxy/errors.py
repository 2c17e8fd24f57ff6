"""Every failure of `/api/*` as JSON `{"detail": str, "type": str}`, never an HTML page.

    ProxyError                   400 invalid_input (413, 415, 422 in inputs.py)
    ├── RateLimited              429 rate_limited     (Retry-After)
    (AgentUnavailable)           503 agent_unavailable (agent.py: not reachable: nothing was sent)
    (AgentNoAnswer)              reads: 503 agent_unavailable; writes: 504 timeout ("may or may
                                 not have been made"; chat posts: api.py, with the message id)
    anonymous                    401 unauthorized
    CSRF refused                 403 csrf_failed
    unknown path / method        404 not_found / 405 method_not_allowed
    anything unexpected          500 internal

`ApiMiddleware` turns these into answers in one place; the agent's own errors (404, 409, 422,
503 database_unavailable, …) are passed through as the agent sent them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure

from django_proxy.agent import AgentNoAnswer, AgentUnavailable

log = logging.getLogger("django_proxy")

AGENT_UNAVAILABLE = "The assistant is unavailable right now; nothing was changed."
# A write the agent may have received: the proxy cannot know whether it was made.
WRITE_NO_ANSWER = (
    "The assistant did not answer in time; the change may or may not have been made. "
    "Reload to see the current state."
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_TYPES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "invalid_input",
    429: "rate_limited",
}


class ProxyError(Exception):
    """A request the proxy refuses itself, with a user-safe message."""

    status_code = 400
    type = "invalid_input"

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class RateLimited(ProxyError):
    status_code = 429
    type = "rate_limited"


def error_response(
    detail: str, type_: str, status: int, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse({"detail": detail, "type": type_}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def agent_failure(request: HttpRequest, exc: Exception) -> JsonResponse:
    """The answer for `AgentUnavailable` / `AgentNoAnswer` on a forwarded call."""
    if isinstance(exc, AgentNoAnswer) and request.method not in SAFE_METHODS:
        return error_response(WRITE_NO_ANSWER, "timeout", 504 if exc.timed_out else 503)
    return error_response(AGENT_UNAVAILABLE, "agent_unavailable", 503)


def api_view(*methods: str) -> Callable[[Callable[..., Awaitable[HttpResponse]]], Any]:
    """An async API view for `methods`: 405 otherwise; the signed-in user (resolved by
    `ApiMiddleware`) passed as the second argument; proxy and agent failures answered here,
    on the event loop (Django's exception middleware would hop to a thread)."""

    def decorate(view: Callable[..., Awaitable[HttpResponse]]) -> Any:
        @functools.wraps(view)
        async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response("Method Not Allowed.", "method_not_allowed", 405)
                response["Allow"] = ", ".join(methods)
                return response
            user = await request.auser()
            try:
                return await view(request, user, *args, **kwargs)
            except ProxyError as exc:
                return error_response(exc.detail, exc.type, exc.status_code, exc.headers)
            except (AgentUnavailable, AgentNoAnswer) as exc:
                return agent_failure(request, exc)

        return wrapper

    return decorate


def content_security_policy(path: str) -> str:
    """No inline script anywhere; the admin's templates keep a few inline style attributes."""
    style = "'self' 'unsafe-inline'" if path.startswith("/admin/") else "'self'"
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src {style}; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class ApiMiddleware:
    """401 for anonymous API calls (before the CSRF check), JSON for every API failure, and the
    Content-Security-Policy header. Sync and async: under ASGI it runs on the event loop and
    resolves the user with `auser()` (sessions and users come from caches, see auth.py)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        if is_api(request) and not request.user.is_authenticated:
            return error_response("Sign in to use the CRM.", "unauthorized", 401)
        return self.finish(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if is_api(request):
            user = await request.auser()
            if not user.is_authenticated:
                # Here, not in a view: before CSRF's check, so anonymous is a 401, not a 403.
                return error_response("Sign in to use the CRM.", "unauthorized", 401)
            request.user = user  # resolved: nothing later loads it again (synchronously)
        return self.finish(request, await self.get_response(request))

    def finish(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.has_header("Content-Security-Policy"):
            response["Content-Security-Policy"] = content_security_policy(request.path_info)
        if (
            is_api(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            # Django's own 404/405/500 pages, rendered for an API path: say it in JSON.
            status = response.status_code
            try:
                phrase = HTTPStatus(status).phrase + "."
            except ValueError:
                phrase = "The request failed."
            replacement = error_response(
                phrase,
                _TYPES.get(status, "internal" if status >= 500 else "invalid_input"),
                status,
            )
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_api(request):
            return None
        if isinstance(exc, (AgentUnavailable, AgentNoAnswer)):
            return agent_failure(request, exc)
        if isinstance(exc, ProxyError):
            return error_response(exc.detail, exc.type, exc.status_code, exc.headers)
        if isinstance(exc, RequestDataTooBig):
            return error_response("The request body is too large.", "invalid_input", 413)
        if isinstance(exc, (Http404, PermissionDenied, SuspiciousOperation, BadRequest)):
            return None  # Django answers 400/403/404; __call__ turns the page into JSON
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response("Internal error.", "internal", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF refusals: JSON for the API, Django's page elsewhere."""
    if is_api(request):
        return error_response(
            "The CSRF token is missing or wrong; reload the page and try again.",
            "csrf_failed",
            403,
        )
    return django_csrf_failure(request, reason=reason)

"""Every failure of `/api/*` as JSON `{"detail": str, "type": str}`, never an HTML page.

    ProxyError                   400 invalid_input
    ├── RateLimited              429 rate_limited     (Retry-After)
    └── (AgentUnavailable)       503 agent_unavailable (agent.py: down, timing out, misconfigured)
    anonymous                    401 unauthorized
    CSRF refused                 403 csrf_failed
    unknown path / method        404 not_found / 405 method_not_allowed
    anything unexpected          500 internal

`ApiMiddleware` turns these into answers in one place; the agent's own errors (404, 409, 422,
503 database_unavailable, …) are passed through as the agent sent them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure

from django_proxy.agent import AgentUnavailable

log = logging.getLogger("django_proxy")

AGENT_UNAVAILABLE = "The assistant is unavailable right now; nothing was changed."
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


class ApiMiddleware:
    """401 for anonymous API calls (before the CSRF check), JSON for every API failure."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api(request) and not request.user.is_authenticated:
            # Here, not in a view: before CSRF's check, so anonymous is a 401, not a 403.
            return error_response("Sign in to use the CRM.", "unauthorized", 401)
        response = self.get_response(request)
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
        if isinstance(exc, AgentUnavailable):
            return error_response(AGENT_UNAVAILABLE, "agent_unavailable", 503)
        if isinstance(exc, ProxyError):
            return error_response(exc.detail, exc.type, exc.status_code, exc.headers)
        if isinstance(exc, RequestDataTooBig):
            return error_response("The request body is too large.", "invalid_input", 413)
        if isinstance(exc, (Http404, PermissionDenied, SuspiciousOperation, BadRequest)):
            return None  # Django answers 400/403/404; __call__ turns the page into JSON
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response("Internal error; nothing was changed.", "internal", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF refusals: JSON for the API, Django's page elsewhere."""
    if is_api(request):
        return error_response(
            "The CSRF token is missing or wrong; reload the page and try again.",
            "csrf_failed",
            403,
        )
    return django_csrf_failure(request, reason=reason)

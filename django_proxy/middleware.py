"""Django's middleware, run on the event loop under ASGI.

Django runs a `MiddlewareMixin` middleware's `process_request` / `process_view` /
`process_response` in a thread when serving async views (each a thread hop, ~0.1 ms of CPU).
The hooks of the middleware below do no I/O on the API's path, so these subclasses call them
directly on the event loop. Where a hook may do I/O (saving a modified session, storing flash
messages) it still goes to a thread, as Django does.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse
from django.middleware import clickjacking, common, csrf, security


class Inline:
    """`__acall__` without thread hops, for middleware whose hooks do no I/O."""

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response = None
        if hasattr(self, "process_request"):
            response = self.process_request(request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response


class SecurityMiddleware(Inline, security.SecurityMiddleware):
    pass


class CommonMiddleware(Inline, common.CommonMiddleware):
    pass


class XFrameOptionsMiddleware(Inline, clickjacking.XFrameOptionsMiddleware):
    pass


class AuthenticationMiddleware(Inline, auth.AuthenticationMiddleware):
    pass


class CsrfViewMiddleware(Inline, csrf.CsrfViewMiddleware):
    """The token comes from the cookie and a header or the parsed form: no I/O."""

    async def process_view(  # type: ignore[override]
        self, request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any
    ) -> HttpResponse | None:
        return super().process_view(request, callback, callback_args, callback_kwargs)


class SessionMiddleware(sessions.SessionMiddleware):
    """Saving a modified session is I/O (a thread); everything else is not."""

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        self.process_request(request)
        response = await self.get_response(request)
        if request.session.modified or self._save_every_request():
            return await sync_to_async(self.process_response)(request, response)
        return self.process_response(request, response)

    @staticmethod
    def _save_every_request() -> bool:
        from django.conf import settings

        return settings.SESSION_SAVE_EVERY_REQUEST


class MessageMiddleware(messages.MessageMiddleware):
    """Messages used or added (the admin) are stored in a thread; otherwise nothing to do.
    The API never shows flash messages: it skips them."""

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return await self.get_response(request)
        self.process_request(request)
        response = await self.get_response(request)
        storage = request._messages
        if storage.used or storage.added_new:
            return await sync_to_async(self.process_response)(request, response)
        return self.process_response(request, response)

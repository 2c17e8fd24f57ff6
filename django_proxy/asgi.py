"""The ASGI application (`python -m django_proxy` serves it with uvicorn)."""

from __future__ import annotations

import os
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_proxy.settings")


class ProxyASGIHandler(ASGIHandler):
    """Django's ASGI handler; API calls skip the per-request thread context.

    Django gives every request its own `ThreadSensitiveContext`, i.e. a new thread for its
    sync steps (~1–2 ms of CPU to start and stop). The API's views are async and touch no
    database on the common path; their few sync steps (Django's request signals, saving a
    new chat thread id, the shared cache) run in asgiref's one shared sync thread instead.
    Pages, the login and the admin keep Django's behaviour.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/api/"):
            await self.handle(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


django.setup(set_prefix=False)
application = ProxyASGIHandler()

"""The ASGI application (`python -m django_proxy` serves it with uvicorn)."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.db.backends.signals import connection_created
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_proxy.settings")

# True when a database connection may be open outside the event loop's thread: API calls close
# it at their end (Django's request signals would do it, at the cost of two thread hops each).
_connections_opened = False
_loop_thread: threading.Thread | None = None


def _note_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    global _connections_opened
    if threading.current_thread() is not _loop_thread:
        _connections_opened = True


async def _close_connections() -> None:
    """Close the database connections API code opened in asgiref's shared sync thread (as
    Django does at the end of every request), only when one may be open."""
    global _connections_opened
    if _connections_opened:
        _connections_opened = False
        await sync_to_async(close_old_connections)()


class ProxyASGIHandler(ASGIHandler):
    """Django's ASGI handler; API calls skip its per-request thread and signal hops.

    For every request Django makes a `ThreadSensitiveContext` (a new thread for its sync
    steps) and sends `request_started` / `request_finished` through that thread (~1–2 ms of
    CPU in all). The API's views are async and touch no database on the common path: their
    few sync steps (saving a new chat thread id, the shared cache, a session not cached yet)
    run in asgiref's one shared sync thread, and the connections they open are closed at the
    end of the call. Pages, the login and the admin keep Django's behaviour.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        global _loop_thread
        if scope["type"] == "http" and scope.get("path", "").startswith("/api/"):
            _loop_thread = _loop_thread or threading.current_thread()
            await self.handle_api(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def handle_api(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """`ASGIHandler.handle` (Django 5.2) without the signal hops; see the class doc."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            error_response.close()
            return

        async def process_request(request: Any, send: Any) -> Any:
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client went away while the response was sent
            return response

        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            pass
        else:
            # Closing sends `request_finished`: its receivers (closing this thread's database
            # connections and caches) have nothing to do on the event loop's thread;
            # `_close_connections` below covers the shared sync thread.
            response.close()
        await _close_connections()
        body_file.close()


django.setup(set_prefix=False)
connection_created.connect(_note_connection, dispatch_uid="django_proxy.asgi.connections")
application = ProxyASGIHandler()

"""The proxy as a Django app (templates, the `ensure_demo_user` command, the logout hook)."""

from __future__ import annotations

import logging
import sqlite3

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out
from django.db.backends.signals import connection_created

log = logging.getLogger("django_proxy")
LOGOUT_TIMEOUT_SECONDS = 5.0


def end_chat_on_logout(sender, request, user, **kwargs) -> None:  # noqa: ANN001
    """Logging out ends the chat thread too; an unreachable agent never blocks the logout.

    The logout view is sync (a worker thread); the call runs on the server's event loop, where
    the pooled agent client lives."""
    if request is None or user is None:
        return
    from asgiref.sync import async_to_sync

    from django_proxy import agent
    from django_proxy.api import THREAD_KEY

    thread_id = request.session.get(THREAD_KEY)
    if not thread_id:
        return
    try:
        answer = async_to_sync(agent.call)(
            "DELETE",
            agent.path("threads", thread_id),
            user,
            timeout=LOGOUT_TIMEOUT_SECONDS,
            retry=True,
        )
        ended = answer.status in (204, 404)
    except (agent.AgentUnavailable, agent.AgentNoAnswer):
        ended = False
    if not ended:
        log.warning(
            "could not delete the chat thread of user %s at logout; it will expire", user.pk
        )


_sqlite_keeper: sqlite3.Connection | None = None


def sqlite_wal(sender, connection, **kwargs) -> None:  # noqa: ANN001
    """Once per process: WAL mode for a SQLite database, and one connection kept open.

    Under ASGI every request runs in a fresh thread with a fresh connection. When the last
    connection to a WAL database closes, SQLite checkpoints and removes the WAL files, and the
    next one sets them up again: ~1.5 ms a request. A connection held open for the process's
    lifetime keeps them in place (a request's connect + first query: ~0.2 ms).
    """
    global _sqlite_keeper
    if connection.vendor != "sqlite" or _sqlite_keeper is not None:
        return
    name = connection.settings_dict["NAME"]
    if str(name) == ":memory:" or "mode=memory" in str(name):
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")  # stored in the file: once is enough
    _sqlite_keeper = sqlite3.connect(name, check_same_thread=False)
    _sqlite_keeper.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()


class ProxyConfig(AppConfig):
    name = "django_proxy"
    verbose_name = "CRM proxy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_proxy.auth import connect_signals

        user_logged_out.connect(end_chat_on_logout, dispatch_uid="django_proxy.end_chat")
        connection_created.connect(sqlite_wal, dispatch_uid="django_proxy.sqlite_wal")
        connect_signals()

"""The proxy as a Django app (templates, the `ensure_demo_user` command, the logout hook)."""

from __future__ import annotations

import logging

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out

log = logging.getLogger("django_proxy")
LOGOUT_TIMEOUT_SECONDS = 5.0


def end_chat_on_logout(sender, request, user, **kwargs) -> None:  # noqa: ANN001
    """Logging out ends the chat thread too; an unreachable agent never blocks the logout."""
    if request is None or user is None:
        return
    from django_proxy.agent import AgentUnavailable
    from django_proxy.api import end_thread

    try:
        refusal = end_thread(request, user.pk, timeout=LOGOUT_TIMEOUT_SECONDS)
    except AgentUnavailable:
        refusal = True
    if refusal is not None:
        log.warning(
            "could not delete the chat thread of user %s at logout; it will expire", user.pk
        )


class ProxyConfig(AppConfig):
    name = "django_proxy"
    verbose_name = "CRM proxy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        user_logged_out.connect(end_chat_on_logout, dispatch_uid="django_proxy.end_chat")

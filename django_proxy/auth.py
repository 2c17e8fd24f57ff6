"""Signing in: a user cache for the hot path, and a login throttle.

- `CachedModelBackend`: Django's `ModelBackend` whose async `aget_user` (used by `auser()` on
  every API call) keeps the user object in process memory for `USER_CACHE_SECONDS` (30 s):
  no database round trip per request. Saving or deleting a user in this process drops its
  entry; another process's change (a password change, a deactivation) is seen within the TTL.
  Django still checks the session's auth hash against the cached user on every request.
- `ThrottledLoginView`: Django's `LoginView` refusing a sign-in once an account or a client
  address has too many recent failures (`LOGIN_FAILURES_PER_ACCOUNT`, default 5, and
  `LOGIN_FAILURES_PER_ADDRESS`, default 30, within `LOGIN_LOCKOUT_SECONDS`, default 300): 429
  with the form, a message giving the wait, and `Retry-After`. The counters live in the shared
  cache (ratelimit.py), so every proxy process sees them. A refused attempt checks no
  password; a successful sign-in clears the account's failures.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import LoginView
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse

from django_proxy.ratelimit import login_limiters

USER_CACHE_SECONDS = 30.0
_users: dict[str, tuple[Any, float]] = {}


class CachedModelBackend(ModelBackend):
    async def aget_user(self, user_id: Any) -> Any:
        key = str(user_id)
        cached = _users.get(key)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        user = await super().aget_user(user_id)
        if user is not None:
            if len(_users) > 10_000:
                _users.clear()
            _users[key] = (user, now + USER_CACHE_SECONDS)
        return user


def forget_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user saved or deleted in this process: the next request loads it again."""
    _users.pop(str(instance.pk), None)


def connect_signals() -> None:
    user_model = get_user_model()
    post_save.connect(forget_user, sender=user_model, dispatch_uid="django_proxy.forget_user")
    post_delete.connect(forget_user, sender=user_model, dispatch_uid="django_proxy.forget_user_d")


def client_address(request: HttpRequest) -> str:
    """The address a sign-in comes from (the socket peer; a TLS proxy in front is one address
    for all, so its per-address limit is set higher than the per-account one)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _account_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]


class ThrottledLoginView(LoginView):
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        per_account, per_address = login_limiters()
        account = _account_key(str(request.POST.get("username", "")))
        address = client_address(request)
        wait = max(per_account.retry_after_sync(account), per_address.retry_after_sync(address))
        if wait:
            form = self.get_form()
            form.is_bound = False  # show the form again without checking the password
            context = self.get_context_data(form=form)
            context["throttle_message"] = (
                "Too many failed sign-in attempts for this account or from this address. "
                f"Try again in {wait} seconds."
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code in (301, 302, 303):  # signed in
            per_account.reset_sync(account)
        else:
            per_account.count_sync(account)
            per_address.count_sync(address)
        return response

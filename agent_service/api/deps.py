"""Request dependencies: settings, the lead store, the caller's identity.

All are `async def` and do no blocking work on the common path, so FastAPI calls them on the
event loop instead of sending each through the thread pool (a hop per dependency per request).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, FastAPI, Header, Request

from agent_service.errors import InvalidInput, MissingUser, StoreUnavailable, Unauthorized
from agent_service.leads.models import Actor
from agent_service.leads.store import LeadStore
from agent_service.runs.manager import RunManager
from agent_service.settings import Settings

log = logging.getLogger("agent_service")


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def ensure_migrated(app: FastAPI) -> None:
    """Apply the schema once; retried on later requests if the database was down at start."""
    if app.state.migrated:
        return
    try:
        app.state.store.migrate()
        app.state.migrated = True
    except StoreUnavailable:
        log.warning("lead database unavailable; requests get 503 until it is back")


async def _migrated(app: FastAPI) -> None:
    if not app.state.migrated:  # only until the first success: then no thread hop
        await asyncio.to_thread(ensure_migrated, app)


async def get_store(request: Request) -> LeadStore:
    await _migrated(request.app)
    return request.app.state.store


async def get_runs(request: Request) -> RunManager:
    await _migrated(request.app)
    return request.app.state.runs


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[LeadStore, Depends(get_store)]
RunsDep = Annotated[RunManager, Depends(get_runs)]


async def require_token(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Bearer-token check with a constant-time comparison."""
    settings: Settings = request.app.state.settings
    expected = settings.agent_service_token.get_secret_value().encode()
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode("utf-8", "replace"), expected
    ):
        raise Unauthorized("A valid bearer token is required.")


def _clean(text: str) -> bool:
    """No NUL, no control character, no lone surrogate."""
    return not any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in text)


async def current_user(x_crm_user: Annotated[str | None, Header()] = None) -> str:
    """The CRM user on whose behalf the proxy calls (`X-CRM-User`)."""
    user = (x_crm_user or "").strip()
    if not user or len(user) > 200 or not _clean(user):
        raise MissingUser()
    return user


async def current_user_name(
    x_crm_user_name: Annotated[str | None, Header()] = None,
) -> str | None:
    """The user's display name (`X-CRM-User-Name`, percent-encoded UTF-8), if sent."""
    if not x_crm_user_name:
        return None
    try:
        name = unquote(x_crm_user_name, errors="strict").strip()
    except UnicodeDecodeError as exc:
        raise InvalidInput("X-CRM-User-Name is not percent-encoded UTF-8.") from exc
    if len(name) > 200 or not _clean(name):
        raise InvalidInput("X-CRM-User-Name is not a valid name.")
    return name or None


UserDep = Annotated[str, Depends(current_user)]
UserNameDep = Annotated[str | None, Depends(current_user_name)]


async def board_actor(user: UserDep, user_name: UserNameDep) -> Actor:
    """Who makes a board write (`/leads`): the change log records it."""
    return Actor(user_id=user, user_name=user_name, source="board")


ActorDep = Annotated[Actor, Depends(board_actor)]

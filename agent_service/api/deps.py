"""Request dependencies: settings, the lead store, the caller's identity."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request

from agent_service.errors import MissingUser, StoreUnavailable, Unauthorized
from agent_service.leads.store import LeadStore
from agent_service.runs.manager import RunManager
from agent_service.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


log = logging.getLogger("agent_service")


def ensure_migrated(app: FastAPI) -> None:
    """Apply the schema once; retried on later requests if the database was down at start."""
    if app.state.migrated:
        return
    try:
        app.state.store.migrate()
        app.state.migrated = True
    except StoreUnavailable:
        log.warning("lead database unavailable; requests get 503 until it is back")


def get_store(request: Request) -> LeadStore:
    ensure_migrated(request.app)
    return request.app.state.store


def get_runs(request: Request) -> RunManager:
    ensure_migrated(request.app)
    return request.app.state.runs


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[LeadStore, Depends(get_store)]
RunsDep = Annotated[RunManager, Depends(get_runs)]


def require_token(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Bearer-token check with a constant-time comparison."""
    expected = settings.agent_service_token.get_secret_value().encode()
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise Unauthorized("A valid bearer token is required.")


def current_user(x_crm_user: Annotated[str | None, Header()] = None) -> str:
    """The CRM user on whose behalf the proxy calls (`X-CRM-User`)."""
    user = (x_crm_user or "").strip()
    if not user or len(user) > 200:
        raise MissingUser()
    return user


UserDep = Annotated[str, Depends(current_user)]

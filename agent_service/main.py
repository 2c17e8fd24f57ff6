"""Assembles the FastAPI application; the parts live in `api/`, `leads/`, `graph/`, `runs/`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from agent_service.api.deps import current_user, ensure_migrated, require_token
from agent_service.api.errors import install_error_handlers
from agent_service.api.routes import health, leads
from agent_service.leads.store import LeadStore, open_store
from agent_service.settings import Settings, get_settings

log = logging.getLogger("agent_service")


def create_app(settings: Settings | None = None, store: LeadStore | None = None) -> FastAPI:
    """The agent service app; `settings`/`store` default to the environment's."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = store or open_store(settings)
        app.state.migrated = False
        ensure_migrated(app)
        try:
            yield
        finally:
            app.state.store.close()

    app = FastAPI(title="CRM agent service", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(leads.router, dependencies=[Depends(require_token), Depends(current_user)])
    return app

"""Assembles the FastAPI application; the parts live in `api/`, `leads/`, `graph/`, `runs/`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI

from agent_service.api.deps import current_user, ensure_migrated, require_token
from agent_service.api.errors import install_error_handlers
from agent_service.api.routes import health, leads, runs, threads
from agent_service.errors import StoreUnavailable
from agent_service.graph.agent import ChatAgent
from agent_service.graph.models import build_chat_model
from agent_service.leads.factory import open_store
from agent_service.leads.store import LeadStore
from agent_service.runs.checkpoints import open_checkpoints
from agent_service.runs.manager import RESTART_MESSAGE, RunManager
from agent_service.runs.records import open_records
from agent_service.settings import ROOT, Settings, get_settings

log = logging.getLogger("agent_service")
SWEEP_SECONDS = 600


def runs_url(settings: Settings) -> str:
    """Run records live with the checkpoints: in the same PostgreSQL database (shared by every
    agent-service process), or in a SQLite file beside the SQLite checkpoints."""
    url = settings.checkpoint_url
    if url.startswith(("postgres://", "postgresql://")):
        return url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return f"sqlite:///{path.with_name(path.stem + '-runs.sqlite3')}"
    return f"sqlite:///{ROOT / 'var' / 'runs.sqlite3'}"


def create_app(settings: Settings | None = None, store: LeadStore | None = None) -> FastAPI:
    """The agent service app; `settings`/`store` default to the environment's."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = store or open_store(settings)
        app.state.migrated = False
        ensure_migrated(app)
        checkpoints = open_checkpoints(settings.checkpoint_url)
        records = open_records(runs_url(settings))
        try:
            failed = records.fail_unfinished(RESTART_MESSAGE)
        except StoreUnavailable:
            failed = 0
            log.warning("run records unavailable at start-up; runs get 503 until they are back")
        if failed:
            log.warning("marked %d run(s) cut off by a restart as failed", failed)
        agent = ChatAgent(
            app.state.store,
            build_chat_model(settings),
            settings,
            checkpointer=checkpoints.saver,
            prune=checkpoints.prune,
        )
        manager = RunManager(agent, records, checkpoints, settings, on_clear=_recorder(settings))
        app.state.runs = manager
        sweeper = asyncio.create_task(_sweep(manager))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await manager.drain()
            manager.close()
            records.close()
            checkpoints.close()
            app.state.store.close()

    app = FastAPI(title="CRM agent service", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    protected = [Depends(require_token), Depends(current_user)]
    for module in (leads, threads, runs):
        app.include_router(module.router, dependencies=protected)
    return app


async def _sweep(manager: RunManager) -> None:
    """Expire idle threads now and then."""
    while True:
        try:
            expired = await manager.expire_idle()
            if expired:
                log.info("expired %d idle thread(s)", expired)
        except Exception:
            log.exception("thread expiry failed")
        await asyncio.sleep(SWEEP_SECONDS)


def _recorder(settings: Settings):  # noqa: ANN202 - a callback or None
    """With `CRM_RECORD_DIR`, finished conversations are written as eval YAML files."""
    if not settings.crm_record_dir:
        return None
    from agent_service.runs.recording import record_thread

    directory = settings.crm_record_dir

    def write(thread_id: str, thread_runs: list[dict]) -> None:
        record_thread(directory, thread_id, thread_runs)

    return write

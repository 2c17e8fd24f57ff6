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
from agent_service.api.docs import install_docs
from agent_service.api.errors import install_error_handlers
from agent_service.api.feed import ChangeFeed
from agent_service.api.guard import InputGuard
from agent_service.api.routes import health, leads, runs, threads
from agent_service.errors import StoreUnavailable
from agent_service.graph.agent import ChatAgent
from agent_service.graph.models import build_chat_model
from agent_service.leads.factory import open_store
from agent_service.leads.store import LeadStore
from agent_service.runs.checkpoints import open_checkpoints
from agent_service.runs.manager import RunManager
from agent_service.runs.process_lock import ProcessLock, sqlite_path
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


def sqlite_files(settings: Settings, store: LeadStore | None) -> list[Path]:
    """The SQLite files this process would serve (each allows one agent process)."""
    urls = [runs_url(settings)]
    if store is None and not settings.supabase_url:
        urls.append(settings.crm_database_url)
    return [path for url in urls if (path := sqlite_path(url)) is not None]


def create_app(settings: Settings | None = None, store: LeadStore | None = None) -> FastAPI:
    """The agent service app; `settings`/`store` default to the environment's."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Before anything is opened: a second process on the same SQLite files stops here.
        process_lock = ProcessLock(sqlite_files(settings, store))
        app.state.store = store or open_store(settings)
        app.state.migrated = False
        ensure_migrated(app)
        checkpoints = open_checkpoints(settings.checkpoint_url)
        records = open_records(runs_url(settings), restart_grace=settings.run_restart_grace_seconds)
        app.state.records = records
        agent = ChatAgent(
            app.state.store,
            build_chat_model(settings),
            settings,
            checkpointer=checkpoints.saver,
            prune=checkpoints.prune,
        )
        manager = RunManager(agent, records, checkpoints, settings, on_clear=_recorder(settings))
        app.state.runs = manager
        app.state.loop = asyncio.get_running_loop()  # for work handed in from other threads
        app.state.feed = ChangeFeed(app.state.store)
        try:  # runs cut off by the last stop: finished from the change log
            finished = await manager.recover(startup=True)
            if finished:
                log.warning("finished %d run(s) cut off by a restart", finished)
        except StoreUnavailable:
            log.warning("run records unavailable at start-up; cut-off runs are finished later")
        tasks = [
            asyncio.create_task(_sweep(manager)),
            asyncio.create_task(_recover_loop(manager, settings.recovery_seconds)),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            app.state.feed.close()
            await manager.drain()
            manager.close()
            records.close()
            checkpoints.close()
            app.state.store.close()
            process_lock.release()

    app = FastAPI(
        title="CRM agent service",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.add_middleware(InputGuard)
    install_error_handlers(app)
    app.include_router(health.router)
    protected = [Depends(require_token), Depends(current_user)]
    for module in (leads, threads, runs):
        app.include_router(module.router, dependencies=protected)
    install_docs(app, settings)
    return app


async def _sweep(manager: RunManager) -> None:
    """Now and then: expire idle threads, prune old runs and change-log rows."""
    while True:
        try:
            expired = await manager.expire_idle()
            if expired:
                log.info("expired %d idle thread(s)", expired)
            await manager.housekeeping()
        except Exception:
            log.exception("housekeeping failed")
        await asyncio.sleep(SWEEP_SECONDS)


async def _recover_loop(manager: RunManager, every: float) -> None:
    """Finish runs left unfinished (dead processes, lost endings, stuck past the timeout)."""
    while True:
        await asyncio.sleep(every)
        try:
            finished = await manager.recover()
            if finished:
                log.warning("finished %d unfinished run(s) from the change log", finished)
        except StoreUnavailable:
            pass  # the database is down: next round
        except Exception:
            log.exception("run recovery failed")


def _recorder(settings: Settings):  # noqa: ANN202 - a callback or None
    """With `CRM_RECORD_DIR`, finished conversations are written as eval YAML files."""
    if not settings.crm_record_dir:
        return None
    from agent_service.runs.recording import record_thread

    directory = settings.crm_record_dir

    def write(thread_id: str, thread_runs: list[dict]) -> None:
        record_thread(directory, thread_id, thread_runs)

    return write

"""Idle chat threads expire after THREAD_TTL_HOURS: checkpoints and run records are deleted."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agent_service.graph.agent import ChatAgent
from agent_service.graph.models.offline import OfflineChatModel
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.runs.checkpoints import open_checkpoints
from agent_service.runs.manager import RunManager
from agent_service.runs.records import RunRecords
from agent_service.settings import DEFAULT_STAGES, Settings


def test_idle_threads_expire_and_active_ones_stay(tmp_path: Path) -> None:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    store.create({"name": "John Smith", "company": "Acme"})
    settings = Settings(crm_model="offline", thread_ttl_hours=1 / 3600)  # one second
    checkpoints = open_checkpoints(f"sqlite:///{tmp_path / 'cp.sqlite3'}")
    records = RunRecords(str(tmp_path / "runs.sqlite3"))
    agent = ChatAgent(
        store, OfflineChatModel(), settings, checkpoints.saver, prune=checkpoints.prune
    )
    manager = RunManager(agent, records, checkpoints, settings)

    async def scenario() -> int:
        old = await manager.submit("old", "u1", "Move John to Won")
        await manager.drain()
        assert records.get_run(old["run_id"])["status"] == "succeeded"
        time.sleep(1.2)
        fresh = await manager.submit("fresh", "u1", "who is in Won?")
        await manager.drain()
        assert records.get_run(fresh["run_id"])["status"] == "succeeded"
        return await manager.expire_idle()

    try:
        # In a thread of its own: Playwright's sync API may own this thread's event loop.
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(lambda: asyncio.run(scenario())).result() == 1
        assert records.owner("old") is None and records.thread_runs("old") == []
        assert agent.graph.get_state(agent.config("old")).values == {}
        assert records.owner("fresh") == "u1"
        assert agent.graph.get_state(agent.config("fresh")).values["messages"]
    finally:
        manager.close()
        records.close()
        checkpoints.close()
        store.close()

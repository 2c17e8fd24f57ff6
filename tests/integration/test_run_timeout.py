"""A run that times out is reported failed and writes nothing afterwards."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

from agent_service.graph.agent import ChatAgent
from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.runs.checkpoints import open_checkpoints
from agent_service.runs.manager import RunManager
from agent_service.runs.records import RunRecords
from agent_service.settings import DEFAULT_STAGES, Settings
from tests.utils.models import ScriptedChatModel, call, calls


class SlowModel(ScriptedChatModel):
    """Answers like the scripted model, one second late (a model slower than the run limit)."""

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        time.sleep(1.0)
        return super()._generate(messages, *args, **kwargs)


def test_a_timed_out_run_changes_no_lead(tmp_path: Path) -> None:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    sarah = store.create({"name": "Sarah Lee", "status": "New"})
    settings = Settings(crm_model="offline", run_timeout_seconds=0.3)
    checkpoints = open_checkpoints(f"sqlite:///{tmp_path / 'cp.sqlite3'}")
    records = RunRecords(str(tmp_path / "runs.sqlite3"))
    model = SlowModel(script=[calls(call("change_status", lead="Sarah", status="Won"))])
    agent = ChatAgent(store, model, settings, checkpoints.saver, prune=checkpoints.prune)
    manager = RunManager(agent, records, checkpoints, settings)

    async def scenario() -> dict[str, Any]:
        run = await manager.submit("t", "u1", "move Sarah to Won")
        await manager.drain()  # returns once the late turn has finished too
        return records.get_run(run["run_id"]) or {}

    try:
        with ThreadPoolExecutor(1) as pool:
            run = pool.submit(lambda: asyncio.run(scenario())).result()
        assert run["status"] == "failed" and run["error"]["type"] == "timeout"
        assert store.get(sarah.id).status == "New"  # the late turn wrote nothing
    finally:
        manager.close()
        records.close()
        checkpoints.close()
        store.close()

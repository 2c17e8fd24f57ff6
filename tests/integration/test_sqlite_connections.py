"""The SQLite store closes the connection of a worker thread when that thread ends."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES


def test_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
    store.migrate()
    store.create({"name": "Ann Lee"})
    for _ in range(50):  # like anyio's worker threads, which retire when idle
        worker = threading.Thread(target=lambda: store.list())
        worker.start()
        worker.join()
    gc.collect()
    assert len(store._connections) == 1  # only this thread's
    assert [lead.name for lead in store.list()] == ["Ann Lee"]
    store.close()

"""The lead store heals without a restart and reports its health truthfully (issue 12).

SQLite: a file that cannot be written — made immutable with `chattr +i`, which stops root too
(plain chmod does not) — is opened by SQLite read-only without an error; such a connection
used to stay in its thread for good, refusing every write after the file was writable again.
PostgreSQL: the pool checks each connection before handing it out, so the first call after a
server restart succeeds.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_service.errors import StoreUnavailable
from agent_service.leads.models import Pipeline
from agent_service.leads.postgres import PostgresLeadStore
from agent_service.leads.sqlite import SqliteLeadStore
from tests.utils.postgres import PostgresServer, PostgresUnavailable

PIPELINE = Pipeline(("New", "Won"))


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[callable]:
    """`immutable(path, on)`: chattr ±i, undone at the end whatever happens."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    touched: list[Path] = []

    def set_immutable(path: Path, on: bool) -> None:
        result = subprocess.run(
            ["chattr", "+i" if on else "-i", str(path)], capture_output=True, text=True
        )
        if result.returncode != 0:
            pytest.skip(f"chattr does not work here: {result.stderr.strip()}")
        touched.append(path)

    yield set_immutable
    for path in touched:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def test_sqlite_writes_work_again_once_the_file_is_writable(
    tmp_path: Path, immutable: callable
) -> None:
    path = tmp_path / "crm.sqlite3"
    store = SqliteLeadStore(path, PIPELINE)
    try:
        store.migrate()
        store.create({"name": "Before"})
        assert store.health() == {"ok": True, "backend": "sqlite", "error": None}
        store.close()  # connections are opened anew below, while the file is not writable
        immutable(path, True)
        assert [lead.name for lead in store.list()] == ["Before"]  # reads still work
        with pytest.raises(StoreUnavailable):
            store.create({"name": "Refused"})
        health = store.health()
        assert health["ok"] is False and "readonly" in health["error"]
        # Another thread (a fresh worker) sees the same truth.
        seen: dict[str, object] = {}
        worker = threading.Thread(target=lambda: seen.update(store.health()))
        worker.start()
        worker.join()
        assert seen["ok"] is False
        immutable(path, False)
        # Same store object, same thread, no restart: the read-only connection is replaced.
        store.create({"name": "After"})
        assert [lead.name for lead in store.list()] == ["After", "Before"]
        assert store.health() == {"ok": True, "backend": "sqlite", "error": None}
        assert [c.op for c in store.changes()] == ["create", "create"]
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        store.close()


def test_sqlite_health_reports_a_directory_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database directory should be")
    store = SqliteLeadStore(blocker / "crm.sqlite3", PIPELINE)
    try:
        health = store.health()
        assert health["ok"] is False and health["backend"] == "sqlite" and health["error"]
    finally:
        store.close()


@pytest.mark.postgres
def test_postgres_first_call_after_a_server_restart_succeeds() -> None:
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"Cannot start a throwaway PostgreSQL server: {exc}")
    store = None
    try:
        url = server.create_database("crm")
        store = PostgresLeadStore(url, PIPELINE, min_size=2, max_size=2)
        store.migrate()
        lead = store.create({"name": "Survivor"})
        assert store.health()["ok"] is True
        assert store.wait_for_change(0, timeout=1) == 1  # the listener is up
        _restart(server)
        # Every pooled connection died with the old server: each is checked and replaced.
        assert store.get(lead.id) == lead
        assert store.create({"name": "After Restart"}).name == "After Restart"
        assert store.health() == {"ok": True, "backend": "postgres", "error": None}
        assert store.count() == 2
        # The change listener reconnects too: a write is heard again.
        seq = store.last_seq()
        woke: list[int] = []
        waiter = threading.Thread(target=lambda: woke.append(store.wait_for_change(seq, 10)))
        waiter.start()
        PostgresLeadStore(url, PIPELINE).create({"name": "Heard"})
        waiter.join(timeout=10)
        assert woke == [seq + 1]
        server_down_health = _health_while_stopped(server, store)
        assert server_down_health["ok"] is False and server_down_health["error"]
    finally:
        if store is not None:
            store.close()
        server.stop()


def _restart(server: PostgresServer) -> None:
    server._run("pg_ctl", "-D", str(server.data_dir), "-m", "fast", "-w", "stop")  # noqa: SLF001
    server.started = False
    options = " ".join(
        [
            f"-p {server.port}",
            f"-k {server.root_dir}",
            "-c listen_addresses=127.0.0.1",
            *(f"-c {k}={v}" for k, v in server.settings.items()),
        ]
    )
    server._run(  # noqa: SLF001
        "pg_ctl",
        "-D",
        str(server.data_dir),
        "-o",
        options,
        "-l",
        str(server.root_dir / "server.log"),
        "-w",
        "start",
    )
    server.started = True


def _health_while_stopped(server: PostgresServer, store: PostgresLeadStore) -> dict:
    server._run("pg_ctl", "-D", str(server.data_dir), "-m", "fast", "-w", "stop")  # noqa: SLF001
    server.started = False
    return store.health()

"""One agent-service process per SQLite database: an exclusive file lock beside each file.

SQLite serves one process here (run ordering, the run manager's per-thread locks and the
recovery of cut-off runs all assume it), so a second process on the same files refuses to
start with a clear message instead of corrupting those assumptions. PostgreSQL deployments
take no such lock: several processes share one database.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger("agent_service")


class AnotherProcess(RuntimeError):
    """Another agent-service process already uses these SQLite files."""


class ProcessLock:
    """Exclusive, non-blocking `flock` on `<database>.agent.lock` for each SQLite path; the
    kernel releases it when the process ends, however it ends (kill -9 included)."""

    def __init__(self, paths: list[Path]) -> None:
        self._fds: list[int] = []
        try:
            for path in paths:
                lock_path = path.with_name(path.name + ".agent.lock")
                try:
                    lock_path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                except OSError as exc:
                    # No file, no second process on it either: the database itself answers
                    # 503 until its directory is usable.
                    log.warning("cannot lock %s (%s); not locked", lock_path, exc)
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise AnotherProcess(
                        f"Another agent-service process already uses the SQLite database "
                        f"{path}. With SQLite run exactly one agent process (use PostgreSQL, "
                        f"CRM_DATABASE_URL=postgresql://…, for several)."
                    ) from None
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self._fds.append(fd)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        for fd in self._fds:
            os.close(fd)  # closing the descriptor drops the lock
        self._fds = []


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///…` URL (None for other URLs and in-memory databases)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    if not path or path == ":memory:":
        return None
    return Path(path)

"""A throwaway PostgreSQL server for tests and benchmarks.

`PostgresServer` runs `initdb` in a temporary directory and starts the server on a free
127.0.0.1 port with `fsync=off` (nothing here needs to survive a crash). `initdb` refuses to run
as root, so as root every server command runs as the `postgres` user (`runuser -u postgres`);
as a normal user the commands run directly. `stop()` stops the server and removes its files.

    with PostgresServer() as server:
        url = server.create_database("t1")   # postgresql://postgres@127.0.0.1:PORT/t1

Set `PG_BIN` to use binaries other than the newest `/usr/lib/postgresql/*/bin`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the server would not start."""


def find_pg_bin() -> Path:
    """The directory holding `initdb` and `pg_ctl` (PG_BIN, else the newest Debian install)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for directory in reversed(candidates):
        if (Path(directory) / "initdb").exists():
            return Path(directory)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found: install them (Debian: "
        "`apt-get install -y postgresql postgresql-contrib`) or set PG_BIN."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only."""

    def __init__(self, *, port: int | None = None, settings: dict[str, str] | None = None):
        self.bin = find_pg_bin()
        self.port = port or free_port()
        self.settings = {
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            **(settings or {}),
        }
        self.as_root = os.geteuid() == 0
        self.root_dir: Path | None = None
        self.started = False

    # -- running commands ---------------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
        return result

    @property
    def data_dir(self) -> Path:
        assert self.root_dir is not None
        return self.root_dir / "data"

    @property
    def url(self) -> str:
        """The URL of the `postgres` database."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        """initdb + pg_ctl start; returns when the server accepts connections."""
        self.root_dir = Path(tempfile.mkdtemp(prefix="crm-pg-"))
        if self.as_root:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable(
                    "Running as root needs the `postgres` system user (Debian's postgresql "
                    "package creates it)."
                ) from exc
            os.chown(self.root_dir, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.root_dir}",
                "-c listen_addresses=127.0.0.1",
                *(f"-c {k}={v}" for k, v in self.settings.items()),
            ]
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.root_dir / "server.log"),
            "-w",
            "-t",
            "30",
            "start",
        )
        self.started = True
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory."""
        if self.root_dir is None:
            return
        if self.started:
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
            except (PostgresUnavailable, subprocess.TimeoutExpired):
                pass
            self.started = False
        shutil.rmtree(self.root_dir, ignore_errors=True)
        self.root_dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ----------------------------------------------------------------------------

    def create_database(self, name: str, *, template: str = "template0") -> str:
        """Create (or re-create) database `name`; returns its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

"""Stopping and starting the throwaway PostgreSQL server of `tests/utils/postgres.py` (an
outage in the middle of a test), with the same options it was started with."""

from __future__ import annotations

from tests.utils.postgres import PostgresServer


def stop_postgres(server: PostgresServer) -> None:
    """Stop the server, cutting every connection (`fast`, not `immediate`: the throwaway server
    runs with `synchronous_commit=off`, and a crash would lose commits a real server keeps)."""
    server._run("pg_ctl", "-D", str(server.data_dir), "-m", "fast", "-w", "stop")
    server.started = False


def start_postgres(server: PostgresServer) -> None:
    """Start the stopped server again on the same port and data directory."""
    assert server.root_dir is not None
    options = " ".join(
        [
            f"-p {server.port}",
            f"-k {server.root_dir}",
            "-c listen_addresses=127.0.0.1",
            *(f"-c {k}={v}" for k, v in server.settings.items()),
        ]
    )
    server._run(
        "pg_ctl",
        "-D",
        str(server.data_dir),
        "-o",
        options,
        "-l",
        str(server.root_dir / "server.log"),
        "-w",
        "-t",
        "30",
        "start",
    )
    server.started = True
    server._wait_ready()


def restart_postgres(server: PostgresServer) -> None:
    stop_postgres(server)
    start_postgres(server)

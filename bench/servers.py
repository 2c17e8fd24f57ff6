"""Throwaway servers for the benchmarks: PostgreSQL, the agent service, the Django proxy.

Everything listens on 127.0.0.1, logs into a temporary folder and is stopped when its
`with` block ends (terminate, then kill after a grace period).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-agent-token-0123456789"
PYTHON = str(Path(sys.executable))


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of process `pid` (this process by default), from /proc."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of process `pid` and of all its live descendants (server workers), from
    /proc; a process that vanished meanwhile counts as 0."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += cpu_seconds(current)
        except (OSError, IndexError, ValueError):
            continue
        todo += children.get(current, [])
    return total


@dataclass(frozen=True)
class Stack:
    """Which code the services run: a source tree and the Python of its virtualenv (this
    checkout by default; bench/baseline.py makes one of another commit)."""

    root: Path
    python: str
    label: str = "this checkout"


PIDS: dict[str, int] = {}  # base URL of a running service → its process id (for CPU accounting)


class ServerFailed(RuntimeError):
    """A server did not come up; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(
    ready: Callable[[], bool],
    timeout: float,
    what: str,
    log: Path | None = None,
    proc: subprocess.Popen | None = None,
) -> None:
    """Poll `ready()` until it is true; ServerFailed (with the log's tail) otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError):
            pass
        if proc is not None and proc.poll() is not None:
            raise ServerFailed(
                f"{what} exited with {proc.returncode}:\n{_tail(log) if log else ''}"
            )
        if time.monotonic() > deadline:
            raise ServerFailed(
                f"{what} did not start in {timeout:.0f} s:\n{_tail(log) if log else ''}"
            )
        time.sleep(0.1)


def _http_ok(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=1).status_code < 500


@contextmanager
def process(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    ready_url: str,
    timeout: float = 60,
) -> Iterator[subprocess.Popen]:
    """Start `cmd`, wait until `ready_url` answers, stop it afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until(_http_ok(ready_url), timeout, " ".join(cmd[:3]), log, proc)
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, grace: float = 15) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


CURRENT = Stack(ROOT, PYTHON)


# -- PostgreSQL ----------------------------------------------------------------------------------


def postgres_available() -> bool:
    from tests.utils.postgres import PostgresUnavailable, find_pg_bin

    try:
        return (find_pg_bin() / "initdb").exists()
    except PostgresUnavailable:
        return False


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server (tests/utils/postgres.py); yields its `postgres` URL."""
    from tests.utils.postgres import PostgresServer

    with PostgresServer(settings={"shared_buffers": "256MB"}) as server:
        yield server.url


def create_database(url: str, name: str) -> str:
    """Create (or re-create) database `name` on the server of `url`; its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.rsplit("/", 1)[0] + f"/{name}"


# -- the services --------------------------------------------------------------------------------


def service_env(folder: Path, **extra: str) -> dict[str, str]:
    """Environment of an agent service with the offline model and its databases in `folder`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "OPENAI_", "SUPABASE_", "CHECKPOINT_", "DJANGO_", "AGENT_"))
    }
    env.update(
        CRM_ENV="development",
        CRM_MODEL="offline",
        CRM_DATABASE_URL=f"sqlite:///{folder / 'crm.sqlite3'}",
        CHECKPOINT_DATABASE_URL=f"sqlite:///{folder / 'checkpoints.sqlite3'}",
        AGENT_SERVICE_TOKEN=TOKEN,
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def agent_service(
    folder: Path, *, stack: Stack | None = None, log_name: str = "agent.log", **extra: str
) -> Iterator[str]:
    """`python -m agent_service` on a free port with the offline model; yields its URL."""
    stack = stack or CURRENT
    port = free_port()
    env = service_env(folder, AGENT_HOST="127.0.0.1", AGENT_PORT=str(port), **extra)
    url = f"http://127.0.0.1:{port}"
    with process(
        [stack.python, "-m", "agent_service"],
        env=env,
        cwd=stack.root,
        log=folder / log_name,
        ready_url=f"{url}/healthz",
    ) as proc:
        PIDS[url] = proc.pid
        try:
            yield url
        finally:
            PIDS.pop(url, None)


def django_available(stack: Stack | None = None) -> bool:
    root = (stack or CURRENT).root
    return (root / "django_proxy" / "__main__.py").exists() and (
        root / "django_proxy" / "manage.py"
    ).exists()


def django_env(folder: Path, agent_url: str, **extra: str) -> dict[str, str]:
    env = service_env(
        folder,
        AGENT_SERVICE_URL=agent_url,
        DJANGO_DATABASE_URL=f"sqlite:///{folder / 'django.sqlite3'}",
        DJANGO_SECRET_KEY="bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    )
    env.update(extra)
    return env


def manage(
    folder: Path, agent_url: str, *args: str, timeout: float = 300, stack: Stack | None = None
) -> str:
    """Run `django_proxy/manage.py ARGS` against the benchmark's Django database."""
    stack = stack or CURRENT
    done = subprocess.run(
        [stack.python, str(stack.root / "django_proxy" / "manage.py"), *args],
        env=django_env(folder, agent_url),
        cwd=stack.root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise ServerFailed(f"manage.py {' '.join(args[:2])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def django_proxy(
    folder: Path, agent_url: str, *, stack: Stack | None = None, **extra: str
) -> Iterator[str]:
    """`python -m django_proxy` on a free port in front of `agent_url`; yields its URL."""
    stack = stack or CURRENT
    port = free_port()
    env = django_env(folder, agent_url, DJANGO_HOST="127.0.0.1", DJANGO_PORT=str(port), **extra)
    url = f"http://127.0.0.1:{port}"
    with process(
        [stack.python, "-m", "django_proxy"],
        env=env,
        cwd=stack.root,
        log=folder / "django.log",
        ready_url=f"{url}/api/pipeline/",
    ) as proc:
        PIDS[url] = proc.pid
        try:
            yield url
        finally:
            PIDS.pop(url, None)

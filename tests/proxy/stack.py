"""Real processes for the proxy tests: the agent service and the Django proxy, over real HTTP.

`agent_process` runs `python -m agent_service` on temp SQLite files; `proxy_process` migrates a
temp Django database, creates users and runs `python -m django_proxy`. Both are waited on
until healthy and stopped afterwards. `Browser` is a signed-in user: a `requests.Session`
with its cookie jar, logging in through the login form and sending the CSRF header like the SPA.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.utils.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
TOKEN = "proxy-test-token-0123456789"
START_TIMEOUT = 60.0
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _base_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "DJANGO_", "AGENT_", "OPENAI_", "SUPABASE_", "CHECKPOINT_"))
    }
    env.update(PYTHONUNBUFFERED="1", CRM_ENV="test", AGENT_SERVICE_TOKEN=TOKEN)
    env.update(extra)
    return env


def _wait_healthy(service: Service, health_path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.log.name} exited:\n{service.log_tail()}")
        try:
            if requests.get(service.url + health_path, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{service.log.name} did not become healthy:\n{service.log_tail()}")


def _stop(service: Service) -> None:
    if service.process.poll() is None:
        service.process.terminate()
        try:
            service.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait(timeout=5)


@contextmanager
def _run(
    cmd: list[str], env: dict[str, str], url: str, log: Path, health: str
) -> Iterator[Service]:
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    service = Service(url=url, process=process, log=log, env=env)
    try:
        _wait_healthy(service, health)
        yield service
    finally:
        _stop(service)


@contextmanager
def agent_process(directory: Path, port: int | None = None, **extra_env: str) -> Iterator[Service]:
    """`python -m agent_service` with the offline model on temp SQLite files."""
    port = port or free_port()
    env = _base_env(
        CRM_MODEL="offline",
        CRM_DATABASE_URL=f"sqlite:///{directory / 'crm.sqlite3'}",
        CHECKPOINT_DATABASE_URL=f"sqlite:///{directory / 'cp.sqlite3'}",
        AGENT_HOST="127.0.0.1",
        AGENT_PORT=str(port),
    )
    env.update(extra_env)
    with _run(
        [PYTHON, "-m", "agent_service"],
        env,
        f"http://127.0.0.1:{port}",
        directory / "agent.log",
        "/healthz",
    ) as service:
        yield service


def manage(env: dict[str, str], *args: str, extra_env: dict[str, str] | None = None) -> str:
    """Run `django_proxy/manage.py` with the proxy's environment; returns its output."""
    result = subprocess.run(
        [PYTHON, "django_proxy/manage.py", *args],
        cwd=ROOT,
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def proxy_env(directory: Path, agent_url: str, **extra: str) -> dict[str, str]:
    values = {
        "DJANGO_DATABASE_URL": f"sqlite:///{directory / 'django.sqlite3'}",
        "AGENT_SERVICE_URL": agent_url,
        "FRONTEND_DIST": str(directory / "dist"),
        **extra,
    }
    return _base_env(**values)


PREPARE = """
import os
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
for name, password in USERS.items():
    os.environ["DEMO_PASSWORD"] = password
    call_command("ensure_demo_user", username=name)
"""


def prepare_proxy(env: dict[str, str], users: dict[str, str]) -> None:
    """Migrate the proxy's database and create the users (`ensure_demo_user`), in one process;
    test_settings.py runs the same commands one by one from the command line."""
    out = manage(env, "shell", "-v", "0", "-c", f"USERS = {users!r}\n{PREPARE}")
    for name, password in users.items():
        assert f"Demo login: {name} / {password}" in out


@contextmanager
def proxy_process(env: dict[str, str], directory: Path, name: str = "proxy") -> Iterator[Service]:
    """`python -m django_proxy` on a free port (the database must be migrated already)."""
    port = free_port()
    env = {**env, "DJANGO_HOST": "127.0.0.1", "DJANGO_PORT": str(port)}
    with _run(
        [PYTHON, "-m", "django_proxy"],
        env,
        f"http://127.0.0.1:{port}",
        directory / f"{name}.log",
        "/accounts/login/",
    ) as service:
        yield service


@dataclass
class Stack:
    agent: Service
    proxy: Service
    users: dict[str, str]
    directory: Path

    def browser(self, username: str) -> Browser:
        browser = Browser(self.proxy.url)
        browser.login(username, self.users[username])
        return browser

    def agent_get(self, path: str, user: str) -> requests.Response:
        """A direct call to the agent service (to check what the proxy forwarded)."""
        headers = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": user}
        return requests.get(self.agent.url + path, headers=headers, timeout=10)


@contextmanager
def running_stack(
    directory: Path,
    users: dict[str, str],
    agent_env: dict[str, str] | None = None,
    **proxy_extra: str,
) -> Iterator[Stack]:
    """The agent service and the proxy in front of it; the proxy's database is prepared while
    the agent service starts (both take seconds on a busy machine)."""
    port = free_port()
    env = proxy_env(directory, f"http://127.0.0.1:{port}", **proxy_extra)
    with ThreadPoolExecutor(max_workers=1) as pool:
        prepared = pool.submit(prepare_proxy, env, users)
        try:
            with agent_process(directory, port=port, **(agent_env or {})) as agent:
                prepared.result()
                with proxy_process(env, directory) as proxy:
                    yield Stack(agent=agent, proxy=proxy, users=users, directory=directory)
        finally:
            prepared.cancel()


class Browser(requests.Session):
    """A browser's view of the proxy: a cookie jar, the login form, the CSRF header."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 30)
        kwargs["allow_redirects"] = False  # Session.get() asks for True; tests look at redirects
        send_csrf = kwargs.pop("csrf", True)
        if method.upper() in UNSAFE and send_csrf:
            token = self.cookies.get("csrftoken")
            if token:
                headers = dict(kwargs.pop("headers", None) or {})
                headers.setdefault("X-CSRFToken", token)
                kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)

    def login(self, username: str, password: str) -> requests.Response:
        """Sign in through the login form (its CSRF token included), as a person would."""
        form = self.get("/accounts/login/")
        assert form.status_code == 200, form.text
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert match, "the login form has no CSRF token"
        response = self.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": match.group(1),
                "next": "/",
            },
            csrf=False,
        )
        return response

    def user_id(self) -> str:
        return str(self.get("/api/me/").json()["id"])

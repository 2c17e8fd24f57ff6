"""The proxy's own database on PostgreSQL (`DJANGO_DATABASE_URL=postgresql://…`, as compose
runs it): migrate, users, sessions through a real login, with Django's connection pool."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.proxy.stack import Browser, prepare_proxy, proxy_env, proxy_process
from tests.utils.servers import free_port

pytestmark = pytest.mark.postgres


def test_the_proxy_keeps_users_and_sessions_in_postgresql(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    users = {"pat": "pat-pass-8090"}
    nowhere = f"http://127.0.0.1:{free_port()}"  # no agent service: only the proxy's own parts
    env = proxy_env(tmp_path, nowhere, DJANGO_DATABASE_URL=fresh_postgres_url)
    prepare_proxy(env, users)
    with proxy_process(env, tmp_path) as proxy:
        browser = Browser(proxy.url)
        assert browser.login("pat", users["pat"]).status_code == 302
        for _ in range(3):  # pooled connections are handed back and reused
            me = browser.get("/api/me/")
            assert me.status_code == 200 and me.json()["username"] == "pat"
        assert browser.get("/api/leads/").json()["type"] == "agent_unavailable"
        with psycopg.connect(fresh_postgres_url) as conn:
            sessions = conn.execute("SELECT count(*) FROM django_session").fetchone()[0]
            user = conn.execute("SELECT is_active FROM auth_user WHERE username = 'pat'").fetchone()
        assert sessions == 1 and user == (True,)

        assert browser.post("/accounts/logout/").status_code == 302
        assert browser.get("/api/me/").status_code == 401
        with psycopg.connect(fresh_postgres_url) as conn:
            assert conn.execute("SELECT count(*) FROM django_session").fetchone()[0] == 0

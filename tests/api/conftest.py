from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent_service.main import create_app
from agent_service.settings import Settings
from tests.utils.servers import serve

TOKEN = "test-token-0123456789"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "CRM_ENV": "test",
        "crm_model": "offline",
        "crm_database_url": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "checkpoint_database_url": f"sqlite:///{tmp_path / 'checkpoints.sqlite3'}",
        "agent_service_token": TOKEN,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(params=["sqlite", "postgres"])
def agent_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The agent service on SQLite files, and on one PostgreSQL database (leads, checkpoints and
    run records), so every API test runs on both."""
    overrides: dict[str, object] = {}
    if request.param == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
        overrides = {"crm_database_url": url, "checkpoint_database_url": url}
    with serve(create_app(make_settings(tmp_path, **overrides))) as url:
        yield url


@pytest.fixture
def client(agent_url: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "user-1"}
    with httpx.Client(base_url=agent_url, headers=headers, timeout=30) as http:
        yield http

"""Fixtures: a real agent service process and a real Django proxy process per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxy.stack import Stack, running_stack

USERS = {"alice": "alice-pass-4821", "bob": "bob-pass-9137", "carol": "carol-pass-5560"}
INDEX_HTML = '<!doctype html><title>CRM</title><div id="root"></div><script src="/assets/app-1a2b.js"></script>'
APP_JS = "console.log('the board');\n"


def write_frontend(dist: Path) -> None:
    """A stand-in for `frontend/dist` (the real build belongs to the frontend's own tests)."""
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX_HTML)
    (dist / "assets" / "app-1a2b.js").write_text(APP_JS)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The agent service (offline model, temp SQLite) behind the proxy, with three users."""
    directory = tmp_path_factory.mktemp("proxy-stack")
    write_frontend(directory / "dist")
    with running_stack(directory, USERS, CHAT_RATE_LIMIT="1000") as running:
        yield running

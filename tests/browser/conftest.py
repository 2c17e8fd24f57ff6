"""Fixtures for the browser tests: the real stack and Debian's Chromium driven by Playwright.

The stack is the agent service (offline model, temp SQLite files) behind the Django proxy,
both as real processes (see `tests/proxy/stack.py`), serving the built frontend from
`frontend/dist` — nothing is built here: run `make install` (or `cd frontend && npm run build`)
first. Every test gets a fresh browser context signed in as a fresh session (so a fresh chat
thread) and a freshly seeded lead store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.proxy.stack import TOKEN, Stack, agent_process, prepare_proxy, proxy_env, proxy_process

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
USER, PASSWORD = "browser-user", "browser-pass-7314"
# A second signed-in person, for what one user sees of another's changes.
TEAMMATE, TEAMMATE_PASSWORD = "browser-teammate", "browser-pass-5521"
TIMEOUT_MS = 20_000  # generous: the machine may be busy with other suites

expect.set_options(timeout=TIMEOUT_MS)
SEED_USER = "browser-seed"

# The leads every test starts from (two Johns for the disambiguation).
LEADS: list[dict[str, Any]] = [
    {
        "name": "John Smith",
        "company": "Acme",
        "email": "john@acme.com",
        "status": "Contacted",
        "value": 12000,
    },
    {
        "name": "John Doe",
        "company": "Globex",
        "email": "jdoe@globex.com",
        "status": "New",
        "value": 8000,
    },
    {
        "name": "Sarah Lee",
        "company": "TechCorp",
        "email": "sarah@techcorp.io",
        "status": "New",
        "value": 5000,
    },
    {"name": "Bo Chen", "company": "Initech", "status": "Proposal sent", "value": 3000},
    {"name": "Maria Garcia", "company": "Umbrella", "status": "Meeting booked"},
]


class Agent:
    """Direct calls to the agent service's lead store (seeding and checking)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers.update({"Authorization": f"Bearer {TOKEN}", "X-CRM-User": SEED_USER})

    def leads(self) -> list[dict[str, Any]]:
        """Every lead, page by page (the API pages; a test may have made thousands)."""
        leads: list[dict[str, Any]] = []
        while True:
            response = self.http.get(
                f"{self.url}/leads", params={"limit": 1000, "offset": len(leads)}, timeout=30
            )
            response.raise_for_status()
            page = response.json()
            leads += page["leads"]
            if not page["leads"] or len(leads) >= page["total"]:
                return leads

    def lead(self, name: str) -> dict[str, Any] | None:
        return next((lead for lead in self.leads() if lead["name"] == name), None)

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(f"{self.url}/leads", json=fields, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()

    def update(self, lead_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        response = self.http.patch(f"{self.url}/leads/{lead_id}", json=fields, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self, leads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for lead in self.leads():
            assert self.http.delete(f"{self.url}/leads/{lead['id']}", timeout=10).status_code == 204
        return {fields["name"]: self.create(fields) for fields in leads}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (DIST / "index.html").is_file():
        pytest.fail(
            f"{DIST / 'index.html'} is missing: build the frontend first "
            "(`make install`, or `cd frontend && npm ci && npm run build`).",
            pytrace=False,
        )
    directory = tmp_path_factory.mktemp("browser-stack")
    with agent_process(directory) as agent:
        env = proxy_env(directory, agent.url, CHAT_RATE_LIMIT="0")
        env["FRONTEND_DIST"] = str(DIST)
        users = {USER: PASSWORD, TEAMMATE: TEAMMATE_PASSWORD}
        prepare_proxy(env, users)
        with proxy_process(env, directory) as proxy:
            yield Stack(agent=agent, proxy=proxy, users=users, directory=directory)


@pytest.fixture
def agent(stack: Stack) -> Agent:
    return Agent(stack.agent.url)


@pytest.fixture
def seeded(agent: Agent) -> dict[str, dict[str, Any]]:
    """The lead store reset to `LEADS`; returns the created leads by name."""
    return agent.reset(LEADS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM} (apt-get install chromium).", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    viewport = getattr(request, "param", None) or {"width": 1280, "height": 800}
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def sign_in(page: Page, base_url: str, user: str = USER, password: str = PASSWORD) -> None:
    """Sign in through the login page, as a person would, and wait for the board."""
    page.goto(base_url + "/")
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")
    page.get_by_role("region", name="New").wait_for()


@pytest.fixture
def page(context: BrowserContext, stack: Stack, seeded: dict[str, Any]) -> Iterator[Page]:
    """A signed-in page on the board (a new session, so a new chat thread), leads seeded.

    Fails the test if the page threw or logged an error (other than the browser reporting a
    refused HTTP call, which some tests provoke on purpose).
    """
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            errors.append(f"console: {message.text}")
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    sign_in(page, stack.proxy.url)
    yield page
    assert not errors, "the page reported errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

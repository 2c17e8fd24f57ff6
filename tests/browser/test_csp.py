"""The built frontend, the login page and the admin work under the proxy's Content-Security-Policy
in Debian's Chromium: no policy violation is reported while signing in and using the board."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import DIST
from tests.proxy.stack import Stack, manage, running_stack

pytestmark = pytest.mark.browser
USERS = {"csp-user": "csp-pass-4242"}
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (DIST / "index.html").is_file():
        pytest.fail(f"{DIST / 'index.html'} is missing: run `make install` first", pytrace=False)
    directory: Path = tmp_path_factory.mktemp("proxy-csp")
    with running_stack(directory, USERS, FRONTEND_DIST=str(DIST)) as running:
        manage(
            running.proxy.env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.filter(username='csp-user').update(is_staff=True, is_superuser=True)",
        )
        yield running


def test_no_policy_violation_on_the_login_page_the_board_and_the_admin(
    stack: Stack, browser: Browser
) -> None:
    """(Chromium comes from the browser suite's session fixture: one Playwright per session.)"""
    console: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(WATCH)
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(stack.proxy.url + "/accounts/login/")
        assert (
            page.evaluate("getComputedStyle(document.querySelector('main')).borderRadius") == "12px"
        )
        page.get_by_label("Username").fill("csp-user")
        page.get_by_label("Password").fill(USERS["csp-user"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(stack.proxy.url + "/")
        page.get_by_role("region", name="New").wait_for(timeout=20_000)
        board = page.evaluate("window.__violations")
        page.goto(stack.proxy.url + "/admin/")
        page.get_by_text("Site administration").wait_for(timeout=20_000)
        admin = page.evaluate("window.__violations")
        reported = [text for text in console if "Content Security Policy" in text]
        # The watch works: an inline script is refused and reported.
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
        )
        page.wait_for_function("window.__violations.length > 0", timeout=5_000)
        assert page.evaluate("window.__ran") is None
    finally:
        context.close()
    assert board == [] and admin == [], (board, admin)
    assert reported == [], reported

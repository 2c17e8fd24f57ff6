"""The widget's polish in Debian's Chromium: shortcut, focus order, example prompts, Clear's
confirmation, the header after a long conversation, dark mode, long names, the favicon and
the size of the initial JavaScript.

Runs against the real stack started by `conftest.py`; screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DIST, TIMEOUT_MS, Agent, sign_in
from tests.browser.test_app import card, log, open_chat, say

pytestmark = pytest.mark.browser

INITIAL_JS_LIMIT = 80_000  # bytes, gzip (issue 14: ≤ 80 KB)


def panel_of(page: Page) -> Locator:
    return page.get_by_role("dialog", name="CRM assistant")


def test_ctrl_slash_opens_the_chat_and_the_launcher_is_an_early_tab_stop(page: Page) -> None:
    panel = panel_of(page)
    expect(panel).to_be_hidden()
    page.get_by_role("searchbox", name="Search leads").focus()
    page.keyboard.press("Control+/")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("textbox", name="Message")).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # Focus order: Sign out, then the chat launcher, before the board's controls.
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()


def test_clicking_an_example_sends_it(page: Page) -> None:
    panel = open_chat(page)
    examples = panel.get_by_role("list", name="Example messages")
    examples.get_by_role("button", name="Who is in New?").click()
    expect(log(panel).locator(".chat-msg--user")).to_have_text(re.compile("Who is in New\\?"))
    reply = log(panel).locator(".chat-msg--assistant")
    expect(reply).to_contain_text("Sarah Lee")
    expect(reply).to_contain_text("John Doe")
    expect(examples).to_have_count(0)


def test_clear_asks_before_clearing(page: Page) -> None:
    panel = open_chat(page)
    say(panel, "Move Maria to Contacted")
    expect(
        log(panel).get_by_text("Lead 'Maria Garcia' status updated to 'Contacted'.")
    ).to_be_visible()

    panel.get_by_role("button", name="Clear conversation").click()
    confirm = panel.get_by_role("alertdialog", name="Clear the conversation?")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    expect(log(panel).locator(".chat-msg")).to_have_count(2)

    panel.get_by_role("button", name="Clear conversation").click()
    panel.get_by_role("alertdialog").get_by_role("button", name="Yes, clear").click()
    expect(log(panel).locator(".chat-msg")).to_have_count(0)
    expect(panel.get_by_text("Manage your leads in plain language")).to_be_visible()


def test_header_stays_in_view_after_a_long_conversation(page: Page) -> None:
    panel = open_chat(page)
    for index in range(8):
        stage = ["Contacted", "New"][index % 2]
        say(panel, f"Move Sarah to {stage}")
        expect(log(panel).locator(".chat-msg--assistant")).to_have_count(index + 1)
    body = panel.locator(".chat-body")
    assert body.evaluate("el => el.scrollHeight > el.clientHeight"), "not long enough to scroll"
    # What a screen reader or find-in-page does: bring a message (its hidden "You:" /
    # "Assistant:" label, absolutely positioned) into view. Without `.chat-body{position:
    # relative}` those labels overflow the panel itself, which then scrolls its header away.
    for message in (log(panel).locator(".chat-msg").first, log(panel).locator(".chat-msg").last):
        message.locator(".visually-hidden").evaluate("el => el.scrollIntoView()")
        message.evaluate("el => el.scrollIntoView({block: 'end'})")
    # Nothing may overflow the panel itself, so no scroll (by a browser, a screen reader or
    # a script) can move its header away: forcing one must leave it where it is.
    scroll = panel.evaluate("el => [el.scrollHeight, el.clientHeight]")
    assert scroll[0] <= scroll[1] + 2, f"the panel itself scrolls: {scroll}"
    panel.evaluate("el => { el.scrollTop = 100000; }")
    header = panel.locator(".chat-header")
    panel_box, header_box = panel.bounding_box(), header.bounding_box()
    assert panel_box and header_box
    assert abs(header_box["y"] - panel_box["y"]) <= 1, (panel_box, header_box)
    assert panel.evaluate("el => el.scrollTop") == 0
    expect(panel.get_by_role("button", name="Close chat")).to_be_in_viewport()


def test_dark_mode_follows_the_system(
    browser: Any, stack: Any, seeded: dict[str, Any], artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, stack.proxy.url)
        panel = open_chat(page)
        say(panel, "Move Sarah to Contacted")
        expect(
            log(panel).get_by_text("Lead 'Sarah Lee' status updated to 'Contacted'.")
        ).to_be_visible()
        page.mouse.move(0, 0)
        page.screenshot(path=str(artifacts / "dark-mode.png"), animations="disabled")

        def luminance(locator: Locator) -> float:
            rgb = locator.evaluate("el => getComputedStyle(el).backgroundColor")
            red, green, blue = (int(n) for n in re.findall(r"\d+", rgb)[:3])
            return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255

        assert luminance(page.locator(":root")) < 0.2
        assert luminance(panel) < 0.2
        assert luminance(page.locator(".card").first) < 0.3
    finally:
        context.close()


def test_long_names_wrap_and_the_panel_fields_fit(page: Page, agent: Agent) -> None:
    name = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessen"
    agent.create({"name": name, "company": "X" * 60, "status": "Won", "value": 123456789})
    lead = card(page, "Won", name[:20])
    expect(lead).to_be_visible()
    assert lead.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "the name overflows"
    column_box, card_box = (
        page.get_by_role("region", name="Won").bounding_box(),
        lead.bounding_box(),
    )
    assert column_box and card_box
    assert card_box["x"] + card_box["width"] <= column_box["x"] + column_box["width"] + 1

    lead.click()
    dialog = page.get_by_role("dialog", name=f"Edit {name}")
    value = dialog.get_by_label("Value ($)")
    expect(value).to_be_visible()
    dialog_box, value_box = dialog.bounding_box(), value.bounding_box()
    assert dialog_box and value_box
    assert value_box["x"] + value_box["width"] <= dialog_box["x"] + dialog_box["width"]


def test_favicon_is_served(stack: Any) -> None:
    response = requests.get(stack.proxy.url + "/favicon.svg", timeout=10)
    assert response.status_code == 200
    assert "svg" in response.headers["Content-Type"]
    assert b"<svg" in response.content
    assert 'rel="icon"' in (DIST / "index.html").read_text()


def test_initial_javascript_is_at_most_80_kb_gzip() -> None:
    """The entry script of index.html; drag and drop, the panel and the bubbles load later."""
    html = (DIST / "index.html").read_text()
    entries = re.findall(r'<script[^>]+src="/(assets/[^"]+\.js)"', html)
    assert len(entries) == 1, entries
    size = len(gzip.compress((DIST / entries[0]).read_bytes(), compresslevel=9))
    print(f"\ninitial JS: {entries[0]} {size} B gzip")
    assert size <= INITIAL_JS_LIMIT, size
    assert "modulepreload" not in html  # nothing else is fetched before the first paint
    lazy = {path.name.split("-")[0] for path in (DIST / "assets").glob("*.js")}
    assert {"DndBoard", "LeadPanel", "ChatMessage"} <= lazy, lazy

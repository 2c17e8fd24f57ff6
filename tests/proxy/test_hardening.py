"""Malformed input at every JSON route of the proxy: a 4xx `{"detail", "type"}`, never a 5xx, and
nothing written (the leads and the chat history are the same before and after). Also: the login
throttle (per account and per address, shared through the database cache).

The stack is real (agent service on SQLite, the proxy in front); the proxy's own database is
SQLite and PostgreSQL (as the other proxy tests use it).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PostgresServer
from tests.proxy.conftest import USERS, write_frontend
from tests.proxy.stack import Browser, Stack, running_stack

THROTTLE_USERS = {**USERS, "erin": "erin-pass-2201", "finn": "finn-pass-3302"}

DEEP = b"[" * 50_000 + b"]" * 50_000
BODIES: list[tuple[str, bytes, str]] = [
    ("lone surrogate", b'{"message": "hi \\ud800", "name": "A \\udfff"}', "application/json"),
    ("NUL character", b'{"message": "a\\u0000b", "name": "a\\u0000b"}', "application/json"),
    ("NUL in a key", b'{"message": "hi", "name": "x", "a\\u0000": 1}', "application/json"),
    ("deep nesting", b'{"message": "hi", "name": "x", "notes": ' + DEEP + b"}", "application/json"),
    ("deep nesting alone", DEEP, "application/json"),
    ("NaN", b'{"name": "Fuzz NaN", "value": NaN, "message": "hi"}', "application/json"),
    ("Infinity", b'{"name": "Fuzz Inf", "value": Infinity, "message": "hi"}', "application/json"),
    ("-Infinity", b'{"name": "Fuzz -Inf", "value": -Infinity}', "application/json"),
    ("1e999", b'{"name": "Fuzz big", "value": 1e999, "message": "hi"}', "application/json"),
    ("invalid UTF-8", b'{"message": "\xff\xfe", "name": "\xff"}', "application/json"),
    ("not JSON", b'{"message": ', "application/json"),
    ("a list", b"[1, 2]", "application/json"),
    ("a string", b'"hello"', "application/json"),
    ("null", b"null", "application/json"),
    ("huge", b'{"message": "' + b"x" * 3_000_000 + b'", "name": "x"}', "application/json"),
    ("form", b"message=hi&name=Fuzz+Form", "application/x-www-form-urlencoded"),
    (
        "JSON as multipart",
        b'--XyZ\r\nContent-Disposition: form-data; name="message"\r\n\r\n'
        b'{"message": "hi", "name": "Fuzz Multipart"}\r\n--XyZ--\r\n',
        "multipart/form-data; boundary=XyZ",
    ),
]
NOT_FINITE = {"NaN", "Infinity", "-Infinity", "1e999"}
ODD_IDS = [
    "..",
    "%2e%2e",
    "a%00b",
    "%ED%A0%80",  # a UTF-8-encoded surrogate
    "%ff",
    "x" * 500,
    "a%20b",
    "%F0%9F%99%82",
    "a%2Fb",
    "-1",
    "1e999",
    "NaN",
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    directory: Path = tmp_path_factory.mktemp(f"proxy-hardening-{request.param}")
    write_frontend(directory / "dist")
    extra = {"CHAT_RATE_LIMIT": "1000", "LOGIN_FAILURES_PER_ADDRESS": "9"}
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        extra["DJANGO_DATABASE_URL"] = server.create_database(f"proxy_fuzz_{id(directory)}")
    with running_stack(directory, THROTTLE_USERS, **extra) as running:
        yield running


def snapshot(browser: Browser) -> tuple[Any, Any]:
    leads = browser.get("/api/leads/")
    history = browser.get("/api/chat/history/")
    assert leads.status_code == 200 and history.status_code == 200
    return leads.json(), history.json()


def assert_clear_4xx(response: Any, what: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (
        f"{what}: {response.status_code} {response.text[:300]}"
    )
    body = response.json()
    assert set(body) >= {"detail", "type"} and body["detail"], f"{what}: {body}"
    return body


def test_malformed_bodies_get_a_clear_4xx_and_change_nothing(stack: Stack) -> None:
    alice = stack.browser("alice")
    lead = alice.post("/api/leads/", json={"name": "Fuzz Target", "company": "Acme"})
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["id"]
    said = alice.post("/api/chat/", json={"message": "who is in New?"})
    assert said.status_code == 202
    deadline = time.monotonic() + 30  # the reply is in before the "before" picture
    task = f"/api/chat/status/{said.json()['task_id']}/"
    while alice.get(task).json()["status"] not in {"succeeded", "failed"}:
        assert time.monotonic() < deadline, "the first message did not finish"
        time.sleep(0.05)
    before = snapshot(alice)

    routes = [
        ("POST", "/api/chat/"),
        ("POST", "/api/leads/"),
        ("PATCH", f"/api/leads/{lead_id}/"),
        ("POST", "/api/leads/undo/"),
    ]
    for method, path in routes:
        for name, raw, content_type in BODIES:
            response = alice.request(method, path, data=raw, headers={"Content-Type": content_type})
            body = assert_clear_4xx(response, f"{method} {path} with {name}")
            if name in NOT_FINITE:
                assert response.status_code == 422, (name, path, body)
            assert body["type"] != "agent_unavailable", (name, path, body)

    after = snapshot(alice)
    assert after[0] == before[0], "a lead was written"
    assert after[1]["messages"] == before[1]["messages"], "the chat history changed"
    log = stack.proxy.log_tail(2000)
    assert "agent service unreachable" not in log and "Traceback" not in log, log


def test_odd_ids_in_paths_get_4xx(stack: Stack) -> None:
    alice = stack.browser("alice")
    before = snapshot(alice)
    for odd in ODD_IDS:
        for method, template in [
            ("GET", "/api/leads/{}/"),
            ("PATCH", "/api/leads/{}/"),
            ("DELETE", "/api/leads/{}/"),
            ("GET", "/api/chat/status/{}/"),
            ("GET", "/api/chat/events/{}/"),
        ]:
            path = template.format(odd)
            response = alice.request(method, path, json={"status": "Won"})
            assert_clear_4xx(response, f"{method} {path}")
    assert snapshot(alice) == before


def test_a_bad_client_message_id_is_refused_before_anything_runs(stack: Stack) -> None:
    bob = stack.browser("bob")
    before = snapshot(bob)
    for bad in ["", "x" * 101, "has space", 12, ["a"], "\u00e9"]:
        response = bob.post(
            "/api/chat/", json={"message": "who is in New?", "client_message_id": bad}
        )
        assert_clear_4xx(response, f"client_message_id {bad!r}")
    assert snapshot(bob) == before


def test_the_login_page_and_the_app_carry_a_strict_csp(stack: Stack) -> None:
    page = Browser(stack.proxy.url).get("/accounts/login/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "<style" not in page.text and "<script" not in page.text
    css = re.search(r'href="(/static/django_proxy/auth\.css)"', page.text)
    assert css and Browser(stack.proxy.url).get(css.group(1)).status_code == 200
    app = stack.browser("alice").get("/")
    assert app.status_code == 200 and app.headers["Content-Security-Policy"] == csp


def test_a_number_that_is_not_finite_gets_422_with_a_plain_message(stack: Stack) -> None:
    response = stack.browser("alice").post(
        "/api/chat/", data=b'{"message": NaN}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert json.loads(response.text) == {
        "detail": "Numbers must be finite; NaN is not accepted.",
        "type": "invalid_input",
    }


# -- the login throttle (last: it locks this address) -------------------------------------------


def login_form(browser: Browser, username: str, password: str) -> Any:
    form = browser.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token
    return browser.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        csrf=False,
    )


def test_the_sixth_wrong_password_for_an_account_is_refused_with_the_wait(stack: Stack) -> None:
    browser = Browser(stack.proxy.url)
    for _ in range(5):
        wrong = login_form(browser, "erin", "not-her-password")
        assert wrong.status_code == 200 and "correct username and password" in wrong.text
    refused = login_form(browser, "erin", THROTTLE_USERS["erin"])  # even the right one
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 300
    assert f"Try again in {wait} seconds." in refused.text
    assert "sessionid" not in browser.cookies
    # Another account from the same address is not locked (its own count, address limit 9).
    assert Browser(stack.proxy.url).login("finn", THROTTLE_USERS["finn"]).status_code == 302


def test_too_many_failures_from_one_address_lock_it(stack: Stack) -> None:
    # 5 failures for erin above, 4 more here for other accounts: 9 from this address.
    browser = Browser(stack.proxy.url)
    for name in ["carol", "carol", "nobody", "nobody"]:
        assert login_form(browser, name, "wrong-password").status_code == 200
    refused = login_form(browser, "bob", USERS["bob"])
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.text

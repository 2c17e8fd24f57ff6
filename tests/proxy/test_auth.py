"""Signing in and out, anonymous calls, CSRF, and the pages (the SPA at `/`)."""

from __future__ import annotations

import pytest

from tests.proxy.conftest import APP_JS, INDEX_HTML
from tests.proxy.stack import Browser, Stack

API_ROUTES = [
    ("GET", "/api/me/"),
    ("GET", "/api/leads/"),
    ("POST", "/api/leads/"),
    ("GET", "/api/leads/abc/"),
    ("PATCH", "/api/leads/abc/"),
    ("DELETE", "/api/leads/abc/"),
    ("GET", "/api/pipeline/"),
    ("POST", "/api/chat/"),
    ("GET", "/api/chat/status/abc/"),
    ("GET", "/api/chat/events/abc/"),
    ("POST", "/api/chat/clear/"),
    ("GET", "/api/chat/history/"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_anonymous_api_calls_get_401_json_not_a_redirect(
    stack: Stack, method: str, path: str
) -> None:
    anonymous = Browser(stack.proxy.url)
    anonymous.get("/accounts/login/")  # holds a CSRF cookie: the 401 must not depend on it
    response = anonymous.request(method, path, json={"message": "hi"})
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert response.json() == {"detail": "Sign in to use the CRM.", "type": "unauthorized"}


def test_anonymous_page_visits_go_to_the_login_page(stack: Stack) -> None:
    response = Browser(stack.proxy.url).get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/"


def test_wrong_password_shows_the_form_again(stack: Stack) -> None:
    browser = Browser(stack.proxy.url)
    response = browser.login("alice", "not-her-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert browser.get("/api/me/").status_code == 401


def test_login_serves_the_app_with_a_csrf_cookie(stack: Stack) -> None:
    browser = Browser(stack.proxy.url)
    response = browser.login("alice", stack.users["alice"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "sessionid" in browser.cookies

    browser.cookies.pop("csrftoken", None)  # the index page must set it again
    page = browser.get("/")
    assert page.status_code == 200
    assert page.text == INDEX_HTML
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    assert browser.cookies.get("csrftoken")

    asset = browser.get("/assets/app-1a2b.js")  # WhiteNoise
    assert asset.status_code == 200 and asset.text == APP_JS
    anonymous = Browser(stack.proxy.url)
    assert anonymous.get("/assets/app-1a2b.js").status_code == 200  # assets are public
    assert anonymous.get("/index.html").status_code == 404  # the page is not

    me = browser.get("/api/me/")
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == "alice" and isinstance(body["id"], int)
    assert set(body) == {"id", "username", "name", "email", "is_staff"}

    again = browser.get("/accounts/login/")  # signed in already: straight to the app
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_me_sets_the_csrf_cookie_for_the_spa(stack: Stack) -> None:
    browser = stack.browser("bob")
    browser.cookies.clear(domain="127.0.0.1", path="/", name="csrftoken")
    assert "csrftoken" not in browser.cookies
    assert browser.get("/api/me/").status_code == 200
    assert browser.cookies.get("csrftoken")


@pytest.mark.parametrize("token", [None, "wrong-token-wrong-token-wrong-tok"])
def test_unsafe_calls_without_the_csrf_token_are_refused_and_change_nothing(
    stack: Stack, token: str | None
) -> None:
    browser = stack.browser("alice")
    headers = {"X-CSRFToken": token} if token else {}
    name = f"CSRF Probe {token is None}"
    response = browser.post("/api/leads/", json={"name": name}, headers=headers, csrf=False)
    assert response.status_code == 403
    assert response.json()["type"] == "csrf_failed"
    assert "CSRF" in response.json()["detail"]
    leads = stack.agent_get(f"/leads?q={name}", "check").json()["leads"]
    assert [lead for lead in leads if lead["name"] == name] == []

    chat = browser.post("/api/chat/", json={"message": "delete Sarah"}, csrf=False)
    assert chat.status_code == 403 and chat.json()["type"] == "csrf_failed"


def test_logout_is_a_post_and_ends_the_session_and_the_chat_thread(stack: Stack) -> None:
    browser = stack.browser("carol")
    user_id = browser.user_id()
    sent = browser.post("/api/chat/", json={"message": "who is in Contacted?"})
    assert sent.status_code == 202
    thread_id = browser.get("/api/chat/history/").json()["thread_id"]
    assert thread_id
    assert stack.agent_get(f"/threads/{thread_id}", user_id).status_code == 200

    assert browser.get("/accounts/logout/").status_code == 405  # no logout by a mere link
    assert browser.get("/api/me/").status_code == 200

    response = browser.post("/accounts/logout/")
    assert response.status_code == 302 and response.headers["Location"] == "/accounts/login/"
    assert browser.get("/api/me/").status_code == 401
    assert stack.agent_get(f"/threads/{thread_id}", user_id).status_code == 404

    again = stack.browser("carol")  # a new session starts with no conversation
    assert again.get("/api/chat/history/").json() == {
        "thread_id": None,
        "messages": [],
        "pending": None,
    }


def test_unknown_api_paths_and_methods_answer_json(stack: Stack) -> None:
    browser = stack.browser("alice")
    missing = browser.get("/api/nothing-here/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found.", "type": "not_found"}

    wrong_method = browser.delete("/api/pipeline/")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "method_not_allowed"
    assert wrong_method.headers["Allow"] == "GET"

    bad_id = browser.get("/api/leads/..%2Fpipeline/")
    assert bad_id.status_code == 404 and bad_id.json()["type"] == "not_found"

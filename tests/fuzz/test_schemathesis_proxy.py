"""Schemathesis against the Django proxy's own OpenAPI schema (`django_proxy/openapi.yaml`).

The stack is real: the agent service process (offline model; its stores and the proxy's
database on SQLite, and on PostgreSQL) and the proxy process in front of it, over HTTP. A user signs in through the login form; every generated request
(valid and invalid by the schema) goes with the session cookie, and unsafe methods with the
CSRF header, as the browser sends them. The test fails on any 5xx, an undocumented status
code, a wrong content type, a body that does not match the schema, an invalid request that is
accepted, and, for the lead
routes, on a changed lead count after a refused (4xx) request. The event streams never end:
for them only the status code and the content type are checked (their events are covered by
tests/proxy/test_streaming.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PostgresServer
from tests.proxy.conftest import write_frontend
from tests.proxy.stack import Browser, Stack, running_stack

USERS = {"fuzzer": "fuzzer-pass-7310"}
EXAMPLES = 20  # per operation: the whole test stays under two minutes on a busy machine
STREAM_EXAMPLES = 10  # headers only: each open stream costs the agent a waiting task
STREAMS = {"/api/chat/events/{task_id}/", "/api/leads/events/"}
# Routes that write leads: the lead count must not change when they refuse a request.
LEAD_WRITES = {
    ("POST", "/api/leads/"),
    ("PATCH", "/api/leads/{lead_id}/"),
    ("DELETE", "/api/leads/{lead_id}/"),
    ("POST", "/api/leads/undo/"),
}
# Chat last (its runs go on in the background; a run could write a lead while a lead route is
# checked), clearing before sending (clearing waits for a running run), the history after it.
ORDER = [
    "/api/chat/clear/",
    "/api/chat/status/{task_id}/",
    "/api/chat/events/{task_id}/",
    "/api/chat/",
    "/api/chat/history/",
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The stack with the agent's stores (and the proxy's database) on SQLite or PostgreSQL."""
    directory = tmp_path_factory.mktemp(f"proxy-schemathesis-{request.param}")
    write_frontend(directory / "dist")
    agent_env: dict[str, str] = {}
    extra: dict[str, str] = {}
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(f"schemathesis_agent_{id(directory)}")
        agent_env = {"CRM_DATABASE_URL": url, "CHECKPOINT_DATABASE_URL": url}
        extra["DJANGO_DATABASE_URL"] = server.create_database(f"schemathesis_proxy_{id(directory)}")
    with running_stack(
        directory, USERS, agent_env=agent_env, CHAT_RATE_LIMIT="10000", **extra
    ) as running:
        yield running


def lead_total(browser: Browser) -> int:
    """The number of stored leads, as the proxy reports it."""
    response = browser.get("/api/leads/", params={"limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_openapi_document_is_served_to_signed_in_users_only(stack: Stack) -> None:
    anonymous = Browser(stack.proxy.url).get("/api/openapi.json")
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "unauthorized"
    document = stack.browser("fuzzer").get("/api/openapi.json")
    assert document.status_code == 200
    assert document.headers["Content-Type"] == "application/json"
    raw = document.json()
    assert raw["openapi"].startswith("3.1")
    assert "/api/leads/{lead_id}/" in raw["paths"]
    assert (
        "text/event-stream"
        in raw["paths"]["/api/leads/events/"]["get"]["responses"]["200"]["content"]
    )


def fuzz(operation: Any, browser: Browser, real_ids: dict[str, list[str]]) -> Callable[[], None]:
    """A Hypothesis test of `operation`: generated cases sent as `browser`, checked by CHECKS
    and, on the lead writes, by the lead count after a refusal. Half of the cases of a route
    with an id in its path use a real one (`real_ids` by parameter name): random ids are
    all 404s."""
    guarded = (operation.method.upper(), operation.path) in LEAD_WRITES
    names = [name for name in real_ids if "{" + name + "}" in operation.path]
    real = st.sampled_from(real_ids[names[0]]) if names else st.nothing()
    # Valid and invalid requests by the schema (the invalid ones must be refused with a 4xx).
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=cases, real_id=st.none() | real)
    def run(case: schemathesis.Case, real_id: str | None) -> None:
        if real_id is not None and case.path_parameters is not None:
            case.path_parameters[names[0]] = real_id
        before = lead_total(browser) if guarded else 0
        response = case.call_and_validate(session=browser, checks=CHECKS, timeout=30)
        if guarded and 400 <= response.status_code < 500:
            after = lead_total(browser)
            assert after == before, (
                f"{response.status_code} {response.text[:200]} changed the lead count "
                f"from {before} to {after}"
            )

    return run


def fuzz_stream(
    operation: Any, browser: Browser, real_ids: dict[str, list[str]]
) -> Callable[[], None]:
    """Like `fuzz` for an event stream, which never ends: only the status code and the content
    type are checked against the schema (and a JSON error body, which does end)."""
    names = [name for name in real_ids if "{" + name + "}" in operation.path]
    real = st.sampled_from(real_ids[names[0]]) if names else st.nothing()
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )
    responses = operation.definition.raw["responses"]

    @settings(
        max_examples=STREAM_EXAMPLES,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=cases, real_id=st.none() | real)
    def run(case: schemathesis.Case, real_id: str | None) -> None:
        if real_id is not None and case.path_parameters is not None:
            case.path_parameters[names[0]] = real_id
        kwargs = case.as_transport_kwargs(base_url=browser.base_url)
        with browser.request(**kwargs, stream=True, timeout=15) as response:
            status = str(response.status_code)
            described = f"{case.method} {kwargs['url']} {kwargs.get('params')} {case.headers}"
            assert status in responses, f"{described}: undocumented {status}"
            media = response.headers.get("Content-Type", "").split(";")[0]
            assert media in responses[status]["content"], f"{described}: {status} as {media}"
            if media == "application/json":
                body = response.json()
                assert isinstance(body.get("detail"), str) and isinstance(body["type"], str), body

    return run


@pytest.mark.timeout(240)
def test_schemathesis_finds_nothing(stack: Stack) -> None:
    browser = stack.browser("fuzzer")
    raw = browser.get("/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.update(base_url=stack.proxy.url)
    # The session cookie and the CSRF header are the signed-in browser's: generated ones would
    # sign it out (Django deletes a cookie naming no session).
    schema.config.generation.update(with_security_parameters=False)
    # Real ids besides the generated ones: leads and a finished chat run.
    lead_ids = []
    for name in ("John Smith", "Sarah Lee", "Ana Ruiz", "Li Wei"):
        created = browser.post("/api/leads/", json={"name": name, "company": "Acme"})
        assert created.status_code == 201, created.text
        lead_ids.append(created.json()["id"])
    sent = browser.post("/api/chat/", json={"message": "hello"})
    assert sent.status_code == 202, sent.text
    task_id = sent.json()["task_id"]
    deadline = time.monotonic() + 30
    while browser.get(f"/api/chat/status/{task_id}/").json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the chat run did not finish"
        time.sleep(0.2)
    real_ids = {"lead_id": lead_ids, "task_id": [task_id]}
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: ORDER.index(op.path) if op.path in ORDER else -1,
    )
    failures: list[str] = []
    tested = 0
    for operation in operations:
        tested += 1
        if operation.path in STREAMS:
            run = fuzz_stream(operation, browser, real_ids)
        else:
            run = fuzz(operation, browser, real_ids)
        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect all, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert tested >= 16
    assert not failures, "\n\n".join(failures)
    # Still signed in and answering: nothing above broke the session or the proxy.
    assert browser.get("/api/me/").status_code == 200
    assert lead_total(browser) >= 0

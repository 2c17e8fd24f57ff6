"""Schemathesis against the agent service's own OpenAPI schema, over real HTTP.

Every operation gets a bounded number of generated requests (valid and invalid by the schema),
sent with the token and a user; the test fails on any 5xx, an undocumented status code, a
wrong content type or a body that does not match the documented schema. The event streams
are left out (they never end); their headers are checked in tests/api.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agent_service.main import create_app
from tests.api.conftest import TOKEN, make_settings
from tests.utils.servers import serve

AUTH = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "fuzzer"}
EXAMPLES = 25  # per operation: the whole run stays well under two minutes
STREAMS = {"/runs/{run_id}/events", "/leads/events"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
@pytest.mark.timeout(240)
def test_schemathesis_finds_nothing(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    overrides: dict[str, object] = {}
    if backend == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
        overrides = {"crm_database_url": url, "checkpoint_database_url": url}
    with serve(create_app(make_settings(tmp_path, **overrides))) as url:
        raw = httpx.get(f"{url}/openapi.json", headers=AUTH).json()
        schema = schemathesis.openapi.from_dict(raw)
        schema.config.update(base_url=url)
        # Some leads and a thread to find, so that not every id is a 404.
        with httpx.Client(base_url=url, headers=AUTH) as client:
            for name in ("John Smith", "Sarah Lee"):
                client.post("/leads", json={"name": name, "company": "Acme"})
        session = requests.Session()
        failures: list[str] = []
        operations = [result.ok() for result in schema.get_all_operations()]
        tested = 0
        for operation in operations:
            if operation.path in STREAMS:
                continue
            tested += 1

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=operation.as_strategy())
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(session=session, headers=AUTH, checks=CHECKS, timeout=10)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # collect all, then report
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
        assert tested >= 10
        assert not failures, "\n\n".join(failures)

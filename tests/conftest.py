"""Fixtures shared by every test suite: a throwaway PostgreSQL server for the Postgres tests.

- `postgres_server` (session): a PostgreSQL 15 cluster initialised in a temporary directory and
  listening on a free 127.0.0.1 port with fsync off; stopped and deleted after the session. It
  starts only when a test asks for it. As root its commands run as the `postgres` user.
- `postgres_url` (session): the URL of database `crm` on that server, shared by the session.
- `fresh_postgres_url`: a brand-new empty database for one test, dropped afterwards.

The Postgres tests are part of the suite, not optional: without PostgreSQL server binaries they
fail with instructions (`apt-get install postgresql postgresql-contrib`, or set PG_BIN).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.utils.postgres import PostgresServer, PostgresUnavailable

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"Cannot start the throwaway PostgreSQL server for the Postgres tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database("crm")


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"test_{next(_database_numbers)}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)

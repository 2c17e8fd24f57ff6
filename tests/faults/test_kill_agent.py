"""Fault suite (issue 10): kill -9 of the agent service at random moments, and its PostgreSQL
server stopped and started mid-run. Afterwards every run is either `succeeded` with exactly its
changes in the store and the change log, or `failed` with no change at all; re-sending with the
same client message id starts nothing new, and re-sending a failed create makes one lead.

Bounded and loopback only: a real `python -m agent_service` process on 127.0.0.1, the offline
model, SQLite files or a throwaway PostgreSQL server.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import httpx
import pytest

from agent_service.leads.models import Pipeline
from agent_service.leads.sqlite import SqliteLeadStore
from agent_service.settings import DEFAULT_STAGES
from tests.faults.harness import HEADERS, Agent, Sessions, resend_unknown, verify
from tests.faults.pg import start_postgres, stop_postgres
from tests.utils.postgres import PostgresServer

SESSIONS = 4
ROUNDS = 10


@pytest.mark.timeout(300)
def test_kill_9_at_random_moments_sqlite(tmp_path: Path) -> None:
    agent = Agent(tmp_path)
    rng = random.Random(10)
    sent = []
    try:
        for round_no in range(ROUNDS):
            agent.start()
            sessions = Sessions(agent.url, SESSIONS, round_no)
            sessions.start()
            time.sleep(rng.uniform(0.2, 1.2))
            agent.kill9()
            sessions.stop()
            sent.extend(sessions.sent)
        agent.start()
        store = SqliteLeadStore(tmp_path / "crm.sqlite3", Pipeline(DEFAULT_STAGES))
        try:
            with httpx.Client(base_url=agent.url, headers=HEADERS, timeout=30) as client:
                resend_unknown(client, sent)
                counts = verify(client, store, sent)
        finally:
            store.close()
    finally:
        agent.stop()
    print(f"kill -9 x{ROUNDS}: {len(sent)} messages, {counts}")
    assert counts["succeeded"] > 0 and len(sent) >= ROUNDS * SESSIONS


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_postgres_stopped_and_started_mid_run(tmp_path: Path) -> None:
    from agent_service.leads.postgres import PostgresLeadStore

    rng = random.Random(11)
    sent = []
    with PostgresServer() as server:
        url = server.create_database("crm")
        agent = Agent(tmp_path, CRM_DATABASE_URL=url, CHECKPOINT_DATABASE_URL=url)
        try:
            agent.start()
            for round_no in range(3):
                sessions = Sessions(agent.url, SESSIONS, round_no)
                sessions.start()
                time.sleep(rng.uniform(0.3, 1.0))
                stop_postgres(server)
                if round_no == 1:  # and the agent dies while its database is down
                    agent.kill9()
                time.sleep(0.5)
                start_postgres(server)
                if round_no == 1:
                    agent.start()
                time.sleep(0.3)
                sessions.stop()
                sent.extend(sessions.sent)
            store = PostgresLeadStore(url, Pipeline(DEFAULT_STAGES))
            try:
                with httpx.Client(base_url=agent.url, headers=HEADERS, timeout=30) as client:
                    resend_unknown(client, sent)
                    counts = verify(client, store, sent)
                    # The first chat after the restarts just works.
                    answer = client.post(
                        "/threads/after/runs", json={"message": "Add new lead Ada After"}
                    ).json()
                    from tests.faults.harness import wait_terminal

                    assert wait_terminal(client, answer["run_id"])["status"] == "succeeded"
            finally:
                store.close()
        finally:
            agent.stop()
    print(f"postgres stop/start x3: {len(sent)} messages, {counts}")
    assert counts["succeeded"] > 0

"""Checkpoints are pruned by the background sweep, in one batch, not on every turn (SQLite and
PostgreSQL): the threads that had turns keep only their latest checkpoint, and the conversation
goes on as before."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import psycopg
import pytest

from agent_service.main import create_app
from tests.api.conftest import make_settings
from tests.api.test_runs_api import HEADERS, wait_run
from tests.utils.servers import serve


def _checkpoint_counts(url: str) -> dict[str, int]:
    sql = "SELECT thread_id, count(*) FROM checkpoints GROUP BY thread_id"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return dict(conn.execute(sql).fetchall())
    with psycopg.connect(url) as conn:
        return dict(conn.execute(sql).fetchall())


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_sweep_prunes_checkpoints_of_threads_with_turns(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    overrides: dict[str, object] = {}
    if backend == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
        overrides = {"crm_database_url": url, "checkpoint_database_url": url}
    settings = make_settings(tmp_path, **overrides)
    app = create_app(settings)
    with (
        serve(app) as base,
        httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client,
    ):
        client.post("/leads", json={"name": "Sweep Person", "status": "New"})
        for thread, messages in {
            "sweep-a": ["Move Sweep to Contacted", "Move Sweep to Won", "what's her stage?"],
            "sweep-b": ["who is in Won?", "hello"],
        }.items():
            for message in messages:
                run = client.post(f"/threads/{thread}/runs", json={"message": message}).json()
                assert wait_run(client, run["run_id"])["status"] == "succeeded"
        before = _checkpoint_counts(settings.checkpoint_url)
        assert before["sweep-a"] >= 3 and before["sweep-b"] >= 2  # nothing pruned on the turn

        pruned = asyncio.run_coroutine_threadsafe(
            app.state.runs.prune_checkpoints(), app.state.loop
        ).result(30)

        assert pruned == 2
        assert _checkpoint_counts(settings.checkpoint_url) == {"sweep-a": 1, "sweep-b": 1}
        # The conversation still has its state: a pronoun resolves, history is whole.
        run = client.post("/threads/sweep-a/runs", json={"message": "move her to Lost"}).json()
        result = wait_run(client, run["run_id"])["result"]
        assert result["actions"][0]["lead_name"] == "Sweep Person"
        assert len(client.get("/threads/sweep-a").json()["messages"]) == 8
        # Nothing new since the last sweep for sweep-b: only sweep-a is pruned again.
        again = asyncio.run_coroutine_threadsafe(
            app.state.runs.prune_checkpoints(), app.state.loop
        ).result(30)
        assert again == 1

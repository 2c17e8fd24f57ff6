"""Change-log pieces shared by the backends: the row a write records, and the `changes()` query.

The contract is docs/change-log.md. Each backend inserts the row from `change_row` in the same
transaction as the lead write; SQLite and PostgreSQL read it back with `changes_query`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from agent_service.errors import InvalidInput
from agent_service.leads.models import Actor, Lead, has_bad_text

Op = Literal["create", "update", "delete", "restore"]
SOURCES = ("chat", "board", "undo")
CHANGE_COLUMNS = (
    "seq",
    "lead_id",
    "user_id",
    "user_name",
    "source",
    "run_id",
    "thread_id",
    "op",
    "before",
    "after",
    "reverts",
    "at",
)
DEFAULT_LIMIT = 200
# How often SQLite (and the Supabase client) look for a new change in `wait_for_change`.
POLL_S = 0.05


def change_row(
    actor: Actor | None, op: Op, lead_id: str, before: Lead | None, after: Lead | None
) -> dict[str, Any]:
    """The values of one log row (without `seq` and `at`, which the database gives)."""
    who = actor or Actor()
    return {
        "lead_id": lead_id,
        "user_id": who.user_id,
        "user_name": who.user_name,
        "source": who.source,
        "run_id": who.run_id,
        "thread_id": who.thread_id,
        "op": op,
        "before": before.model_dump(mode="json") if before is not None else None,
        "after": after.model_dump(mode="json") if after is not None else None,
        "reverts": who.reverts,
    }


def utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive datetime is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601 with microseconds: sorts as text (SQLite stores `at` so)."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def changes_query(
    placeholder: str,
    *,
    after: int = 0,
    before: int | None = None,
    lead_id: str | None = None,
    user_id: str | None = None,
    run_id: str | None = None,
    source: str | None = None,
    since: datetime | str | None = None,
    newest_first: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> tuple[str, list[Any]]:
    """`SELECT … FROM lead_changes WHERE …` for `LeadStore.changes`, with its parameters.

    `before` (seq < before) is an addition to the contract, for walking the log backwards
    (undo). `since` is passed as given (SQLite callers pass `iso(since)`, Postgres a datetime)."""
    if source is not None and source not in SOURCES:
        raise InvalidInput(f"Unknown change source '{source}': one of {', '.join(SOURCES)}.")
    for value in (lead_id, user_id, run_id):
        if value is not None and has_bad_text(value):
            raise InvalidInput("Invalid filter: NUL characters and lone surrogates are refused")
    clauses, params = [f"seq > {placeholder}"], [int(after or 0)]
    if before is not None:
        clauses.append(f"seq < {placeholder}")
        params.append(int(before))
    for column, value in (("lead_id", lead_id), ("user_id", user_id), ("run_id", run_id)):
        if value is not None:
            clauses.append(f"{column} = {placeholder}")
            params.append(value)
    if source is not None:
        clauses.append(f"source = {placeholder}")
        params.append(source)
    if since is not None:
        clauses.append(f"at >= {placeholder}")
        params.append(since)
    order = "DESC" if newest_first else "ASC"
    query = (
        f"SELECT {', '.join(CHANGE_COLUMNS)} FROM lead_changes WHERE {' AND '.join(clauses)} "
        f"ORDER BY seq {order} LIMIT {placeholder}"
    )
    return query, [*params, max(0, int(limit))]

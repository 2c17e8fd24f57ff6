"""SQL shared by the SQLite and PostgreSQL backends: columns, the list/count/summary queries
with their filters, and the insert of a lead. Only the placeholder (`?` or `%s`) and the name
collation differ between the two."""

from __future__ import annotations

from typing import Any

from agent_service.errors import InvalidInput
from agent_service.leads.matching import normalize, search_keys
from agent_service.leads.models import EDITABLE_FIELDS, Lead, Pipeline, has_bad_text

COLUMNS = ("id", *EDITABLE_FIELDS, "created_at", "updated_at", "version")
SEARCH_COLUMNS = ("search_name", "search_company", "search_email")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM leads"
DEFAULT_PAGE = 100


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere (`%`, `_` and `\\` escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def check_paging(limit: int, offset: int) -> None:
    """`InvalidInput` for a negative page size or offset (never silently capped)."""
    if limit < 0 or offset < 0:
        raise InvalidInput("limit and offset must not be negative")


def filters_sql(
    pipeline: Pipeline, status: str | None, q: str | None, placeholder: str
) -> tuple[str, list[Any]]:
    """The WHERE clause (with its parameters) of `list`/`count`: the stage, and `q` as a
    substring of the normalized name, company or email."""
    clauses, params = [], []
    if status and has_bad_text(status):
        raise InvalidInput("Invalid stage: NUL characters and lone surrogates are refused")
    if status:
        clauses.append(f"status = {placeholder}")
        params.append(pipeline.canonical(status))
    if q and normalize(q):
        clauses.append(
            " OR ".join(
                f"{column} LIKE {placeholder} ESCAPE '\\'" for column in SEARCH_COLUMNS
            ).join("()")
        )
        params += [like_pattern(normalize(q))] * 3
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def stage_order_sql(pipeline: Pipeline, placeholder: str) -> tuple[str, list[str]]:
    """An ORDER BY expression putting leads in pipeline order, with its parameters."""
    whens = " ".join(f"WHEN {placeholder} THEN {i}" for i in range(len(pipeline.stages)))
    return f"CASE status {whens} ELSE {len(pipeline.stages)} END", list(pipeline.stages)


def list_sql(
    pipeline: Pipeline,
    placeholder: str,
    *,
    status: str | None,
    q: str | None,
    limit: int,
    offset: int,
    collate: str = "",
) -> tuple[str, list[Any]]:
    """One page of leads in pipeline order, then by lower-cased name (`collate` makes
    PostgreSQL compare bytes like SQLite), then id."""
    check_paging(limit, offset)
    where, params = filters_sql(pipeline, status, q, placeholder)
    order, order_params = stage_order_sql(pipeline, placeholder)
    query = (
        f"{SELECT} {where} ORDER BY {order}, lower(name){collate}, id "
        f"LIMIT {placeholder} OFFSET {placeholder}"
    )
    return query, [*params, *order_params, limit, offset]


def count_sql(
    pipeline: Pipeline, placeholder: str, *, status: str | None, q: str | None
) -> tuple[str, list[Any]]:
    """How many leads `list` would page through."""
    where, params = filters_sql(pipeline, status, q, placeholder)
    return f"SELECT count(*) FROM leads {where}", params


SUMMARY_SQL = "SELECT status, count(*), coalesce(sum(value), 0) FROM leads GROUP BY status"


def summary_from_rows(
    pipeline: Pipeline, rows: list[tuple[str, int, float]]
) -> dict[str, dict[str, Any]]:
    """`{stage: {"count", "value"}}` for every stage in pipeline order (zeros included), then
    any stage no longer in the pipeline that leads still have."""
    found = {status: (int(count), float(value or 0)) for status, count, value in rows}
    summary = {stage: {"count": 0, "value": 0.0} for stage in pipeline.stages}
    for status in sorted(found, key=lambda s: (s not in summary, s)):
        count, value = found[status]
        summary[status] = {"count": count, "value": value}
    return summary


def insert_sql(placeholder: str) -> str:
    """INSERT of a lead with its search columns; parameters from `insert_params`."""
    names = [*COLUMNS, *SEARCH_COLUMNS]
    return (
        f"INSERT INTO leads ({', '.join(names)}) VALUES ({', '.join([placeholder] * len(names))})"
    )


def insert_params(lead: Lead, *, iso_times: bool) -> list[Any]:
    """The values for `insert_sql` (timestamps as ISO text for SQLite)."""
    values = lead.model_dump()
    if iso_times:
        values["created_at"] = lead.created_at.isoformat()
        values["updated_at"] = lead.updated_at.isoformat()
    keys = search_keys(lead.name, lead.company, lead.email)
    return [values[c] for c in COLUMNS] + [keys["name"], keys["company"], keys["email"]]

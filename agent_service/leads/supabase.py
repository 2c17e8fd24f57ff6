"""Supabase client lead store: the same schema as the Postgres backend, reached over Supabase's
REST API (PostgREST) with the `supabase` package, for deployments that only have
`SUPABASE_URL` and a key.

The schema is not created from here (the REST API cannot run DDL): paste the files of
`agent_service/leads/migrations/` in order into Supabase's SQL editor. `migrate()` checks that
they were applied and says which are missing. Use the service-role key: row level security is
on for the CRM tables, so the public `anon` key sees nothing.

Board order and fuzzy search run in the database as functions of those migrations
(`list_leads`, `search_leads`); candidates are ranked by `matching.rank` as on every backend.
Writes use optimistic concurrency through `version` exactly like the Postgres backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx
from postgrest.exceptions import APIError
from supabase import Client, ClientOptions, create_client

from agent_service.errors import InvalidInput, LeadNotFound, StoreUnavailable, VersionConflict
from agent_service.leads.matching import Match, normalize, rank, search_keys
from agent_service.leads.models import EDITABLE_FIELDS, Lead, LeadCreate, LeadUpdate, Pipeline
from agent_service.leads.postgres import SEARCH_CANDIDATES, UPDATE_RETRIES, migrations
from agent_service.leads.store import (
    MAX_LIST,
    like_pattern,
    new_id,
    now,
    validate_create,
    validate_update,
)

COLUMNS = ("id", *EDITABLE_FIELDS, "created_at", "updated_at", "version")
SELECT = ",".join(COLUMNS)
REQUEST_TIMEOUT_S = 5.0

T = TypeVar("T")


def _row_to_lead(row: Mapping[str, Any]) -> Lead:
    data = {c: row.get(c) for c in COLUMNS}
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    data["updated_at"] = datetime.fromisoformat(data["updated_at"])
    return Lead(**data)


def _row_values(lead: Lead) -> dict[str, Any]:
    values = lead.model_dump()
    values["created_at"] = lead.created_at.isoformat()
    values["updated_at"] = lead.updated_at.isoformat()
    keys = search_keys(lead.name, lead.company, lead.email)
    values.update(
        search_name=keys["name"], search_company=keys["company"], search_email=keys["email"]
    )
    return values


class SupabaseLeadStore:
    """Leads in a Supabase project, through its REST API."""

    def __init__(self, url: str, key: str, pipeline: Pipeline) -> None:
        self.url = url
        self.pipeline = pipeline
        # Our own HTTP client: its timeout bounds every request, and closing it releases them.
        self._http = httpx.Client(timeout=REQUEST_TIMEOUT_S)
        try:
            self._client: Client = create_client(
                url,
                key,
                options=ClientOptions(
                    httpx_client=self._http,
                    # Retries back off for seconds: a down database must answer 503 at once.
                    postgrest_client_retry=False,
                ),
            )
        except Exception as exc:  # the client validates the URL and key eagerly
            self._http.close()
            raise InvalidInput(f"Invalid SUPABASE_URL or SUPABASE_KEY: {exc}") from exc

    def _call(self, action: Callable[[], T]) -> T:
        """Run one request; network and server failures become `StoreUnavailable`."""
        try:
            return action()
        except APIError as exc:
            code = str(exc.code or "")
            if code == "23505":
                raise InvalidInput(f"Conflicting lead data: {exc.message}") from exc
            if code.startswith("22"):  # data exceptions: bad text, out-of-range number
                raise InvalidInput(f"Invalid lead data: {exc.message}") from exc
            raise StoreUnavailable() from exc
        except (httpx.HTTPError, OSError, ValueError) as exc:
            raise StoreUnavailable() from exc

    def _leads(self) -> Any:
        return self._client.table("leads")

    # -- schema --------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Check that every migration was applied in the SQL editor (the REST API runs no DDL)."""
        rows = self._call(
            lambda: self._client.table("schema_migrations").select("version").execute().data
        )
        applied = {r["version"] for r in rows}
        missing = [name for version, name, _ in migrations() if version not in applied]
        if missing:
            raise StoreUnavailable(
                "The Supabase database lacks the CRM schema: run "
                + ", ".join(f"agent_service/leads/migrations/{m}" for m in missing)
                + " in Supabase's SQL editor, in this order."
            )

    def ping(self) -> None:
        self._call(lambda: self._leads().select("id").limit(1).execute())

    def close(self) -> None:
        self._http.close()

    # -- reads ---------------------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead:
        rows = self._call(lambda: self._leads().select(SELECT).eq("id", lead_id).execute().data)
        if not rows:
            raise LeadNotFound(lead_id)
        return _row_to_lead(rows[0])

    def list(
        self, *, status: str | None = None, q: str | None = None, limit: int = MAX_LIST
    ) -> list[Lead]:
        params = {
            "stages": list(self.pipeline.stages),
            "only_status": self.pipeline.canonical(status) if status else None,
            "pattern": like_pattern(normalize(q)) if q and normalize(q) else None,
            "max_rows": max(0, min(limit, MAX_LIST)),
        }
        rows = self._call(lambda: self._client.rpc("list_leads", params).execute().data)
        return [_row_to_lead(r) for r in rows]

    def count(self, *, status: str | None = None) -> int:
        def run() -> int:
            request = self._leads().select("id", count="exact", head=True)
            if status:
                request = request.eq("status", self.pipeline.canonical(status))
            return request.execute().count or 0

        return self._call(run)

    # -- writes --------------------------------------------------------------------------------

    def create(self, data: LeadCreate | Mapping[str, Any], *, lead_id: str | None = None) -> Lead:
        fields = validate_create(self.pipeline, data)
        stamp = now()
        lead = Lead(id=lead_id or new_id(), created_at=stamp, updated_at=stamp, version=1, **fields)
        self._call(lambda: self._leads().insert(_row_values(lead)).execute())
        return lead

    def update(
        self,
        lead_id: str,
        changes: LeadUpdate | Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> Lead:
        fields, body_version = validate_update(self.pipeline, changes)
        expected = expected_version if expected_version is not None else body_version
        for _ in range(UPDATE_RETRIES):
            current = self.get(lead_id)
            if expected is not None and expected != current.version:
                raise VersionConflict(lead_id, expected, current.version)
            updated = current.model_copy(
                update={**fields, "updated_at": now(), "version": current.version + 1}
            )
            values = _row_values(updated)
            sets = {
                k: values[k]
                for k in [*fields, "updated_at", "version", "search_name", "search_company"]
                + ["search_email"]
            }
            rows = self._call(
                lambda sets=sets, version=current.version: (
                    self._leads()
                    .update(sets)
                    .eq("id", lead_id)
                    .eq("version", version)
                    .execute()
                    .data
                )
            )
            if rows:
                return updated
            if expected is not None:  # someone else wrote between our read and our write
                raise VersionConflict(lead_id, expected, self.get(lead_id).version)
        raise VersionConflict(lead_id, current.version, self.get(lead_id).version)

    def delete(self, lead_id: str, *, expected_version: int | None = None) -> Lead:
        def run() -> list[dict[str, Any]]:
            request = self._leads().delete().eq("id", lead_id)
            if expected_version is not None:
                request = request.eq("version", expected_version)
            return request.execute().data

        rows = self._call(run)
        if not rows:
            current = self.get(lead_id)  # LeadNotFound if it is not there at all
            raise VersionConflict(lead_id, expected_version or 0, current.version)
        return _row_to_lead(rows[0])

    def restore(self, lead: Lead) -> Lead:
        restored = lead.model_copy(update={"updated_at": now(), "version": lead.version + 1})
        try:
            self._call(lambda: self._leads().insert(_row_values(restored)).execute())
        except InvalidInput as exc:
            raise InvalidInput(f"Lead '{lead.id}' already exists.") from exc
        return restored

    # -- search --------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 5) -> list[Match]:
        query = normalize(text)
        if not query or limit <= 0:
            return []
        params = {"query": query, "candidates": max(SEARCH_CANDIDATES, limit * 10)}
        rows = self._call(lambda: self._client.rpc("search_leads", params).execute().data)
        return rank(text, (_row_to_lead(r) for r in rows), limit)

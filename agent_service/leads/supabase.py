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

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx
from postgrest.exceptions import APIError
from supabase import Client, ClientOptions, create_client

from agent_service.errors import InvalidInput, LeadNotFound, StoreUnavailable, VersionConflict
from agent_service.leads.changelog import CHANGE_COLUMNS, DEFAULT_LIMIT, SOURCES, change_row, utc
from agent_service.leads.matching import Match, normalize, rank, search_keys
from agent_service.leads.models import (
    Actor,
    Lead,
    LeadChange,
    LeadCreate,
    LeadUpdate,
    Pipeline,
    has_bad_text,
)
from agent_service.leads.postgres import SEARCH_CANDIDATES, UPDATE_RETRIES, migrations
from agent_service.leads.sql import (
    COLUMNS,
    DEFAULT_PAGE,
    check_paging,
    like_pattern,
    summary_from_rows,
)
from agent_service.leads.store import check_id, new_id, now, validate_create, validate_update

SELECT = ",".join(COLUMNS)
REQUEST_TIMEOUT_S = 5.0
SUPABASE_POLL_S = 0.5  # wait_for_change: one REST request this often

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

    def health(self) -> dict[str, Any]:
        """Whether the REST API answers for the CRM tables (the change log included). Never
        raises."""
        try:
            self._call(lambda: self._leads().select("id").limit(1).execute())
            self._call(lambda: self._client.table("lead_changes").select("seq").limit(1).execute())
        except StoreUnavailable as exc:
            cause = exc.__cause__
            error = f"{type(cause).__name__}: {cause}" if cause else exc.detail
            return {"ok": False, "backend": "supabase", "error": error}
        return {"ok": True, "backend": "supabase", "error": None}

    def close(self) -> None:
        self._http.close()

    # -- reads ---------------------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead:
        check_id(lead_id)
        rows = self._call(lambda: self._leads().select(SELECT).eq("id", lead_id).execute().data)
        if not rows:
            raise LeadNotFound(lead_id)
        return _row_to_lead(rows[0])

    def _pattern(self, q: str | None) -> str | None:
        return like_pattern(normalize(q)) if q and normalize(q) else None

    def list(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        limit: int = DEFAULT_PAGE,
        offset: int = 0,
    ) -> list[Lead]:
        check_paging(limit, offset)
        params = {
            "stages": list(self.pipeline.stages),
            "only_status": self.pipeline.canonical(status) if status else None,
            "pattern": self._pattern(q),
            "max_rows": limit,
            "skip": offset,
        }
        rows = self._call(lambda: self._client.rpc("list_leads", params).execute().data)
        return [_row_to_lead(r) for r in rows]

    def count(self, *, status: str | None = None, q: str | None = None) -> int:
        params = {
            "only_status": self.pipeline.canonical(status) if status else None,
            "pattern": self._pattern(q),
        }
        return int(self._call(lambda: self._client.rpc("count_leads", params).execute().data))

    def summary(self) -> dict[str, dict[str, Any]]:
        rows = self._call(lambda: self._client.rpc("lead_summary", {}).execute().data)
        return summary_from_rows(
            self.pipeline, [(r["status"], r["leads"], r["total"]) for r in rows]
        )

    # -- writes --------------------------------------------------------------------------------
    # Every write is one RPC to a function of migration 0005, so the lead row and its change
    # row are one transaction (PostgREST runs each request in its own).

    def _rpc(self, function: str, params: dict[str, Any]) -> Any:
        return self._call(lambda: self._client.rpc(function, params).execute().data)

    def create(
        self,
        data: LeadCreate | Mapping[str, Any],
        *,
        lead_id: str | None = None,
        actor: Actor | None = None,
    ) -> Lead:
        fields = validate_create(self.pipeline, data)
        if lead_id is not None and has_bad_text(lead_id):
            raise InvalidInput("Invalid lead id: NUL characters and lone surrogates are refused")
        stamp = now()
        lead = Lead(id=lead_id or new_id(), created_at=stamp, updated_at=stamp, version=1, **fields)
        change = change_row(actor, "create", lead.id, None, lead)
        self._rpc("crm_insert_lead", {"lead": _row_values(lead), "change": change})
        return lead

    def update(
        self,
        lead_id: str,
        changes: LeadUpdate | Mapping[str, Any],
        *,
        expected_version: int | None = None,
        actor: Actor | None = None,
    ) -> Lead:
        check_id(lead_id)
        fields, body_version = validate_update(self.pipeline, changes)
        expected = expected_version if expected_version is not None else body_version
        for _ in range(UPDATE_RETRIES):
            current = self.get(lead_id)
            if expected is not None and expected != current.version:
                raise VersionConflict(lead_id, expected, current.version)
            updated = current.model_copy(
                update={**fields, "updated_at": now(), "version": current.version + 1}
            )
            seq = self._rpc(
                "crm_update_lead",
                {
                    "target": lead_id,
                    "old_version": current.version,
                    "lead": _row_values(updated),
                    "change": change_row(actor, "update", lead_id, current, updated),
                },
            )
            if seq is not None:
                return updated
            if expected is not None:  # someone else wrote between our read and our write
                raise VersionConflict(lead_id, expected, self.get(lead_id).version)
        raise VersionConflict(lead_id, current.version, self.get(lead_id).version)

    def delete(
        self, lead_id: str, *, expected_version: int | None = None, actor: Actor | None = None
    ) -> Lead:
        check_id(lead_id)
        for _ in range(UPDATE_RETRIES):
            current = self.get(lead_id)  # LeadNotFound if it is not there at all
            if expected_version is not None and expected_version != current.version:
                raise VersionConflict(lead_id, expected_version, current.version)
            seq = self._rpc(
                "crm_delete_lead",
                {
                    "target": lead_id,
                    "old_version": current.version,
                    "change": change_row(actor, "delete", lead_id, current, None),
                },
            )
            if seq is not None:
                return current
        raise VersionConflict(lead_id, current.version, self.get(lead_id).version)

    def restore(self, lead: Lead, *, actor: Actor | None = None) -> Lead:
        restored = lead.model_copy(update={"updated_at": now(), "version": lead.version + 1})
        change = change_row(actor, "restore", lead.id, None, restored)
        try:
            self._rpc("crm_insert_lead", {"lead": _row_values(restored), "change": change})
        except InvalidInput as exc:
            raise InvalidInput(f"Lead '{lead.id}' already exists.") from exc
        return restored

    # -- the change log ------------------------------------------------------------------------

    def changes(
        self,
        *,
        after: int = 0,
        before: int | None = None,
        lead_id: str | None = None,
        user_id: str | None = None,
        run_id: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        newest_first: bool = False,
        limit: int = DEFAULT_LIMIT,
    ) -> list[LeadChange]:
        if source is not None and source not in SOURCES:
            raise InvalidInput(f"Unknown change source '{source}': one of {', '.join(SOURCES)}.")
        if any(v is not None and has_bad_text(v) for v in (lead_id, user_id, run_id)):
            raise InvalidInput("Invalid filter: NUL characters and lone surrogates are refused")

        def run() -> list[dict[str, Any]]:
            request = self._client.table("lead_changes").select(",".join(CHANGE_COLUMNS))
            request = request.gt("seq", int(after or 0))
            if before is not None:
                request = request.lt("seq", int(before))
            for column, value in (
                ("lead_id", lead_id),
                ("user_id", user_id),
                ("run_id", run_id),
                ("source", source),
            ):
                if value is not None:
                    request = request.eq(column, value)
            if since is not None:
                request = request.gte("at", utc(since).isoformat())
            request = request.order("seq", desc=newest_first).limit(max(0, int(limit)))
            return request.execute().data

        return [LeadChange.model_validate(r) for r in self._call(run)]

    def last_seq(self) -> int:
        rows = self._call(
            lambda: (
                self._client.table("lead_changes")
                .select("seq")
                .order("seq", desc=True)
                .limit(1)
                .execute()
                .data
            )
        )
        return int(rows[0]["seq"]) if rows else 0

    def prune_changes(self, older_than: datetime) -> int:
        return int(self._rpc("crm_prune_changes", {"older_than": utc(older_than).isoformat()}))

    def wait_for_change(self, after_seq: int, timeout: float) -> int:
        """Polls `last_seq()` (the REST API has no LISTEN) every SUPABASE_POLL_S."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            seq = self.last_seq()
            remaining = deadline - time.monotonic()
            if seq > after_seq or remaining <= 0:
                return seq
            time.sleep(min(SUPABASE_POLL_S, remaining))

    # -- search --------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 5) -> list[Match]:
        query = normalize(text)
        if not query or limit <= 0:
            return []
        params = {"query": query, "candidates": max(SEARCH_CANDIDATES, limit * 10)}
        rows = self._call(lambda: self._client.rpc("search_leads", params).execute().data)
        return rank(text, (_row_to_lead(r) for r in rows), limit)

"""The `LeadStore` protocol every backend implements, and the validation they share.

Imports no backend: the backends import from here, and `leads.factory.open_store` picks one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from agent_service.errors import InvalidInput, LeadNotFound
from agent_service.leads.matching import Match
from agent_service.leads.models import (
    Actor,
    Lead,
    LeadChange,
    LeadCreate,
    LeadUpdate,
    Pipeline,
    has_bad_text,
)

# The largest page the API serves (`GET /leads?limit=`); the store itself has no cap.
MAX_LIST = 1000


@runtime_checkable
class LeadStore(Protocol):
    """Where leads live. Every method raises `StoreUnavailable` when the database is down."""

    pipeline: Pipeline

    def migrate(self) -> None:
        """Create or upgrade the schema (idempotent)."""

    def ping(self) -> None:
        """Raise `StoreUnavailable` unless the database answers."""

    def create(
        self,
        data: LeadCreate | Mapping[str, Any],
        *,
        lead_id: str | None = None,
        actor: Actor | None = None,
    ) -> Lead:
        """Insert a lead; `InvalidInput`/`UnknownStage` on bad fields. Logs one change."""

    def get(self, lead_id: str) -> Lead:
        """The lead, or `LeadNotFound`."""

    def list(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Lead]:
        """One page of leads in pipeline order then by name; `q` filters by substring of
        name/company/email. No cap on `limit`; negative `limit`/`offset` are `InvalidInput`."""

    def count(self, *, status: str | None = None, q: str | None = None) -> int:
        """How many leads `list` with the same filters pages through."""

    def summary(self) -> dict[str, dict[str, Any]]:
        """`{stage: {"count": int, "value": float}}` for every stage, in pipeline order."""

    def update(
        self,
        lead_id: str,
        changes: LeadUpdate | Mapping[str, Any],
        *,
        expected_version: int | None = None,
        actor: Actor | None = None,
    ) -> Lead:
        """Apply `changes` atomically; `VersionConflict` if `expected_version` is stale."""

    def delete(
        self, lead_id: str, *, expected_version: int | None = None, actor: Actor | None = None
    ) -> Lead:
        """Delete the lead and return it as it was."""

    def restore(self, lead: Lead, *, actor: Actor | None = None) -> Lead:
        """Put back a deleted lead with its id (for undo); `InvalidInput` if the id is taken."""

    def search(self, text: str, limit: int = 5) -> list[Match]:
        """Fuzzy candidates for `text` over name, first/last name, company and email."""

    # -- the change log (docs/change-log.md) -------------------------------------------------

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
        limit: int = 200,
    ) -> list[LeadChange]:
        """Logged changes with `seq > after` (and `seq < before`, when given: an addition to
        docs/change-log.md for walking back) matching every filter given, by seq."""

    def last_seq(self) -> int:
        """The newest change's seq (0 when the log is empty)."""

    def prune_changes(self, older_than: datetime) -> int:
        """Delete changes older than `older_than` (never the newest); how many went."""

    def wait_for_change(self, after_seq: int, timeout: float) -> int:
        """Block at most `timeout` s until `last_seq() > after_seq`; the current `last_seq()`."""

    def health(self) -> dict[str, Any]:
        """`{"ok": bool, "backend": str, "error": str | None}`: whether writes work now (a
        cheap write probe), never raising."""

    def close(self) -> None:
        """Release connections."""


def check_id(lead_id: str) -> None:
    """`LeadNotFound` for an id no lead can have (NUL, lone surrogates), before the database
    sees it: PostgreSQL refuses NUL and UTF-8 cannot encode surrogates."""
    if not isinstance(lead_id, str) or has_bad_text(lead_id):
        shown = str(lead_id).encode("utf-8", "backslashreplace").decode("utf-8")
        raise LeadNotFound(shown.replace("\x00", "\\x00"))


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def now() -> datetime:
    return datetime.now(UTC)


def _as_invalid(exc: ValidationError) -> InvalidInput:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{loc}: {err['msg']}")
    return InvalidInput("Invalid lead: " + "; ".join(parts))


def validate_create(pipeline: Pipeline, data: LeadCreate | Mapping[str, Any]) -> dict[str, Any]:
    """Validated fields of a new lead with its canonical stage (raises InvalidInput)."""
    try:
        model = data if isinstance(data, LeadCreate) else LeadCreate.model_validate(dict(data))
    except ValidationError as exc:
        raise _as_invalid(exc) from None
    fields = model.model_dump()
    fields["status"] = pipeline.canonical(fields["status"]) if fields["status"] else pipeline.first
    return fields


def validate_update(
    pipeline: Pipeline, changes: LeadUpdate | Mapping[str, Any]
) -> tuple[dict[str, Any], int | None]:
    """Validated changes with canonical stage, and the expected version if one was given."""
    try:
        model = (
            changes if isinstance(changes, LeadUpdate) else LeadUpdate.model_validate(dict(changes))
        )
    except ValidationError as exc:
        raise _as_invalid(exc) from None
    fields = model.changes()
    if "status" in fields:
        if fields["status"] is None:
            raise InvalidInput("status cannot be removed")
        fields["status"] = pipeline.canonical(fields["status"])
    return fields, model.version

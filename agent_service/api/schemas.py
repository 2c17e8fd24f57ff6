"""The API's request and response schemas (what `/openapi.json` documents).

Requests refuse in the schema what the service refuses (an empty message, unknown fields);
responses describe exactly what is sent, errors included: every error is `ErrorBody`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_service.leads.models import Lead, LeadChange


class ErrorBody(BaseModel):
    """Every error answer: a sentence for people and a stable type for programs."""

    detail: str
    type: Literal[
        "invalid_input",
        "unauthorized",
        "not_found",
        "conflict",
        "method_not_allowed",
        "database_unavailable",
        "model_unavailable",
        "timeout",
        "internal",
    ]
    stages: list[str] | None = Field(None, description="The valid stages (unknown stage only)")


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error bodies it may answer with."""
    described = {
        400: "Malformed request (not JSON, bad characters, missing X-CRM-User)",
        401: "Missing or wrong bearer token",
        404: "No such lead, thread or run (or not yours)",
        409: "The lead was changed by someone else (stale version)",
        413: "Request body too large",
        422: "Invalid input",
        503: "Database or model unavailable",
        504: "The assistant took too long",
    }
    return {code: {"model": ErrorBody, "description": described[code]} for code in codes}


COMMON = (400, 401, 422, 503)


# -- runs and threads ---------------------------------------------------------------------------


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        min_length=1,
        pattern=r"\S",
        description="The user's message (not blank; at most MAX_MESSAGE_CHARS characters)",
    )
    client_message_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Chosen by the client per message and reused on retry: a repeated id on "
        "the thread returns the run it started (same run_id), never a second run",
    )


class RunAccepted(BaseModel):
    run_id: str
    thread_id: str
    status: Literal["queued", "running", "succeeded", "failed"]


class Action(BaseModel):
    type: Literal["create_lead", "update_lead", "change_status", "delete_lead", "undo"]
    lead_id: str | None = None
    lead_name: str | None = None
    changes: dict[str, list[Any]] = Field(default_factory=dict)


class Choice(BaseModel):
    lead_id: str
    label: str


class RunResult(BaseModel):
    reply: str
    actions: list[Action] = Field(default_factory=list)
    needs: Literal["clarification", "confirmation"] | None = None
    choices: list[Choice] = Field(default_factory=list)


class RunError(BaseModel):
    type: str
    message: str


class RunPublic(BaseModel):
    run_id: str
    thread_id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    step: str | None = None
    result: RunResult | None = None
    error: RunError | None = None


class ThreadMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    actions: list[Action] = Field(default_factory=list)
    needs: str | None = None
    choices: list[Choice] | None = None
    error: bool | None = None


class Pending(BaseModel):
    needs: str
    question: str
    choices: list[Choice] = Field(default_factory=list)


class ThreadPublic(BaseModel):
    thread_id: str
    messages: list[ThreadMessage]
    pending: Pending | None = None


# -- leads --------------------------------------------------------------------------------------


class LeadPage(BaseModel):
    leads: list[Lead]
    total: int
    limit: int
    offset: int


class ChangesPage(BaseModel):
    changes: list[LeadChange]
    last_seq: int


class Pipeline(BaseModel):
    statuses: list[str]


class StageSummary(BaseModel):
    status: str
    count: int
    value: float


class Summary(BaseModel):
    stages: list[StageSummary]
    total: int
    value: float


class UndoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="A change to undo (default: the user's latest change still current)",
    )


class UndoAnswer(BaseModel):
    reply: str
    undone: bool
    action: Action | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    runs: Literal["ok", "unavailable"]


SSE = {
    200: {
        "description": "Server-sent events (`text/event-stream`)",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}

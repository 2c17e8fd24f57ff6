"""`/leads` and `/pipeline`: the lead store over HTTP (the board uses these), the change log
(`/leads/changes`, the live stream `/leads/events`) and undo (`POST /leads/undo`).

Every write records who made it (`Actor(source="board")` from X-CRM-User/X-CRM-User-Name).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent_service.api.deps import ActorDep, StoreDep, UserDep
from agent_service.api.schemas import (
    COMMON,
    SSE,
    ChangesPage,
    LeadPage,
    Pipeline,
    Summary,
    UndoAnswer,
    UndoRequest,
    errors,
)
from agent_service.errors import InvalidInput
from agent_service.leads.models import Lead, LeadCreate, LeadUpdate
from agent_service.leads.undo import undo_latest

router = APIRouter(tags=["leads"])
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
LeadId = Annotated[str, Query(min_length=1, max_length=100)]
MAX_SEQ = 2**62


@router.get("/pipeline", response_model=Pipeline, responses=errors(*COMMON))
async def pipeline(store: StoreDep) -> dict[str, list[str]]:
    return {"statuses": list(store.pipeline.stages)}


@router.get("/leads", response_model=LeadPage, responses=errors(*COMMON))
def list_leads(
    store: StoreDep,
    status_: Annotated[str | None, Query(alias="status", max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict[str, Any]:
    """A page of leads in pipeline order, and how many match in all (`total`)."""
    status_ = status_ or None
    leads = store.list(status=status_, q=q, limit=limit, offset=offset)
    total = store.count(status=status_, q=q)
    return {"leads": leads, "total": total, "limit": limit, "offset": offset}


@router.get("/leads/summary", response_model=Summary, responses=errors(*COMMON))
def lead_summary(store: StoreDep) -> dict[str, Any]:
    """Count and total value per stage, in pipeline order (the board's column headers)."""
    per_stage = store.summary()
    stages = [
        {
            "status": stage,
            "count": int(per_stage.get(stage, {}).get("count", 0)),
            "value": float(per_stage.get(stage, {}).get("value", 0) or 0),
        }
        for stage in store.pipeline.stages
    ]
    return {
        "stages": stages,
        "total": sum(s["count"] for s in stages),
        "value": sum(s["value"] for s in stages),
    }


@router.get("/leads/changes", response_model=ChangesPage, responses=errors(*COMMON))
def lead_changes(
    store: StoreDep,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    lead_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Log rows after `after`, oldest first, and the newest seq of the whole log."""
    changes = store.changes(after=after, lead_id=lead_id, limit=limit)
    return {"changes": changes, "last_seq": store.last_seq()}


@router.get(
    "/leads/events",
    response_class=EventSourceResponse,
    responses={**SSE, **errors(*COMMON)},
)
async def lead_events(
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> EventSourceResponse:
    """`change` events (id = seq, data = the change); resumes after `Last-Event-ID` or
    `after`, else starts with the next change. A `: keep-alive` comment every 15 s."""
    start = after
    if last_event_id is not None:
        if not last_event_id.strip().isdigit() or int(last_event_id) > MAX_SEQ:
            raise InvalidInput("Last-Event-ID must be a change seq (a whole number).")
        start = int(last_event_id)
    feed = request.app.state.feed
    await feed.start()  # 503 now, before the stream, when the log cannot be read

    async def stream() -> AsyncIterator[ServerSentEvent]:
        async for change in feed.follow(start):
            yield ServerSentEvent(data=change.model_dump_json(), event="change", id=str(change.seq))

    return EventSourceResponse(
        stream(), headers=STREAM_HEADERS, ping=15, ping_message_factory=_keep_alive
    )


def _keep_alive() -> ServerSentEvent:
    return ServerSentEvent(comment="keep-alive")


@router.post("/leads/undo", response_model=UndoAnswer, responses=errors(*COMMON, 404, 413))
async def undo(body: UndoRequest, store: StoreDep, user: UserDep, actor: ActorDep) -> dict:
    """Undo this user's latest change still current (board or chat), or change `seq`."""
    result = await asyncio.to_thread(undo_latest, store, user, actor=actor, seq=body.seq)
    return {"reply": result.line, "undone": result.undone, "action": result.action}


@router.post(
    "/leads",
    status_code=status.HTTP_201_CREATED,
    response_model=Lead,
    responses=errors(*COMMON, 413),
)
def create_lead(body: LeadCreate, store: StoreDep, actor: ActorDep) -> Lead:
    return store.create(body, actor=actor)


@router.get("/leads/{lead_id}", response_model=Lead, responses=errors(*COMMON, 404))
def get_lead(lead_id: str, store: StoreDep) -> Lead:
    return store.get(lead_id)


@router.patch("/leads/{lead_id}", response_model=Lead, responses=errors(*COMMON, 404, 409, 413))
def update_lead(lead_id: str, body: LeadUpdate, store: StoreDep, actor: ActorDep) -> Lead:
    return store.update(lead_id, body, actor=actor)


@router.delete(
    "/leads/{lead_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(*COMMON, 404, 409),
)
def delete_lead(lead_id: str, store: StoreDep, actor: ActorDep) -> Response:
    store.delete(lead_id, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

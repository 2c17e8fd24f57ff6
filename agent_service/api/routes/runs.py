"""`/runs/{id}`: a run's status, and its events as server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent_service.api.deps import RunsDep, UserDep
from agent_service.api.schemas import COMMON, SSE, RunPublic, errors

router = APIRouter(tags=["runs"])
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/runs/{run_id}", response_model=RunPublic, responses=errors(*COMMON, 404))
async def get_run(run_id: str, user: UserDep, runs: RunsDep) -> dict[str, Any]:
    return await runs.get(run_id, user)


@router.get(
    "/runs/{run_id}/events",
    response_class=EventSourceResponse,
    responses={**SSE, **errors(*COMMON, 404)},
)
async def run_events(run_id: str, user: UserDep, runs: RunsDep) -> EventSourceResponse:
    """`status`, `step`, `result`, `error` events; ends after `result` or `error`."""
    await runs.get(run_id, user)  # 404 before the stream starts

    async def stream() -> AsyncIterator[ServerSentEvent]:
        async for event, data in runs.events(run_id, user):
            yield ServerSentEvent(data=json.dumps(data), event=event)

    return EventSourceResponse(stream(), headers=STREAM_HEADERS, ping=15)

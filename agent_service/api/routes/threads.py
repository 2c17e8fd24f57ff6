"""`/threads/{id}`: post a message (a run), read the conversation, clear it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict

from agent_service.api.deps import RunsDep, UserDep

router = APIRouter(tags=["threads"])
ThreadId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str


@router.post("/threads/{thread_id}/runs", status_code=status.HTTP_202_ACCEPTED)
async def create_run(
    thread_id: ThreadId, body: RunCreate, user: UserDep, runs: RunsDep
) -> dict[str, Any]:
    run = await runs.submit(thread_id, user, body.message)
    return {"run_id": run["run_id"], "thread_id": thread_id, "status": run["status"]}


@router.get("/threads/{thread_id}")
async def get_thread(thread_id: ThreadId, user: UserDep, runs: RunsDep) -> dict[str, Any]:
    return await runs.history(thread_id, user)


@router.delete("/threads/{thread_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_thread(thread_id: ThreadId, user: UserDep, runs: RunsDep) -> Response:
    await runs.clear(thread_id, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""`/threads/{id}`: post a message (a run), read the conversation, clear it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from agent_service.api.deps import RunsDep, UserDep, UserNameDep
from agent_service.api.schemas import COMMON, RunAccepted, RunCreate, ThreadPublic, errors

router = APIRouter(tags=["threads"])
ThreadId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.post(
    "/threads/{thread_id}/runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunAccepted,
    responses=errors(*COMMON, 404, 413),
)
async def create_run(
    thread_id: ThreadId, body: RunCreate, user: UserDep, user_name: UserNameDep, runs: RunsDep
) -> dict[str, Any]:
    """Queue a message; a repeated `client_message_id` returns the run it started."""
    run = await runs.submit(
        thread_id,
        user,
        body.message,
        client_message_id=body.client_message_id,
        user_name=user_name,
    )
    return {"run_id": run["run_id"], "thread_id": thread_id, "status": run["status"]}


@router.get("/threads/{thread_id}", response_model=ThreadPublic, responses=errors(*COMMON, 404))
async def get_thread(thread_id: ThreadId, user: UserDep, runs: RunsDep) -> dict[str, Any]:
    return await runs.history(thread_id, user)


@router.delete(
    "/threads/{thread_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(*COMMON, 404),
)
async def delete_thread(thread_id: ThreadId, user: UserDep, runs: RunsDep) -> Response:
    await runs.clear(thread_id, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""`GET /healthz`: liveness, with the database's state for operators."""

from __future__ import annotations

from fastapi import APIRouter

from agent_service.api.deps import StoreDep
from agent_service.errors import StoreUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(store: StoreDep) -> dict[str, str]:
    try:
        store.ping()
        database = "ok"
    except StoreUnavailable:
        database = "unavailable"
    return {"status": "ok", "database": database}

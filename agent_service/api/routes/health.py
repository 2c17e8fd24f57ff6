"""`GET /healthz`: liveness, with the truth about the lead store and the run records."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from agent_service.api.deps import StoreDep
from agent_service.api.schemas import Health
from agent_service.errors import CrmError

router = APIRouter(tags=["health"])


def _check(probe: Any) -> str:
    try:
        answer = probe()
        if isinstance(answer, dict) and not answer.get("ok", True):  # store.health()
            return "unavailable"
        return "ok"
    except CrmError:
        return "unavailable"
    except Exception:  # a probe must never turn into a 500
        return "unavailable"


@router.get("/healthz", response_model=Health)
async def healthz(request: Request, store: StoreDep) -> dict[str, str]:
    """Always 200 while the process runs; `status` is `degraded` when a database is not
    usable: the lead store's write probe (`store.health()`), a query on the run records."""
    store_probe = store.health
    records = getattr(request.app.state, "records", None)
    database, runs = await asyncio.gather(
        asyncio.to_thread(_check, store_probe),
        asyncio.to_thread(_check, records.ping if records is not None else lambda: None),
    )
    healthy = database == "ok" and runs == "ok"
    return {"status": "ok" if healthy else "degraded", "database": database, "runs": runs}

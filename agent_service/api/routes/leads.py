"""`/leads` and `/pipeline`: the lead store over HTTP (the board uses these)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from agent_service.api.deps import StoreDep
from agent_service.leads.models import Lead, LeadCreate, LeadUpdate

router = APIRouter(tags=["leads"])


@router.get("/pipeline")
def pipeline(store: StoreDep) -> dict[str, list[str]]:
    return {"statuses": list(store.pipeline.stages)}


@router.get("/leads")
def list_leads(
    store: StoreDep,
    status_: Annotated[str | None, Query(alias="status", max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, list[Lead]]:
    return {"leads": store.list(status=status_ or None, q=q)}


@router.post("/leads", status_code=status.HTTP_201_CREATED)
def create_lead(body: LeadCreate, store: StoreDep) -> Lead:
    return store.create(body)


@router.get("/leads/{lead_id}")
def get_lead(lead_id: str, store: StoreDep) -> Lead:
    return store.get(lead_id)


@router.patch("/leads/{lead_id}")
def update_lead(lead_id: str, body: LeadUpdate, store: StoreDep) -> Lead:
    return store.update(lead_id, body)


@router.delete("/leads/{lead_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_lead(lead_id: str, store: StoreDep) -> Response:
    store.delete(lead_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Leads over HTTP: page through them (of a list, in a status), read one, delete one."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.leads.domain.model import Lead
from listflow.leads.entrypoints.common import Cursor, LeadId, Limit
from listflow.leads.entrypoints.deps import ListsDep
from listflow.schemas.leads import LeadData, LeadStatus
from listflow.schemas.text import Id
from pydantic import BaseModel


class LeadPublic(BaseModel):
    id: str
    list_id: str
    version: int
    data: LeadData
    status: LeadStatus
    attempts: int
    next_attempt_at: datetime | None
    last_result: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, lead: Lead) -> "LeadPublic":
        return cls(
            id=lead.id,
            list_id=lead.list_id,
            version=lead.version,
            data=lead.data,
            status=lead.status,
            attempts=lead.attempts,
            next_attempt_at=lead.next_attempt_at,
            last_result=lead.last_result,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
        )


class LeadPage(BaseModel):
    items: list[LeadPublic]
    next_cursor: str | None


leads_router = APIRouter(prefix="/v1/leads", tags=["leads"], responses=PROBLEM_RESPONSES)


@leads_router.get("", response_model=LeadPage, summary="Leads, optionally of one list")
async def list_leads(
    lists: ListsDep,
    tenant: TenantDep,
    list_id: Annotated[Id | None, Query(alias="list", description="Lead list id")] = None,
    status: LeadStatus | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> LeadPage:
    items, next_cursor = await lists.page_leads(
        tenant.id, list_id, status.value if status else None, limit, cursor
    )
    return LeadPage(items=[LeadPublic.of(x) for x in items], next_cursor=next_cursor)


@leads_router.get("/{lead_id}", response_model=LeadPublic, summary="One lead")
async def get_lead(lists: ListsDep, tenant: TenantDep, lead_id: LeadId) -> LeadPublic:
    return LeadPublic.of(await lists.get_lead(tenant.id, lead_id))


@leads_router.delete("/{lead_id}", status_code=204, summary="Delete a lead (withdrawn first)")
async def delete_lead(lists: ListsDep, tenant: TenantDep, lead_id: LeadId) -> Response:
    await lists.delete_lead(tenant.id, lead_id)
    return Response(status_code=204)

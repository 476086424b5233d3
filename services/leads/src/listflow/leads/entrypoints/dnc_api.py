"""The do-not-call list over HTTP: add numbers (in any format, with a default region), page
through them, remove one."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.leads.entrypoints.common import Cursor, Limit, Strict
from listflow.leads.entrypoints.deps import DncDep
from listflow.schemas.text import SafeText, ShortText
from pydantic import BaseModel, Field, StringConstraints

_REGION = r"^[A-Za-z]{2}$"


class DncAdd(Strict):
    phones: list[Annotated[SafeText, StringConstraints(max_length=40)]] = Field(
        min_length=1, max_length=10_000
    )
    default_region: str = Field(default="US", pattern=_REGION)
    reason: ShortText = "operator"


class DncEntry(BaseModel):
    phone: str
    added_at: datetime
    reason: str | None


class DncPage(BaseModel):
    items: list[DncEntry]
    next_cursor: str | None


class DncAdded(BaseModel):
    added: list[str]
    leads_suppressed: int


dnc_router = APIRouter(prefix="/v1/dnc", tags=["do not call"], responses=PROBLEM_RESPONSES)


@dnc_router.post("", status_code=201, response_model=DncAdded, summary="Add numbers to do-not-call")
async def add_dnc(dnc: DncDep, tenant: TenantDep, body: DncAdd) -> DncAdded:
    added, suppressed = await dnc.add(
        tenant.id, body.phones, body.default_region.upper(), body.reason
    )
    return DncAdded(added=added, leads_suppressed=suppressed)


@dnc_router.get("", response_model=DncPage, summary="The tenant's do-not-call numbers")
async def list_dnc(
    dnc: DncDep, tenant: TenantDep, limit: Limit = 100, cursor: Cursor = None
) -> DncPage:
    docs, next_cursor = await dnc.page(tenant.id, limit, cursor)
    return DncPage(
        items=[
            DncEntry(phone=d["phone"], added_at=d["added_at"], reason=d.get("reason")) for d in docs
        ],
        next_cursor=next_cursor,
    )


@dnc_router.delete("/{phone}", status_code=204, summary="Remove a number from do-not-call")
async def remove_dnc(
    dnc: DncDep,
    tenant: TenantDep,
    phone: Annotated[SafeText, Path(max_length=40)],
    default_region: Annotated[str, Query(pattern=_REGION)] = "US",
) -> Response:
    await dnc.remove(tenant.id, phone, default_region.upper())
    return Response(status_code=204)

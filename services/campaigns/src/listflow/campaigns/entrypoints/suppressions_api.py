"""HTTP API of the tenant's suppression list: list (paged, by channel and reason), add (an
email address or a phone number, normalized as contacts store them), remove (POST
/remove: addresses travel in bodies only, never in a path a request log keeps)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from listflow.campaigns.entrypoints.deps import SuppressionsDep
from listflow.campaigns.ports import Suppression
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.schemas.campaigns import SuppressionReason
from listflow.schemas.text import SafeText
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ChannelName = Literal["email", "sms"]
Address = Annotated[SafeText, StringConstraints(min_length=1, max_length=320)]


class SuppressionKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: ChannelName
    address: Address = Field(description="An email address, or a phone number (E.164 best)")


class SuppressionIn(SuppressionKey):
    reason: Literal["unsubscribed", "hard_bounce", "sms_opt_out"] = "unsubscribed"


class SuppressionOut(BaseModel):
    channel: ChannelName
    address: str
    reason: SuppressionReason
    at: datetime
    by: str = Field(description="Who suppressed it: api, sms:inbound, email:unsubscribe...")
    campaign_id: str | None

    @classmethod
    def of(cls, s: Suppression) -> "SuppressionOut":
        return cls(
            channel=s.channel,
            address=s.address,
            reason=s.reason,
            at=s.at,
            by=s.by,
            campaign_id=s.campaign_id,
        )


class ChangeOut(BaseModel):
    action: Literal["suppressed", "lifted"]
    reason: SuppressionReason
    at: datetime
    by: str


class History(BaseModel):
    channel: ChannelName
    address: str
    changes: list[ChangeOut] = Field(description="Oldest first")


class SuppressionPage(BaseModel):
    items: list[SuppressionOut]
    next: str | None = Field(description="The cursor of the next page; null on the last")


router = APIRouter(prefix="/v1/suppressions", tags=["suppressions"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=SuppressionPage, summary="List the tenant's suppressions")
async def list_suppressions(
    suppressions: SuppressionsDep,
    tenant: TenantDep,
    channel: ChannelName | None = None,
    reason: SuppressionReason | None = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SuppressionPage:
    """By channel, then address; `next` is the cursor of the following page."""
    page = await suppressions.page(
        tenant.id, channel=channel, reason=reason, cursor=cursor, limit=limit
    )
    return SuppressionPage(items=[SuppressionOut.of(s) for s in page.items], next=page.next)


@router.post(
    "",
    response_model=SuppressionOut,
    status_code=201,
    responses={200: {"model": SuppressionOut, "description": "Suppressed already"}},
    summary="Suppress an address",
)
async def add_suppression(
    suppressions: SuppressionsDep, tenant: TenantDep, body: SuppressionIn, response: Response
) -> SuppressionOut:
    """Suppress the address on the channel; if it was already, its first record stays (200)."""
    stored, new = await suppressions.add(
        tenant.id, body.channel, body.address, SuppressionReason(body.reason)
    )
    if not new:
        response.status_code = 200
    return SuppressionOut.of(stored)


@router.post("/remove", status_code=204, response_class=Response, summary="Lift a suppression")
async def remove_suppression(
    suppressions: SuppressionsDep, tenant: TenantDep, body: SuppressionKey
) -> None:
    """Lift the address's suppression on the channel (404 when there is none). The address
    goes in the body, not the path, so that no request log holds it."""
    await suppressions.remove(tenant.id, body.channel, body.address)


@router.post("/history", response_model=History, summary="An address's suppression audit")
async def suppression_history(
    suppressions: SuppressionsDep, tenant: TenantDep, body: SuppressionKey
) -> History:
    """Every time the address was suppressed or lifted on the channel: why, when, by whom
    (a POST so that the address stays out of the URL)."""
    address, changes = await suppressions.history(tenant.id, body.channel, body.address)
    return History(
        channel=body.channel,
        address=address,
        changes=[ChangeOut(action=c.action, reason=c.reason, at=c.at, by=c.by) for c in changes],
    )

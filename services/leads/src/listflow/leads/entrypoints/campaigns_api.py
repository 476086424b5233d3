"""Dialer campaigns over HTTP: calling hours and days, retry rules, priority; the lists
assigned to one and their counts."""

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem, validation_problem
from listflow.leads.domain.model import Campaign, parse_hhmm, valid_days
from listflow.leads.domain.retry import (
    DEFAULT_GAP_MINUTES,
    MAX_ATTEMPTS,
    MAX_GAP_MINUTES,
    RetryRules,
)
from listflow.leads.domain.windows import DAYS, CallingHours
from listflow.leads.entrypoints.common import CampaignId, Cursor, Limit, Stats, Strict
from listflow.leads.entrypoints.deps import ListsDep
from listflow.leads.entrypoints.lists_api import LeadListPublic
from listflow.schemas.leads import DialResult
from listflow.schemas.text import Id, Name, Omittable, SafeText
from pydantic import BaseModel, Field, StringConstraints, ValidationError, field_validator

# Anchored: pydantic's `pattern` matches anywhere in the value, so "x12:00y" passed unanchored.
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
Minutes = Annotated[int, Field(ge=0, le=MAX_GAP_MINUTES)]
Priority = Annotated[int, Field(ge=-1000, le=1000, description="Higher first")]
Day = Annotated[SafeText, StringConstraints(min_length=1, max_length=20)]


class CallingHoursModel(Strict):
    start: str = Field(default="08:00", pattern=_HHMM.pattern, description="HH:MM, 24-hour")
    end: str = Field(default="21:00", pattern=_HHMM.pattern, description="HH:MM, after start")


class RetryModel(Strict):
    max_attempts: int = Field(default=3, ge=1, le=MAX_ATTEMPTS)
    gap_minutes: dict[DialResult, Minutes] = Field(
        default_factory=lambda: {DialResult(k): v for k, v in DEFAULT_GAP_MINUTES.items()},
        description="Minimum minutes between attempts per outcome (no_answer, busy, ...)",
    )
    default_gap: Minutes = 60


class CampaignCreate(Strict):
    name: Name
    calling_hours: CallingHoursModel = Field(default_factory=CallingHoursModel)
    days: list[Day] = Field(default_factory=lambda: list(DAYS), min_length=1, max_length=7)
    retry: RetryModel = Field(default_factory=RetryModel)
    priority: Priority = 0

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        return list(valid_days(value))


class CampaignUpdate(Strict):
    """Only the fields sent change; none of them may be null (a campaign always has them)."""

    name: Omittable[Name] = None
    calling_hours: Omittable[CallingHoursModel] = None
    days: Omittable[list[Day]] = Field(default=None, min_length=1, max_length=7)
    retry: Omittable[RetryModel] = None
    priority: Omittable[Priority] = None

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str] | None) -> list[str] | None:
        return list(valid_days(value)) if value is not None else None


class CampaignPublic(BaseModel):
    id: str
    name: str
    calling_hours: CallingHoursModel
    days: list[str]
    retry: RetryModel
    priority: int

    @classmethod
    def of(cls, item: Campaign) -> "CampaignPublic":
        return cls(
            id=item.id,
            name=item.name,
            calling_hours=CallingHoursModel(
                start=item.hours.start.strftime("%H:%M"), end=item.hours.end.strftime("%H:%M")
            ),
            days=list(item.hours.days),
            retry=RetryModel(
                max_attempts=item.retry.max_attempts,
                gap_minutes=dict(item.retry.gap_minutes),
                default_gap=item.retry.default_gap,
            ),
            priority=item.priority,
        )


class CampaignPage(BaseModel):
    items: list[CampaignPublic]
    next_cursor: str | None


class AssignLists(Strict):
    list_ids: list[Id] = Field(min_length=1, max_length=500)


def _campaign_of(tenant_id: str, campaign_id: str, body: CampaignCreate) -> Campaign:
    if body.calling_hours.start >= body.calling_hours.end:
        raise Problem(
            422,
            "Invalid calling hours",
            "start must be before end.",
            errors=[{"location": "body.calling_hours.end", "message": "must be after start"}],
        )
    return Campaign(
        id=campaign_id,
        tenant_id=tenant_id,
        name=body.name.strip(),
        hours=CallingHours(
            start=parse_hhmm(body.calling_hours.start),
            end=parse_hhmm(body.calling_hours.end),
            days=tuple(body.days),
        ),
        retry=RetryRules(
            max_attempts=body.retry.max_attempts,
            gap_minutes={k.value: v for k, v in body.retry.gap_minutes.items()},
            default_gap=body.retry.default_gap,
        ),
        priority=body.priority,
    )


campaigns_router = APIRouter(
    prefix="/v1/dialer-campaigns", tags=["dialer campaigns"], responses=PROBLEM_RESPONSES
)


@campaigns_router.post(
    "", status_code=201, response_model=CampaignPublic, summary="Create a campaign"
)
async def create_campaign(
    lists: ListsDep, tenant: TenantDep, body: CampaignCreate
) -> CampaignPublic:
    item = _campaign_of(tenant.id, str(uuid.uuid4()), body)
    return CampaignPublic.of(await lists.create_campaign(item))


@campaigns_router.get("", response_model=CampaignPage, summary="Dialer campaigns of the tenant")
async def list_campaigns(
    lists: ListsDep, tenant: TenantDep, limit: Limit = 100, cursor: Cursor = None
) -> CampaignPage:
    items, next_cursor = await lists.page_campaigns(tenant.id, limit, cursor)
    return CampaignPage(items=[CampaignPublic.of(x) for x in items], next_cursor=next_cursor)


@campaigns_router.get("/{campaign_id}", response_model=CampaignPublic, summary="One campaign")
async def get_campaign(
    lists: ListsDep, tenant: TenantDep, campaign_id: CampaignId
) -> CampaignPublic:
    return CampaignPublic.of(await lists.get_campaign(tenant.id, campaign_id))


@campaigns_router.patch("/{campaign_id}", response_model=CampaignPublic, summary="Edit a campaign")
async def update_campaign(
    lists: ListsDep, tenant: TenantDep, campaign_id: CampaignId, body: CampaignUpdate
) -> CampaignPublic:
    current = CampaignPublic.of(await lists.get_campaign(tenant.id, campaign_id))
    try:
        merged = CampaignCreate.model_validate(
            {**current.model_dump(exclude={"id"}), **body.model_dump(exclude_unset=True)}
        )
    except ValidationError as exc:
        raise validation_problem(exc, prefix="body") from None
    item = await lists.update_campaign(_campaign_of(tenant.id, campaign_id, merged))
    return CampaignPublic.of(item)


@campaigns_router.delete("/{campaign_id}", status_code=204, summary="Delete a campaign")
async def delete_campaign(lists: ListsDep, tenant: TenantDep, campaign_id: CampaignId) -> Response:
    await lists.delete_campaign(tenant.id, campaign_id)
    return Response(status_code=204)


@campaigns_router.put(
    "/{campaign_id}/lists", response_model=list[LeadListPublic], summary="Assign many lists"
)
async def assign_lists(
    lists: ListsDep, tenant: TenantDep, campaign_id: CampaignId, body: AssignLists
) -> list[LeadListPublic]:
    assigned = await lists.assign_lists(tenant.id, campaign_id, body.list_ids)
    return [LeadListPublic.of(x) for x in assigned]


@campaigns_router.get(
    "/{campaign_id}/lists", response_model=list[LeadListPublic], summary="Assigned lists"
)
async def campaign_lists(
    lists: ListsDep, tenant: TenantDep, campaign_id: CampaignId
) -> list[LeadListPublic]:
    return [LeadListPublic.of(x) for x in await lists.campaign_lists(tenant.id, campaign_id)]


@campaigns_router.get(
    "/{campaign_id}/stats", response_model=Stats, summary="Counts over assigned lists"
)
async def campaign_stats(lists: ListsDep, tenant: TenantDep, campaign_id: CampaignId) -> Stats:
    return Stats.of(*await lists.campaign_counts(tenant.id, campaign_id))

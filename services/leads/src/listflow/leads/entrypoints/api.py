"""HTTP API of the leads service: lead lists, leads, dialer campaigns, do-not-call."""

import re
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem, validation_problem
from listflow.leads.bootstrap import Container
from listflow.leads.domain.model import Campaign, Lead, LeadList, parse_hhmm, valid_days
from listflow.leads.domain.retry import (
    DEFAULT_GAP_MINUTES,
    MAX_ATTEMPTS,
    MAX_GAP_MINUTES,
    RetryRules,
)
from listflow.leads.domain.windows import DAYS, CallingHours
from listflow.leads.entrypoints.deps import ContainerDep
from listflow.schemas.leads import CustomFieldDefinition, DialResult, LeadData, LeadStatus
from listflow.schemas.normalize import PhoneNormalizer, normalize_time_zone
from listflow.schemas.text import Id, LongText, Name, Omittable, SafeText, ShortText
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

# Anchored: pydantic's `pattern` matches anywhere in the value, so "x12:00y" passed unanchored.
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_REGION = r"^[A-Za-z]{2}$"
TimeZone = Annotated[SafeText, StringConstraints(min_length=1, max_length=64)]
Cursor = Annotated[SafeText | None, Query(max_length=200)]
ListId = Annotated[Id, Path(description="Lead list id")]
CampaignId = Annotated[Id, Path(description="Dialer campaign id")]
LeadId = Annotated[Id, Path(description="Lead id")]
Minutes = Annotated[int, Field(ge=0, le=MAX_GAP_MINUTES)]
Priority = Annotated[int, Field(ge=-1000, le=1000, description="Higher first")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _tz(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_time_zone(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _unique_names(fields: list[CustomFieldDefinition] | None) -> list[CustomFieldDefinition] | None:
    if fields is not None:
        names = [f.name.strip().casefold() for f in fields]
        if len(set(names)) != len(names):
            raise ValueError("custom field names must be unique")
    return fields


class LeadListCreate(Strict):
    name: Name
    time_zone: TimeZone = "UTC"
    owner: ShortText | None = None
    description: LongText | None = None
    fields: list[CustomFieldDefinition] = Field(default_factory=list, max_length=100)
    enabled: bool = False

    _tz = field_validator("time_zone")(_tz)
    _fields = field_validator("fields")(_unique_names)


class LeadListUpdate(Strict):
    """Only the fields sent change. `owner` and `description` may be null (cleared); the
    others may be left out but not sent as null: a list always has a name, a time zone, a
    field table and an enabled flag."""

    # A null name once stored made every later listing of the tenant fail.
    name: Omittable[Name] = None
    time_zone: Omittable[TimeZone] = None
    owner: ShortText | None = None
    description: LongText | None = None
    fields: Omittable[list[CustomFieldDefinition]] = Field(default=None, max_length=100)
    enabled: Omittable[bool] = None

    _tz = field_validator("time_zone")(_tz)
    _fields = field_validator("fields")(_unique_names)


class LeadListPublic(BaseModel):
    id: str
    name: str
    time_zone: str
    owner: str | None
    description: str | None
    fields: list[CustomFieldDefinition]
    enabled: bool
    ready: bool
    campaign_ids: list[str]

    @classmethod
    def of(cls, item: LeadList) -> "LeadListPublic":
        return cls(
            id=item.id,
            name=item.name,
            time_zone=item.time_zone,
            owner=item.owner,
            description=item.description,
            fields=list(item.fields),
            enabled=item.enabled,
            ready=item.ready,
            campaign_ids=list(item.campaign_ids),
        )


class LeadListPage(BaseModel):
    items: list[LeadListPublic]
    next_cursor: str | None


class ResolveList(Strict):
    """Find a list by id, or by name creating it if missing (what an upload target needs)."""

    id: Id | None = None
    name: Name | None = None


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


class CallingHoursModel(Strict):
    start: str = Field(default="08:00", pattern=_HHMM.pattern, description="HH:MM, 24-hour")
    end: str = Field(default="21:00", pattern=_HHMM.pattern, description="HH:MM, after start")


Day = Annotated[SafeText, StringConstraints(min_length=1, max_length=20)]


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


class Stats(BaseModel):
    total: int
    new: int
    queued: int
    deferred: int
    dialed: int
    completed: int
    dnc: int
    by_status: dict[str, int]
    by_result: dict[str, int]


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


def _servable(item: LeadList) -> LeadListPublic:
    """The list as the API shows it, or a 422 (naming the field) for a write that would store
    a list no later read could show."""
    try:
        return LeadListPublic.of(item)
    except ValidationError as exc:
        raise validation_problem(exc, prefix="body") from None


async def _list(container: Container, tenant_id: str, list_id: str) -> LeadList:
    return await container.lists.get_list(tenant_id, list_id)


async def _campaign(container: Container, tenant_id: str, campaign_id: str) -> Campaign:
    return await container.lists.get_campaign(tenant_id, campaign_id)


def _stats(by_status: dict[str, int], by_result: dict[str, int]) -> Stats:
    return Stats(
        total=sum(by_status.values()),
        new=by_status.get("new", 0),
        queued=by_status.get("queued", 0),
        deferred=by_status.get("deferred", 0),
        dialed=by_status.get("dialed", 0),
        completed=by_status.get("completed", 0),
        dnc=by_status.get("dnc", 0),
        by_status=by_status,
        by_result={k: v for k, v in by_result.items() if k != "None"},
    )


lists_router = APIRouter(prefix="/v1/lead-lists", tags=["lead lists"], responses=PROBLEM_RESPONSES)


@lists_router.post("", status_code=201, response_model=LeadListPublic, summary="Create a lead list")
async def create_list(
    container: ContainerDep, tenant: TenantDep, body: LeadListCreate
) -> LeadListPublic:
    item = container.lists.new_list(
        tenant.id,
        body.name,
        time_zone=body.time_zone,
        owner=body.owner,
        description=body.description,
        fields=tuple(body.fields),
        enabled=body.enabled,
    )
    return LeadListPublic.of(await container.lists.create_list(item))


@lists_router.post(
    "/resolve",
    response_model=LeadListPublic,
    summary="Find a list by id, or by name (created if missing)",
)
async def resolve_list(
    container: ContainerDep, tenant: TenantDep, body: ResolveList
) -> LeadListPublic:
    if body.id:
        return LeadListPublic.of(await _list(container, tenant.id, body.id))
    if not body.name:
        raise Problem(422, "Invalid target", "Give the list's id or name.")
    found = await container.lists.resolve_list(tenant.id, body.name)
    return LeadListPublic.of(found)


@lists_router.get("", response_model=LeadListPage, summary="Lead lists of the tenant")
async def list_lists(
    container: ContainerDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> LeadListPage:
    items, next_cursor = await container.repository.page_lists(tenant.id, limit, cursor)
    return LeadListPage(items=[LeadListPublic.of(x) for x in items], next_cursor=next_cursor)


@lists_router.get("/{list_id}", response_model=LeadListPublic, summary="One lead list")
async def get_list(container: ContainerDep, tenant: TenantDep, list_id: ListId) -> LeadListPublic:
    return LeadListPublic.of(await _list(container, tenant.id, list_id))


@lists_router.patch("/{list_id}", response_model=LeadListPublic, summary="Edit, enable or disable")
async def update_list(
    container: ContainerDep, tenant: TenantDep, list_id: ListId, body: LeadListUpdate
) -> LeadListPublic:
    item = await _list(container, tenant.id, list_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"enabled"})
    if body.name is not None:
        changes["name"] = body.name.strip()
    if body.fields is not None:
        changes["fields"] = [f.model_dump() for f in body.fields]
    # Never store what the listing cannot serve: the edited list must read back.
    fields = tuple(body.fields) if body.fields is not None else item.fields
    _servable(replace(item, **{k: v for k, v in changes.items() if k != "fields"}, fields=fields))
    item = await container.lists.update_list(item, changes, body.enabled)
    return LeadListPublic.of(item)


@lists_router.delete("/{list_id}", status_code=204, summary="Delete a list and its leads")
async def delete_list(
    container: ContainerDep,
    tenant: TenantDep,
    list_id: ListId,
    confirm: Annotated[bool, Query(description="Must be true: deleting cannot be undone")] = False,
) -> Response:
    item = await _list(container, tenant.id, list_id)
    if not confirm:
        raise Problem(
            409,
            "Confirmation required",
            "Deleting a list deletes its leads and withdraws them from every queue; "
            "repeat the request with ?confirm=true.",
        )
    await container.leads.delete(item)
    return Response(status_code=204)


@lists_router.put(
    "/{list_id}/campaigns/{campaign_id}",
    response_model=LeadListPublic,
    summary="Assign to a campaign",
)
async def assign(
    container: ContainerDep, tenant: TenantDep, list_id: ListId, campaign_id: CampaignId
) -> LeadListPublic:
    item = await _list(container, tenant.id, list_id)
    campaign = await _campaign(container, tenant.id, campaign_id)
    return LeadListPublic.of(await container.leads.assign(item, campaign))


@lists_router.delete(
    "/{list_id}/campaigns/{campaign_id}", response_model=LeadListPublic, summary="Unassign"
)
async def unassign(
    container: ContainerDep, tenant: TenantDep, list_id: ListId, campaign_id: CampaignId
) -> LeadListPublic:
    item = await _list(container, tenant.id, list_id)
    return LeadListPublic.of(await container.leads.unassign(item, campaign_id))


@lists_router.post(
    "/{list_id}/reset", response_model=LeadListPublic, summary="Call every lead again"
)
async def reset_list(container: ContainerDep, tenant: TenantDep, list_id: ListId) -> LeadListPublic:
    item = await _list(container, tenant.id, list_id)
    await container.leads.reset(item)
    return LeadListPublic.of(item)


@lists_router.get("/{list_id}/stats", response_model=Stats, summary="Lead counts by status")
async def list_stats(container: ContainerDep, tenant: TenantDep, list_id: ListId) -> Stats:
    await _list(container, tenant.id, list_id)
    return _stats(*await container.lists.list_counts(tenant.id, list_id))


leads_router = APIRouter(prefix="/v1/leads", tags=["leads"], responses=PROBLEM_RESPONSES)


@leads_router.get("", response_model=LeadPage, summary="Leads, optionally of one list")
async def list_leads(
    container: ContainerDep,
    tenant: TenantDep,
    list_id: Annotated[Id | None, Query(alias="list", description="Lead list id")] = None,
    status: LeadStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> LeadPage:
    items, next_cursor = await container.repository.page_leads(
        tenant.id, list_id, limit, cursor, status.value if status else None
    )
    return LeadPage(items=[LeadPublic.of(x) for x in items], next_cursor=next_cursor)


@leads_router.get("/{lead_id}", response_model=LeadPublic, summary="One lead")
async def get_lead(container: ContainerDep, tenant: TenantDep, lead_id: LeadId) -> LeadPublic:
    return LeadPublic.of(await container.lists.get_lead(tenant.id, lead_id))


@leads_router.delete("/{lead_id}", status_code=204, summary="Delete a lead (withdrawn first)")
async def delete_lead(container: ContainerDep, tenant: TenantDep, lead_id: LeadId) -> Response:
    await container.leads.delete_lead(await container.lists.get_lead(tenant.id, lead_id))
    return Response(status_code=204)


campaigns_router = APIRouter(
    prefix="/v1/dialer-campaigns", tags=["dialer campaigns"], responses=PROBLEM_RESPONSES
)


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


@campaigns_router.post(
    "", status_code=201, response_model=CampaignPublic, summary="Create a campaign"
)
async def create_campaign(
    container: ContainerDep, tenant: TenantDep, body: CampaignCreate
) -> CampaignPublic:
    item = _campaign_of(tenant.id, str(uuid.uuid4()), body)
    return CampaignPublic.of(await container.lists.create_campaign(item))


@campaigns_router.get("", response_model=CampaignPage, summary="Dialer campaigns of the tenant")
async def list_campaigns(
    container: ContainerDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> CampaignPage:
    items, next_cursor = await container.repository.page_campaigns(tenant.id, limit, cursor)
    return CampaignPage(items=[CampaignPublic.of(x) for x in items], next_cursor=next_cursor)


@campaigns_router.get("/{campaign_id}", response_model=CampaignPublic, summary="One campaign")
async def get_campaign(
    container: ContainerDep, tenant: TenantDep, campaign_id: CampaignId
) -> CampaignPublic:
    return CampaignPublic.of(await _campaign(container, tenant.id, campaign_id))


@campaigns_router.patch("/{campaign_id}", response_model=CampaignPublic, summary="Edit a campaign")
async def update_campaign(
    container: ContainerDep, tenant: TenantDep, campaign_id: CampaignId, body: CampaignUpdate
) -> CampaignPublic:
    current = CampaignPublic.of(await _campaign(container, tenant.id, campaign_id))
    try:
        merged = CampaignCreate.model_validate(
            {**current.model_dump(exclude={"id"}), **body.model_dump(exclude_unset=True)}
        )
    except ValidationError as exc:
        raise validation_problem(exc, prefix="body") from None
    item = _campaign_of(tenant.id, campaign_id, merged)
    await container.repository.replace_campaign(item)
    return CampaignPublic.of(item)


@campaigns_router.delete("/{campaign_id}", status_code=204, summary="Delete a campaign")
async def delete_campaign(
    container: ContainerDep, tenant: TenantDep, campaign_id: CampaignId
) -> Response:
    await container.lists.delete_campaign(tenant.id, campaign_id)
    return Response(status_code=204)


@campaigns_router.put(
    "/{campaign_id}/lists", response_model=list[LeadListPublic], summary="Assign many lists"
)
async def assign_lists(
    container: ContainerDep, tenant: TenantDep, campaign_id: CampaignId, body: AssignLists
) -> list[LeadListPublic]:
    assigned = await container.lists.assign_lists(tenant.id, campaign_id, body.list_ids)
    return [LeadListPublic.of(x) for x in assigned]


@campaigns_router.get(
    "/{campaign_id}/lists", response_model=list[LeadListPublic], summary="Assigned lists"
)
async def campaign_lists(
    container: ContainerDep, tenant: TenantDep, campaign_id: CampaignId
) -> list[LeadListPublic]:
    await _campaign(container, tenant.id, campaign_id)
    return [
        LeadListPublic.of(x)
        for x in await container.repository.lists_of_campaign(tenant.id, campaign_id)
    ]


@campaigns_router.get(
    "/{campaign_id}/stats", response_model=Stats, summary="Counts over assigned lists"
)
async def campaign_stats(
    container: ContainerDep, tenant: TenantDep, campaign_id: CampaignId
) -> Stats:
    return _stats(*await container.lists.campaign_counts(tenant.id, campaign_id))


dnc_router = APIRouter(prefix="/v1/dnc", tags=["do not call"], responses=PROBLEM_RESPONSES)


def _normalize(phones: list[str], region: str) -> list[str]:
    try:
        normalizer = PhoneNormalizer(region)
    except ValueError as exc:
        raise Problem(422, "Invalid region", str(exc)) from exc
    result: list[str] = []
    errors: list[dict[str, str]] = []
    for index, raw in enumerate(phones):
        try:
            result.append(normalizer.normalize(raw).e164)
        except ValueError as exc:
            errors.append({"location": f"phones.{index}", "message": str(exc)})
    if errors:
        raise Problem(422, "Invalid phone numbers", "Some numbers do not parse.", errors=errors)
    return list(dict.fromkeys(result))


@dnc_router.post("", status_code=201, response_model=DncAdded, summary="Add numbers to do-not-call")
async def add_dnc(container: ContainerDep, tenant: TenantDep, body: DncAdd) -> DncAdded:
    phones = _normalize(body.phones, body.default_region.upper())
    withdrawn = await container.leads.add_dnc(tenant.id, phones, body.reason)
    return DncAdded(added=phones, leads_suppressed=withdrawn)


@dnc_router.get("", response_model=DncPage, summary="The tenant's do-not-call numbers")
async def list_dnc(
    container: ContainerDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> DncPage:
    docs, next_cursor = await container.repository.page_dnc(tenant.id, limit, cursor)
    return DncPage(
        items=[
            DncEntry(phone=d["phone"], added_at=d["added_at"], reason=d.get("reason")) for d in docs
        ],
        next_cursor=next_cursor,
    )


@dnc_router.delete("/{phone}", status_code=204, summary="Remove a number from do-not-call")
async def remove_dnc(
    container: ContainerDep,
    tenant: TenantDep,
    phone: Annotated[SafeText, Path(max_length=40)],
    default_region: Annotated[str, Query(pattern=_REGION)] = "US",
) -> Response:
    e164 = _normalize([phone], default_region.upper())[0]
    if not await container.repository.remove_dnc(tenant.id, e164):
        raise Problem(404, "Not Found", "That number is not on the do-not-call list.")
    return Response(status_code=204)


routers = [lists_router, leads_router, campaigns_router, dnc_router]

"""Lead lists over HTTP: create, resolve (what an upload target names), edit, enable, assign
to campaigns, reset, count, delete."""

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, validation_problem
from listflow.leads.domain.model import LeadList
from listflow.leads.entrypoints.common import CampaignId, Cursor, Limit, ListId, Stats, Strict
from listflow.leads.entrypoints.deps import ListsDep
from listflow.schemas.leads import CustomFieldDefinition
from listflow.schemas.normalize import normalize_time_zone
from listflow.schemas.text import Id, LongText, Name, Omittable, SafeText, ShortText
from pydantic import BaseModel, Field, StringConstraints, ValidationError, field_validator

TimeZone = Annotated[SafeText, StringConstraints(min_length=1, max_length=64)]


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


def _servable(item: LeadList) -> LeadListPublic:
    """The list as the API shows it, or a 422 (naming the field) for a write that would store
    a list no later read could show."""
    try:
        return LeadListPublic.of(item)
    except ValidationError as exc:
        raise validation_problem(exc, prefix="body") from None


lists_router = APIRouter(prefix="/v1/lead-lists", tags=["lead lists"], responses=PROBLEM_RESPONSES)


@lists_router.post("", status_code=201, response_model=LeadListPublic, summary="Create a lead list")
async def create_list(lists: ListsDep, tenant: TenantDep, body: LeadListCreate) -> LeadListPublic:
    item = lists.new_list(
        tenant.id,
        body.name,
        time_zone=body.time_zone,
        owner=body.owner,
        description=body.description,
        fields=tuple(body.fields),
        enabled=body.enabled,
    )
    return LeadListPublic.of(await lists.create_list(item))


@lists_router.post(
    "/resolve",
    response_model=LeadListPublic,
    summary="Find a list by id, or by name (created if missing)",
)
async def resolve_list(lists: ListsDep, tenant: TenantDep, body: ResolveList) -> LeadListPublic:
    return LeadListPublic.of(await lists.resolve(tenant.id, body.id, body.name))


@lists_router.get("", response_model=LeadListPage, summary="Lead lists of the tenant")
async def list_lists(
    lists: ListsDep, tenant: TenantDep, limit: Limit = 100, cursor: Cursor = None
) -> LeadListPage:
    items, next_cursor = await lists.page_lists(tenant.id, limit, cursor)
    return LeadListPage(items=[LeadListPublic.of(x) for x in items], next_cursor=next_cursor)


@lists_router.get("/{list_id}", response_model=LeadListPublic, summary="One lead list")
async def get_list(lists: ListsDep, tenant: TenantDep, list_id: ListId) -> LeadListPublic:
    return LeadListPublic.of(await lists.get_list(tenant.id, list_id))


@lists_router.patch("/{list_id}", response_model=LeadListPublic, summary="Edit, enable or disable")
async def update_list(
    lists: ListsDep, tenant: TenantDep, list_id: ListId, body: LeadListUpdate
) -> LeadListPublic:
    item = await lists.get_list(tenant.id, list_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"enabled"})
    if body.name is not None:
        changes["name"] = body.name.strip()
    if body.fields is not None:
        changes["fields"] = [f.model_dump() for f in body.fields]
    # Never store what the listing cannot serve: the edited list must read back.
    fields = tuple(body.fields) if body.fields is not None else item.fields
    _servable(replace(item, **{k: v for k, v in changes.items() if k != "fields"}, fields=fields))
    return LeadListPublic.of(await lists.update_list(item, changes, body.enabled))


@lists_router.delete("/{list_id}", status_code=204, summary="Delete a list and its leads")
async def delete_list(
    lists: ListsDep,
    tenant: TenantDep,
    list_id: ListId,
    confirm: Annotated[bool, Query(description="Must be true: deleting cannot be undone")] = False,
) -> Response:
    await lists.delete_list(tenant.id, list_id, confirmed=confirm)
    return Response(status_code=204)


@lists_router.put(
    "/{list_id}/campaigns/{campaign_id}",
    response_model=LeadListPublic,
    summary="Assign to a campaign",
)
async def assign(
    lists: ListsDep, tenant: TenantDep, list_id: ListId, campaign_id: CampaignId
) -> LeadListPublic:
    return LeadListPublic.of(await lists.assign(tenant.id, list_id, campaign_id))


@lists_router.delete(
    "/{list_id}/campaigns/{campaign_id}", response_model=LeadListPublic, summary="Unassign"
)
async def unassign(
    lists: ListsDep, tenant: TenantDep, list_id: ListId, campaign_id: CampaignId
) -> LeadListPublic:
    return LeadListPublic.of(await lists.unassign(tenant.id, list_id, campaign_id))


@lists_router.post(
    "/{list_id}/reset", response_model=LeadListPublic, summary="Call every lead again"
)
async def reset_list(lists: ListsDep, tenant: TenantDep, list_id: ListId) -> LeadListPublic:
    return LeadListPublic.of(await lists.reset_list(tenant.id, list_id))


@lists_router.get("/{list_id}/stats", response_model=Stats, summary="Lead counts by status")
async def list_stats(lists: ListsDep, tenant: TenantDep, list_id: ListId) -> Stats:
    return Stats.of(*await lists.list_counts(tenant.id, list_id))

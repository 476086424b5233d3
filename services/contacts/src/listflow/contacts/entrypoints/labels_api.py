"""HTTP API of the contacts service: groups (with their export) and predefined tags."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import StreamingResponse
from listflow.contacts import manage
from listflow.contacts.domain.export import HEADER, export_row
from listflow.contacts.entrypoints.deps import ToolsDep
from listflow.contacts.ports import Label
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.schemas.text import Id, Name, SafeText
from pydantic import BaseModel, ConfigDict, Field

Description = Annotated[SafeText, Field(max_length=1000)]
Ref = Annotated[Id, Path(description="The id or the name")]


class LabelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    description: Description | None = None


class LabelUpdate(BaseModel):
    """Only the description changes: the id derives from the name, so that uploads naming a
    group or tag find it without asking; rename by creating a new one."""

    model_config = ConfigDict(extra="forbid")
    description: Description | None


class LabelPublic(BaseModel):
    id: str
    name: str
    description: str | None
    created_at: datetime

    @classmethod
    def of(cls, label: Label) -> "LabelPublic":
        return cls(
            id=label.id, name=label.name, description=label.description, created_at=label.created_at
        )


class LabelPage(BaseModel):
    items: list[LabelPublic]
    next_cursor: str | None


class LabelDeleted(BaseModel):
    id: str
    contacts_changed: int


def _router(kind: str, prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[f"{kind}s"], responses=PROBLEM_RESPONSES)
    ref_doc = f"The {kind}'s id or name"

    @router.post("", response_model=LabelPublic, status_code=201, summary=f"Create a {kind}")
    async def create(tools: ToolsDep, tenant: TenantDep, body: LabelCreate) -> LabelPublic:
        label = await manage.create_label(tools, kind, tenant.id, body.name, body.description)
        return LabelPublic.of(label)

    @router.get("", response_model=LabelPage, summary=f"List {kind}s")
    async def list_labels(
        tools: ToolsDep,
        tenant: TenantDep,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Annotated[SafeText | None, Query(max_length=200)] = None,
    ) -> LabelPage:
        page = await tools.repository.labels_page(kind, tenant.id, limit=limit, cursor=cursor)
        return LabelPage(
            items=[LabelPublic.of(lb) for lb in page.items], next_cursor=page.next_cursor
        )

    @router.get("/{ref}", response_model=LabelPublic, summary=f"One {kind}", description=ref_doc)
    async def get(tools: ToolsDep, tenant: TenantDep, ref: Ref) -> LabelPublic:
        return LabelPublic.of(await manage.find_label(tools, kind, tenant.id, ref))

    @router.patch("/{ref}", response_model=LabelPublic, summary=f"Describe a {kind}")
    async def describe(
        tools: ToolsDep, tenant: TenantDep, ref: Ref, body: LabelUpdate
    ) -> LabelPublic:
        label = await manage.find_label(tools, kind, tenant.id, ref)
        updated = await tools.repository.describe_label(kind, tenant.id, label.id, body.description)
        return LabelPublic.of(updated or label)

    @router.delete(
        "/{ref}",
        response_model=LabelDeleted,
        summary=f"Delete a {kind}; its contacts stay (without it)",
    )
    async def delete(tools: ToolsDep, tenant: TenantDep, ref: Ref) -> LabelDeleted:
        label = await manage.find_label(tools, kind, tenant.id, ref)
        changed = await manage.delete_label(tools, kind, tenant.id, label.id)
        return LabelDeleted(id=label.id, contacts_changed=changed)

    return router


groups = _router("group", "/v1/groups")
tags = _router("tag", "/v1/tags")


@groups.get(
    "/{ref}/export.csv",
    summary="Export a group as CSV (safe to open in a spreadsheet; national ids masked)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_group(tools: ToolsDep, tenant: TenantDep, ref: Ref) -> Response:
    label = await manage.find_label(tools, "group", tenant.id, ref)

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADER)
        count = 0
        async for contact in manage.group_contacts(tools, tenant.id, label.id):
            writer.writerow(export_row(contact))
            count += 1
            if count % 200 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = "".join(c if c.isalnum() or c in "-_" else "_" for c in label.name)[:80]
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename or "group"}.csv"'},
    )

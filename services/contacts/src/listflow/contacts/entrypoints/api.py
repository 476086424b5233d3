"""HTTP API of the contacts service."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from listflow.contacts.bootstrap import Container
from listflow.contacts.domain.model import Contact
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from listflow.schemas.events import ContactSnapshot
from listflow.schemas.values import ContactData
from pydantic import BaseModel


class ContactPublic(BaseModel):
    """A contact as the API shows it: national ids masked to their last four digits."""

    id: str
    version: int
    data: ContactData
    group_ids: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, contact: Contact) -> "ContactPublic":
        snap = contact.snapshot()
        return cls(
            id=snap.id,
            version=snap.version,
            data=ContactSnapshot.masked_data(snap.data),
            group_ids=list(snap.group_ids),
            created_at=snap.created_at,
            updated_at=snap.updated_at,
        )


class ContactPage(BaseModel):
    items: list[ContactPublic]
    next_cursor: str | None


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


router = APIRouter(prefix="/v1/contacts", tags=["contacts"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ContactPage, summary="List contacts, optionally of one group")
async def list_contacts(
    request: Request,
    tenant: TenantDep,
    group: Annotated[str | None, Query(description="Group name or id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ContactPage:
    container = _container(request)
    group_id: str | None = None
    if group is not None:
        group_id = await container.repository.group_id_by_name(tenant.id, group) or group
    page = await container.repository.page(tenant.id, group_id=group_id, limit=limit, cursor=cursor)
    return ContactPage(
        items=[ContactPublic.of(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.get("/{contact_id}", response_model=ContactPublic, summary="One contact")
async def get_contact(request: Request, tenant: TenantDep, contact_id: str) -> ContactPublic:
    contact = await _container(request).repository.get(tenant.id, contact_id)
    if contact is None:
        raise Problem(404, "Not Found", f"No contact {contact_id} in this tenant.")
    return ContactPublic.of(contact)

"""Admin API of the portal (`/v1/portal/...`): settings and customers' access links."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from listflow.kit.auth import TenantDep
from listflow.kit.errors import Conflict
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.portal.domain.model import AccessLink, PortalSettings
from listflow.portal.entrypoints.deps import PortalDep
from listflow.portal.handlers import Issued
from listflow.schemas.text import Id, SafeText
from pydantic import BaseModel

router = APIRouter(prefix="/v1/portal", tags=["portal"], responses=PROBLEM_RESPONSES)
ContactId = Annotated[Id, Path(description="Contact id")]


class LinkPublic(BaseModel):
    """A customer's current link. `url` is only ever given when the link is issued (the
    token is stored as a hash): here, on reissue and on demand, and in AccessLinkIssued."""

    link_id: str
    contact_id: str
    url: str | None = None
    issued_at: datetime
    expires_at: datetime
    revoked: bool
    reason: str

    @classmethod
    def of(cls, link: AccessLink, url: str | None = None) -> "LinkPublic":
        return cls(
            link_id=link.id,
            contact_id=link.contact_id,
            url=url,
            issued_at=link.issued_at,
            expires_at=link.expires_at,
            revoked=link.revoked_at is not None,
            reason=link.reason,
        )

    @classmethod
    def issued(cls, issued: Issued) -> "LinkPublic":
        return cls.of(issued.link, issued.url)


class LinkList(BaseModel):
    items: list[LinkPublic]
    next_cursor: str | None


class LinkRequest(BaseModel):
    contact_id: Id


@router.get("/settings", response_model=PortalSettings, summary="The tenant's portal settings")
async def get_settings(tenant: TenantDep, portal: PortalDep) -> PortalSettings:
    """The tenant's portal settings (the defaults until it saves its own)."""
    return await portal.settings(tenant.id)


@router.put("/settings", response_model=PortalSettings, summary="Replace the portal settings")
async def put_settings(
    body: PortalSettings, tenant: TenantDep, portal: PortalDep
) -> PortalSettings:
    """Replace the tenant's portal settings (facts asked at ID&V, limits, link expiry)."""
    return await portal.put_settings(tenant.id, body)


@router.get("/links", response_model=LinkList, summary="Customers' access links")
async def list_links(
    tenant: TenantDep,
    portal: PortalDep,
    contact_id: Annotated[Id | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[SafeText | None, Query(max_length=200)] = None,
) -> LinkList:
    """The current link of each customer (or of one, with `contact_id`)."""
    page = await portal.links(tenant.id, contact_id=contact_id, limit=limit, cursor=cursor)
    return LinkList(items=[LinkPublic.of(li) for li in page.items], next_cursor=page.next_cursor)


@router.post(
    "/links",
    response_model=LinkPublic,
    status_code=201,
    summary="Issue a customer's link if it has none",
)
async def issue_link(body: LinkRequest, tenant: TenantDep, portal: PortalDep) -> LinkPublic:
    """Issue a link (with its URL) on demand; a customer with a usable link keeps it."""
    issued = await portal.issue_on_demand(tenant.id, body.contact_id)
    if issued is None:
        raise Conflict("Link exists", "The customer has a usable link; reissue it to replace it.")
    return LinkPublic.issued(issued)


@router.post(
    "/links/{contact_id}/reissue",
    response_model=LinkPublic,
    status_code=201,
    summary="Revoke a customer's link and issue a new one",
)
async def reissue_link(contact_id: ContactId, tenant: TenantDep, portal: PortalDep) -> LinkPublic:
    """A new link (with its URL); the old one stops working at once."""
    return LinkPublic.issued(await portal.reissue(tenant.id, contact_id))


@router.post(
    "/links/{contact_id}/revoke",
    response_model=LinkPublic,
    summary="Revoke a customer's link",
)
async def revoke_link(contact_id: ContactId, tenant: TenantDep, portal: PortalDep) -> LinkPublic:
    """The link stops working at once (a reissue gives the customer a new one)."""
    link = await portal.revoke(tenant.id, contact_id)
    assert link is not None  # revoke raises NotFound when there is none
    return LinkPublic.of(link)

"""Admin API of the portal (`/v1/portal/...`): settings and customers' access links."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from listflow.kit.auth import TenantDep
from listflow.kit.cells import safe_cell
from listflow.kit.errors import Conflict
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.portal.domain.model import AccessLink, PortalSettings
from listflow.portal.domain.money import Payment
from listflow.portal.entrypoints.deps import PortalDep, SelfServiceDep
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


class PaymentPublic(BaseModel):
    payment_id: str
    contact_id: str
    account_id: str
    account_number: str
    amount: Decimal
    currency: str
    status: str
    reason: str | None
    created_at: datetime
    settled_at: datetime | None
    provider_reference: str | None

    @classmethod
    def of(cls, p: Payment) -> "PaymentPublic":
        return cls(
            payment_id=p.id,
            contact_id=p.contact_id,
            account_id=p.account_id,
            account_number=p.account_number,
            amount=p.amount,
            currency=p.currency,
            status=p.status,
            reason=p.reason,
            created_at=p.created_at,
            settled_at=p.settled_at,
            provider_reference=p.provider_reference,
        )


class PaymentList(BaseModel):
    items: list[PaymentPublic]
    next_cursor: str | None


class AttemptPublic(BaseModel):
    attempt_id: str
    contact_id: str
    link_id: str
    at: datetime
    outcome: str
    address: str


class AttemptList(BaseModel):
    items: list[AttemptPublic]
    next_cursor: str | None


Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[SafeText | None, Query(max_length=200)]


@router.get("/payments", response_model=PaymentList, summary="Customers' payments")
async def list_payments(
    tenant: TenantDep,
    selfservice: SelfServiceDep,
    contact_id: Annotated[Id | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> PaymentList:
    """Every payment started in the portal (pending, succeeded, failed), newest first."""
    page = await selfservice.store.payments_page(
        tenant.id, contact_id=contact_id, limit=limit, cursor=cursor
    )
    return PaymentList(
        items=[PaymentPublic.of(p) for p in page.items], next_cursor=page.next_cursor
    )


CSV_HEADER = list(PaymentPublic.model_fields)


@router.get(
    "/payments.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="Customers' payments as CSV",
)
async def payments_csv(tenant: TenantDep, selfservice: SelfServiceDep) -> StreamingResponse:
    """The payments as CSV, safe to open in a spreadsheet (no cell runs as a formula)."""

    async def rows() -> AsyncIterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        cursor: str | None = None
        while True:
            page = await selfservice.store.payments_page(
                tenant.id, contact_id=None, limit=500, cursor=cursor
            )
            for p in page.items:
                values = PaymentPublic.of(p).model_dump(mode="json")
                writer.writerow([safe_cell(values[k]) for k in CSV_HEADER])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
    )


@router.get("/idv-attempts", response_model=AttemptList, summary="The audit of ID&V attempts")
async def idv_attempts(
    tenant: TenantDep,
    selfservice: SelfServiceDep,
    contact_id: Annotated[Id | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> AttemptList:
    """Each identity check a customer's link saw (passed, failed, locked, throttled), newest
    first; `address` is a keyed digest of the client's address, never the address."""
    page = await selfservice.store.attempts_page(
        tenant.id, contact_id=contact_id, limit=limit, cursor=cursor
    )
    return AttemptList(
        items=[
            AttemptPublic(
                attempt_id=a.id,
                contact_id=a.contact_id,
                link_id=a.link_id,
                at=a.at,
                outcome=a.outcome,
                address=a.address,
            )
            for a in page.items
        ],
        next_cursor=page.next_cursor,
    )

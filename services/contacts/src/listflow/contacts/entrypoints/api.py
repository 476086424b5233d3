"""HTTP API of the contacts service: contacts."""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from listflow.contacts import manage
from listflow.contacts.domain.confirmation import TOKEN_TTL
from listflow.contacts.domain.model import Contact
from listflow.contacts.entrypoints.deps import ContainerDep, ToolsDep
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from listflow.schemas.events import ContactSnapshot, HoldReason
from listflow.schemas.text import Id, SafeText
from listflow.schemas.values import ConsentRecord, ContactData, MatchPolicy, MergeMode, RowStatus
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ContactId = Annotated[Id, Path(description="Contact id")]
# Extra columns are stored as a sub-document: its keys may not start with "$" or hold a "."
# (MongoDB's and FerretDB's rules for field names).
ExtraKey = Annotated[
    SafeText, StringConstraints(min_length=1, max_length=100, pattern=r"^[^$.][^.]*$")
]
ExtraValue = Annotated[SafeText, StringConstraints(max_length=2000)]


class ContactPublic(BaseModel):
    """A contact as the API shows it: national ids masked to their last four digits."""

    id: str
    version: int
    data: ContactData
    group_ids: list[str]
    consent_sources: list[ConsentRecord] = []
    created_at: datetime
    updated_at: datetime
    held_until: date | None = Field(
        default=None,
        description="Held out of collections until this day (inclusive): an active promise "
        "to pay or payment plan",
    )
    hold_reason: HoldReason | None = None

    @classmethod
    def of(cls, contact: Contact) -> "ContactPublic":
        snap = contact.snapshot()
        return cls(
            id=snap.id,
            version=snap.version,
            data=ContactSnapshot.masked_data(snap.data),
            group_ids=list(snap.group_ids),
            consent_sources=list(snap.consent_sources),
            created_at=snap.created_at,
            updated_at=snap.updated_at,
            held_until=snap.held_until,
            hold_reason=snap.hold_reason,
        )


class ContactPage(BaseModel):
    items: list[ContactPublic]
    next_cursor: str | None
    total: int | None = Field(
        default=None, description="Contacts matching the filters over every page (?total=true)"
    )


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: SafeText = Field(min_length=1, max_length=100)
    balance: Annotated[SafeText, StringConstraints(max_length=40)] | float | None = None
    currency: SafeText | None = Field(default=None, max_length=10)
    status: SafeText | None = Field(default=None, max_length=50)


class ConsentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: bool | None = None
    sms: bool | None = None
    call: bool | None = None


class ContactFields(BaseModel):
    """Fields as a person types them; normalized by the same rules as an upload's cells.
    `ssn` and `document_number` are accepted in clear and never shown again."""

    model_config = ConfigDict(extra="forbid")
    customer_type: Annotated[SafeText, StringConstraints(max_length=20)] | None = None
    first_name: SafeText | None = Field(default=None, max_length=200)
    last_name: SafeText | None = Field(default=None, max_length=200)
    company_name: SafeText | None = Field(default=None, max_length=300)
    customer_id: SafeText | None = Field(default=None, max_length=100)
    external_id: SafeText | None = Field(default=None, max_length=100)
    document_type: SafeText | None = Field(default=None, max_length=50)
    document_number: SafeText | None = Field(default=None, max_length=50)
    ssn: SafeText | None = Field(default=None, max_length=20)
    date_of_birth: SafeText | None = Field(default=None, description="YYYY-MM-DD")
    phones: list[Annotated[SafeText, StringConstraints(max_length=320)]] | None = Field(
        default=None, max_length=5
    )
    emails: list[Annotated[SafeText, StringConstraints(max_length=320)]] | None = Field(
        default=None, max_length=20
    )
    address: SafeText | None = Field(default=None, max_length=500)
    city: SafeText | None = Field(default=None, max_length=200)
    state: SafeText | None = Field(default=None, max_length=100)
    postcode: SafeText | None = Field(default=None, max_length=20)
    country: SafeText | None = Field(default=None, max_length=100)
    time_zone: SafeText | None = Field(default=None, max_length=64)
    accounts: list[AccountIn] | None = Field(default=None, max_length=100)
    tags: list[Annotated[SafeText, StringConstraints(max_length=320)]] | None = Field(
        default=None, max_length=50, description="Defined tags only"
    )
    consents: ConsentsIn | None = None
    extra: dict[ExtraKey, ExtraValue] | None = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"groups", "match", "version"})


class ContactCreate(ContactFields):
    groups: list[Id] = Field(
        default_factory=list, max_length=50, description="Existing group names or ids"
    )
    match: MatchPolicy = Field(
        default_factory=MatchPolicy,
        description="How to treat an existing contact with the same key (as in an upload)",
    )


class ContactUpdate(ContactFields):
    version: int = Field(ge=1, description="The version read; a newer stored one is a 409")
    groups: list[Id] | None = Field(
        default=None, max_length=50, description="Replaces the contact's groups"
    )


class ContactWritten(ContactPublic):
    outcome: RowStatus = Field(description="imported (new contact) or updated (matched one)")


class DeletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Id] = Field(min_length=1, max_length=1000)
    confirmation_token: Annotated[SafeText, StringConstraints(max_length=200)] | None = Field(
        default=None, description="From the preview; without it nothing is deleted"
    )


class DeletionCandidate(BaseModel):
    id: str
    version: int
    name: str | None


class DeletionPreview(BaseModel):
    """Nothing is deleted yet: send the same ids with `confirmation_token` to delete."""

    contacts: list[DeletionCandidate]
    not_found: list[str]
    confirmation_token: str
    expires_in_seconds: int


class DeletionDone(BaseModel):
    deleted: list[str]
    changed_meanwhile: list[str] = Field(description="Changed after the preview: kept")


class MergeRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate_ids: list[Id] = Field(min_length=1, max_length=100)
    merge: MergeMode = Field(
        default=MergeMode.FILL_BLANKS,
        description="fill_blanks: the survivor's values win, duplicates fill its blanks; "
        "overwrite: later duplicates' values win. Lists (phones, emails, accounts, tags, "
        "groups, extra columns) are united either way.",
    )


def _candidate(contact: Contact) -> DeletionCandidate:
    d = contact.data
    name = " ".join(n for n in (d.first_name, d.last_name) if n) or d.company_name
    return DeletionCandidate(id=contact.id, version=contact.version, name=name)


router = APIRouter(prefix="/v1/contacts", tags=["contacts"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ContactPage, summary="List and search contacts")
async def list_contacts(
    container: ContainerDep,
    tenant: TenantDep,
    group: Annotated[Id | None, Query(description="Group name or id")] = None,
    tag: Annotated[SafeText | None, Query(max_length=64)] = None,
    phone: Annotated[
        SafeText | None, Query(max_length=40, description="Any format; E.164 best")
    ] = None,
    email: Annotated[SafeText | None, Query(max_length=254)] = None,
    name: Annotated[
        SafeText | None,
        Query(max_length=200, description="Whole words of first, last or company name"),
    ] = None,
    updated_since: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    region: Annotated[
        str | None, Query(pattern=r"^[A-Za-z]{2}$", description="Region for a national phone")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[SafeText | None, Query(max_length=200)] = None,
    total: Annotated[
        bool,
        Query(description="Also count every contact the filters match (one more query)"),
    ] = False,
) -> ContactPage:
    tools = container.tools
    filters = manage.contact_filter(
        tenant.id,
        tag=tag,
        phone=phone,
        email=email,
        name=name,
        updated_since=updated_since,
        region=(region or container.settings.contacts_default_region).upper(),
    )
    group_id = await manage.resolve_group(tools, tenant.id, group) if group is not None else None
    page = await container.repository.page(
        tenant.id, group_id=group_id, limit=limit, cursor=cursor, filters=filters
    )
    counted = (
        await container.repository.count(tenant.id, group_id=group_id, filters=filters)
        if total
        else None
    )
    return ContactPage(
        items=[ContactPublic.of(c) for c in page.items],
        next_cursor=page.next_cursor,
        total=counted,
    )


@router.post(
    "",
    response_model=ContactWritten,
    status_code=201,
    summary="Create a contact by hand (matched and merged like an upload's row)",
    responses={200: {"description": "Matched an existing contact, which was updated"}},
)
async def create_contact(
    tools: ToolsDep,
    tenant: TenantDep,
    body: ContactCreate,
    response: Response,
    idempotency_key: Annotated[SafeText | None, Header(max_length=200)] = None,
) -> ContactWritten:
    status, contact = await manage.create_contact(
        tools,
        tenant.id,
        body.given(),
        groups=body.groups,
        match=body.match,
        idempotency_key=idempotency_key,
    )
    if status is RowStatus.UPDATED:
        response.status_code = 200
    return ContactWritten(**ContactPublic.of(contact).model_dump(), outcome=status)


@router.post(
    "/deletions",
    response_model=DeletionPreview | DeletionDone,
    summary="Delete contacts in two steps: preview (token), then confirm with the token",
)
async def delete_many(
    tools: ToolsDep, tenant: TenantDep, body: DeletionRequest
) -> DeletionPreview | DeletionDone:
    if body.confirmation_token is None:
        preview = await manage.preview_deletion(tools, tenant.id, body.ids)
        return DeletionPreview(
            contacts=[_candidate(c) for c in preview.contacts],
            not_found=preview.not_found,
            confirmation_token=preview.token,
            expires_in_seconds=int(TOKEN_TTL.total_seconds()),
        )
    deleted, kept = await manage.delete_contacts(
        tools, tenant.id, body.ids, body.confirmation_token
    )
    return DeletionDone(deleted=deleted, changed_meanwhile=kept)


@router.get("/{contact_id}", response_model=ContactPublic, summary="One contact")
async def get_contact(
    container: ContainerDep, tenant: TenantDep, contact_id: ContactId
) -> ContactPublic:
    contact = await container.repository.get(tenant.id, contact_id)
    if contact is None:
        raise Problem(404, "Not Found", f"No contact {contact_id} in this tenant.")
    return ContactPublic.of(contact)


@router.patch(
    "/{contact_id}",
    response_model=ContactPublic,
    summary="Set fields of a contact (versioned: send the version you read)",
)
async def update_contact(
    tools: ToolsDep, tenant: TenantDep, contact_id: ContactId, body: ContactUpdate
) -> ContactPublic:
    contact = await manage.update_contact(
        tools, tenant.id, contact_id, body.version, body.given(), body.groups
    )
    return ContactPublic.of(contact)


@router.delete(
    "/{contact_id}",
    status_code=204,
    summary="Delete a contact; without confirmation_token answers 428 with one",
    responses={428: {"description": "Confirm: repeat with the confirmation_token given"}},
)
async def delete_one(
    tools: ToolsDep,
    tenant: TenantDep,
    contact_id: ContactId,
    confirmation_token: Annotated[SafeText | None, Query(max_length=200)] = None,
) -> Response:
    if confirmation_token is None:
        preview = await manage.preview_deletion(tools, tenant.id, [contact_id])
        if not preview.contacts:
            raise Problem(404, "Not Found", f"No contact {contact_id} in this tenant.")
        raise Problem(
            428,
            "Confirmation Required",
            "Repeat the request with ?confirmation_token=... to delete this contact.",
            confirmation_token=preview.token,
            contact=_candidate(preview.contacts[0]).model_dump(),
        )
    deleted, _ = await manage.delete_contacts(tools, tenant.id, [contact_id], confirmation_token)
    if not deleted:
        raise Problem(409, "Conflict", "The contact changed meanwhile; ask again.")
    return Response(status_code=204)


@router.post(
    "/{contact_id}/merge",
    response_model=ContactPublic,
    summary="Merge duplicate contacts into this one (they are deleted)",
)
async def merge_into(
    tools: ToolsDep, tenant: TenantDep, contact_id: ContactId, body: MergeRequestIn
) -> ContactPublic:
    merged = await manage.merge_contacts(
        tools, tenant.id, contact_id, body.duplicate_ids, body.merge
    )
    return ContactPublic.of(merged)

"""HTTP API of message templates: create, read, list, update, delete, preview."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from listflow.campaigns.domain.templates import (
    FIELDS,
    MessageTemplate,
    Rendered,
    RenderFailed,
    TemplateContent,
    check,
    html_to_text,
    preview,
    sms_segments,
)
from listflow.campaigns.entrypoints.deps import TemplatesDep
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.schemas.text import Id, SafeText
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

TemplateId = Annotated[Id, Path(description="Message template id")]
Name = Annotated[SafeText, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Subject = Annotated[SafeText, StringConstraints(max_length=998)]  # RFC 5322 line limit
Part = Annotated[SafeText, StringConstraints(max_length=200_000)]
SmsBody = Annotated[SafeText, StringConstraints(max_length=2000)]
SampleValue = Annotated[SafeText, StringConstraints(max_length=2000)]


class TemplateIn(BaseModel):
    """A template's content. Email: subject and html or text (the text part is derived from
    the HTML when absent); SMS: body. Fields are named as `{{ first_name }}`."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    channel: Literal["email", "sms"]
    subject: Subject | None = None
    html: Part | None = None
    text: Part | None = None
    body: SmsBody | None = None

    def content(self) -> TemplateContent:
        return TemplateContent(
            channel=self.channel,
            subject=self.subject,
            html=self.html,
            text=self.text,
            body=self.body,
        )


class TemplateCreate(TemplateIn):
    pass


class TemplateUpdate(TemplateIn):
    version: int | None = Field(
        default=None, ge=1, description="The version read; a newer stored one is a 409"
    )


class SmsSegments(BaseModel):
    encoding: Literal["GSM-7", "UCS-2"]
    units: int = Field(description="Septets (GSM-7) or UTF-16 code units (UCS-2)")
    segments: int


class TemplatePublic(BaseModel):
    id: str
    name: str
    channel: Literal["email", "sms"]
    subject: str | None
    html: str | None
    text: str | None = Field(description="As saved; when absent the text part is derived")
    text_derived: bool = Field(description="Whether the text part is derived from the HTML")
    body: str | None
    sms: SmsSegments | None = Field(
        description="SMS only: segments of the body rendered for the sample contact"
    )
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, template: MessageTemplate, sample: Rendered | None = None) -> "TemplatePublic":
        c = template.content
        sms = None
        if c.channel == "sms":
            s = sms_segments(sample.body if sample and sample.body is not None else c.body or "")
            sms = SmsSegments(encoding=s.encoding, units=s.units, segments=s.segments)
        return cls(
            id=template.id,
            name=template.name,
            channel=c.channel,
            subject=c.subject,
            html=c.html,
            text=c.text if c.text is not None else (html_to_text(c.html) if c.html else None),
            text_derived=c.channel == "email" and c.text is None,
            body=c.body,
            sms=sms,
            version=template.version,
            created_at=template.created_at,
            updated_at=template.updated_at,
        )


class TemplateList(BaseModel):
    items: list[TemplatePublic]


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, SampleValue] = Field(
        default_factory=dict,
        max_length=100,
        description="Field values over the sample contact's (e.g. first_name, portal_url)",
    )

    @field_validator("values")
    @classmethod
    def _known_fields(cls, values: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(values) - FIELDS - {"accounts", "extra"})
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}")
        if "accounts" in values or "extra" in values:
            raise ValueError("accounts and extra take no single value")
        return values


class SegmentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: SmsBody


class PreviewOut(BaseModel):
    template_id: str
    channel: Literal["email", "sms"]
    subject: str | None
    html: str | None
    text: str | None
    body: str | None
    sms: SmsSegments | None


router = APIRouter(
    prefix="/v1/message-templates", tags=["message-templates"], responses=PROBLEM_RESPONSES
)


@router.post("", response_model=TemplatePublic, status_code=201, summary="Create a template")
async def create_template(
    templates: TemplatesDep, tenant: TenantDep, body: TemplateCreate
) -> TemplatePublic:
    """Check and save a template; a field outside the catalogue is a 422 naming it."""
    template = await templates.create(tenant.id, body.name, body.content())
    return _public(template)


@router.get("", response_model=TemplateList, summary="List the tenant's templates")
async def list_templates(templates: TemplatesDep, tenant: TenantDep) -> TemplateList:
    """Every template of the tenant, oldest first."""
    return TemplateList(items=[_public(t) for t in await templates.list(tenant.id)])


@router.post(
    "/sms-segments", response_model=SmsSegments, summary="Count an unsaved SMS body's segments"
)
async def count_sms_segments(_: TenantDep, body: SegmentsIn) -> SmsSegments:
    """GSM-7/UCS-2 segments of an SMS body rendered for the sample contact, checked as a
    saved one is (a 422 naming an unknown field): the console's count while typing."""
    content = TemplateContent(channel="sms", body=body.body)
    check(content)
    try:
        rendered = preview(content).body
    except RenderFailed:
        rendered = None
    s = sms_segments(rendered if rendered is not None else body.body)
    return SmsSegments(encoding=s.encoding, units=s.units, segments=s.segments)


@router.get("/{template_id}", response_model=TemplatePublic, summary="Read a template")
async def get_template(
    templates: TemplatesDep, tenant: TenantDep, template_id: TemplateId
) -> TemplatePublic:
    """One template of the tenant."""
    return _public(await templates.get(tenant.id, template_id))


@router.put("/{template_id}", response_model=TemplatePublic, summary="Update a template")
async def update_template(
    templates: TemplatesDep, tenant: TenantDep, template_id: TemplateId, body: TemplateUpdate
) -> TemplatePublic:
    """Replace the template's name and content, checked as a new one is."""
    template = await templates.update(
        tenant.id, template_id, body.name, body.content(), body.version
    )
    return _public(template)


@router.delete(
    "/{template_id}", status_code=204, response_class=Response, summary="Delete a template"
)
async def delete_template(
    templates: TemplatesDep, tenant: TenantDep, template_id: TemplateId
) -> None:
    """Delete one template of the tenant."""
    await templates.delete(tenant.id, template_id)


@router.post(
    "/{template_id}/preview", response_model=PreviewOut, summary="Render for a sample contact"
)
async def preview_template(
    templates: TemplatesDep,
    tenant: TenantDep,
    template_id: TemplateId,
    body: PreviewIn | None = None,
) -> PreviewOut:
    """The template rendered for a sample contact, with any values given over the sample's."""
    template, out = await templates.preview(tenant.id, template_id, body.values if body else None)
    segments = sms_segments(out.body) if out.body is not None else None
    return PreviewOut(
        template_id=template.id,
        channel=template.content.channel,
        subject=out.subject,
        html=out.html,
        text=out.text,
        body=out.body,
        sms=SmsSegments(
            encoding=segments.encoding, units=segments.units, segments=segments.segments
        )
        if segments
        else None,
    )


def _public(template: MessageTemplate) -> TemplatePublic:
    sample = None
    if template.content.channel == "sms":
        # A template the sample cannot render (a filter that wants a number) counts its source.
        try:
            sample = preview(template.content)
        except RenderFailed:
            sample = None
    return TemplatePublic.of(template, sample)

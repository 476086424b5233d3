"""HTTP API of campaigns (create, read, list, update and delete a draft; send, pause,
resume, cancel; stats) and of the tenant's campaign settings."""

from dataclasses import asdict
from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from listflow.campaigns.domain.model import (
    Audience,
    Campaign,
    CampaignSettings,
    Filters,
    MessageState,
    Rules,
    Trigger,
)
from listflow.campaigns.entrypoints.deps import CampaignsDep, MessagesDep
from listflow.campaigns.handlers import CampaignDraft
from listflow.campaigns.ports import Message
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.schemas.text import Id, LongText, Name, ShortText
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

CampaignId = Annotated[Id, Path(description="Campaign id")]
MessageId = Annotated[Id, Path(description="Message id (from the campaign's messages)")]
# "HH:MM", local time of day (JSON Schema's `time` format wants an offset, which a time in
# each contact's own zone has not).
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]
Money = Annotated[Decimal, Field(ge=-(10**15), le=10**15, allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FiltersIn(_In):
    balance_min: Money | None = Field(default=None, description="Total balance at least")
    balance_max: Money | None = Field(default=None, description="Total balance at most")
    updated_since: AwareDatetime | None = Field(default=None, description="Updated at or after")
    updated_before: AwareDatetime | None = Field(default=None, description="Updated before")
    postcode_prefix: Annotated[ShortText, Field(max_length=20)] | None = None
    consent: bool = Field(
        default=False, description="Only contacts whose consent on the channel is given"
    )


class AudienceIn(_In):
    groups: list[Name] = Field(default=[], max_length=50, description="Contact group names")
    tags: list[ShortText] = Field(default=[], max_length=50, description="Every one required")
    upload_id: Id | None = None
    filters: FiltersIn = Field(default_factory=FiltersIn)

    def domain(self) -> Audience:
        return Audience(
            groups=tuple(self.groups),
            tags=tuple(self.tags),
            upload_id=self.upload_id,
            filters=Filters(**self.filters.model_dump()),
        )


class TriggerIn(_In):
    on: Literal["list_ready", "now", "schedule", "manual"] = Field(
        default="manual",
        description="list_ready: when a group of the audience (or its upload) is ready; "
        "schedule: at `at`; now: at once; manual: on POST /send",
    )
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _at_for_schedule(self) -> "TriggerIn":
        if self.on == "schedule" and self.at is None:
            raise ValueError("a scheduled trigger needs `at`")
        return self


class CampaignIn(_In):
    name: Name
    channel: Literal["email", "sms"]
    template_id: Id
    audience: AudienceIn
    trigger: TriggerIn = Field(default_factory=TriggerIn)
    send_rate: float = Field(default=100.0, gt=0, le=10_000, description="Messages per second")

    def draft(self) -> CampaignDraft:
        return CampaignDraft(
            name=self.name,
            channel=self.channel,
            template_id=self.template_id,
            audience=self.audience.domain(),
            trigger=Trigger(on=self.trigger.on, at=self.trigger.at),
            send_rate=self.send_rate,
        )


class CampaignPublic(BaseModel):
    id: str
    name: str
    channel: Literal["email", "sms"]
    template_id: str
    audience: dict[str, Any]
    trigger: dict[str, Any]
    status: Literal["draft", "sending", "paused", "completed", "cancelled"]
    send_rate: float
    created_at: datetime
    triggered_at: datetime | None
    targeted_at: datetime | None = Field(description="When the whole audience was claimed")
    finished_at: datetime | None = Field(
        default=None, description="When its last message was settled (status completed)"
    )

    @classmethod
    def of(cls, c: Campaign) -> "CampaignPublic":
        return cls(
            id=c.id,
            name=c.name,
            channel=c.channel,
            template_id=c.template_id,
            audience=c.audience.model_dump(mode="json"),
            trigger=c.trigger.model_dump(mode="json"),
            status=c.status.value,
            send_rate=c.send_rate,
            created_at=c.created_at,
            triggered_at=c.triggered_at,
            targeted_at=c.targeted_at,
            finished_at=c.finished_at,
        )


class CampaignList(BaseModel):
    items: list[CampaignPublic]


class StatsOut(BaseModel):
    """targeted = sum(suppressed) + sent + failed + pending + cancelled; deferred is part
    of pending, delivered part of sent."""

    targeted: int
    suppressed: dict[str, int]
    deferred: int
    pending: int
    sent: int
    delivered: int
    failed: int
    unsubscribed: int
    cancelled: int = Field(description="Still open when the campaign was cancelled: never sent")


class MessagePublic(BaseModel):
    """One message of the ledger: no address and no body, the contact id says who."""

    id: str
    contact_id: str
    channel: Literal["email", "sms"]
    state: MessageState
    reason: str | None = Field(description="Why it was suppressed (the stats' reason codes)")
    error: str | None = Field(description="Why it failed: the kind of error, or the provider's")
    attempts: int
    created_at: datetime
    due_at: datetime = Field(description="When it is (or was) next due")
    sent_at: datetime | None

    @classmethod
    def of(cls, m: Message) -> "MessagePublic":
        return cls(
            id=m.id,
            contact_id=m.contact_id,
            channel=m.channel,
            state=m.state,
            reason=m.reason,
            error=m.error,
            attempts=m.attempts,
            created_at=m.created_at,
            due_at=m.due_at,
            sent_at=m.sent_at,
        )


class MessagePageOut(BaseModel):
    items: list[MessagePublic]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last")


class SettingsIO(_In):
    quiet_hours_start: ClockTime = Field(
        default="08:00", description="Sending opens, in the contact's local time (HH:MM)"
    )
    quiet_hours_end: ClockTime = Field(default="21:00", description="Sending closes (HH:MM)")
    frequency_cap_messages: int = Field(
        default=7, ge=1, le=1000, description="At most this many messages per channel"
    )
    frequency_cap_days: int = Field(default=7, ge=1, le=365, description="In this many days")
    sms_help_text: LongText = Field(
        default=CampaignSettings().sms_help_text, min_length=1, description="Answer to HELP"
    )

    @model_validator(mode="after")
    def _window(self) -> "SettingsIO":
        if self.quiet_hours_start >= self.quiet_hours_end:
            raise ValueError("quiet_hours_start must be before quiet_hours_end")
        return self

    def domain(self) -> CampaignSettings:
        rules = Rules(
            quiet_start=time.fromisoformat(self.quiet_hours_end),
            quiet_end=time.fromisoformat(self.quiet_hours_start),
            cap_messages=self.frequency_cap_messages,
            cap_days=self.frequency_cap_days,
        )
        return CampaignSettings(rules=rules, sms_help_text=self.sms_help_text)

    @classmethod
    def of(cls, s: CampaignSettings) -> "SettingsIO":
        return cls(
            quiet_hours_start=s.rules.quiet_end.strftime("%H:%M"),
            quiet_hours_end=s.rules.quiet_start.strftime("%H:%M"),
            frequency_cap_messages=s.rules.cap_messages,
            frequency_cap_days=s.rules.cap_days,
            sms_help_text=s.sms_help_text,
        )


router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"], responses=PROBLEM_RESPONSES)
settings_router = APIRouter(
    prefix="/v1/campaign-settings", tags=["campaigns"], responses=PROBLEM_RESPONSES
)


@router.post("", response_model=CampaignPublic, status_code=201, summary="Create a campaign")
async def create_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, body: CampaignIn
) -> CampaignPublic:
    """A draft waiting for its trigger (a `now` trigger starts sending at once); the template
    must be the tenant's and of the campaign's channel (422 otherwise)."""
    return CampaignPublic.of(await campaigns.create(tenant.id, body.draft()))


@router.get("", response_model=CampaignList, summary="List the tenant's campaigns")
async def list_campaigns(campaigns: CampaignsDep, tenant: TenantDep) -> CampaignList:
    """Every campaign of the tenant, oldest first."""
    return CampaignList(items=[CampaignPublic.of(c) for c in await campaigns.list(tenant.id)])


@router.get("/{campaign_id}", response_model=CampaignPublic, summary="Read a campaign")
async def get_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId
) -> CampaignPublic:
    return CampaignPublic.of(await campaigns.get(tenant.id, campaign_id))


@router.put("/{campaign_id}", response_model=CampaignPublic, summary="Update a draft")
async def update_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId, body: CampaignIn
) -> CampaignPublic:
    """Replace a draft's content (409 once it has started sending or is cancelled)."""
    return CampaignPublic.of(await campaigns.update(tenant.id, campaign_id, body.draft()))


@router.delete("/{campaign_id}", status_code=204, response_class=Response, summary="Delete a draft")
async def delete_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId
) -> None:
    """Delete a draft (a campaign that has sent keeps its record: cancel it instead)."""
    await campaigns.delete(tenant.id, campaign_id)


@router.post("/{campaign_id}/send", response_model=CampaignPublic, summary="Send a draft now")
async def send_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId
) -> CampaignPublic:
    """Start sending at once, whatever the trigger: every contact of the audience is claimed
    in the ledger, once."""
    return CampaignPublic.of(await campaigns.send(tenant.id, campaign_id))


@router.post("/{campaign_id}/pause", response_model=CampaignPublic, summary="Pause sending")
async def pause_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId
) -> CampaignPublic:
    return CampaignPublic.of(await campaigns.move(tenant.id, campaign_id, "pause"))


@router.post("/{campaign_id}/resume", response_model=CampaignPublic, summary="Resume sending")
async def resume_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId
) -> CampaignPublic:
    return CampaignPublic.of(await campaigns.move(tenant.id, campaign_id, "resume"))


@router.post("/{campaign_id}/cancel", response_model=CampaignPublic, summary="Cancel")
async def cancel_campaign(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId
) -> CampaignPublic:
    """No further message of it is sent: every message still due is settled as cancelled
    (counted in the stats); what was sent stays recorded."""
    return CampaignPublic.of(await campaigns.move(tenant.id, campaign_id, "cancel"))


@router.get("/{campaign_id}/stats", response_model=StatsOut, summary="Counts by outcome")
async def campaign_stats(
    campaigns: CampaignsDep, tenant: TenantDep, campaign_id: CampaignId
) -> StatsOut:
    """From the ledger: targeted = suppressed (by reason) + sent + failed + pending."""
    return StatsOut(**asdict(await campaigns.stats(tenant.id, campaign_id)))


@router.get(
    "/{campaign_id}/messages", response_model=MessagePageOut, summary="The campaign's messages"
)
async def campaign_messages(
    messages: MessagesDep,
    tenant: TenantDep,
    campaign_id: CampaignId,
    state: Annotated[
        list[MessageState] | None,
        Query(max_length=8, description="Only messages in these states (repeat the parameter)"),
    ] = None,
    cursor: Annotated[Id | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> MessagePageOut:
    """Who got what, who was skipped and why, who failed and why: one entry per contact of
    the audience, by message id, `state=failed` for those to retry."""
    page = await messages.page(
        tenant.id, campaign_id, states=state or (), cursor=cursor, limit=limit
    )
    return MessagePageOut(
        items=[MessagePublic.of(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/{campaign_id}/messages/{message_id}/retry",
    response_model=MessagePublic,
    summary="Retry a failed message",
)
async def retry_message(
    messages: MessagesDep, tenant: TenantDep, campaign_id: CampaignId, message_id: MessageId
) -> MessagePublic:
    """Put one failed message back among the due ones (pending; sent on the sender's next
    pass, once the campaign is sending). 409 for a message that is not failed or a
    cancelled campaign."""
    return MessagePublic.of(await messages.retry(tenant.id, campaign_id, message_id))


@settings_router.get("", response_model=SettingsIO, summary="The tenant's campaign settings")
async def get_settings(campaigns: CampaignsDep, tenant: TenantDep) -> SettingsIO:
    """Quiet hours (sending window in each contact's local time), the frequency cap per
    channel across campaigns, the SMS HELP answer; defaults until changed."""
    return SettingsIO.of(await campaigns.settings(tenant.id))


@settings_router.put("", response_model=SettingsIO, summary="Change the campaign settings")
async def put_settings(campaigns: CampaignsDep, tenant: TenantDep, body: SettingsIO) -> SettingsIO:
    return SettingsIO.of(await campaigns.put_settings(tenant.id, body.domain()))

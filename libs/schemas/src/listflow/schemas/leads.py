"""Lead events: rows bound for a dialer list, lead changes, the dialer queue and dial outcomes.

Kept apart from events.py so that the lead contract reads on its own; the models register
themselves in `events.EVENT_TYPES`, so `events.decode` knows them once this module is imported.
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from listflow.schemas.events import EVENT_TYPES, Event
from listflow.schemas.normalize import (
    DateOrder,
    normalize_email,
    parse_bool,
    parse_date,
    parse_decimal,
)
from listflow.schemas.text import SafeText
from listflow.schemas.values import Frozen, Phone, TargetRef
from pydantic import Field

DuplicateScope = Literal["none", "list", "campaign", "tenant"]
DuplicateAction = Literal["skip", "update", "migrate"]


class DuplicatePolicy(Frozen):
    """Which stored leads count as duplicates of a row (by any phone), and what to do then."""

    scope: DuplicateScope = "list"
    action: DuplicateAction = "skip"


CustomType = Literal["text", "number", "integer", "boolean", "date", "email"]


class CustomFieldDefinition(Frozen):
    """One column of a lead list's table definition; uploads are validated against it."""

    name: SafeText = Field(min_length=1, max_length=100)
    type: CustomType = "text"
    nullable: bool = True
    unique: bool = False


def parse_custom(
    definition: CustomFieldDefinition, raw: str | None, date_order: DateOrder = "YMD"
) -> str | int | float | bool | None:
    """The typed value of a custom cell, or ValueError naming what is wrong; a date cell is
    read in `date_order` (ISO 8601 always)."""
    text = (raw or "").strip()
    if not text:
        if not definition.nullable:
            raise ValueError("required value is missing")
        return None
    match definition.type:
        case "text":
            return text
        case "number":
            return float(parse_decimal(text))
        case "integer":
            number = parse_decimal(text)
            if number != number.to_integral_value():
                raise ValueError("not a whole number")
            return int(number)
        case "boolean":
            return parse_bool(text)
        case "date":
            return parse_date(text, date_order).isoformat()
        case "email":
            return normalize_email(text)


class CustomValue(Frozen):
    """One custom field of a lead, typed by the list's field definition (text if undefined)."""

    name: str
    value: str | int | float | bool | None = None


class LeadData(Frozen):
    """Canonical fields of one lead as read from one row."""

    name: str | None = None
    phones: tuple[Phone, ...] = Field(default=(), max_length=5)
    time_zone: str | None = None
    email: str | None = None
    custom: tuple[CustomValue, ...] = ()


# --- ingest.lead-rows.v1 -------------------------------------------------------------------


class LeadRowParsed(Event):
    """One valid, normalized row of an upload bound for a lead list."""

    ce_type: ClassVar[str] = "listflow.ingest.LeadRowParsed"
    upload_id: str
    row_number: int = Field(ge=1, description="1-based data row number in the file")
    target: TargetRef
    match_value: str = Field(description="The first phone (E.164): the row's Kafka key")
    duplicates: DuplicatePolicy = Field(default_factory=DuplicatePolicy)
    churn: bool = False
    lead: LeadData


# --- leads.changes.v1 --------------------------------------------------------------------


class LeadStatus(StrEnum):
    NEW = "new"
    QUEUED = "queued"
    DEFERRED = "deferred"
    DIALED = "dialed"
    COMPLETED = "completed"
    DNC = "dnc"


class LeadSnapshot(Frozen):
    id: str
    version: int
    list_id: str
    data: LeadData
    status: LeadStatus
    attempts: int = 0
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class LeadCreated(Event):
    ce_type: ClassVar[str] = "listflow.leads.LeadCreated"
    lead: LeadSnapshot
    upload_id: str | None = None


class LeadUpdated(Event):
    ce_type: ClassVar[str] = "listflow.leads.LeadUpdated"
    lead: LeadSnapshot
    upload_id: str | None = None


class LeadMigrated(Event):
    """The lead moved into another list (a duplicate under `migrate`), carrying the new data."""

    ce_type: ClassVar[str] = "listflow.leads.LeadMigrated"
    lead: LeadSnapshot
    from_list_id: str
    upload_id: str | None = None


class LeadDeleted(Event):
    ce_type: ClassVar[str] = "listflow.leads.LeadDeleted"
    lead_id: str
    list_id: str


# --- leads.queue.v1 (header campaign_id) ----------------------------------------------------


class LeadQueued(Event):
    """Dial this lead in this campaign. `ce_id` is `queue_id`: one per (lead, campaign, cycle,
    attempt), so a repeated publication is recognisable and a dialer dials it once."""

    ce_type: ClassVar[str] = "listflow.leads.LeadQueued"
    queue_id: str
    lead_id: str
    list_id: str
    campaign_id: str
    phones: tuple[str, ...] = Field(description="E.164, in dialing order (do-not-call removed)")
    time_zone: str | None
    attempt: int = Field(ge=1, description="Which attempt this is; echo it in DialOutcome")
    priority: int = Field(default=0, description="Higher first")
    name: str | None = None
    call_window_ends_at: datetime | None = Field(
        default=None, description="Do not start a call after this instant (lead's legal hours)"
    )
    queued_at: datetime


class LeadWithdrawn(Event):
    """Do not dial `queue_id` any more (list deleted, disabled, unassigned, lead migrated)."""

    ce_type: ClassVar[str] = "listflow.leads.LeadWithdrawn"
    queue_id: str
    lead_id: str
    campaign_id: str
    reason: str
    withdrawn_at: datetime


# --- leads.dial-outcomes.v1 -------------------------------------------------------------------


class DialResult(StrEnum):
    ANSWERED = "answered"  # a conversation happened: the lead is done
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    FAILED = "failed"  # network or number error
    CALLBACK = "callback"  # the lead asked to be called again at `callback_at`
    DNC = "dnc"  # the lead asked not to be called: the number joins the do-not-call list


class DialOutcome(Event):
    """What a dialer did with one LeadQueued (key: lead id)."""

    ce_type: ClassVar[str] = "listflow.leads.DialOutcome"
    queue_id: str = Field(description="The queue_id of the LeadQueued that was dialed")
    lead_id: str
    campaign_id: str
    result: DialResult
    phone: str | None = Field(default=None, description="The number dialed (E.164)")
    dialed_at: datetime
    callback_at: datetime | None = None
    note: str | None = Field(default=None, max_length=500)


EVENT_TYPES.update(
    {
        model.ce_type: model
        for model in (
            LeadRowParsed,
            LeadCreated,
            LeadUpdated,
            LeadMigrated,
            LeadDeleted,
            LeadQueued,
            LeadWithdrawn,
            DialOutcome,
        )
    }
)

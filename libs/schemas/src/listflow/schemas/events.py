"""Events published on Kafka. Facts in the past tense; every model is frozen and versioned.

A consumer decodes a body with `decode(ce_type, body)`: the type in the `ce_type` header
picks the model, and an upcaster (if one is registered) lifts an older payload first.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from listflow.schemas.values import (
    ConsentRecord,
    ContactData,
    Counts,
    Frozen,
    MatchKey,
    MatchPolicy,
    ProtectedId,
    RowStatus,
    TargetKind,
    TargetRef,
)
from pydantic import Field


class Event(Frozen):
    """Base of every event body. `ce_type` names it in the envelope."""

    ce_type: ClassVar[str]
    schema_version: int = 1
    tenant_id: str


# --- ingest.uploads.v1 -----------------------------------------------------------------


class UploadAccepted(Event):
    ce_type: ClassVar[str] = "listflow.ingest.UploadAccepted"
    upload_id: str
    file_name: str
    size_bytes: int
    file_format: str
    accepted_at: datetime


class UploadStarted(Event):
    ce_type: ClassVar[str] = "listflow.ingest.UploadStarted"
    upload_id: str
    target: TargetRef
    match: MatchPolicy
    started_at: datetime


class UploadParsed(Event):
    """Every row of the file has been read: `total_rows` is final from here on."""

    ce_type: ClassVar[str] = "listflow.ingest.UploadParsed"
    upload_id: str
    total_rows: int
    published_rows: int
    invalid_rows: int
    duplicate_rows: int
    parsed_at: datetime


class UploadCancelled(Event):
    ce_type: ClassVar[str] = "listflow.ingest.UploadCancelled"
    upload_id: str
    cancelled_at: datetime


class UploadCompleted(Event):
    ce_type: ClassVar[str] = "listflow.ingest.UploadCompleted"
    upload_id: str
    target: TargetRef
    counts: Counts
    completed_at: datetime


# --- ingest.contact-rows.v1 --------------------------------------------------------------


class ContactRowParsed(Event):
    """One valid, normalized row of an upload bound for a contact group."""

    ce_type: ClassVar[str] = "listflow.ingest.ContactRowParsed"
    upload_id: str
    row_number: int = Field(ge=1, description="1-based data row number in the file")
    target: TargetRef
    match: MatchPolicy
    match_key: MatchKey
    match_value: str
    contact: ContactData
    # Added compatibly: None is a producer from before the field, whose tags were always
    # created on first use; False makes contacts fail a row that names a tag not defined.
    create_missing_tags: bool | None = Field(
        default=None,
        description="The upload's create_missing_tags option; null: producer predates it",
    )


# --- ingest.row-outcomes.v1 --------------------------------------------------------------


class RowOutcome(Frozen):
    row_number: int
    status: RowStatus
    record_id: str | None = None
    reason: str | None = None


class RowOutcomes(Event):
    """What the owning service did with a batch of rows of one upload."""

    ce_type: ClassVar[str] = "listflow.ingest.RowOutcomes"
    upload_id: str
    outcomes: tuple[RowOutcome, ...]


# --- lists.ready.v1 --------------------------------------------------------------------


class ListReady(Event):
    """Every row of an upload into this list has an outcome; downstream may act on the list."""

    ce_type: ClassVar[str] = "listflow.lists.ListReady"
    list_kind: TargetKind
    list_id: str
    list_name: str
    upload_id: str
    counts: Counts
    ready_at: datetime


# --- contacts.changes.v1 -----------------------------------------------------------------

# Why a contact is held out of collections: an active promise to pay, or a payment plan.
HoldReason = Literal["promise", "plan"]


class ContactSnapshot(Frozen):
    """A contact as downstream teams see it: national ids masked, never in clear."""

    id: str
    version: int
    data: ContactData
    group_ids: tuple[str, ...] = ()
    created_at: datetime
    updated_at: datetime
    # Latest change per consent channel: granted or not, by which upload or API call, when.
    consent_sources: tuple[ConsentRecord, ...] = ()
    # Set while the customer has an active promise to pay or payment plan and the tenant holds
    # such customers out of collections (the portal's `hold_arrangements`): campaigns skip the
    # contact and leads keep its numbers out of the dialer queue until this day (inclusive)
    # or until a snapshot without it.
    held_until: date | None = None
    hold_reason: HoldReason | None = None

    def held(self, today: date) -> bool:
        return self.held_until is not None and today <= self.held_until

    @classmethod
    def masked_data(cls, data: ContactData) -> ContactData:
        updates: dict[str, ProtectedId | None] = {
            "ssn": data.ssn.masked() if data.ssn else None,
            "document": data.document.masked() if data.document else None,
        }
        return data.model_copy(update=updates)


class ContactCreated(Event):
    ce_type: ClassVar[str] = "listflow.contacts.ContactCreated"
    contact: ContactSnapshot
    upload_id: str | None = None


class ContactUpdated(Event):
    ce_type: ClassVar[str] = "listflow.contacts.ContactUpdated"
    contact: ContactSnapshot
    upload_id: str | None = None


class ContactMerged(Event):
    """Duplicates were folded into `contact` (the survivor); each of them also gets a
    ContactDeleted with `merged_into` set, on its own key."""

    ce_type: ClassVar[str] = "listflow.contacts.ContactMerged"
    contact: ContactSnapshot
    merged_ids: tuple[str, ...]


class ContactDeleted(Event):
    """The contact is gone. The snapshot is its last state, with version one past the last
    stored, so a consumer keeping the highest version per contact keeps the deletion."""

    ce_type: ClassVar[str] = "listflow.contacts.ContactDeleted"
    contact: ContactSnapshot
    deleted_at: datetime
    merged_into: str | None = None


ContactChange = ContactCreated | ContactUpdated | ContactMerged | ContactDeleted
# The same four as a tuple, for what a consumer of contacts.changes.v1 keeps (isinstance).
CONTACT_CHANGES: tuple[type[Event], ...] = (
    ContactCreated,
    ContactUpdated,
    ContactMerged,
    ContactDeleted,
)


EVENT_TYPES: dict[str, type[Event]] = {
    model.ce_type: model
    for model in (
        UploadAccepted,
        UploadStarted,
        UploadParsed,
        UploadCancelled,
        UploadCompleted,
        ContactRowParsed,
        RowOutcomes,
        ListReady,
        ContactCreated,
        ContactUpdated,
        ContactMerged,
        ContactDeleted,
    )
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
# (ce_type, from_version) -> function lifting a payload one version up.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def decode(ce_type: str, payload: dict[str, Any]) -> Event:
    """Build the event model named by `ce_type`, upcasting older schema versions first."""
    model = EVENT_TYPES[ce_type]
    version = int(payload.get("schema_version", 1))
    while (upcaster := UPCASTERS.get((ce_type, version))) is not None:
        payload = upcaster(payload)
        version = int(payload["schema_version"])
    return model.model_validate(payload)


ContentType = Literal["application/json"]

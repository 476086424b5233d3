"""Kafka topic names and their layout. A breaking change to a topic's events is a new topic."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name and partition count (every topic also has a `.dlq` twin)."""

    name: str
    partitions: int
    description: str

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"


UPLOADS = TopicSpec("ingest.uploads.v1", 3, "Upload lifecycle, keyed by upload id.")
CONTACT_ROWS = TopicSpec(
    "ingest.contact-rows.v1", 6, "One valid contact row each, keyed by its match-key value."
)
LEAD_ROWS = TopicSpec(
    "ingest.lead-rows.v1", 6, "One valid lead row each, keyed by its match value."
)
ROW_OUTCOMES = TopicSpec(
    "ingest.row-outcomes.v1", 3, "Batches of per-row outcomes, keyed by upload id."
)
LISTS_READY = TopicSpec(
    "lists.ready.v1", 3, "A group or lead list finished an import, keyed by list id."
)
CONTACT_CHANGES = TopicSpec(
    "contacts.changes.v1", 6, "Full contact snapshots on every change, keyed by contact id."
)
LEAD_CHANGES = TopicSpec(
    "leads.changes.v1", 6, "Lead created, updated, migrated or deleted, keyed by lead id."
)
LEAD_QUEUE = TopicSpec(
    "leads.queue.v1", 6, "LeadQueued and LeadWithdrawn for dialers, keyed by lead id."
)
DIAL_OUTCOMES = TopicSpec(
    "leads.dial-outcomes.v1", 6, "DialOutcome from dialers, keyed by lead id."
)
CAMPAIGN_MESSAGES = TopicSpec(
    "campaigns.messages.v1",
    6,
    "MessageRequested, Sent, Delivered, Failed and Suppressed, keyed by contact id.",
)
PORTAL_LINKS = TopicSpec(
    "portal.links.v1", 6, "AccessLinkIssued and AccessLinkRevoked, keyed by contact id."
)
PORTAL_PAYMENTS = TopicSpec(
    "portal.payments.v1", 6, "Payments, promises and plans, keyed by account id."
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    UPLOADS,
    CONTACT_ROWS,
    LEAD_ROWS,
    ROW_OUTCOMES,
    LISTS_READY,
    CONTACT_CHANGES,
    LEAD_CHANGES,
    LEAD_QUEUE,
    DIAL_OUTCOMES,
    CAMPAIGN_MESSAGES,
    PORTAL_LINKS,
    PORTAL_PAYMENTS,
)

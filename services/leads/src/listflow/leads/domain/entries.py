"""Queue entries: their states, the document one is made as, and what a lead's status is
while it has entries in those states. The entry's `_id` is its `queue_id`."""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from listflow.leads.domain.model import Lead, LeadList, queue_id
from listflow.schemas.leads import LeadStatus

QUEUED = "queued"
DEFERRED = "deferred"
WITHDRAWN = "withdrawn"
DIALED = "dialed"
ACTIVE = (QUEUED, DEFERRED)


def new_entry(
    lst: LeadList,
    lead: Lead,
    campaign_id: str,
    attempt: int,
    *,
    ready_now: bool,
    due_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    """The entry of `lead`'s `attempt` in a campaign: queued now, or deferred until `due_at`."""
    return {
        "_id": queue_id(
            lead.id,
            campaign_id,
            lst.epochs.get(campaign_id, 0),
            lead.cycle,
            attempt,
            lead.revision,
        ),
        "revision": lead.revision,
        "tenant_id": lst.tenant_id,
        "lead_id": lead.id,
        "list_id": lst.id,
        "campaign_id": campaign_id,
        "cycle": lead.cycle,
        "attempt": attempt,
        "state": QUEUED if ready_now else DEFERRED,
        "due_at": due_at,
        "published": False,
        "outcome": None,
        "created_at": now,
    }


def status_with(states: Collection[str], attempts: int) -> LeadStatus:
    """A lead's status once some of its entries were withdrawn: that of the entries left."""
    if QUEUED in states:
        return LeadStatus.QUEUED
    if DEFERRED in states:
        return LeadStatus.DEFERRED
    return LeadStatus.DIALED if attempts else LeadStatus.NEW

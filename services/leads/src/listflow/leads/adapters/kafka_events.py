"""Publishes the leads service's events."""

from collections.abc import Sequence

from listflow.kit.kafka import Encoded, EventPublisher
from listflow.leads.ports import LeadChange
from listflow.schemas import topics
from listflow.schemas.events import RowOutcomes
from listflow.schemas.leads import LeadDeleted, LeadQueued, LeadWithdrawn

__all__ = ["LeadChange", "LeadEvents"]


class LeadEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def lead_changes(self, events: Sequence[LeadChange]) -> None:
        items: list[Encoded] = []
        for e in events:
            if isinstance(e, LeadDeleted):
                items.append(Encoded.of(e.lead_id, e, f"{e.lead_id}:deleted"))
            else:
                items.append(Encoded.of(e.lead.id, e, f"{e.lead.id}:{e.lead.version}"))
        await self._publisher.publish_encoded(topics.LEAD_CHANGES.name, items)

    async def queued(self, events: Sequence[LeadQueued]) -> None:
        # ce_id is the queue id: a republished entry (after a crash) is the same message.
        await self._publisher.publish_encoded(
            topics.LEAD_QUEUE.name,
            [Encoded.of(e.lead_id, e, e.queue_id, campaign_id=e.campaign_id) for e in events],
        )

    async def withdrawn(self, events: Sequence[LeadWithdrawn]) -> None:
        await self._publisher.publish_encoded(
            topics.LEAD_QUEUE.name,
            [
                Encoded.of(e.lead_id, e, f"{e.queue_id}:withdrawn", campaign_id=e.campaign_id)
                for e in events
            ],
        )

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        await self._publisher.publish_encoded(
            topics.ROW_OUTCOMES.name, [Encoded.of(b.upload_id, b) for b in batches]
        )

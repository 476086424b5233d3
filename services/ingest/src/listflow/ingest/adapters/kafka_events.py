"""Publishes the ingest service's events."""

from collections.abc import Sequence

from listflow.kit.kafka import EventPublisher
from listflow.schemas import topics
from listflow.schemas.events import ContactRowParsed, Event, ListReady
from listflow.schemas.leads import LeadRowParsed


class IngestEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def upload_event(self, upload_id: str, event: Event, event_id: str | None = None) -> None:
        await self._publisher.publish_one(topics.UPLOADS.name, upload_id, event, event_id)

    async def contact_rows(self, rows: Sequence[ContactRowParsed]) -> None:
        # Keyed by the match value: every row of one customer lands on one partition, in order.
        await self._publisher.publish(
            topics.CONTACT_ROWS.name,
            [(r.match_value, r) for r in rows],
            event_ids=[f"{r.upload_id}:{r.row_number}" for r in rows],
        )

    async def lead_rows(self, rows: Sequence[LeadRowParsed]) -> None:
        await self._publisher.publish(
            topics.LEAD_ROWS.name,
            [(r.match_value, r) for r in rows],
            event_ids=[f"{r.upload_id}:{r.row_number}" for r in rows],
        )

    async def list_ready(self, event: ListReady) -> None:
        await self._publisher.publish_one(
            topics.LISTS_READY.name, event.list_id, event, f"{event.upload_id}:ready"
        )

"""Publishes the ingest service's events."""

from collections.abc import Sequence

from listflow.ingest.domain.batches import CheckedRow
from listflow.kit.kafka import Encoded, EventPublisher
from listflow.schemas import topics
from listflow.schemas.events import ContactRowParsed, Event, ListReady
from listflow.schemas.leads import LeadRowParsed


class IngestEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def upload_event(self, upload_id: str, event: Event, event_id: str | None = None) -> None:
        await self._publisher.publish_one(topics.UPLOADS.name, upload_id, event, event_id)

    async def contact_rows(
        self, tenant_id: str, upload_id: str, rows: Sequence[CheckedRow]
    ) -> None:
        # Keyed by the match value: every row of one customer lands on one partition, in order.
        await self._publisher.publish_encoded(
            topics.CONTACT_ROWS.name,
            (
                Encoded(
                    key=row.match_value,
                    ce_type=ContactRowParsed.ce_type,
                    tenant_id=tenant_id,
                    body=row.body,
                    event_id=f"{upload_id}:{row.row_number}",
                )
                for row in rows
            ),
        )

    async def lead_rows(self, tenant_id: str, upload_id: str, rows: Sequence[CheckedRow]) -> None:
        # Keyed by the first phone: rows of one lead land on one partition, in order.
        await self._publisher.publish_encoded(
            topics.LEAD_ROWS.name,
            (
                Encoded(
                    key=row.match_value,
                    ce_type=LeadRowParsed.ce_type,
                    tenant_id=tenant_id,
                    body=row.body,
                    event_id=f"{upload_id}:{row.row_number}",
                )
                for row in rows
            ),
        )

    async def list_ready(self, event: ListReady) -> None:
        await self._publisher.publish_one(
            topics.LISTS_READY.name, event.list_id, event, f"{event.upload_id}:ready"
        )

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
        await self._rows(
            topics.CONTACT_ROWS.name, ContactRowParsed.ce_type, tenant_id, upload_id, rows
        )

    async def lead_rows(self, tenant_id: str, upload_id: str, rows: Sequence[CheckedRow]) -> None:
        await self._rows(topics.LEAD_ROWS.name, LeadRowParsed.ce_type, tenant_id, upload_id, rows)

    async def _rows(
        self,
        topic: str,
        ce_type: str,
        tenant_id: str,
        upload_id: str,
        rows: Sequence[CheckedRow],
    ) -> None:
        # Keyed by the match value: every row of one customer (or lead) lands on one
        # partition, in order. The event id is the row's place in the upload.
        await self._publisher.publish_encoded(
            topic,
            (
                Encoded(
                    row.match_value, ce_type, tenant_id, row.body, f"{upload_id}:{row.row_number}"
                )
                for row in rows
            ),
        )

    async def list_ready(self, event: ListReady) -> None:
        await self._publisher.publish_one(
            topics.LISTS_READY.name, event.list_id, event, f"{event.upload_id}:ready"
        )

"""Publishes the contacts service's events."""

from collections.abc import Sequence

from listflow.kit.kafka import EventPublisher
from listflow.schemas import topics
from listflow.schemas.events import ContactChange, RowOutcomes


class KafkaEventSink:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def contacts_changed(self, events: Sequence[ContactChange]) -> None:
        # The event id is the contact's version: a replayed change carries the same id, so a
        # consumer that keeps the last id per contact sees it once. Keyed by contact id, so
        # one contact's changes stay in order on one partition.
        await self._publisher.publish(
            topics.CONTACT_CHANGES.name,
            [(e.contact.id, e) for e in events],
            event_ids=[f"{e.contact.id}:{e.contact.version}" for e in events],
        )

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        await self._publisher.publish(topics.ROW_OUTCOMES.name, [(b.upload_id, b) for b in batches])

"""Publishes the leads service's events (all sends of a call in flight at once)."""

import asyncio
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker
from listflow.kit.kafka import encode
from listflow.schemas import topics
from listflow.schemas.envelope import envelope_headers
from listflow.schemas.events import Event, RowOutcomes
from listflow.schemas.leads import (
    LeadCreated,
    LeadDeleted,
    LeadMigrated,
    LeadQueued,
    LeadUpdated,
    LeadWithdrawn,
)

LeadChange = LeadCreated | LeadUpdated | LeadMigrated | LeadDeleted


class LeadEvents:
    def __init__(self, broker: KafkaBroker, source: str) -> None:
        self._broker = broker
        self._source = source

    async def _publish(
        self, topic: str, items: Sequence[tuple[str, Event, str, dict[str, str]]]
    ) -> None:
        futures: list[asyncio.Future[Any]] = []
        for key, event, event_id, extra in items:
            headers = {**envelope_headers(event, source=self._source, event_id=event_id), **extra}
            futures.append(
                await self._broker.publish(
                    encode(event), topic, key=key.encode(), headers=headers, no_confirm=True
                )
            )
        if futures:
            await asyncio.gather(*futures)

    async def lead_changes(self, events: Sequence[LeadChange]) -> None:
        items: list[tuple[str, Event, str, dict[str, str]]] = []
        for e in events:
            if isinstance(e, LeadDeleted):
                items.append((e.lead_id, e, f"{e.lead_id}:deleted", {}))
            else:
                items.append((e.lead.id, e, f"{e.lead.id}:{e.lead.version}", {}))
        await self._publish(topics.LEAD_CHANGES.name, items)

    async def queued(self, events: Sequence[LeadQueued]) -> None:
        # ce_id is the queue id: a republished entry (after a crash) is the same message.
        await self._publish(
            topics.LEAD_QUEUE.name,
            [(e.lead_id, e, e.queue_id, {"campaign_id": e.campaign_id}) for e in events],
        )

    async def withdrawn(self, events: Sequence[LeadWithdrawn]) -> None:
        await self._publish(
            topics.LEAD_QUEUE.name,
            [
                (e.lead_id, e, f"{e.queue_id}:withdrawn", {"campaign_id": e.campaign_id})
                for e in events
            ],
        )

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        await self._publish(topics.ROW_OUTCOMES.name, [(b.upload_id, b, "", {}) for b in batches])

"""Publishes the campaigns' message events on campaigns.messages.v1."""

from collections.abc import Sequence

from listflow.kit.kafka import EventPublisher
from listflow.schemas import topics
from listflow.schemas.campaigns import MessageEvent


class KafkaMessageEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def publish(self, events: Sequence[MessageEvent]) -> None:
        # Keyed by contact, so one contact's messages stay in order; the event id names the
        # message and what happened to it, so a replayed announcement is recognisable.
        await self._publisher.publish(
            topics.CAMPAIGN_MESSAGES.name,
            [(e.contact_id, e) for e in events],
            event_ids=[f"{e.message_id}:{type(e).__name__}" for e in events],
        )

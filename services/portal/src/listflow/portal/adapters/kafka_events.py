"""Publishes the portal's events."""

from collections.abc import Sequence

from listflow.kit.kafka import EventPublisher
from listflow.schemas import topics
from listflow.schemas.payments import PaymentEvent
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked


class KafkaLinkEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def links_issued(self, events: Sequence[AccessLinkIssued]) -> None:
        # Keyed by contact, so a contact's issues and revocations stay in order; the event id
        # is the link's id, so a repeat of one announcement is recognisable.
        await self._publisher.publish(
            topics.PORTAL_LINKS.name,
            [(e.contact_id, e) for e in events],
            event_ids=[e.link_id for e in events],
        )

    async def links_revoked(self, events: Sequence[AccessLinkRevoked]) -> None:
        await self._publisher.publish(
            topics.PORTAL_LINKS.name,
            [(e.contact_id, e) for e in events],
            event_ids=[f"{e.link_id}:revoked" for e in events],
        )


class KafkaPaymentEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def publish(self, events: Sequence[PaymentEvent], event_ids: Sequence[str]) -> None:
        # Keyed by account, so one account's payments, promises and plans stay in order.
        await self._publisher.publish(
            topics.PORTAL_PAYMENTS.name, [(e.account_id, e) for e in events], event_ids=event_ids
        )

"""Kafka subscribers of the portal service."""

from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from listflow.kit.consumers import consume_event, consume_event_batch
from listflow.kit.kafka import row_batch_subscriber
from listflow.kit.logging import get_logger
from listflow.portal.bootstrap import Container
from listflow.schemas import topics
from listflow.schemas.events import (
    ContactCreated,
    ContactDeleted,
    ContactMerged,
    ContactUpdated,
    ListReady,
)

_log = get_logger(__name__)
CHANGES = (ContactCreated, ContactUpdated, ContactMerged, ContactDeleted)


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings
    portal = container.portal

    @broker.subscriber(
        topics.LISTS_READY.name,
        group_id=settings.portal_consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title="portal/list-ready",
        description="Issues one access link per customer of a ready group (once each) and "
        "announces each on portal.links.v1.",
    )
    async def list_ready(body: ListReady | dict[str, Any], msg: KafkaMessage) -> None:
        await consume_event(
            body,
            msg,
            container.broker,
            topic=topics.LISTS_READY.name,
            model=ListReady,
            process=portal.on_list_ready,
            failure="issuing links for a ready list failed, will be redelivered",
            log_fields=lambda event: {"list_id": event.list_id},
        )

    @row_batch_subscriber(
        broker,
        topics.CONTACT_CHANGES.name,
        group_id=settings.portal_consumer_group,
        max_records=settings.portal_changes_batch_size,
        title="portal/contact-changes",
        description="Keeps the portal's read model of customers (names, date of birth, "
        "postcode, the masked national id's last four, accounts and balances, groups); a "
        "customer new to a ready group gets a link, a deleted one's link is revoked.",
    )
    async def contact_changes(msg: KafkaMessage) -> None:
        await consume_event_batch(
            msg,
            broker,
            CHANGES,
            portal.on_contact_changes,
            what="contact change",
            failure="contact changes failed, will be redelivered",
        )

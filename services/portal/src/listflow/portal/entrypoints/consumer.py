"""Kafka subscribers of the portal service."""

from listflow.kit.kafka import subscribe_event_batches, subscribe_events
from listflow.portal.bootstrap import Container
from listflow.schemas import topics
from listflow.schemas.events import CONTACT_CHANGES, ListReady


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings
    portal = container.portal

    subscribe_events(
        broker,
        topics.LISTS_READY.name,
        ListReady,
        portal.on_list_ready,
        group_id=settings.portal_consumer_group,
        title="portal/list-ready",
        description="Issues one access link per customer of a ready group (once each) and "
        "announces each on portal.links.v1.",
        failure="issuing links for a ready list failed, will be redelivered",
        log_fields=lambda event: {"list_id": event.list_id},
    )
    subscribe_event_batches(
        broker,
        topics.CONTACT_CHANGES.name,
        CONTACT_CHANGES,
        portal.on_contact_changes,
        group_id=settings.portal_consumer_group,
        max_records=settings.portal_changes_batch_size,
        title="portal/contact-changes",
        description="Keeps the portal's read model of customers (names, date of birth, "
        "postcode, the masked national id's last four, accounts and balances, groups); a "
        "customer new to a ready group gets a link, a deleted one's link is revoked.",
        what="contact change",
        failure="contact changes failed, will be redelivered",
    )

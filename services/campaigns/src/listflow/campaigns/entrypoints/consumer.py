"""Kafka subscribers of the campaigns service: its read models of contacts and links, and
ListReady, the trigger of list_ready campaigns."""

from listflow.campaigns.bootstrap import Container
from listflow.kit.kafka import subscribe_event_batches, subscribe_events
from listflow.schemas import topics
from listflow.schemas.events import CONTACT_CHANGES, ListReady
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked

LINKS = (AccessLinkIssued, AccessLinkRevoked)


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings
    read_models = container.read_models

    subscribe_event_batches(
        broker,
        topics.CONTACT_CHANGES.name,
        CONTACT_CHANGES,
        read_models.on_contact_changes,
        group_id=settings.campaigns_consumer_group,
        max_records=settings.campaigns_changes_batch_size,
        title="campaigns/contact-changes",
        description="Keeps the campaigns' read model of contacts (the highest version of each "
        "wins; every upload that named a contact is kept), the audiences campaigns target.",
        what="contact change",
        failure="contact changes failed, will be redelivered",
    )
    subscribe_event_batches(
        broker,
        topics.PORTAL_LINKS.name,
        LINKS,
        read_models.on_link_events,
        group_id=settings.campaigns_consumer_group,
        max_records=settings.campaigns_changes_batch_size,
        title="campaigns/portal-links",
        description="Keeps each contact's current portal link, the portal_url of messages "
        "and campaign files (the latest issued_at wins; a revocation ends its own link).",
        what="portal link event",
        failure="portal link events failed, will be redelivered",
    )
    subscribe_events(
        broker,
        topics.LISTS_READY.name,
        ListReady,
        container.triggers.on_list_ready,
        group_id=settings.campaigns_consumer_group,
        title="campaigns/list-ready",
        description="Starts each campaign of the tenant whose audience names the ready group "
        "(or upload), once the contacts read model holds the list; a redelivery or a later "
        "upload targets it again, each contact claimed in the ledger once.",
        failure="starting campaigns of a ready list failed, will be redelivered",
        log_fields=lambda event: {"list_id": event.list_id},
    )

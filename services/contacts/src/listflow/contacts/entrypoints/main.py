"""Process entrypoint of the contacts service: HTTP API and Kafka consumer in one process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from listflow.contacts.adapters.mongo_repository import MongoContactRepository
from listflow.contacts.bootstrap import SERVICE, Container, bootstrap
from listflow.contacts.config import Settings
from listflow.contacts.entrypoints import (
    api,
    consumer,
    labels_api,
    matches_api,
    payments_consumer,
)
from listflow.kit.container import run_service, service_app
from listflow.kit.logging import get_logger
from listflow.kit.service import connected
from listflow.schemas import topics
from listflow.schemas.events import (
    ContactCreated,
    ContactDeleted,
    ContactMerged,
    ContactUpdated,
    RowOutcomes,
)

_log = get_logger(__name__)


def _document_publishers(container: Container) -> None:
    """Declare what contacts publishes, so that its AsyncAPI document describes it."""
    container.broker.publisher(
        topics.CONTACT_CHANGES.name,
        title="contacts/changes",
        schema=ContactCreated | ContactUpdated | ContactMerged | ContactDeleted,
        description="Full contact snapshot (national ids masked) on every change, keyed by "
        "contact id so one contact's changes stay in order; ce_type names the event "
        "(listflow.contacts.ContactCreated, ContactUpdated, ContactMerged, ContactDeleted), "
        "ce_id is '<contact id>:<version>'. A merge sends ContactMerged for the survivor and "
        "ContactDeleted (merged_into set) for each duplicate.",
    )
    container.broker.publisher(
        topics.CONTACT_ROWS.dlq,
        title="contacts/contact-rows-dlq",
        description="Row events contacts can never process, unchanged, with headers "
        "dlq_reason and dlq_topic; each is reported to ingest as a failed row.",
    )
    container.broker.publisher(
        topics.ROW_OUTCOMES.name,
        title="contacts/row-outcomes",
        schema=RowOutcomes,
        description="What happened to each row of an upload, keyed by upload id.",
    )


def create_app(container: Container) -> FastAPI:
    consumer.register(container)
    payments_consumer.register(container)
    _document_publishers(container)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(container.repository, MongoContactRepository):
            await container.repository.ensure_indexes()
        async with connected(container.publisher, container.broker, container.mongo):
            _log.info("contacts service started")
            yield

    app = service_app(
        container,
        title="Listflow contacts",
        description="The customer base: contacts merged from uploads, groups, change events.",
        lifespan=lifespan,
        routers=[matches_api.router, api.router, labels_api.groups, labels_api.tags],
    )
    return app


def run() -> None:
    run_service(SERVICE, Settings(), bootstrap, create_app)


if __name__ == "__main__":
    run()

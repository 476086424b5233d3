"""Process entrypoint of the contacts service: HTTP API and Kafka consumer in one process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from listflow.contacts.adapters.mongo_repository import MongoContactRepository
from listflow.contacts.bootstrap import SERVICE, Container, bootstrap
from listflow.contacts.config import Settings
from listflow.contacts.entrypoints import api, consumer, labels_api, matches_api
from listflow.contacts.entrypoints.deps import install_domain_errors
from listflow.kit.health import infrastructure_checks
from listflow.kit.logging import configure_logging, get_logger
from listflow.kit.service import build_app, connected, serve
from listflow.kit.tracing import configure_tracing
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
    _document_publishers(container)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(container.repository, MongoContactRepository):
            await container.repository.ensure_indexes()
        async with connected(container.publisher, container.broker, container.mongo):
            _log.info("contacts service started")
            yield

    app = build_app(
        title="Listflow contacts",
        description="The customer base: contacts merged from uploads, groups, change events.",
        settings=container.settings,
        lifespan=lifespan,
        routers=[matches_api.router, api.router, labels_api.groups, labels_api.tags],
        checks=infrastructure_checks(container.mongo, container.broker),
        broker=container.broker,
    )
    app.state.container = container
    install_domain_errors(app)
    return app


def run() -> None:
    settings = Settings()
    configure_logging(SERVICE, settings.log_level)
    provider = configure_tracing(SERVICE)
    container = bootstrap(settings, tracer_provider=provider)
    serve(create_app(container), settings.http_host, settings.contacts_http_port)


if __name__ == "__main__":
    run()

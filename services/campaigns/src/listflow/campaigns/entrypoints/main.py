"""Process entrypoint of the campaigns service: the HTTP API (message templates so far) and
the consumers of its read models."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from listflow.campaigns.adapters.mongo_repository import MongoCampaignRepository
from listflow.campaigns.adapters.sms_provider import HttpSmsSender
from listflow.campaigns.adapters.smtp_sender import SmtpEmailSender
from listflow.campaigns.bootstrap import SERVICE, Container, bootstrap
from listflow.campaigns.config import Settings
from listflow.campaigns.entrypoints import (
    campaign_files_api,
    campaigns_api,
    consumer,
    sms_hooks,
    suppressions_api,
    templates_api,
    unsubscribe_pages,
)
from listflow.kit.container import run_service, service_app
from listflow.kit.logging import get_logger
from listflow.kit.service import connected, running
from listflow.schemas import topics
from listflow.schemas.campaigns import MessageEvent

_log = get_logger(__name__)


def _document_publishers(container: Container) -> None:
    """Declare what campaigns publishes, so that its AsyncAPI document describes it."""
    container.broker.publisher(
        topics.CAMPAIGN_MESSAGES.name,
        title="campaigns/messages",
        schema=MessageEvent,
        description="MessageRequested, MessageSent, MessageDelivered, MessageFailed and "
        "MessageSuppressed (with its reason), keyed by contact id; ce_id is "
        "'<message id>:<event type>'. No address, body or portal URL travels here.",
    )


def create_app(container: Container) -> FastAPI:
    consumer.register(container)
    _document_publishers(container)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(container.repository, MongoCampaignRepository):
            await container.repository.ensure_indexes()
        every = container.settings.campaigns_dispatch_every_s
        async with (
            connected(container.publisher, container.broker, container.mongo),
            running(container.triggers.start_forever(every)),
            running(container.sender.dispatch_forever(every)),
        ):
            _log.info("campaigns service started")
            yield
        if isinstance(container.sms, HttpSmsSender):
            await container.sms.close()
        if isinstance(container.email, SmtpEmailSender):
            await container.email.close()

    app = service_app(
        container,
        title="Listflow campaigns",
        description="Message templates (email and SMS), campaigns and their settings, the "
        "suppression list, the SMS provider's webhooks and customers' unsubscribe links.",
        lifespan=lifespan,
        routers=[
            templates_api.router,
            campaigns_api.router,
            campaign_files_api.router,
            campaigns_api.settings_router,
            suppressions_api.router,
            sms_hooks.router,
            unsubscribe_pages.router,
        ],
    )
    unsubscribe_pages.install(app)
    return app


def run() -> None:
    run_service(SERVICE, Settings(), bootstrap, create_app)


if __name__ == "__main__":
    run()

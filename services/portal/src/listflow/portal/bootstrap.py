"""The one place that wires the portal service's real adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.portal.adapters.kafka_events import KafkaLinkEvents
from listflow.portal.adapters.mongo_repository import MongoPortalRepository
from listflow.portal.config import Settings
from listflow.portal.handlers import Portal
from listflow.portal.ports import LinkEvents, PortalRepository
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "portal"


@dataclass
class Container(BaseContainer[Settings]):
    repository: PortalRepository
    portal: Portal


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    repository: PortalRepository | None = None,
    events: LinkEvents | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    repository = repository or MongoPortalRepository(infra.mongo[settings.database])
    portal = Portal(
        repository=repository,
        events=events or KafkaLinkEvents(infra.publisher),
        clock=clock,
        public_url=settings.portal_public_url,
        unpublished_grace=timedelta(seconds=settings.portal_unpublished_grace_s),
    )
    return Container(
        settings=settings,
        broker=infra.broker,
        publisher=infra.publisher,
        mongo=infra.mongo,
        repository=repository,
        portal=portal,
    )

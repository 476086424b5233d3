"""The one place that wires the leads service's real adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker
from listflow.kit.kafka import EventPublisher, make_broker
from listflow.kit.mongo import Document, make_client
from listflow.leads.adapters.kafka_events import LeadEvents
from listflow.leads.adapters.mongo_repository import MongoLeadRepository
from listflow.leads.config import Settings
from listflow.leads.handlers import Leads
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient

SERVICE = "leads"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    broker: KafkaBroker
    publisher: EventPublisher
    mongo: AsyncMongoClient[Document]
    repository: MongoLeadRepository
    leads: Leads
    clock: Callable[[], datetime]


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Container:
    """Production wiring; tests pass their own clock (calling windows, retry times)."""
    settings = settings or Settings()
    broker = make_broker(settings.kafka_bootstrap, SERVICE, tracer_provider)
    mongo = make_client(settings.mongodb_url)
    repository = MongoLeadRepository(mongo[settings.database])
    publisher = EventPublisher(settings.kafka_bootstrap, SERVICE, tracer_provider)
    events = LeadEvents(publisher)
    return Container(
        settings=settings,
        broker=broker,
        publisher=publisher,
        mongo=mongo,
        repository=repository,
        leads=Leads(repository=repository, events=events, clock=clock),
        clock=clock,
    )

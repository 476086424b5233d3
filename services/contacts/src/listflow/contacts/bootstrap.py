"""The one place that wires the contacts service's real adapters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker
from listflow.contacts.adapters.kafka_events import KafkaEventSink
from listflow.contacts.adapters.mongo_repository import MongoContactRepository
from listflow.contacts.config import Settings
from listflow.contacts.ports import ContactRepository, EventSink
from listflow.kit.kafka import EventPublisher, make_broker
from listflow.kit.mongo import Document, make_client
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient

SERVICE = "contacts"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    broker: KafkaBroker
    publisher: EventPublisher
    mongo: AsyncMongoClient[Document]
    repository: ContactRepository
    events: EventSink
    clock: Callable[[], datetime]


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    repository: ContactRepository | None = None,
    events: EventSink | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Container:
    settings = settings or Settings()
    broker = make_broker(settings.kafka_bootstrap, SERVICE, tracer_provider)
    publisher = EventPublisher(settings.kafka_bootstrap, SERVICE, tracer_provider)
    mongo = make_client(settings.mongodb_url)
    return Container(
        settings=settings,
        broker=broker,
        publisher=publisher,
        mongo=mongo,
        repository=repository or MongoContactRepository(mongo[settings.database]),
        events=events or KafkaEventSink(publisher),
        clock=clock,
    )

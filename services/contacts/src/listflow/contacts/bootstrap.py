"""The one place that wires the contacts service's real adapters."""

import hashlib
import hmac
from dataclasses import dataclass

from listflow.contacts.adapters.kafka_events import KafkaEventSink
from listflow.contacts.adapters.mongo_repository import MongoContactRepository
from listflow.contacts.adapters.payment_ledger import MongoPaymentLedger
from listflow.contacts.config import Settings
from listflow.contacts.domain.input import FieldNormalizer
from listflow.contacts.holds import HoldsApplier
from listflow.contacts.manage import Tools
from listflow.contacts.payments import PaymentLedger, PaymentsApplier
from listflow.contacts.ports import ContactRepository, EventSink
from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.kit.pii import Protector
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "contacts"


@dataclass
class Container(BaseContainer[Settings]):
    repository: ContactRepository
    events: EventSink
    clock: Clock
    tools: Tools
    payments: PaymentsApplier
    holds: HoldsApplier


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    repository: ContactRepository | None = None,
    events: EventSink | None = None,
    clock: Clock = utc_now,
    ledger: PaymentLedger | None = None,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    repository = repository or MongoContactRepository(infra.mongo[settings.database])
    events = events or KafkaEventSink(infra.publisher)
    secret = settings.pii_secret.get_secret_value()
    tools = Tools(
        repository=repository,
        events=events,
        clock=clock,
        normalizer=FieldNormalizer(Protector(secret), settings.contacts_default_region),
        # Its own key, derived from the one rotated secret (as the PII keys are).
        confirmation_key=hmac.new(
            secret.encode(), b"listflow/contacts/confirmation", hashlib.sha256
        ).digest(),
    )
    return Container(
        infra=infra,
        repository=repository,
        events=events,
        clock=clock,
        tools=tools,
        payments=PaymentsApplier(
            repository=repository,
            ledger=ledger or MongoPaymentLedger(infra.mongo[settings.database]),
            events=events,
            clock=clock,
        ),
        holds=HoldsApplier(repository=repository, events=events, clock=clock),
    )

"""The one place that wires the portal service's real adapters."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from fastapi.responses import Response
from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.kit.pii import Protector
from listflow.portal.adapters.kafka_events import KafkaLinkEvents, KafkaPaymentEvents
from listflow.portal.adapters.mongo_repository import MongoPortalRepository
from listflow.portal.adapters.payment_provider import HttpPaymentProvider
from listflow.portal.config import Settings
from listflow.portal.entrypoints.web import Sessions, secure_headers
from listflow.portal.handlers import Portal
from listflow.portal.ports import LinkEvents, PaymentEvents, PaymentProvider
from listflow.portal.selfservice import SelfService, Store, Throttle
from opentelemetry.sdk.trace import TracerProvider
from standardwebhooks.webhooks import Webhook

SERVICE = "portal"


@dataclass
class Container(BaseContainer[Settings]):
    repository: Store
    portal: Portal
    selfservice: SelfService
    sessions: Sessions
    webhook: Webhook
    secure_headers: Callable[[Response], None]


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    repository: Store | None = None,
    events: LinkEvents | None = None,
    payment_events: PaymentEvents | None = None,
    provider: PaymentProvider | None = None,
    clock: Clock = utc_now,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    repository = repository or MongoPortalRepository(infra.mongo[settings.database])
    secret = settings.pii_secret.get_secret_value()
    protector = Protector(secret)
    # The last four of a national id, kept and compared only as a keyed fingerprint.
    fingerprint = partial(protector.match_hash, "national_id_last4")
    portal = Portal(
        repository=repository,
        events=events or KafkaLinkEvents(infra.publisher),
        clock=clock,
        public_url=settings.portal_public_url,
        fingerprint=fingerprint,
        unpublished_grace=timedelta(seconds=settings.portal_unpublished_grace_s),
    )
    cap = settings.portal_lockout_cap_s
    selfservice = SelfService(
        store=repository,
        provider=provider
        or HttpPaymentProvider(
            settings.payments_provider_url, settings.payments_provider_key.get_secret_value()
        ),
        events=payment_events or KafkaPaymentEvents(infra.publisher),
        clock=clock,
        fingerprint=fingerprint,
        address_key=hmac.new(secret.encode(), b"listflow/portal/address", hashlib.sha256).digest(),
        public_url=settings.portal_public_url,
        throttle=Throttle(settings.portal_throttle_per_link, settings.portal_throttle_per_address),
        lockout_cap=timedelta(seconds=cap) if cap is not None else None,
    )
    provider_url = urlsplit(settings.payments_provider_url)
    return Container(
        infra=infra,
        repository=repository,
        portal=portal,
        selfservice=selfservice,
        sessions=Sessions(secret, clock),
        webhook=Webhook(settings.payments_webhook_secret.get_secret_value()),
        secure_headers=partial(
            secure_headers, provider_origin=f"{provider_url.scheme}://{provider_url.netloc}"
        ),
    )

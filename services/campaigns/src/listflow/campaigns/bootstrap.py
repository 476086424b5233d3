"""The one place that wires the campaigns service's real adapters."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from listflow.campaigns.adapters.kafka_barrier import KafkaReadModelBarrier
from listflow.campaigns.adapters.kafka_events import KafkaMessageEvents
from listflow.campaigns.adapters.mongo_repository import MongoCampaignRepository
from listflow.campaigns.adapters.sms_provider import HttpSmsSender
from listflow.campaigns.adapters.smtp_sender import SmtpEmailSender
from listflow.campaigns.config import Settings
from listflow.campaigns.handlers import (
    CampaignFiles,
    Campaigns,
    Messages,
    ReadModels,
    Templates,
    Triggers,
)
from listflow.campaigns.ports import CampaignRepository, EmailSender, ReadModelBarrier, SmsSender
from listflow.campaigns.sender import Sender
from listflow.campaigns.sms import SmsInbound, SmsStatuses, Suppressions
from listflow.campaigns.unsubscribes import UndoForms, Unsubscribes
from listflow.kit.clock import Clock
from listflow.kit.container import BaseContainer, infrastructure, utc_now
from listflow.kit.webhooks import Webhook
from listflow.schemas import topics
from listflow.schemas.normalize import PhoneNormalizer
from opentelemetry.sdk.trace import TracerProvider

SERVICE = "campaigns"


@dataclass
class Container(BaseContainer[Settings]):
    # The one store: templates, read models, campaigns, settings, the ledger, suppressions.
    repository: CampaignRepository
    templates: Templates
    campaigns: Campaigns
    messages: Messages
    files: CampaignFiles
    triggers: Triggers
    read_models: ReadModels
    suppressions: Suppressions
    sms: SmsSender
    email: EmailSender
    sender: Sender
    sms_webhook: Webhook
    sms_inbound: SmsInbound
    sms_statuses: SmsStatuses
    unsubscribes: Unsubscribes
    undo_forms: UndoForms
    clock: Clock


def unsubscribe_key(settings: Settings) -> bytes:
    """The key of unsubscribe tokens: derived from the PII secret (refused in production
    when it is the local one), so that no second secret has to be deployed beside it."""
    secret = settings.pii_secret.get_secret_value().encode()
    return hmac.new(secret, b"listflow campaigns unsubscribe tokens", hashlib.sha256).digest()


def bootstrap(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    repository: CampaignRepository | None = None,
    sms: SmsSender | None = None,
    email: EmailSender | None = None,
    barrier: ReadModelBarrier | None = None,
    clock: Clock = utc_now,
) -> Container:
    settings = settings or Settings()
    infra = infrastructure(settings, SERVICE, tracer_provider)
    store: CampaignRepository = repository or MongoCampaignRepository(
        infra.mongo[settings.database]
    )
    campaigns = Campaigns(store, clock)
    barrier = barrier or KafkaReadModelBarrier(
        settings.kafka_bootstrap,
        topics.CONTACT_CHANGES.name,
        topics.CONTACT_CHANGES.partitions,
        settings.campaigns_consumer_group,
    )
    phones = PhoneNormalizer(settings.campaigns_default_phone_region)
    sender = sms or HttpSmsSender.connect(
        settings.campaigns_sms_provider_url,
        settings.campaigns_sms_provider_key.get_secret_value(),
        sender=settings.campaigns_sms_from,
        status_callback_url=f"{settings.campaigns_sms_callback_url.rstrip('/')}/hooks/sms/status",
        timeout_s=settings.campaigns_sms_timeout_s,
    )

    mail = email or SmtpEmailSender(
        settings.campaigns_smtp_host,
        settings.campaigns_smtp_port,
        settings.campaigns_from_address,
        settings.campaigns_smtp_connections,
        settings.campaigns_smtp_timeout_s,
        tls=settings.campaigns_smtp_tls,
        username=settings.campaigns_smtp_username,
        password=(
            settings.campaigns_smtp_password.get_secret_value()
            if settings.campaigns_smtp_password
            else None
        ),
    )
    events = KafkaMessageEvents(infra.publisher)
    unsubscribing = unsubscribe_key(settings)

    async def help_text(tenant_id: str) -> str:
        # The tenant's own answer from its campaign settings; the configured one until it
        # has settings.
        stored = await store.get_settings(tenant_id)
        return stored.sms_help_text if stored else settings.campaigns_sms_help_default

    sending = Sender(
        repository=store,
        email=mail,
        sms=sender,
        events=events,
        clock=clock,
        public_url=settings.campaigns_public_url.rstrip("/"),
        mailbox_domain=settings.campaigns_unsubscribe_mailbox_domain,
        unsubscribe_key=unsubscribing,
        batch=settings.campaigns_dispatch_batch,
        chunk=settings.campaigns_send_chunk,
        lease=timedelta(seconds=settings.campaigns_send_lease_s),
        send_timeout=timedelta(seconds=settings.campaigns_smtp_timeout_s),
    )
    return Container(
        infra=infra,
        repository=store,
        templates=Templates(store, clock),
        campaigns=campaigns,
        messages=Messages(campaigns, sending),
        files=CampaignFiles(store),
        triggers=Triggers(campaigns, barrier, settings.campaigns_barrier_timeout_s),
        read_models=ReadModels(store),
        suppressions=Suppressions(store, phones, clock),
        sms=sender,
        email=mail,
        sender=sending,
        sms_webhook=Webhook(settings.campaigns_sms_webhook_secret.get_secret_value()),
        sms_inbound=SmsInbound(store, help_text, phones, clock),
        sms_statuses=SmsStatuses(store, events, clock),
        unsubscribes=Unsubscribes(store, unsubscribing, clock),
        undo_forms=UndoForms(unsubscribing),
        clock=clock,
    )

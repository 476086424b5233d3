"""What the campaigns use cases need from the outside world; adapters implement these."""

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from listflow.campaigns.domain.model import (
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    MessageState,
)
from listflow.campaigns.domain.templates import MessageTemplate
from listflow.schemas.campaigns import Channel, MessageEvent, SuppressionReason


@dataclass(frozen=True, slots=True)
class Message:
    """One entry of the ledger: one message per (campaign, contact, channel)."""

    id: str
    tenant_id: str
    campaign_id: str
    contact_id: str
    channel: Channel
    state: MessageState
    created_at: datetime
    due_at: datetime
    reason: str | None = None
    address: str | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LinkChange:
    """A portal link issued (`url` set) or revoked (`url` None) at `at`."""

    tenant_id: str
    contact_id: str
    link_id: str
    url: str | None
    at: datetime


class TemplateRepository(Protocol):
    """A tenant's message templates; every read and write names the tenant."""

    async def insert_template(self, template: MessageTemplate) -> None: ...

    async def replace_template(self, template: MessageTemplate, *, expected_version: int) -> bool:
        """Store the template if the stored one is still at `expected_version`."""
        ...

    async def get_template(self, tenant_id: str, template_id: str) -> MessageTemplate | None: ...

    async def list_templates(self, tenant_id: str) -> list[MessageTemplate]:
        """The tenant's templates, oldest first."""
        ...

    async def delete_template(self, tenant_id: str, template_id: str) -> bool: ...


class ReadModelRepository(Protocol):
    """The campaigns' copies of other services' facts: contacts and their portal links."""

    async def upsert_contacts(self, contacts: Sequence[ContactView]) -> None:
        """Keep each contact's highest version (a replay or an older snapshot changes nothing
        but adding its uploads: a contact is touched by every upload that named it)."""
        ...

    def iter_contacts_in(
        self, tenant_id: str, *, group_ids: Sequence[str], upload_id: str | None
    ) -> AsyncIterator[ContactView]:
        """The contacts of any of the groups, or touched by the upload, one by one in no
        particular order, read as they are used (a large audience is never held whole)."""
        ...

    async def get_contacts(self, tenant_id: str, ids: Sequence[str]) -> dict[str, ContactView]: ...

    async def set_link(
        self, tenant_id: str, contact_id: str, link_id: str, url: str | None, at: datetime
    ) -> None:
        """The contact's current portal link; a later `at` wins. `url` None revokes the link
        `link_id` only (a revocation of an earlier link leaves a newer one alone)."""
        ...

    async def set_links(self, changes: Sequence[LinkChange]) -> None:
        """`set_link` for each change, in order (a contact's revocation after its issue)."""
        ...

    async def links(self, tenant_id: str, contact_ids: Sequence[str]) -> dict[str, str]: ...


class CampaignBook(Protocol):
    """A tenant's campaigns and settings; every read and write names the tenant, but the
    loops' queries across tenants (sending, scheduled)."""

    async def save_campaign(self, campaign: Campaign) -> None: ...

    async def replace_campaign(
        self, campaign: Campaign, *, expected: Sequence[CampaignStatus]
    ) -> bool:
        """Store the campaign if the stored one is in one of the `expected` states."""
        ...

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign | None: ...

    async def list_campaigns(self, tenant_id: str) -> list[Campaign]:
        """The tenant's campaigns, oldest first."""
        ...

    async def delete_campaign(
        self, tenant_id: str, campaign_id: str, *, expected: CampaignStatus
    ) -> bool: ...

    async def finish_campaign(self, campaign: Campaign, at: datetime) -> bool:
        """Mark the campaign completed at `at` if it is still sending with the `targeted_at`
        it was read with (a targeting since, which may add messages, keeps it open)."""
        ...

    async def campaigns_sending(self) -> list[Campaign]:
        """Every tenant's campaigns whose messages are being sent."""
        ...

    async def campaigns_on_list_ready(self, tenant_id: str) -> list[Campaign]:
        """The tenant's campaigns (not cancelled) that a ready list may trigger."""
        ...

    async def campaigns_scheduled(self, until: datetime) -> list[Campaign]:
        """Draft campaigns scheduled at or before `until`."""
        ...

    async def get_settings(self, tenant_id: str) -> CampaignSettings | None: ...

    async def put_settings(self, tenant_id: str, settings: CampaignSettings) -> None: ...

    async def claim_messages(self, messages: Sequence[Message]) -> int:
        """Insert the messages not in the ledger yet; returns how many were new."""
        ...

    async def state_counts(
        self, tenant_id: str, campaign_id: str
    ) -> list[tuple[str, str | None, int]]:
        """(state, reason, count) of the campaign's ledger, in `str` order; the reason is
        that of suppressed messages (None for every other state)."""
        ...


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppressed address of a tenant on one channel, with who suppressed it and when."""

    tenant_id: str
    channel: Channel
    address: str  # an email address (lower case) or an E.164 number
    reason: SuppressionReason
    at: datetime
    by: str  # "sms:inbound", "email:unsubscribe", "api" ...: the audit of who
    campaign_id: str | None = None


@dataclass(frozen=True, slots=True)
class SuppressionChange:
    """One line of an address's audit: suppressed or lifted, by whom, when."""

    tenant_id: str
    channel: Channel
    address: str
    action: Literal["suppressed", "lifted"]
    reason: SuppressionReason
    at: datetime
    by: str


class MessageLedger(Protocol):
    """The part of the ledger a provider's status callback moves."""

    async def find_message(self, message_id: str) -> Message | None:
        """The SMS message by its id alone: a provider's status callback names no tenant
        (its client reference is the id, which names its tenant's message only)."""
        ...

    async def transition(
        self,
        message: Message,
        to: MessageState,
        *,
        from_states: Sequence[MessageState],
        **fields: object,
    ) -> bool:
        """Move the message to `to` if it is in one of `from_states` (compare and set)."""
        ...


class SuppressionRepository(Protocol):
    """A tenant's suppression list: addresses no campaign may message on a channel."""

    async def suppress(
        self,
        tenant_id: str,
        channel: Channel,
        address: str,
        reason: SuppressionReason,
        at: datetime,
        campaign_id: str | None = None,
        by: str = "campaigns",
    ) -> None:
        """Suppress the address (a repeat keeps the first record)."""
        ...

    async def unsuppress(
        self, tenant_id: str, channel: Channel, address: str, *, at: datetime, by: str
    ) -> bool:
        """Lift the suppression; whether there was one."""
        ...

    async def changes(
        self, tenant_id: str, channel: Channel, address: str
    ) -> list[SuppressionChange]:
        """The address's audit, oldest first: each suppress that was new and each lift."""
        ...

    async def suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> SuppressionReason | None: ...

    async def suppressions_among(
        self, tenant_id: str, channel: Channel, addresses: Sequence[str]
    ) -> dict[str, SuppressionReason]:
        """The suppressed ones of `addresses`, with their reasons (one lookup for many)."""
        ...

    async def get_suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> Suppression | None:
        """The whole record (who, when, why) of a suppressed address."""
        ...

    async def unsubscribes_of(self, tenant_id: str, campaign_id: str) -> int: ...

    async def list_suppressions(
        self,
        tenant_id: str,
        *,
        channel: Channel | None = None,
        reason: SuppressionReason | None = None,
        after: tuple[Channel, str] | None = None,
        limit: int = 100,
    ) -> list[Suppression]:
        """The tenant's suppressions in (channel, address) order, after `after` (a page's
        last one: keyset paging, so a page is stable while others are added)."""
        ...


class CampaignRepository(
    TemplateRepository,
    ReadModelRepository,
    CampaignBook,
    MessageLedger,
    SuppressionRepository,
    Protocol,
):
    """The one store of the service: templates, read models, campaigns and settings, the
    sending ledger (its `MessageLedger` part moved by the provider's status callbacks) and
    the suppression list."""

    # --- the ledger ----------------------------------------------------------------------
    async def due_messages(
        self,
        tenant_id: str,
        campaign_id: str,
        now: datetime,
        limit: int,
        *,
        exclude: Collection[str] = (),
    ) -> list[Message]:
        """Up to `limit` of the campaign's messages due by `now`, in due order: the due
        states, and SENDING ones whose lease (`due_at`) has run out (their sender died holding
        them). When more are due, which ones come is the store's choice (every pass moves
        those it takes out of the due states, so each due message is taken in turn). None of
        the message ids in `exclude` (those of the pass still sending when the next one is
        read)."""
        ...

    async def move_many(self, moves: Sequence[tuple[Message, Message]]) -> set[str]:
        """Each (as read, wanted) pair stores `wanted` if the entry is still as read (same
        state and due time: a compare and set); the ids of those moved. Many in one write."""
        ...

    async def claim_due(
        self, messages: Sequence[Message], *, as_of: datetime, lease_until: datetime
    ) -> set[str]:
        """Move those of `messages` still due as of `as_of` (a due state, or SENDING with a
        lease run out, and `due_at <= as_of`: as `due_messages` found them then) to SENDING
        under the lease `lease_until`, one more attempt each; the ids this call won. One
        write for all. Every write of a message sets a `due_at` later than the pass that
        read it, so a message moved since `as_of` is no longer matched: a compare and set."""
        ...

    async def mark_held(
        self,
        messages: Sequence[Message],
        to: MessageState,
        *,
        lease_until: datetime,
        **fields: object,
    ) -> set[str]:
        """Move those of `messages` still SENDING under the lease `lease_until` (still held
        by the claim that set it) to `to` with `fields`, the same for all; the ids moved.
        One write for all."""
        ...

    async def open_messages(self, tenant_id: str, campaign_id: str) -> int:
        """How many of the campaign's messages are not settled yet (OPEN_STATES)."""
        ...

    async def get_message(self, tenant_id: str, message_id: str) -> Message | None: ...

    async def sent_counts(
        self, tenant_id: str, channel: Channel, contact_ids: Sequence[str], since: datetime
    ) -> dict[str, int]:
        """Per contact, its messages on the channel sent since `since`, across campaigns
        (the frequency cap); contacts with none are absent."""
        ...

    async def cancel_open(self, tenant_id: str, campaign_id: str) -> int:
        """Settle the campaign's due messages (pending, deferred, waiting for a link) as
        cancelled, each by compare and set; how many."""
        ...

    async def list_messages(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        states: Sequence[MessageState] = (),
        after: str | None = None,
        limit: int = 100,
    ) -> list[Message]:
        """The campaign's messages in id order after `after` (keyset paging), only those in
        `states` when given."""
        ...


class MessageEvents(Protocol):
    async def publish(self, events: Sequence[MessageEvent]) -> None: ...


# How the connection to the SMTP relay is secured (the setting and the sender share it).
SmtpTls = Literal["none", "starttls", "tls"]


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    message_id: str  # the RFC 5322 Message-ID: deterministic, so a resend is detectable
    to: str
    subject: str
    html: str | None
    text: str
    unsubscribe_url: str
    unsubscribe_mailto: str


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail) -> str:
        """Hand the email to the server; returns the id it was accepted under. Raises
        EmailRefused (the server refused it for good) or EmailUnavailable (try again)."""
        ...


class EmailRefused(Exception):
    """The mail server refused the message for good (a 5xx): a failed message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmailUnavailable(Exception):
    """The mail server could not be reached, dropped the connection or said to try later."""


class ReadModelBarrier(Protocol):
    async def wait(self, limit_s: float) -> bool:
        """Wait until every contact change published before now is in the read model."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    message_id: str  # the ledger's message id, sent to the provider as its client reference
    to: str  # E.164
    body: str


class SmsSender(Protocol):
    async def send(self, sms: OutgoingSms) -> str:
        """Hand the message to the provider; returns the provider's id for it."""
        ...


class SmsRefused(Exception):
    """The provider refused the message for good (a failed message, with its reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SmsUnavailable(Exception):
    """The provider could not be reached or did not answer in time: try again later."""

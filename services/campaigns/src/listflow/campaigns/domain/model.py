"""Campaigns, their audiences and triggers, the message ledger and the rules of sending."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from listflow.schemas.campaigns import Channel, SuppressionReason
from listflow.schemas.values import ContactData, TargetKind, deterministic_id, list_id_for
from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Filters(_Model):
    balance_min: Decimal | None = None
    balance_max: Decimal | None = None
    updated_since: datetime | None = None
    updated_before: datetime | None = None
    postcode_prefix: str | None = Field(default=None, max_length=20)
    # Only contacts whose consent on this channel is explicitly given (the rule at send time
    # refuses the others anyway; this keeps them out of the audience and its count).
    consent: bool = False


class Audience(_Model):
    groups: tuple[str, ...] = Field(default=(), max_length=50)
    tags: tuple[str, ...] = Field(default=(), max_length=50)
    upload_id: str | None = None
    filters: Filters = Field(default_factory=Filters)


class Trigger(_Model):
    on: Literal["list_ready", "now", "schedule", "manual"] = "manual"
    at: datetime | None = None


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # waiting for its trigger
    SENDING = "sending"
    PAUSED = "paused"
    COMPLETED = "completed"  # every message settled (sent, failed or suppressed)
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    tenant_id: str
    name: str
    channel: Channel
    template_id: str
    audience: Audience
    trigger: Trigger
    status: CampaignStatus
    send_rate: float
    created_at: datetime
    triggered_at: datetime | None = None
    # Set once the whole audience is claimed in the ledger: a sending campaign without it
    # (the service stopped mid-targeting) is targeted again at start.
    targeted_at: datetime | None = None
    # When the last open message was settled (status completed).
    finished_at: datetime | None = None

    def group_ids(self) -> set[str]:
        return {
            list_id_for(self.tenant_id, TargetKind.GROUP, name) for name in self.audience.groups
        }

    def answers(self, list_id: str, upload_id: str) -> bool:
        """Whether a ListReady of this list (or upload) triggers this campaign."""
        if self.trigger.on != "list_ready" or self.status is CampaignStatus.CANCELLED:
            return False
        return list_id in self.group_ids() or self.audience.upload_id == upload_id


class MessageState(StrEnum):
    PENDING = "pending"  # claimed in the ledger, not yet due or not yet tried
    DEFERRED = "deferred"  # quiet hours: due at `due_at`
    WAITING_LINK = "waiting_link"  # the template needs the customer's portal link
    SENDING = "sending"  # handed to the server; the outcome is not recorded yet
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"  # still open when its campaign was cancelled: never sent


# The ledger states the sender takes up when due, and those a frequency cap counts.
DUE_STATES = (MessageState.PENDING, MessageState.DEFERRED, MessageState.WAITING_LINK)
CAPPED_STATES = (MessageState.SENDING, MessageState.SENT, MessageState.DELIVERED)
# What the sender looks at: the due states, and SENDING, whose `due_at` is the end of the
# lease of the sender that claimed it (after which a sender that died holding it has lost it).
SENDER_STATES = (*DUE_STATES, MessageState.SENDING)

OPEN_STATES = frozenset(
    {MessageState.PENDING, MessageState.DEFERRED, MessageState.WAITING_LINK, MessageState.SENDING}
)


def message_id(tenant_id: str, campaign_id: str, contact_id: str, channel: str) -> str:
    """The ledger key: one message per (campaign, contact, channel), however often asked."""
    return deterministic_id("message", tenant_id, campaign_id, contact_id, channel)


@dataclass(frozen=True, slots=True)
class ContactView:
    """The campaigns read model of one contact (from its latest snapshot)."""

    id: str
    tenant_id: str
    version: int
    data: ContactData
    group_ids: tuple[str, ...]
    upload_ids: tuple[str, ...]
    updated_at: datetime
    deleted: bool = False
    # ContactSnapshot.held_until: an active promise or plan holds it out of collections.
    held_until: date | None = None

    def held(self, now: datetime) -> bool:
        return self.held_until is not None and now.astimezone(UTC).date() <= self.held_until

    def address(self, channel: Channel) -> str | None:
        if channel == "email":
            return self.data.emails[0] if self.data.emails else None
        return self.data.phones[0].e164 if self.data.phones else None

    def consents_to(self, channel: Channel) -> bool:
        return bool(getattr(self.data.consents, channel))

    def local_zone(self) -> ZoneInfo:
        for name in (self.data.time_zone, *(p.time_zone for p in self.data.phones)):
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    continue
        return ZoneInfo("UTC")

    def context(self) -> dict[str, Any]:
        """The fields a template may name (domain.templates.CONTACT_FIELDS)."""
        d = self.data
        accounts = [
            {"number": a.number, "balance": a.balance, "currency": a.currency} for a in d.accounts
        ]
        first = accounts[0] if accounts else {"number": None, "balance": None, "currency": None}
        full = " ".join(p for p in (d.first_name, d.last_name) if p) or d.company_name or ""
        return {
            "contact_id": self.id,
            "first_name": d.first_name or "",
            "last_name": d.last_name or "",
            "full_name": full,
            "company_name": d.company_name or "",
            "customer_id": d.customer_id or "",
            "external_id": d.external_id or "",
            "email": d.emails[0] if d.emails else "",
            "phone": d.phones[0].e164 if d.phones else "",
            "address": d.address or "",
            "city": d.city or "",
            "state": d.state or "",
            "postcode": d.postcode or "",
            "country": d.country or "",
            "time_zone": d.time_zone or "",
            "accounts": accounts,
            "account_number": first["number"] or "",
            "balance": first["balance"] if first["balance"] is not None else "",
            "currency": first["currency"] or "",
            "extra": {e.name: e.value for e in d.extra},
        }


def in_audience(contact: ContactView, audience: Audience, channel: Channel) -> bool:
    """Whether the contact matches the audience's tags and filters (its lists are looked up
    by the repository)."""
    if contact.deleted:
        return False
    if audience.tags:
        tags = {t.casefold() for t in contact.data.tags}
        if not all(t.casefold() in tags for t in audience.tags):
            return False
    f = audience.filters
    if f.balance_min is not None or f.balance_max is not None:
        balances = [a.balance for a in contact.data.accounts if a.balance is not None]
        total = sum(balances, Decimal(0))
        if not balances:
            return False
        if f.balance_min is not None and total < f.balance_min:
            return False
        if f.balance_max is not None and total > f.balance_max:
            return False
    if f.updated_since is not None and contact.updated_at < f.updated_since:
        return False
    if f.updated_before is not None and contact.updated_at >= f.updated_before:
        return False
    if f.postcode_prefix:
        postcode = (contact.data.postcode or "").replace(" ", "").upper()
        if not postcode.startswith(f.postcode_prefix.replace(" ", "").upper()):
            return False
    return not (f.consent and not contact.consents_to(channel))


@dataclass(frozen=True, slots=True)
class Rules:
    """A tenant's sending rules."""

    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    cap_messages: int = 7
    cap_days: int = 7


DEFAULT_SMS_HELP = "Reply STOP to stop these messages, START to receive them again."


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    """A tenant's settings: the rules checked at send time and the SMS HELP answer."""

    rules: Rules = field(default_factory=Rules)
    sms_help_text: str = DEFAULT_SMS_HELP


def next_window(now: datetime, zone: ZoneInfo, rules: Rules) -> datetime | None:
    """None when `now` is inside the sending window in `zone`, else when it opens next (UTC)."""
    local = now.astimezone(zone)
    opens, closes = rules.quiet_end, rules.quiet_start
    if opens <= local.time() < closes:
        return None
    day: date = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one due message now: send, suppress (with a reason) or defer."""

    send: bool = False
    suppress: SuppressionReason | None = None
    defer_until: datetime | None = None
    wait_link: bool = False


def decide(
    *,
    contact: ContactView | None,
    channel: Channel,
    suppressed: SuppressionReason | None,
    sent_recently: int,
    needs_link: bool,
    has_link: bool,
    now: datetime,
    rules: Rules,
) -> Decision:
    """The rules checked for every message at send time, in order."""
    if contact is None or contact.deleted:
        return Decision(suppress=SuppressionReason.NO_ADDRESS)
    if not contact.consents_to(channel):
        return Decision(suppress=SuppressionReason.NO_CONSENT)
    if contact.address(channel) is None:
        return Decision(suppress=SuppressionReason.NO_ADDRESS)
    if suppressed is not None:
        return Decision(suppress=suppressed)
    if contact.held(now):
        # Skipped, not deferred: the hold ends with the arrangement, not at a known time.
        return Decision(suppress=SuppressionReason.ARRANGEMENT)
    if sent_recently >= rules.cap_messages:
        return Decision(suppress=SuppressionReason.FREQUENCY_CAP)
    opens = next_window(now, contact.local_zone(), rules)
    if opens is not None:
        return Decision(defer_until=opens)
    if needs_link and not has_link:
        return Decision(wait_link=True)
    return Decision(send=True)


SUPPRESSED_KEYS = ("no_consent", "unsubscribed", "quiet_hours", "frequency_cap")


@dataclass
class Stats:
    targeted: int = 0
    suppressed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUPPRESSED_KEYS, 0))
    deferred: int = 0
    pending: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    unsubscribed: int = 0
    cancelled: int = 0

    @classmethod
    def of(cls, counts: Iterable[tuple[str, str | None, int]], unsubscribed: int) -> "Stats":
        """From (state, reason, count) rows of the ledger."""
        stats = cls(unsubscribed=unsubscribed)
        for state, reason, count in counts:
            stats.targeted += count
            match MessageState(state):
                case MessageState.SUPPRESSED:
                    key = reason or "other"
                    stats.suppressed[key] = stats.suppressed.get(key, 0) + count
                case MessageState.SENT:
                    stats.sent += count
                case MessageState.DELIVERED:
                    stats.sent += count
                    stats.delivered += count
                case MessageState.FAILED:
                    stats.failed += count
                case MessageState.CANCELLED:
                    stats.cancelled += count
                case MessageState.DEFERRED:
                    stats.deferred += count
                    stats.pending += count
                case _:
                    stats.pending += count
        return stats

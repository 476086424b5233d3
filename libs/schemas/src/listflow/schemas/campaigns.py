"""Campaign message events on `campaigns.messages.v1`, keyed by contact id.

One message is one (campaign, contact, channel): `message_id` is derived from those three,
so every event of a message, however often it is replayed, names the same message. The
events never carry the rendered body, the address or the portal URL (PII and a token).
Registered in `events.EVENT_TYPES` when this module is imported.
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from listflow.schemas.events import EVENT_TYPES, Event

Channel = Literal["email", "sms"]


class SuppressionReason(StrEnum):
    """Why a message was not sent (the reason codes of a campaign's stats)."""

    NO_CONSENT = "no_consent"
    UNSUBSCRIBED = "unsubscribed"
    HARD_BOUNCE = "hard_bounce"
    SMS_OPT_OUT = "sms_opt_out"
    FREQUENCY_CAP = "frequency_cap"
    NO_ADDRESS = "no_address"
    CANCELLED = "cancelled"
    # The customer has an active promise to pay or payment plan (ContactSnapshot.held_until).
    ARRANGEMENT = "arrangement"


class _MessageEvent(Event):
    message_id: str
    campaign_id: str
    contact_id: str
    channel: Channel


class MessageRequested(_MessageEvent):
    """A contact was targeted by a campaign: the message is claimed in the ledger."""

    ce_type: ClassVar[str] = "listflow.campaigns.MessageRequested"
    requested_at: datetime


class MessageSent(_MessageEvent):
    """The SMTP server or the SMS provider accepted the message."""

    ce_type: ClassVar[str] = "listflow.campaigns.MessageSent"
    provider_message_id: str
    sent_at: datetime


class MessageDelivered(_MessageEvent):
    """The provider reported the message delivered."""

    ce_type: ClassVar[str] = "listflow.campaigns.MessageDelivered"
    delivered_at: datetime


class MessageFailed(_MessageEvent):
    """Sending failed (a refusal of the server, an undeliverable status); it can be retried."""

    ce_type: ClassVar[str] = "listflow.campaigns.MessageFailed"
    error: str
    failed_at: datetime


class MessageSuppressed(_MessageEvent):
    """A rule kept the message from being sent, with its reason code."""

    ce_type: ClassVar[str] = "listflow.campaigns.MessageSuppressed"
    reason: SuppressionReason
    suppressed_at: datetime


MessageEvent = MessageRequested | MessageSent | MessageDelivered | MessageFailed | MessageSuppressed

EVENT_TYPES.update(
    {
        model.ce_type: model
        for model in (
            MessageRequested,
            MessageSent,
            MessageDelivered,
            MessageFailed,
            MessageSuppressed,
        )
    }
)

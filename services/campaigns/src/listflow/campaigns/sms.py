"""Use cases of the SMS provider's webhooks and of the suppression list.

The provider's calls are signed (checked at the entrypoint); here a customer's reply STOPs,
STARTs or asks for HELP, and a status moves the ledger message forward and says so on
`campaigns.messages.v1`. A repeated or late callback changes nothing the second time: the
ledger's compare-and-set moves a message forward once. Logs name the tenant, the message id
and what was done (the audit of who and when), never a number or a message body.
"""

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from listflow.campaigns.domain.errors import NotFound
from listflow.campaigns.domain.sms import STATUS_MOVES, Keyword, keyword, normalized_address
from listflow.campaigns.ports import (
    MessageEvents,
    MessageLedger,
    Suppression,
    SuppressionChange,
    SuppressionRepository,
)
from listflow.kit.clock import Clock
from listflow.kit.errors import Invalid
from listflow.kit.logging import get_logger
from listflow.schemas.campaigns import (
    Channel,
    MessageDelivered,
    MessageEvent,
    MessageFailed,
    MessageSent,
    SuppressionReason,
)
from listflow.schemas.normalize import PhoneNormalizer

_log = get_logger(__name__)

STOPPED = "You will get no more messages from us. Reply START to get them again."
STARTED = "You will get our messages again. Reply STOP to stop them."


@dataclass(frozen=True)
class SmsInbound:
    """A customer's reply to the tenant's number: opt-out keywords, opt back in, HELP."""

    suppressions: SuppressionRepository
    help_text: Callable[[str], Awaitable[str]]  # the tenant's HELP answer
    phones: PhoneNormalizer
    clock: Clock

    async def on_reply(self, tenant_id: str, inbound_id: str, sender: str, body: str) -> str | None:
        """What to answer the customer (None: nothing, the reply is no keyword)."""
        said = keyword(body)
        if said is None:
            _log.info("sms reply without keyword", tenant_id=tenant_id, inbound_id=inbound_id)
            return None
        try:
            number = self.phones.normalize(sender).e164
        except ValueError:
            _log.warning(
                "sms reply from no valid number", tenant_id=tenant_id, inbound_id=inbound_id
            )
            return None
        match said:
            case Keyword.STOP:
                await self.suppressions.suppress(
                    tenant_id,
                    "sms",
                    number,
                    SuppressionReason.SMS_OPT_OUT,
                    self.clock(),
                    by="sms:inbound",
                )
                answer = STOPPED
            case Keyword.START:
                # START lifts the customer's own opt-out, not a suppression an operator made.
                if await self.suppressions.suppression(tenant_id, "sms", number) in (
                    SuppressionReason.SMS_OPT_OUT,
                    None,
                ):
                    await self.suppressions.unsuppress(
                        tenant_id, "sms", number, at=self.clock(), by="sms:inbound"
                    )
                answer = STARTED
            case Keyword.HELP:
                answer = await self.help_text(tenant_id)
        _log.info(
            "sms keyword handled",
            tenant_id=tenant_id,
            inbound_id=inbound_id,
            keyword=said.value,
            by="sms:inbound",
        )
        return answer


@dataclass(frozen=True)
class SmsStatuses:
    """The provider's status callbacks, moving ledger messages forward once."""

    ledger: MessageLedger
    events: MessageEvents
    clock: Clock

    async def on_status(
        self, message_id: str, status: str, provider_id: str, error: str | None
    ) -> bool:
        """Whether the status moved the message (False: a repeat, a late or an unknown one)."""
        move = STATUS_MOVES.get(status)
        if move is None:  # queued, or a status we do not act on
            return False
        message = await self.ledger.find_message(message_id)
        if message is None or message.channel != "sms":
            _log.warning("sms status for no message of ours", message_id=message_id)
            return False
        now = self.clock()
        fields: dict[str, object] = {"provider_message_id": provider_id}
        if move.failed:
            fields["error"] = error or status
        if not await self.ledger.transition(
            message, move.to, from_states=move.from_states, **fields
        ):
            return False
        common = {
            "tenant_id": message.tenant_id,
            "message_id": message.id,
            "campaign_id": message.campaign_id,
            "contact_id": message.contact_id,
            "channel": message.channel,
        }
        event: MessageEvent
        if move.failed:
            event = MessageFailed(**common, error=error or status, failed_at=now)
        elif move.to.value == "delivered":
            event = MessageDelivered(**common, delivered_at=now)
        else:
            event = MessageSent(**common, provider_message_id=provider_id, sent_at=now)
        await self.events.publish([event])
        _log.info(
            "sms status recorded",
            tenant_id=message.tenant_id,
            message_id=message.id,
            status=status,
            by="sms:provider",
        )
        return True


@dataclass(frozen=True)
class Page:
    items: list[Suppression]
    next: str | None


MANUAL_REASONS = frozenset(
    {SuppressionReason.UNSUBSCRIBED, SuppressionReason.HARD_BOUNCE, SuppressionReason.SMS_OPT_OUT}
)


@dataclass(frozen=True)
class Suppressions:
    """The tenant's suppression list as operators manage it."""

    repository: SuppressionRepository
    phones: PhoneNormalizer
    clock: Clock

    def address(self, channel: Channel, raw: str) -> str:
        try:
            return normalized_address(channel, raw, self.phones)
        except ValueError as exc:
            raise Invalid("Invalid address", f"Not a valid {channel} address: {exc}") from None

    async def page(
        self,
        tenant_id: str,
        *,
        channel: Channel | None,
        reason: SuppressionReason | None,
        cursor: str | None,
        limit: int,
    ) -> Page:
        items = await self.repository.list_suppressions(
            tenant_id,
            channel=channel,
            reason=reason,
            after=_decode(cursor) if cursor else None,
            limit=limit + 1,
        )
        more = len(items) > limit
        items = items[:limit]
        return Page(items, _encode(items[-1]) if more else None)

    async def add(
        self, tenant_id: str, channel: Channel, raw: str, reason: SuppressionReason
    ) -> tuple[Suppression, bool]:
        """The stored suppression and whether it is new (a repeat keeps the first)."""
        if reason not in MANUAL_REASONS:
            raise Invalid("Invalid reason", f"Reason {reason.value!r} is set by campaigns only.")
        address = self.address(channel, raw)
        existed = await self.repository.suppression(tenant_id, channel, address) is not None
        await self.repository.suppress(tenant_id, channel, address, reason, self.clock(), by="api")
        stored = await self.repository.get_suppression(tenant_id, channel, address)
        if stored is None:  # lifted between the two calls
            raise NotFound("The address is not suppressed on that channel.")
        _log.info(
            "suppression added", tenant_id=tenant_id, channel=channel, reason=reason.value, by="api"
        )
        return stored, not existed

    async def history(
        self, tenant_id: str, channel: Channel, raw: str
    ) -> tuple[str, list[SuppressionChange]]:
        address = self.address(channel, raw)
        return address, await self.repository.changes(tenant_id, channel, address)

    async def remove(self, tenant_id: str, channel: Channel, raw: str) -> None:
        address = self.address(channel, raw)
        if not await self.repository.unsuppress(
            tenant_id, channel, address, at=self.clock(), by="api"
        ):
            raise NotFound("The address is not suppressed on that channel.")
        _log.info("suppression removed", tenant_id=tenant_id, channel=channel, by="api")


def _encode(last: Suppression) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([last.channel, last.address])).decode()


def _decode(cursor: str) -> tuple[Channel, str]:
    try:
        channel, address = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise Invalid("Invalid cursor", "The cursor is not one this API gave.") from None
    if channel not in ("email", "sms") or not isinstance(address, str):
        raise Invalid("Invalid cursor", "The cursor is not one this API gave.")
    return channel, address

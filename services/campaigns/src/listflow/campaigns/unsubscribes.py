"""Use cases of a customer's unsubscribe link (`/u/<token>`): unsubscribe at once, by the
mail client's one-click POST or by opening the link, and undo it from the page.

The token names the tenant and the message (domain/unsubscribe.py); the address is the one
that message went to. Each suppression records where it came from (`by`), so the
address's history tells a mail client's one-click POST from a person's click. Logs name
the tenant, campaign and message, never the address or the token.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeTimedSerializer
from listflow.campaigns.domain.unsubscribe import read_token
from listflow.campaigns.ports import CampaignRepository, Message
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.schemas.campaigns import SuppressionReason

_log = get_logger(__name__)
# How long the page's undo button stays good.
UNDO_MAX_AGE_S = 24 * 3600


class Source(StrEnum):
    ONE_CLICK = "one-click"  # RFC 8058: the mail client POSTs the List-Unsubscribe link
    LINK = "link"  # the visible link in the message, opened in a browser
    UNDO = "undo"  # the page's "subscribe again" button


@dataclass(frozen=True)
class Unsubscribes:
    repository: CampaignRepository
    key: bytes  # bootstrap.unsubscribe_key
    clock: Clock

    async def _message(self, token: str) -> tuple[Message, str] | None:
        """The token's message and the address it went to; None for a forged token or one
        whose message is unknown (the caller answers both alike)."""
        named = read_token(self.key, token)
        if named is None:
            return None
        tenant_id, message_id = named
        message = await self.repository.get_message(tenant_id, message_id)
        if message is None:
            return None
        address = message.address
        if address is None:
            contact = (await self.repository.get_contacts(tenant_id, [message.contact_id])).get(
                message.contact_id
            )
            address = contact.address(message.channel) if contact else None
        return (message, address) if address else None

    async def unsubscribe(self, token: str, source: Source) -> Message | None:
        """Suppress the message's address on its channel (a repeat keeps the first record);
        the message, or None when the token is not genuine."""
        found = await self._message(token)
        if found is None:
            return None
        m, address = found
        await self.repository.suppress(
            m.tenant_id,
            m.channel,
            address,
            SuppressionReason.UNSUBSCRIBED,
            self.clock(),
            campaign_id=m.campaign_id,
            by=f"{m.channel}:{source.value}",
        )
        _log.info(
            "unsubscribed",
            tenant_id=m.tenant_id,
            campaign_id=m.campaign_id,
            message_id=m.id,
            by=f"{m.channel}:{source.value}",
        )
        return m

    async def resubscribe(self, token: str) -> Message | None:
        """Lift the address's unsubscribe (only that: an operator's suppression, a hard
        bounce or an SMS opt-out stay); the message, or None when the token is not genuine."""
        found = await self._message(token)
        if found is None:
            return None
        m, address = found
        by = f"{m.channel}:{Source.UNDO.value}"
        reason = await self.repository.suppression(m.tenant_id, m.channel, address)
        if reason is SuppressionReason.UNSUBSCRIBED:
            await self.repository.unsuppress(
                m.tenant_id, m.channel, address, at=self.clock(), by=by
            )
        _log.info(
            "resubscribed",
            tenant_id=m.tenant_id,
            campaign_id=m.campaign_id,
            message_id=m.id,
            by=by,
            lifted=reason is SuppressionReason.UNSUBSCRIBED,
        )
        return m


class UndoForms:
    """CSRF of the undo button: the form carries a signed (nonce, token digest) and the
    browser a SameSite=Strict cookie with the nonce; both must agree, for this link."""

    def __init__(self, key: bytes) -> None:
        secret = hmac.new(key, b"listflow campaigns undo forms", hashlib.sha256).hexdigest()
        self._signer = URLSafeTimedSerializer(secret, salt="unsubscribe-undo")

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()[:32]

    def issue(self, token: str) -> tuple[str, str]:
        """(cookie nonce, form field) for a page of this link."""
        nonce = secrets.token_urlsafe(16)
        return nonce, self._signer.dumps([nonce, self._digest(token)])

    def genuine(self, token: str, field: str, cookie: str | None) -> bool:
        if not field or not cookie:
            return False
        try:
            nonce, digest = self._signer.loads(field, max_age=UNDO_MAX_AGE_S)
        except (BadSignature, ValueError, TypeError):
            return False
        return (
            isinstance(nonce, str)
            and isinstance(digest, str)
            and hmac.compare_digest(nonce, cookie)
            and hmac.compare_digest(digest, self._digest(token))
        )

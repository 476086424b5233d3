"""The sender: takes a sending campaign's due messages, applies the rules at send time and
sends the rest at the campaign's rate, ledger first (claim, send, mark sent)."""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from listflow.campaigns.domain.model import (
    DUE_STATES,
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    MessageState,
    decide,
)
from listflow.campaigns.domain.templates import MessageTemplate, RenderFailed, render
from listflow.campaigns.domain.unsubscribe import make_token
from listflow.campaigns.ports import (
    CampaignRepository,
    EmailSender,
    Message,
    MessageEvents,
    OutgoingEmail,
    OutgoingSms,
    SmsSender,
)
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.schemas.campaigns import (
    MessageEvent,
    MessageFailed,
    MessageSent,
    MessageSuppressed,
    SuppressionReason,
)

_log = get_logger(__name__)
# A message waiting for its portal link is looked at again after this long.
LINK_RETRY = timedelta(seconds=30)


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    suppressed: int = 0
    deferred: int = 0
    waiting: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Sender:
    repository: CampaignRepository
    email: EmailSender
    sms: SmsSender | None
    events: MessageEvents
    clock: Clock
    public_url: str
    mailbox_domain: str
    unsubscribe_key: bytes
    batch: int = 500

    async def dispatch(self, campaign: Campaign) -> Outcome:
        """One pass over the campaign's due messages."""
        if campaign.status is not CampaignStatus.SENDING:
            return Outcome()
        tenant = campaign.tenant_id
        now = self.clock()
        due = await self.repository.due_messages(tenant, campaign.id, now, self.batch)
        if not due:
            return Outcome()
        template = await self.repository.get_template(tenant, campaign.template_id)
        settings = await self.repository.get_settings(tenant) or CampaignSettings()
        ids = [m.contact_id for m in due]
        contacts = await self.repository.get_contacts(tenant, ids)
        needs_link = template is not None and "portal_url" in template.content.uses()
        links = await self.repository.links(tenant, ids) if needs_link else {}
        counts = dict.fromkeys(("sent", "suppressed", "deferred", "waiting", "failed"), 0)
        interval = 1.0 / campaign.send_rate
        started = time.monotonic()
        events: list[MessageEvent] = []
        for m in due:
            contact = contacts.get(m.contact_id)
            address = contact.address(m.channel) if contact else None
            suppressed = (
                await self.repository.suppression(tenant, m.channel, address) if address else None
            )
            since = now - timedelta(days=settings.rules.cap_days)
            decision = decide(
                contact=contact,
                channel=m.channel,
                suppressed=suppressed,
                sent_recently=await self.repository.sent_since(
                    tenant, m.contact_id, m.channel, since
                ),
                needs_link=needs_link,
                has_link=m.contact_id in links,
                now=now,
                rules=settings.rules,
            )
            if decision.suppress is not None:
                if await self.repository.transition(
                    m, MessageState.SUPPRESSED, from_states=DUE_STATES, reason=decision.suppress
                ):
                    counts["suppressed"] += 1
                    events.append(self._suppressed(m, decision.suppress, now))
            elif decision.defer_until is not None:
                await self.repository.transition(
                    m, MessageState.DEFERRED, from_states=DUE_STATES, due_at=decision.defer_until
                )
                counts["deferred"] += 1
            elif decision.wait_link:
                await self.repository.transition(
                    m, MessageState.WAITING_LINK, from_states=DUE_STATES, due_at=now + LINK_RETRY
                )
                counts["waiting"] += 1
            elif template is None or contact is None or address is None:
                # decide sends only to a known contact with an address; the template may
                # have been deleted since the campaign started.
                if await self._fail(m, "the campaign's template was deleted", events):
                    counts["failed"] += 1
            else:
                # The campaign's rate: the n-th send of this pass no sooner than n intervals.
                pause = started + counts["sent"] * interval - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                sent = await self._send(m, contact, address, template, links, events)
                counts["sent" if sent else "failed"] += 1
        if events:
            await self.events.publish(events)
        return Outcome(**counts)

    async def _send(
        self,
        m: Message,
        contact: ContactView,
        address: str,
        template: MessageTemplate,
        links: dict[str, str],
        events: list[MessageEvent],
    ) -> bool:
        # Ledger first: only the one pass that moves it to SENDING sends it.
        if not await self.repository.transition(
            m,
            MessageState.SENDING,
            from_states=DUE_STATES,
            attempts=m.attempts + 1,
            address=address,
        ):
            return False
        token = make_token(self.unsubscribe_key, m.tenant_id, m.id)
        unsubscribe_url = f"{self.public_url}/u/{token}"
        context = {
            **contact.context(),
            "portal_url": links.get(m.contact_id, ""),
            "unsubscribe_url": unsubscribe_url,
        }
        try:
            out = render(template.content, context)
            if m.channel == "email":
                provider_id = await self.email.send(
                    OutgoingEmail(
                        message_id=f"<{m.id}@{self.mailbox_domain}>",
                        to=address,
                        subject=out.subject or "",
                        html=out.html,
                        text=out.text or "",
                        unsubscribe_url=unsubscribe_url,
                        unsubscribe_mailto=f"mailto:unsubscribe+{token}@{self.mailbox_domain}",
                    )
                )
            else:
                if self.sms is None:
                    raise RuntimeError("no SMS provider is configured")
                provider_id = await self.sms.send(
                    OutgoingSms(message_id=m.id, to=address, body=out.body or "")
                )
        except (RenderFailed, OSError, RuntimeError) as exc:
            # The address and body stay out of the log and the event.
            _log.warning("message failed", message_id=m.id, error=type(exc).__name__)
            await self._fail(m, type(exc).__name__, events, from_states=[MessageState.SENDING])
            return False
        sent_at = self.clock()
        await self.repository.transition(
            m, MessageState.SENT, from_states=[MessageState.SENDING], sent_at=sent_at
        )
        events.append(
            MessageSent(
                tenant_id=m.tenant_id,
                message_id=m.id,
                campaign_id=m.campaign_id,
                contact_id=m.contact_id,
                channel=m.channel,
                provider_message_id=provider_id,
                sent_at=sent_at,
            )
        )
        return True

    async def _fail(
        self,
        m: Message,
        error: str,
        events: list[MessageEvent],
        from_states: tuple[MessageState, ...] | list[MessageState] = DUE_STATES,
    ) -> bool:
        now = self.clock()
        if not await self.repository.transition(
            m, MessageState.FAILED, from_states=from_states, error=error
        ):
            return False
        events.append(
            MessageFailed(
                tenant_id=m.tenant_id,
                message_id=m.id,
                campaign_id=m.campaign_id,
                contact_id=m.contact_id,
                channel=m.channel,
                error=error,
                failed_at=now,
            )
        )
        return True

    @staticmethod
    def _suppressed(m: Message, reason: SuppressionReason, now: datetime) -> MessageSuppressed:
        return MessageSuppressed(
            tenant_id=m.tenant_id,
            message_id=m.id,
            campaign_id=m.campaign_id,
            contact_id=m.contact_id,
            channel=m.channel,
            reason=reason,
            suppressed_at=now,
        )

    async def dispatch_sending(self) -> int:
        """One pass over every tenant's sending campaigns; returns how many messages moved."""
        moved = 0
        for campaign in await self.repository.campaigns_sending():
            outcome = await self.dispatch(campaign)
            moved += outcome.sent + outcome.suppressed + outcome.deferred + outcome.failed
            moved += outcome.waiting
        return moved

    async def dispatch_forever(self, every_s: float) -> None:
        """The service's sending loop: passes back to back while they find due messages,
        a pause of `every_s` after one that found none (or failed)."""
        while True:
            try:
                if await self.dispatch_sending():
                    continue
            except Exception:
                _log.exception("dispatching campaign messages failed, will try again")
            await asyncio.sleep(every_s)

    async def retry(self, tenant_id: str, message_id: str) -> bool:
        """Put one failed message back among the due ones (sent again on the next pass)."""
        m = await self.repository.get_message(tenant_id, message_id)
        if m is None:
            return False
        return await self.repository.transition(
            m, MessageState.PENDING, from_states=[MessageState.FAILED], due_at=self.clock()
        )

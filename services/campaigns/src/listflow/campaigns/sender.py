"""The sender: takes a sending campaign's due messages, applies the rules at send time and
sends the rest at the campaign's rate, ledger first (claim, send, mark sent), each step of a
batch one bulk write of the ledger.

Crash safety: a claim moves a message to SENDING with `due_at` the end of a lease. A sender
that dies holding messages leaves them SENDING; once the lease has run out they are due
again and sent again with the same Message-ID. A send starts only while the lease has longer
to run than the send may take, so no message is sent again while its sender still holds it.
The one window left is a message the server accepted whose SENT mark the dying process never
wrote: at most two chunks (`chunk`, each at most one second of the campaign's rate; a
campaign behind its rate has two out at once, so that one's slowest sends and its mark
overlap the next one's sends, also from one pass to the next), each copy recognisable by
its Message-ID.
"""

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from listflow.campaigns.domain.model import (
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
    EmailRefused,
    EmailSender,
    EmailUnavailable,
    Message,
    MessageEvents,
    OutgoingEmail,
    OutgoingSms,
    SmsRefused,
    SmsSender,
    SmsUnavailable,
)
from listflow.kit.clock import Clock, to_millis
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
# A server that could not be reached: the message is tried again after this long, and fails
# after MAX_ATTEMPTS tries.
RETRY_LATER = timedelta(seconds=60)
MAX_ATTEMPTS = 5

# Failures for good (the message fails with the reason) and those worth another try.
_REFUSED = (RenderFailed, EmailRefused, SmsRefused)
_UNAVAILABLE = (EmailUnavailable, SmsUnavailable, OSError, TimeoutError)

Move = tuple[Message, Message]


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    suppressed: int = 0
    deferred: int = 0
    waiting: int = 0
    failed: int = 0
    retrying: int = 0

    def moved(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class _Pass:
    """A pass's due messages and what was looked up once for them: to decide each, then to
    send those that go."""

    campaign: Campaign
    due: list[Message]
    template: MessageTemplate | None
    settings: CampaignSettings
    contacts: dict[str, ContactView]
    links: dict[str, str]
    needs_link: bool
    # The contact's address now, by contact id.
    addresses: dict[str, str]
    suppressed: dict[str, SuppressionReason]
    recent: dict[str, int]
    # When the messages were read as due: a claim takes only those still due as of then.
    read_at: datetime
    # The address each message's ledger entry holds (as targeted, or as last sent to).
    stored_addresses: dict[str, str | None]


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
    # Messages claimed at once: the most a crash can leave accepted but not marked sent.
    chunk: int = 100
    lease: timedelta = timedelta(seconds=120)
    # The longest one send may take (the email adapter's timeout): none starts later than
    # this before its lease ends.
    send_timeout: timedelta = timedelta(seconds=30)
    # Passes of one campaign in a row before the loop turns to the next sending campaign:
    # a campaign of a million does not hold back another tenant's for its whole send.
    passes_in_a_row: int = 10

    async def dispatch(self, campaign: Campaign) -> Outcome:
        """One pass over the campaign's due messages; a campaign with none open left is
        marked completed."""
        ready = await self._first_pass(campaign)
        if ready is None:
            return Outcome()
        counts, events = await self._run(ready)
        if events:
            await self.events.publish(events)
        return counts

    async def dispatch_passes(self, campaign: Campaign) -> int:
        """Pass after pass over the campaign's due messages while each finds a full batch
        (at most `passes_in_a_row`); how many messages moved. The passes overlap so that the
        server is never left waiting between them: the next one is read and looked up while
        one sends, it starts sending while the last chunk of the one before is still out,
        and a pass's events are published while the next one sends.

        Only passes of one campaign overlap: their messages are of different contacts, so
        the frequency cap counted for the next pass is not changed by the one sending. A
        pass read ahead is dropped unsent when the campaign is no longer sending by then."""
        ready = await self._first_pass(campaign)
        moved = 0
        publishing: asyncio.Future[None] | None = None
        following: asyncio.Future[_Pass | None] | None = None
        # The pass before the one running, until its last chunk is marked.
        previous: asyncio.Future[tuple[Outcome, list[MessageEvent]]] | None = None
        current: asyncio.Future[tuple[Outcome, list[MessageEvent]]] | None = None
        passes = 0
        try:
            while ready is not None:
                passes += 1
                following = None
                if len(ready.due) >= self.batch and passes < self.passes_in_a_row:
                    taken = {m.id for m in ready.due}
                    following = asyncio.ensure_future(self._prepare(campaign, exclude=taken))
                launched = asyncio.get_running_loop().create_future()
                current = asyncio.ensure_future(
                    self._run(ready, behind=previous, launched=launched)
                )
                await asyncio.wait((current, launched), return_when=asyncio.FIRST_COMPLETED)
                if previous is not None:
                    moved, publishing = await self._done(previous, moved, publishing)
                if current.done():
                    current.result()  # a pass that failed stops the run here
                previous, current = current, None
                ready = await following if following is not None else None
                following = None
                if ready is not None and not await self._sending(campaign):
                    ready = None
            if previous is not None:
                moved, publishing = await self._done(previous, moved, publishing)
                previous = None
            if publishing is not None:
                await publishing
        finally:
            for pending in (following, current, previous, publishing):
                if pending is not None and not pending.done():
                    pending.cancel()
        return moved

    async def _done(
        self,
        finished: asyncio.Future[tuple[Outcome, list[MessageEvent]]],
        moved: int,
        publishing: asyncio.Future[None] | None,
    ) -> tuple[int, asyncio.Future[None] | None]:
        """A pass's end: its messages counted, its events published once the pass before's
        are (so they go out in pass order)."""
        counts, events = await finished
        if publishing is not None:
            await publishing
        if not events:
            return moved + counts.moved(), None
        return moved + counts.moved(), asyncio.ensure_future(self.events.publish(events))

    async def _first_pass(self, campaign: Campaign) -> _Pass | None:
        """The campaign's first pass, if it is sending and has messages due; a sending
        campaign with none due is marked completed once none is open."""
        if campaign.status is not CampaignStatus.SENDING:
            return None
        ready = await self._prepare(campaign, exclude=())
        if ready is None:
            await self._complete(campaign, self.clock())
        return ready

    async def _sending(self, campaign: Campaign) -> bool:
        current = await self.repository.get_campaign(campaign.tenant_id, campaign.id)
        return current is not None and current.status is CampaignStatus.SENDING

    async def _prepare(self, campaign: Campaign, exclude: Collection[str]) -> _Pass | None:
        """A pass's due messages (none of `exclude`) and what deciding and sending them
        needs, looked up once; None when none is due."""
        tenant = campaign.tenant_id
        now = self.clock()
        due = await self.repository.due_messages(
            tenant, campaign.id, now, self.batch, exclude=exclude
        )
        if not due:
            return None
        template = await self.repository.get_template(tenant, campaign.template_id)
        settings = await self.repository.get_settings(tenant) or CampaignSettings()
        ids = [m.contact_id for m in due]
        contacts = await self.repository.get_contacts(tenant, ids)
        needs_link = template is not None and "portal_url" in template.content.uses()
        links = await self.repository.links(tenant, ids) if needs_link else {}
        channel = campaign.channel
        addresses = {cid: a for cid, c in contacts.items() if (a := c.address(channel))}
        suppressed = await self.repository.suppressions_among(
            tenant, channel, list(addresses.values())
        )
        since = now - timedelta(days=settings.rules.cap_days)
        recent = await self.repository.sent_counts(tenant, channel, ids, since)
        return _Pass(
            campaign=campaign,
            due=due,
            template=template,
            settings=settings,
            contacts=contacts,
            links=links,
            needs_link=needs_link,
            addresses=addresses,
            suppressed=suppressed,
            recent=recent,
            read_at=now,
            stored_addresses={m.id: m.address for m in due},
        )

    async def _run(
        self,
        ready: _Pass,
        behind: asyncio.Future[Any] | None = None,
        launched: asyncio.Future[None] | None = None,
    ) -> tuple[Outcome, list[MessageEvent]]:
        """Decide each of the pass's messages, settle those not sent, send the rest; the
        counts and the events to publish. `behind` is the pass before, whose last chunk may
        still be out: it counts as one of the two chunks out at once. `launched` is set once
        the pass has handed its last chunk to the server (or has none to send)."""
        try:
            return await self._decide_and_send(ready, behind, launched)
        finally:
            if launched is not None and not launched.done():
                launched.set_result(None)

    async def _decide_and_send(
        self,
        ready: _Pass,
        behind: asyncio.Future[Any] | None,
        launched: asyncio.Future[None] | None,
    ) -> tuple[Outcome, list[MessageEvent]]:
        now, template, addresses = ready.read_at, ready.template, ready.addresses
        settles: list[Move] = []
        to_send: list[Message] = []
        for m in ready.due:
            contact = ready.contacts.get(m.contact_id)
            address = addresses.get(m.contact_id)
            decision = decide(
                contact=contact,
                channel=m.channel,
                suppressed=ready.suppressed.get(address) if address else None,
                sent_recently=ready.recent.get(m.contact_id, 0),
                needs_link=ready.needs_link,
                has_link=m.contact_id in ready.links,
                now=now,
                rules=ready.settings.rules,
            )
            if decision.suppress is not None:
                settles.append(self._settle(m, MessageState.SUPPRESSED, reason=decision.suppress))
            elif decision.defer_until is not None:
                settles.append(self._settle(m, MessageState.DEFERRED, due_at=decision.defer_until))
            elif decision.wait_link:
                settles.append(self._settle(m, MessageState.WAITING_LINK, due_at=now + LINK_RETRY))
            elif template is None or address is None:
                # decide sends only to a known contact with an address; the template may
                # have been deleted since the campaign started.
                settles.append(
                    self._settle(
                        m, MessageState.FAILED, error="the campaign's template was deleted"
                    )
                )
            else:
                to_send.append(replace(m, address=address))
        events: list[MessageEvent] = []
        counts = await self._apply(settles, events, now)
        if to_send and template is not None:
            sent = await self._send_all(ready, template, to_send, events, behind, launched)
            counts = self._add(counts, sent)
        return counts, events

    @staticmethod
    def _settle(m: Message, to: MessageState, **changes: object) -> Move:
        """The ledger move of a message settled (or put off) without a send."""
        return m, replace(m, state=to, **changes)  # type: ignore[arg-type]

    async def _apply(
        self,
        moves: list[Move],
        events: list[MessageEvent],
        now: datetime,
        provider_ids: dict[str, str] | None = None,
    ) -> Outcome:
        """The moves in one write; the events and counts of those that happened."""
        moved = await self.repository.move_many(moves)
        return self._record(moves, moved, events, now, provider_ids)

    def _record(
        self,
        moves: list[Move],
        moved: set[str],
        events: list[MessageEvent],
        now: datetime,
        provider_ids: dict[str, str] | None = None,
    ) -> Outcome:
        """The events and counts of the moves that happened (`moved`)."""
        counts = dict.fromkeys((f.name for f in fields(Outcome)), 0)
        key = {
            MessageState.SENT: "sent",
            MessageState.SUPPRESSED: "suppressed",
            MessageState.DEFERRED: "deferred",
            MessageState.WAITING_LINK: "waiting",
            MessageState.FAILED: "failed",
            MessageState.PENDING: "retrying",
        }
        for _, new in moves:
            if new.id not in moved:
                continue
            counts[key[new.state]] += 1
            if new.state is MessageState.SUPPRESSED:
                events.append(self._suppressed(new, SuppressionReason(str(new.reason)), now))
            elif new.state is MessageState.FAILED:
                events.append(self._failed(new, new.error or "failed", now))
            elif new.state is MessageState.SENT and provider_ids is not None:
                events.append(self._sent(new, provider_ids[new.id]))
        return Outcome(**counts)

    @staticmethod
    def _add(a: Outcome, b: Outcome) -> Outcome:
        return Outcome(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)})

    async def _send_all(
        self,
        ready: _Pass,
        template: MessageTemplate,
        messages: list[Message],
        events: list[MessageEvent],
        behind: asyncio.Future[Any] | None = None,
        launched: asyncio.Future[None] | None = None,
    ) -> Outcome:
        """Claim, send and mark the messages chunk by chunk, at the campaign's rate. Two
        chunks are out at once (counting the last of the pass `behind`), so neither a
        chunk's slowest sends nor its mark leave the server waiting: the next chunk is
        claimed while one is sent, and is sent while the one before finishes and is marked.
        So at most two chunks are accepted but not yet marked."""
        rate = ready.campaign.send_rate
        size = max(1, min(self.chunk, int(rate)))
        chunks = [messages[i : i + size] for i in range(0, len(messages), size)]
        interval = 1.0 / rate
        started = time.monotonic()
        outcomes: list[Outcome] = []

        async def send_and_mark(
            first: int, held: list[Message], outgoing: list[OutgoingEmail | OutgoingSms | Exception]
        ) -> Outcome:
            results = await asyncio.gather(
                *(
                    self._send_one(m, out, started + (first + i) * interval)
                    for i, (m, out) in enumerate(zip(held, outgoing, strict=True))
                )
            )
            return await self._mark(held, results, events)

        claiming = asyncio.ensure_future(self._claim(chunks[0], ready))
        rendering: asyncio.Future[list[OutgoingEmail | OutgoingSms | Exception]] | None = None
        flying: list[asyncio.Future[Any]] = [behind] if behind is not None else []

        async def land_oldest() -> None:
            oldest = flying.pop(0)
            done = await oldest
            if oldest is not behind:
                outcomes.append(done)

        try:
            for n, _chunk in enumerate(chunks):
                held = await claiming
                # The chunk is rendered in a worker thread as soon as it is claimed, while
                # the chunks before are still out: the event loop gets the interpreter back
                # every few milliseconds meanwhile and reads the server's answers, where
                # rendering a hundred in the loop held it ~20 ms at every chunk
                # (docs/performance.md, s14).
                rendering = asyncio.ensure_future(
                    asyncio.to_thread(self._render_all, ready, template, held)
                )
                # A campaign behind its rate sends a chunk while the one before finishes;
                # one sending at its rate (this chunk's first slot still ahead) has time to
                # spare, and sends one chunk at a time, so a pause or a cancel stops it
                # within the chunk out.
                first = n * size
                while flying and (
                    len(flying) >= 2 or started + first * interval > time.monotonic()
                ):
                    await land_oldest()
                if n > 0 and not await self._still_sending(ready.campaign, held):
                    break
                if n + 1 < len(chunks):
                    claiming = asyncio.ensure_future(self._claim(chunks[n + 1], ready))
                outgoing = await rendering
                flying.append(asyncio.ensure_future(send_and_mark(first, held, outgoing)))
                if n + 1 == len(chunks):
                    while len(flying) > 1:
                        await land_oldest()
                    if launched is not None:
                        launched.set_result(None)  # the pass's last chunk is its one out
            while flying:
                await land_oldest()
        finally:
            # The pass behind is its caller's to wait for.
            for pending in (claiming, rendering, *flying):
                if pending is not None and pending is not behind and not pending.done():
                    pending.cancel()
        total = Outcome()
        for outcome in outcomes:
            total = self._add(total, outcome)
        return total

    async def _still_sending(self, campaign: Campaign, held: list[Message]) -> bool:
        """Whether the campaign still sends; if it was paused or cancelled during the pass,
        the chunk held gives its claims back (due again, or cancelled) unsent. So a pause or a
        cancel stops the pass within the chunk out (a campaign at its rate) or the two out (one
        behind its rate, whose next chunk goes while the one before finishes)."""
        current = await self.repository.get_campaign(campaign.tenant_id, campaign.id)
        if current is not None and current.status is CampaignStatus.SENDING:
            return True
        cancelled = current is None or current.status is CampaignStatus.CANCELLED
        now = self.clock()
        await self.repository.move_many(
            [
                self._settle(m, MessageState.CANCELLED)
                if cancelled
                else self._settle(m, MessageState.PENDING, due_at=now)
                for m in held
            ]
        )
        return False

    async def _claim(self, chunk: list[Message], ready: _Pass) -> list[Message]:
        """Move the chunk to SENDING under a lease, in one write; those this sender won, as
        now stored. A message going to another address than its entry holds (the contact's
        changed since it was targeted) has the address recorded before it is sent."""
        lease_until = to_millis(self.clock() + self.lease)
        won = await self.repository.claim_due(chunk, as_of=ready.read_at, lease_until=lease_until)
        held = [
            replace(m, state=MessageState.SENDING, due_at=lease_until, attempts=m.attempts + 1)
            for m in chunk
            if m.id in won
        ]
        moved = [m for m in held if m.address != ready.stored_addresses.get(m.id)]
        if not moved:
            return held
        # The same state and lease, the new address: only this sender's claim matches.
        recorded = await self.repository.move_many([(m, m) for m in moved])
        lost = {m.id for m in moved} - recorded
        return [m for m in held if m.id not in lost]

    async def _mark(
        self,
        held: list[Message],
        results: list[str | Exception | None],
        events: list[MessageEvent],
    ) -> Outcome:
        """Record the chunk's sends: SENT, or failed or put off with the error's kind. One
        write for the sent ones (a chunk's claims share their lease), one for each other
        outcome alike (a failure's kind, its retry time)."""
        marks: list[Move] = []
        provider_ids: dict[str, str] = {}
        sent_at = self.clock()
        for m, result in zip(held, results, strict=True):
            if isinstance(result, str):
                marks.append(self._settle(m, MessageState.SENT, sent_at=sent_at))
                provider_ids[m.id] = result
            elif result is not None:
                marks.append(self._after_failure(m, result))
        alike: dict[tuple[datetime, MessageState, datetime | None, str | None], list[Message]] = {}
        for old, new in marks:
            key = (old.due_at, new.state, new.due_at, new.error)
            alike.setdefault(key, []).append(old)
        moved: set[str] = set()
        for (lease_until, to, due_at, error), olds in alike.items():
            changes: dict[str, object] = {"error": error}
            if to is MessageState.SENT:
                changes = {"sent_at": sent_at}
            elif to is MessageState.PENDING:
                changes["due_at"] = due_at
            moved |= await self.repository.mark_held(olds, to, lease_until=lease_until, **changes)
        return self._record(marks, moved, events, self.clock(), provider_ids)

    def _after_failure(self, m: Message, error: Exception) -> Move:
        kind = (
            error.reason if isinstance(error, EmailRefused | SmsRefused) else type(error).__name__
        )
        if isinstance(error, _UNAVAILABLE) and m.attempts < MAX_ATTEMPTS:
            due = to_millis(self.clock() + RETRY_LATER)
            return self._settle(m, MessageState.PENDING, due_at=due, error=kind)
        return self._settle(m, MessageState.FAILED, error=kind)

    async def _send_one(
        self, m: Message, out: OutgoingEmail | OutgoingSms | Exception, slot: float
    ) -> str | Exception | None:
        """The provider's id, the error it failed with, or None when its lease was too near
        its end to start (it stays SENDING and is taken up again once the lease is over)."""
        pause = slot - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        if self.clock() + self.send_timeout >= m.due_at:
            return None
        try:
            if isinstance(out, Exception):
                raise out
            if isinstance(out, OutgoingEmail):
                return await self.email.send(out)
            if self.sms is None:
                raise RuntimeError("no SMS provider is configured")
            return await self.sms.send(out)
        except (*_REFUSED, *_UNAVAILABLE, RuntimeError) as exc:
            # The address and body stay out of the log and the event.
            _log.warning("message failed", message_id=m.id, error=type(exc).__name__)
            return exc

    def _render_all(
        self, ready: _Pass, template: MessageTemplate, held: list[Message]
    ) -> list[OutgoingEmail | OutgoingSms | Exception]:
        rendered: list[OutgoingEmail | OutgoingSms | Exception] = []
        for m in held:
            try:
                rendered.append(self._outgoing(ready, template, m))
            except RenderFailed as exc:
                rendered.append(exc)
        return rendered

    def _outgoing(
        self, ready: _Pass, template: MessageTemplate, m: Message
    ) -> OutgoingEmail | OutgoingSms:
        contact = ready.contacts[m.contact_id]
        address = m.address or ""
        token = make_token(self.unsubscribe_key, m.tenant_id, m.id)
        unsubscribe_url = f"{self.public_url}/u/{token}"
        context = {
            **contact.context(),
            "portal_url": ready.links.get(m.contact_id, ""),
            "unsubscribe_url": unsubscribe_url,
        }
        out = render(template.content, context)
        if m.channel == "email":
            return OutgoingEmail(
                message_id=f"<{m.id}@{self.mailbox_domain}>",
                to=address,
                subject=out.subject or "",
                html=out.html,
                text=out.text or "",
                unsubscribe_url=unsubscribe_url,
                unsubscribe_mailto=f"mailto:unsubscribe+{token}@{self.mailbox_domain}",
            )
        return OutgoingSms(message_id=m.id, to=address, body=out.body or "")

    async def _complete(self, campaign: Campaign, now: datetime) -> None:
        # Only a campaign whose whole audience is claimed; the repository's compare and set
        # on `targeted_at` keeps one that is being targeted again meanwhile open. One with
        # no message at all (an empty audience) stays sending: a later list into its groups
        # may still bring it contacts.
        if campaign.targeted_at is None:
            return
        if await self.repository.open_messages(campaign.tenant_id, campaign.id):
            return
        if not await self.repository.state_counts(campaign.tenant_id, campaign.id):
            return
        if await self.repository.finish_campaign(campaign, now):
            _log.info("campaign completed", tenant_id=campaign.tenant_id, campaign_id=campaign.id)

    @staticmethod
    def _sent(m: Message, provider_id: str) -> MessageSent:
        return MessageSent(
            tenant_id=m.tenant_id,
            message_id=m.id,
            campaign_id=m.campaign_id,
            contact_id=m.contact_id,
            channel=m.channel,
            provider_message_id=provider_id,
            sent_at=m.sent_at or m.created_at,
        )

    @staticmethod
    def _failed(m: Message, error: str, now: datetime) -> MessageFailed:
        return MessageFailed(
            tenant_id=m.tenant_id,
            message_id=m.id,
            campaign_id=m.campaign_id,
            contact_id=m.contact_id,
            channel=m.channel,
            error=error,
            failed_at=now,
        )

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
            moved += await self.dispatch_passes(campaign)
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

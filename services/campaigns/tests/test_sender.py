"""The sender on the fakes: one message per contact with its own links, the rules at send
time with their reasons, quiet hours deferred by the injected clock, the wait for a portal
link, a failure and its retry, tokens that cannot be forged, and the service's pass over
every sending campaign."""

import asyncio
import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from listflow.campaigns import sender as sender_module
from listflow.campaigns.adapters.memory_repository import InMemoryCampaignRepository
from listflow.campaigns.domain.model import (
    Audience,
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    MessageState,
    Rules,
    Trigger,
    message_id,
)
from listflow.campaigns.domain.templates import MessageTemplate, Rendered, TemplateContent, render
from listflow.campaigns.domain.unsubscribe import make_token, read_token
from listflow.campaigns.handlers import CampaignDraft, Campaigns
from listflow.campaigns.ports import EmailRefused, EmailUnavailable, OutgoingEmail
from listflow.campaigns.sender import RETRY_LATER, Sender
from listflow.schemas.campaigns import MessageEvent, SuppressionReason
from listflow.schemas.values import Consents, ContactData, TargetKind, list_id_for

KEY = b"test-unsubscribe-key"
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MARCH = list_id_for("t1", TargetKind.GROUP, "March")
PLAIN = TemplateContent("email", subject="Hi", text="Hi")
TEMPLATE = TemplateContent(
    "email",
    subject="Hello {{ first_name }}",
    html="<p>Pay: {{ portal_url }}</p><p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>",
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Mailbox:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failing = failing or set()

    async def send(self, email: OutgoingEmail) -> str:
        if email.to in self.failing:
            raise EmailRefused("smtp_550")
        self.sent.append(email)
        return f"smtp-{len(self.sent)}"


class Events:
    def __init__(self) -> None:
        self.published: list[MessageEvent] = []

    async def publish(self, events: Sequence[MessageEvent]) -> None:
        self.published.extend(events)


def contact(
    cid: str, *, email: bool | None = True, zone: str | None = None, tenant: str = "t1"
) -> ContactView:
    return ContactView(
        id=cid,
        tenant_id=tenant,
        version=1,
        data=ContactData(
            first_name=cid.title(),
            emails=(f"{cid}@example.com",),
            consents=Consents(email=email),
            time_zone=zone,
        ),
        group_ids=(MARCH,),
        upload_ids=(),
        updated_at=NOON,
    )


class World:
    def __init__(self) -> None:
        self.repo = InMemoryCampaignRepository()
        self.clock = Clock(NOON)
        self.mailbox = Mailbox()
        self.events = Events()
        ids = (f"k{n}" for n in itertools.count(1))
        self.campaigns = Campaigns(self.repo, self.clock, new_id=lambda: next(ids))
        self.sender = Sender(
            self.repo,
            self.mailbox,
            None,
            self.events,
            self.clock,
            public_url="https://lists.example",
            mailbox_domain="lists.example",
            unsubscribe_key=KEY,
        )

    async def start(
        self,
        contacts: list[ContactView],
        content: TemplateContent = TEMPLATE,
        *,
        rate: float = 1000.0,
    ) -> Campaign:
        await self.repo.upsert_contacts(contacts)
        await self.repo.insert_template(
            MessageTemplate.new(id="tpl", tenant_id="t1", name="T", content=content, now=NOON)
        )
        draft = CampaignDraft(
            name="March",
            channel="email",
            template_id="tpl",
            audience=Audience(groups=("March",)),
            trigger=Trigger(on="now"),
            send_rate=rate,
        )
        return await self.campaigns.create("t1", draft)


@pytest.fixture
def world() -> World:
    return World()


async def test_each_eligible_contact_gets_one_email_with_its_own_links(world: World) -> None:
    campaign = await world.start([contact("ana"), contact("bo")])
    await world.repo.set_link("t1", "ana", "l-ana", "https://portal.example/p/ana-token", NOON)
    await world.repo.set_link("t1", "bo", "l-bo", "https://portal.example/p/bo-token", NOON)
    outcome = await world.sender.dispatch(campaign)
    assert outcome.sent == 2
    again = await world.sender.dispatch(campaign)
    assert again.sent == 0
    by_to = {e.to: e for e in world.mailbox.sent}
    assert sorted(by_to) == ["ana@example.com", "bo@example.com"]
    ana = by_to["ana@example.com"]
    assert ana.subject == "Hello Ana"
    assert ana.html is not None and "https://portal.example/p/ana-token" in ana.html
    assert "bo-token" not in ana.html
    assert ana.message_id == f"<{message_id('t1', campaign.id, 'ana', 'email')}@lists.example>"
    token = ana.unsubscribe_url.rsplit("/u/", 1)[1]
    assert read_token(KEY, token) == ("t1", message_id("t1", campaign.id, "ana", "email"))
    assert ana.unsubscribe_url in ana.html and ana.unsubscribe_mailto.startswith("mailto:")
    assert [type(e).__name__ for e in world.events.published] == ["MessageSent", "MessageSent"]
    stats = await world.campaigns.stats("t1", campaign.id)
    assert (stats.targeted, stats.sent, stats.pending) == (2, 2, 0)


async def test_emails_are_rendered_off_the_event_loops_thread(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rendered in the loop, a chunk's hundred emails held it ~20 ms, in which no server's
    # answer was read; a worker thread hands the interpreter back every few milliseconds.
    threads: list[int] = []

    def recording(content: TemplateContent, context: Mapping[str, Any]) -> Rendered:
        threads.append(threading.get_ident())
        return render(content, context)

    monkeypatch.setattr(sender_module, "render", recording)
    campaign = await world.start([contact("ana"), contact("bo")], PLAIN)
    assert (await world.sender.dispatch(campaign)).sent == 2
    assert len(threads) == 2 and threading.get_ident() not in threads


async def test_the_ledger_holds_the_address_each_email_went_to(world: World) -> None:
    campaign = await world.start([contact("ana"), contact("bo")])
    ana_id = message_id("t1", campaign.id, "ana", "email")
    targeted = await world.repo.get_message("t1", ana_id)
    assert targeted is not None and targeted.address == "ana@example.com"
    # Bo changed his address after the campaign was targeted: the email goes to the new one,
    # and the ledger (which an unsubscribe suppresses) says so.
    moved = contact("bo")
    moved = replace(
        moved, version=2, data=moved.data.model_copy(update={"emails": ("bo@new.example",)})
    )
    await world.repo.upsert_contacts([moved])
    for cid in ("ana", "bo"):
        await world.repo.set_link("t1", cid, f"l-{cid}", f"https://portal.example/p/{cid}", NOON)
    assert (await world.sender.dispatch(campaign)).sent == 2
    assert sorted(e.to for e in world.mailbox.sent) == ["ana@example.com", "bo@new.example"]
    for cid, address in (("ana", "ana@example.com"), ("bo", "bo@new.example")):
        stored = await world.repo.get_message("t1", message_id("t1", campaign.id, cid, "email"))
        assert stored is not None
        assert (stored.state, stored.address) == (MessageState.SENT, address)


async def test_no_consent_suppressed_and_capped_contacts_get_nothing_counted_by_reason(
    world: World,
) -> None:
    await world.repo.put_settings("t1", CampaignSettings(rules=Rules(cap_messages=1)))
    await world.repo.suppress(
        "t1", "email", "sup@example.com", SuppressionReason.UNSUBSCRIBED, NOON
    )
    # "capped" already had its one message of the week from an earlier campaign.
    earlier = await world.start([contact("capped")])
    await world.repo.set_link("t1", "capped", "l", "https://portal.example/p/capped", NOON)
    assert (await world.sender.dispatch(earlier)).sent == 1
    world.mailbox.sent.clear()
    await world.repo.upsert_contacts(
        [contact("ok"), contact("none", email=None), contact("no", email=False), contact("sup")]
    )
    draft = CampaignDraft(
        name="Second",
        channel="email",
        template_id="tpl",
        audience=Audience(groups=("March",)),
        trigger=Trigger(on="now"),
        send_rate=1000.0,
    )
    campaign = await world.campaigns.create("t1", draft)
    await world.repo.set_link("t1", "ok", "l", "https://portal.example/p/ok", NOON)
    await world.sender.dispatch(campaign)
    assert [e.to for e in world.mailbox.sent] == ["ok@example.com"]
    stats = await world.campaigns.stats("t1", campaign.id)
    assert stats.suppressed["no_consent"] == 2
    assert stats.suppressed["unsubscribed"] == 1
    assert stats.suppressed["frequency_cap"] == 1
    assert stats.targeted == 5 == sum(stats.suppressed.values()) + stats.sent + stats.pending
    reasons = sorted(
        str(e.reason) for e in world.events.published if type(e).__name__ == "MessageSuppressed"
    )
    assert reasons == ["frequency_cap", "no_consent", "no_consent", "unsubscribed"]


async def test_quiet_hours_defer_to_the_next_window_in_the_contacts_zone(world: World) -> None:
    # 12:00 UTC is 21:00 in Tokyo (closed) and 07:00 in New York (not open yet).
    campaign = await world.start(
        [contact("tokyo", zone="Asia/Tokyo"), contact("ny", zone="America/New_York")],
        TemplateContent("email", subject="Hi", text="Hi {{ first_name }}"),
    )
    outcome = await world.sender.dispatch(campaign)
    assert (outcome.sent, outcome.deferred) == (0, 2)
    tokyo = await world.repo.get_message("t1", message_id("t1", campaign.id, "tokyo", "email"))
    assert tokyo is not None and tokyo.state is MessageState.DEFERRED
    assert tokyo.due_at == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 08:00 JST next day
    assert (await world.campaigns.stats("t1", campaign.id)).deferred == 2
    world.clock.now = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # 08:00 in New York
    assert (await world.sender.dispatch(campaign)).sent == 1
    world.clock.now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert (await world.sender.dispatch(campaign)).sent == 1
    assert sorted(e.to for e in world.mailbox.sent) == ["ny@example.com", "tokyo@example.com"]


async def test_a_template_with_portal_url_waits_for_the_contacts_link(world: World) -> None:
    campaign = await world.start([contact("ana")])
    assert (await world.sender.dispatch(campaign)).waiting == 1
    assert world.mailbox.sent == []
    await world.repo.set_link("t1", "ana", "l1", "https://portal.example/p/t", NOON)
    world.clock.now = NOON + timedelta(minutes=1)
    assert (await world.sender.dispatch(campaign)).sent == 1
    assert world.mailbox.sent[0].html is not None
    assert "https://portal.example/p/t" in world.mailbox.sent[0].html


async def test_a_failed_message_is_recorded_and_retried_on_its_own(world: World) -> None:
    world.mailbox.failing = {"bo@example.com"}
    campaign = await world.start([contact("ana"), contact("bo")], PLAIN)
    outcome = await world.sender.dispatch(campaign)
    assert (outcome.sent, outcome.failed) == (1, 1)
    stats = await world.campaigns.stats("t1", campaign.id)
    assert (stats.sent, stats.failed) == (1, 1)
    failed = [e for e in world.events.published if type(e).__name__ == "MessageFailed"]
    assert len(failed) == 1 and "bo@" not in str(failed[0].model_dump())
    world.mailbox.failing = set()
    bo = message_id("t1", campaign.id, "bo", "email")
    assert await world.sender.retry("t1", bo)
    assert not await world.sender.retry("t1", bo)  # no longer failed
    assert (await world.sender.dispatch(campaign)).sent == 1
    assert [e.to for e in world.mailbox.sent] == ["ana@example.com", "bo@example.com"]
    stats = await world.campaigns.stats("t1", campaign.id)
    assert (stats.sent, stats.failed) == (2, 0)


async def test_a_paused_campaign_sends_nothing_until_resumed(world: World) -> None:
    campaign = await world.start([contact("ana")], PLAIN)
    paused = await world.campaigns.move("t1", campaign.id, "pause")
    assert (await world.sender.dispatch(paused)).sent == 0
    resumed = await world.campaigns.move("t1", campaign.id, "resume")
    assert (await world.sender.dispatch(resumed)).sent == 1


def test_an_unsubscribe_token_names_its_message_and_cannot_be_forged() -> None:
    token = make_token(KEY, "t1", "m1")
    assert read_token(KEY, token) == ("t1", "m1")
    assert read_token(b"another key", token) is None
    _tenant, message, signature = token.split(".")
    forged = make_token(KEY, "t2", "m1").split(".")[0]
    assert read_token(KEY, f"{forged}.{message}.{signature}") is None
    assert read_token(KEY, "not-a-token") is None
    assert read_token(KEY, "%%%.m1.abc") is None


async def test_the_service_pass_sends_only_sending_campaigns_and_reports_what_moved(
    world: World,
) -> None:
    campaign = await world.start([contact("ana"), contact("bo", email=False)])
    await world.repo.set_link("t1", "ana", "l-ana", "https://portal.example/p/ana-token", NOON)
    await world.campaigns.move("t1", campaign.id, "pause")
    assert await world.sender.dispatch_sending() == 0
    assert world.mailbox.sent == []
    await world.campaigns.move("t1", campaign.id, "resume")
    # ana sent, bo suppressed (no consent): both moved; the next pass finds nothing due.
    assert await world.sender.dispatch_sending() == 2
    assert await world.sender.dispatch_sending() == 0
    assert [e.to for e in world.mailbox.sent] == ["ana@example.com"]


class Crash(BaseException):
    """The process dying (kill -9) right after the server accepted a message."""


class DyingMailbox(Mailbox):
    async def send(self, email: OutgoingEmail) -> str:
        await super().send(email)
        raise Crash


async def test_messages_left_sending_by_a_crash_are_sent_again_after_the_lease_only(
    world: World,
) -> None:
    campaign = await world.start([contact("ana"), contact("bo")], PLAIN)
    dying = replace(world.sender, email=DyingMailbox())
    with pytest.raises(Crash):
        await dying.dispatch(campaign)
    [accepted] = dying.email.sent  # type: ignore[attr-defined]
    ids = [message_id("t1", campaign.id, c, "email") for c in ("ana", "bo")]
    held = [await world.repo.get_message("t1", i) for i in ids]
    assert [m.state for m in held if m] == [MessageState.SENDING] * 2
    # Still held by the dead sender's lease: no one sends them again yet.
    assert (await world.sender.dispatch(campaign)).sent == 0
    world.clock.now = NOON + world.sender.lease + timedelta(seconds=1)
    # Two senders after the lease: each message is claimed again by one of them only.
    other = replace(world.sender, email=world.mailbox)
    outcomes = await asyncio.gather(world.sender.dispatch(campaign), other.dispatch(campaign))
    assert sum(o.sent for o in outcomes) == 2
    assert sorted(e.to for e in world.mailbox.sent) == ["ana@example.com", "bo@example.com"]
    # The copy accepted before the crash and the one sent after share their Message-ID.
    again = next(e for e in world.mailbox.sent if e.to == accepted.to)
    assert again.message_id == accepted.message_id
    stats = await world.campaigns.stats("t1", campaign.id)
    assert (stats.targeted, stats.sent, stats.pending) == (2, 2, 0)


async def test_an_unreachable_server_puts_the_message_off_then_it_is_sent(world: World) -> None:
    class Unreachable(Mailbox):
        async def send(self, email: OutgoingEmail) -> str:
            raise EmailUnavailable("SMTPConnectError")

    campaign = await world.start([contact("ana")], PLAIN)
    down = replace(world.sender, email=Unreachable())
    assert (await down.dispatch(campaign)).retrying == 1
    ana = await world.repo.get_message("t1", message_id("t1", campaign.id, "ana", "email"))
    assert ana is not None and (ana.state, ana.attempts) == (MessageState.PENDING, 1)
    assert (await world.sender.dispatch(campaign)).sent == 0  # not due yet
    world.clock.now = NOON + RETRY_LATER
    assert (await world.sender.dispatch(campaign)).sent == 1
    assert (await world.campaigns.stats("t1", campaign.id)).failed == 0


async def test_a_campaign_is_completed_once_every_message_is_settled(world: World) -> None:
    campaign = await world.start(
        [contact("ana"), contact("no", email=False), contact("tokyo", zone="Asia/Tokyo")],
        PLAIN,
    )
    outcome = await world.sender.dispatch(campaign)
    assert (outcome.sent, outcome.suppressed, outcome.deferred) == (1, 1, 1)
    await world.sender.dispatch(campaign)  # nothing due, but tokyo is deferred: not done
    stored = await world.repo.get_campaign("t1", campaign.id)
    assert stored is not None and stored.status is CampaignStatus.SENDING
    world.clock.now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo
    assert (await world.sender.dispatch(campaign)).sent == 1
    later = world.clock.now
    await world.sender.dispatch(campaign)
    done = await world.repo.get_campaign("t1", campaign.id)
    assert done is not None
    assert (done.status, done.finished_at) == (CampaignStatus.COMPLETED, later)
    stats = await world.campaigns.stats("t1", campaign.id)
    assert stats.targeted == 3 == sum(stats.suppressed.values()) + stats.sent + stats.failed
    assert stats.pending == 0


async def test_a_completed_campaign_given_new_contacts_sends_again(world: World) -> None:
    campaign = await world.start([contact("ana")], PLAIN)
    await world.sender.dispatch(campaign)
    await world.sender.dispatch(campaign)
    done = await world.repo.get_campaign("t1", campaign.id)
    assert done is not None and done.status is CampaignStatus.COMPLETED
    # The same list is ready again (redelivered): nothing new, it stays completed.
    assert (await world.campaigns.target(done)).status is CampaignStatus.COMPLETED
    await world.repo.upsert_contacts([contact("bo")])
    reopened = await world.campaigns.target(done)
    assert (reopened.status, reopened.finished_at) == (CampaignStatus.SENDING, None)
    assert (await world.sender.dispatch(reopened)).sent == 1
    assert [e.to for e in world.mailbox.sent] == ["ana@example.com", "bo@example.com"]


async def test_a_campaign_without_any_message_stays_sending(world: World) -> None:
    campaign = await world.start([], PLAIN)
    await world.sender.dispatch(campaign)
    stored = await world.repo.get_campaign("t1", campaign.id)
    assert stored is not None and stored.status is CampaignStatus.SENDING


def _sender_of(world: World, **options: object) -> Sender:
    return replace(world.sender, **options)  # type: ignore[arg-type]


async def test_passes_read_ahead_send_every_message_once_in_full_batches(world: World) -> None:
    names = [f"c{n:02}" for n in range(23)]
    campaign = await world.start([contact(n) for n in names], PLAIN)
    # Batches of 5: four full passes, each reading the next ahead while it sends, then 3.
    sender = _sender_of(world, batch=5, chunk=2)
    assert await sender.dispatch_passes(campaign) == 23
    assert sorted(e.to for e in world.mailbox.sent) == [f"{n}@example.com" for n in names]
    assert len({e.message_id for e in world.mailbox.sent}) == 23
    sent = [e for e in world.events.published if type(e).__name__ == "MessageSent"]
    assert len(sent) == 23
    assert await sender.dispatch_passes(campaign) == 0


async def test_two_chunks_are_out_at_once_across_passes_and_never_three(world: World) -> None:
    names = [f"c{n:02}" for n in range(12)]
    # A rate no server keeps up with: the sender is always behind it.
    campaign = await world.start(
        [contact(n) for n in names],
        PLAIN,
        rate=1_000_000.0,
    )
    log: list[tuple[str, str]] = []
    out: set[str] = set()
    most = 0

    class SlowMailbox(Mailbox):
        async def send(self, email: OutgoingEmail) -> str:
            nonlocal most
            started = sum(1 for kind, _ in log if kind == "start")
            log.append(("start", email.to))
            out.add(email.to)
            most = max(most, len(out))
            # The server takes a while, the longer for each of a pass's four.
            await asyncio.sleep(0.01 * (started % 4 + 1))
            out.discard(email.to)
            log.append(("end", email.to))
            return await super().send(email)

    world.mailbox = SlowMailbox()
    # Passes of 4 in chunks of 2: three passes, six chunks.
    sender = _sender_of(world, batch=4, chunk=2, email=world.mailbox)
    assert await sender.dispatch_passes(campaign) == 12
    assert sorted(e.to for e in world.mailbox.sent) == [f"{n}@example.com" for n in names]
    # At most two chunks are accepted but not marked: never more than four out at once.
    assert most == 4, most
    starts = [to for kind, to in log if kind == "start"]
    first_pass, second_pass = starts[:4], starts[4:8]
    # The second pass starts sending while the last chunk of the first is still out.
    ends_before = {to for kind, to in log[: log.index(("start", second_pass[0]))] if kind == "end"}
    assert not set(first_pass) <= ends_before


async def test_a_pass_read_ahead_is_dropped_when_the_campaign_is_paused_meanwhile(
    world: World,
) -> None:
    names = [f"c{n:02}" for n in range(10)]
    campaign = await world.start([contact(n) for n in names], PLAIN)

    class PausingMailbox(Mailbox):
        async def send(self, email: OutgoingEmail) -> str:
            if not self.sent:
                await world.campaigns.move("t1", campaign.id, "pause")
            return await super().send(email)

    world.mailbox = PausingMailbox()
    sender = _sender_of(world, batch=4, email=world.mailbox)
    # The first pass's one chunk was claimed before the pause and goes; the pass read
    # ahead meanwhile is not sent, nor anything after it.
    assert await sender.dispatch_passes(campaign) == 4
    assert len(world.mailbox.sent) == 4
    await world.campaigns.move("t1", campaign.id, "resume")
    resumed = await world.repo.get_campaign("t1", campaign.id)
    assert resumed is not None
    assert await sender.dispatch_passes(resumed) == 6
    assert sorted(e.to for e in world.mailbox.sent) == [f"{n}@example.com" for n in names]


async def test_the_service_pass_turns_to_the_next_campaign_after_a_few_passes(
    world: World,
) -> None:
    names = [f"c{n:02}" for n in range(12)]
    first = await world.start([contact(n) for n in names], PLAIN)
    other = await world.campaigns.create(
        "t1",
        CampaignDraft(
            name="April",
            channel="email",
            template_id="tpl",
            audience=Audience(groups=("March",)),
            trigger=Trigger(on="now"),
            send_rate=1000.0,
        ),
    )
    assert first.id != other.id
    # Passes of 2, 2 in a row: each campaign sends 4 in its turn, not its whole audience.
    sender = _sender_of(world, batch=2, passes_in_a_row=2)
    assert await sender.dispatch_sending() == 8
    campaign_of = {
        m.id: m.campaign_id
        for c in (first, other)
        for m in await world.repo.list_messages("t1", c.id, limit=100)
    }
    turns = [campaign_of[e.message_id.strip("<>").split("@")[0]] for e in world.mailbox.sent]
    assert turns == [first.id] * 4 + [other.id] * 4
    assert await sender.dispatch_sending() == 8
    assert await sender.dispatch_sending() == 8
    assert len(world.mailbox.sent) == 24

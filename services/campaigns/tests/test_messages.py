"""A campaign's messages as operators read them (paged, by state, with the reason of each
failure) and the retry of one failed message, on the fakes."""

from dataclasses import replace

import pytest
from listflow.campaigns.domain.errors import Conflict, NotFound
from listflow.campaigns.domain.model import CampaignStatus, MessageState
from listflow.campaigns.handlers import Messages

from .test_sender import PLAIN, World, contact


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def messages(world: World) -> Messages:
    return Messages(world.campaigns, world.sender)


async def test_the_failed_are_listed_with_why_and_a_retry_sends_them(
    world: World, messages: Messages
) -> None:
    world.mailbox.failing = {"bo@example.com"}
    campaign = await world.start([contact("ana"), contact("bo"), contact("cy", email=False)], PLAIN)
    await world.sender.dispatch(campaign)

    failed = await messages.page("t1", campaign.id, states=[MessageState.FAILED])
    [bo] = failed.items
    assert (bo.contact_id, bo.error, failed.next_cursor) == ("bo", "smtp_550", None)
    everyone = await messages.page("t1", campaign.id)
    assert sorted((m.contact_id, m.state, m.reason) for m in everyone.items) == [
        ("ana", MessageState.SENT, None),
        ("bo", MessageState.FAILED, None),
        ("cy", MessageState.SUPPRESSED, "no_consent"),
    ]
    assert (await world.campaigns.stats("t1", campaign.id)).failed == 1

    world.mailbox.failing = set()
    retried = await messages.retry("t1", campaign.id, bo.id)
    assert retried.state is MessageState.PENDING
    stats = await world.campaigns.stats("t1", campaign.id)
    assert (stats.failed, stats.pending, stats.targeted) == (0, 1, 3)
    with pytest.raises(Conflict) as refused:
        await messages.retry("t1", campaign.id, bo.id)
    assert refused.value.extensions == {"message_state": "pending"}

    await world.sender.dispatch(campaign)
    stats = await world.campaigns.stats("t1", campaign.id)
    assert (stats.sent, stats.failed, stats.pending) == (2, 0, 0)
    assert [e.to for e in world.mailbox.sent].count("bo@example.com") == 1


async def test_a_message_not_failed_or_of_another_campaign_is_refused(
    world: World, messages: Messages
) -> None:
    campaign = await world.start([contact("ana")], PLAIN)
    await world.sender.dispatch(campaign)
    [ana] = (await messages.page("t1", campaign.id)).items
    with pytest.raises(Conflict) as refused:
        await messages.retry("t1", campaign.id, ana.id)
    assert refused.value.extensions == {"message_state": "sent"}
    with pytest.raises(NotFound):
        await messages.retry("t1", campaign.id, "no-such-message")
    with pytest.raises(NotFound):
        await messages.retry("t2", campaign.id, ana.id)  # another tenant sees nothing
    await world.repo.transition(ana, MessageState.FAILED, from_states=[MessageState.SENT])
    cancelled = replace(campaign, status=CampaignStatus.CANCELLED)
    await world.repo.replace_campaign(cancelled, expected=[campaign.status])
    with pytest.raises(Conflict) as refused:
        await messages.retry("t1", campaign.id, ana.id)
    assert refused.value.extensions == {"campaign_status": "cancelled"}


async def test_pages_follow_the_cursor_to_the_end(world: World, messages: Messages) -> None:
    campaign = await world.start([contact(f"c{n}") for n in range(5)])
    seen, cursor = [], None
    while True:
        page = await messages.page("t1", campaign.id, cursor=cursor, limit=2)
        seen += [m.contact_id for m in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == [f"c{n}" for n in range(5)]


async def test_cancel_settles_every_open_message_and_the_stats_still_add_up(
    world: World,
) -> None:
    world.clock.now = world.clock.now.replace(hour=23)  # quiet hours: deferred
    late = await world.start([contact("di"), contact("bo"), contact("ed", email=False)], PLAIN)
    await world.sender.dispatch(late)
    assert (await world.campaigns.stats("t1", late.id)).deferred == 2

    cancelled = await world.campaigns.move("t1", late.id, "cancel")
    stats = await world.campaigns.stats("t1", late.id)
    assert (stats.cancelled, stats.pending, stats.deferred) == (2, 0, 0)
    assert stats.targeted == sum(stats.suppressed.values()) + stats.sent + stats.failed + (
        stats.pending + stats.cancelled
    )
    world.clock.now = world.clock.now.replace(hour=12)
    assert (
        await world.sender.dispatch(replace(cancelled, status=CampaignStatus.SENDING))
    ).sent == 0
    assert "di@example.com" not in [e.to for e in world.mailbox.sent]


async def test_a_pass_already_running_sends_nothing_after_the_cancel(world: World) -> None:
    # One message a chunk, at a pace the sender keeps (ten a second): a cancel stops a
    # running pass within the chunk out, and the chunk claimed ahead is given back as
    # cancelled, unsent.
    world.sender = replace(world.sender, chunk=1)
    campaign = await world.start([contact(f"c{n}") for n in range(4)], PLAIN, rate=10.0)
    cancelling = world.mailbox.send

    async def send_then_cancel(email: object) -> str:
        # The operator cancels while the pass is handing its first email to the server.
        provider_id = await cancelling(email)  # type: ignore[arg-type]
        if len(world.mailbox.sent) == 1:
            await world.campaigns.move("t1", campaign.id, "cancel")
        return provider_id

    world.mailbox.send = send_then_cancel  # type: ignore[method-assign]
    outcome = await world.sender.dispatch(campaign)  # the pass read all four as due
    assert len(world.mailbox.sent) == 1
    assert outcome.sent == 1
    stats = await world.campaigns.stats("t1", campaign.id)
    assert (stats.sent, stats.cancelled, stats.targeted) == (1, 3, 4)

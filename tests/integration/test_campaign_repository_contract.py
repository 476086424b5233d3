"""One contract for every campaigns repository: the in-memory fake and MongoDB (FerretDB
here). Contacts: the highest version wins, uploads accumulate, tenants never mix. Links:
the latest wins, a revocation ends its own link only. Campaigns change state by compare
and set; the ledger holds one message per (campaign, contact, channel)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from listflow.campaigns.adapters.memory_repository import InMemoryCampaignRepository
from listflow.campaigns.adapters.mongo_repository import MongoCampaignRepository
from listflow.campaigns.domain.model import (
    Audience,
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    Filters,
    MessageState,
    Rules,
    Trigger,
    message_id,
)
from listflow.campaigns.ports import CampaignRepository, LinkChange, Message
from listflow.schemas.campaigns import Channel
from listflow.schemas.values import Account, ContactData

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[CampaignRepository]:
    if request.param == "memory":
        yield InMemoryCampaignRepository()
        return
    async with fresh_database() as db:
        repo = MongoCampaignRepository(db)
        await repo.ensure_indexes()
        yield repo


def view(
    cid: str,
    version: int = 1,
    *,
    tenant: str = "t1",
    name: str = "Ana",
    groups: tuple[str, ...] = ("g1",),
    uploads: tuple[str, ...] = (),
    deleted: bool = False,
) -> ContactView:
    data = ContactData(
        first_name=name,
        emails=(f"{cid}@example.com",),
        accounts=(Account(number=f"A-{cid}", balance="120.50", currency="EUR"),),
    )
    return ContactView(
        id=cid,
        tenant_id=tenant,
        version=version,
        data=data,
        group_ids=groups,
        upload_ids=uploads,
        updated_at=NOW + timedelta(minutes=version),
        deleted=deleted,
    )


async def contacts_in(
    repository: CampaignRepository, tenant_id: str, *, group_ids: list[str], upload_id: str | None
) -> list[ContactView]:
    """The whole audience the repository streams, as a list to compare."""
    return [
        c
        async for c in repository.iter_contacts_in(
            tenant_id, group_ids=group_ids, upload_id=upload_id
        )
    ]


async def test_a_stored_contact_reads_back_whole(repository: CampaignRepository) -> None:
    stored = view("c1", uploads=("u1",))
    await repository.upsert_contacts([stored])
    assert await repository.get_contacts("t1", ["c1"]) == {"c1": stored}


async def test_a_held_contact_reads_back_with_its_hold(repository: CampaignRepository) -> None:
    held = replace(view("c1"), held_until=NOW.date() + timedelta(days=10))
    await repository.upsert_contacts([held])
    assert await repository.get_contacts("t1", ["c1"]) == {"c1": held}


async def test_the_highest_version_wins_whatever_the_order(repository: CampaignRepository) -> None:
    await repository.upsert_contacts([view("c1", 3, name="Third")])
    await repository.upsert_contacts([view("c1", 2, name="Second"), view("c1", 1, name="First")])
    await repository.upsert_contacts([view("c1", 3, name="Third")])  # a replay
    found = await repository.get_contacts("t1", ["c1"])
    assert (found["c1"].version, found["c1"].data.first_name) == (3, "Third")
    await repository.upsert_contacts([view("c1", 4, name="Fourth"), view("c1", 2, name="Old")])
    found = await repository.get_contacts("t1", ["c1"])
    assert (found["c1"].version, found["c1"].data.first_name) == (4, "Fourth")


async def test_every_upload_that_named_a_contact_is_kept_even_from_an_older_snapshot(
    repository: CampaignRepository,
) -> None:
    await repository.upsert_contacts([view("c1", 2, uploads=("u2",))])
    await repository.upsert_contacts([view("c1", 1, uploads=("u1",))])
    await repository.upsert_contacts([view("c1", 3, uploads=("u3",)), view("c1", 3)])
    found = await repository.get_contacts("t1", ["c1"])
    assert sorted(found["c1"].upload_ids) == ["u1", "u2", "u3"]
    assert found["c1"].version == 3


async def test_contacts_in_finds_the_groups_or_the_upload_and_no_deleted_contact(
    repository: CampaignRepository,
) -> None:
    await repository.upsert_contacts(
        [
            view("c1", groups=("g1",)),
            view("c2", groups=("g2",)),
            view("c3", groups=("g3",), uploads=("u9",)),
            view("c4", groups=("g1", "g2")),
            view("c5", groups=("g1",)),
        ]
    )
    await repository.upsert_contacts([view("c5", 2, groups=("g1",), deleted=True)])

    def ids(contacts: list[ContactView]) -> list[str]:
        # In no particular order; each once (c4 is in both groups).
        return sorted(c.id for c in contacts)

    assert ids(await contacts_in(repository, "t1", group_ids=["g1"], upload_id=None)) == [
        "c1",
        "c4",
    ]
    both = await contacts_in(repository, "t1", group_ids=["g1", "g2"], upload_id="u9")
    assert ids(both) == ["c1", "c2", "c3", "c4"]
    assert ids(await contacts_in(repository, "t1", group_ids=[], upload_id="u9")) == ["c3"]
    assert await contacts_in(repository, "t1", group_ids=[], upload_id=None) == []


async def test_a_deleted_contact_stays_deleted_against_older_snapshots(
    repository: CampaignRepository,
) -> None:
    await repository.upsert_contacts([view("c1", 5, deleted=True)])
    await repository.upsert_contacts([view("c1", 4)])
    assert (await repository.get_contacts("t1", ["c1"]))["c1"].deleted
    assert await contacts_in(repository, "t1", group_ids=["g1"], upload_id=None) == []


async def test_one_tenant_never_reads_another_tenants_contacts_or_links(
    repository: CampaignRepository,
) -> None:
    await repository.upsert_contacts([view("c1", tenant="t1"), view("c1", tenant="t2", name="B")])
    await repository.set_link("t1", "c1", "l1", "https://p/p/one", NOW)
    assert (await repository.get_contacts("t2", ["c1"]))["c1"].data.first_name == "B"
    assert [
        c.tenant_id for c in await contacts_in(repository, "t2", group_ids=["g1"], upload_id=None)
    ] == ["t2"]
    assert await repository.get_contacts("t3", ["c1"]) == {}
    assert await repository.links("t2", ["c1"]) == {}
    assert await repository.links("t1", ["c1"]) == {"c1": "https://p/p/one"}


async def test_get_contacts_answers_for_the_ids_it_knows(repository: CampaignRepository) -> None:
    await repository.upsert_contacts([view(f"c{i}") for i in range(5)])
    found = await repository.get_contacts("t1", ["c1", "c3", "nobody"])
    assert sorted(found) == ["c1", "c3"]


async def test_the_latest_link_wins_and_a_replay_changes_nothing(
    repository: CampaignRepository,
) -> None:
    await repository.set_link("t1", "c1", "l2", "https://p/p/two", NOW + timedelta(hours=1))
    await repository.set_link("t1", "c1", "l1", "https://p/p/one", NOW)
    assert await repository.links("t1", ["c1"]) == {"c1": "https://p/p/two"}
    await repository.set_link("t1", "c1", "l3", "https://p/p/three", NOW + timedelta(hours=2))
    await repository.set_link("t1", "c1", "l2", "https://p/p/two", NOW + timedelta(hours=1))
    assert await repository.links("t1", ["c1", "c2"]) == {"c1": "https://p/p/three"}


async def test_a_revocation_ends_its_own_link_and_not_a_newer_one(
    repository: CampaignRepository,
) -> None:
    await repository.set_link("t1", "c1", "l1", "https://p/p/one", NOW)
    await repository.set_link("t1", "c2", "l2", "https://p/p/two", NOW)
    await repository.set_link("t1", "c2", "l3", "https://p/p/three", NOW + timedelta(hours=1))
    await repository.set_link("t1", "c1", "l1", None, NOW + timedelta(hours=2))
    await repository.set_link("t1", "c2", "l2", None, NOW + timedelta(hours=2))
    assert await repository.links("t1", ["c1", "c2"]) == {"c2": "https://p/p/three"}
    # The issue replayed after its revocation does not bring the link back.
    await repository.set_link("t1", "c1", "l1", "https://p/p/one", NOW)
    assert await repository.links("t1", ["c1"]) == {}


async def test_a_revocation_at_its_issues_instant_ends_it(repository: CampaignRepository) -> None:
    await repository.set_link("t1", "c1", "l1", "https://p/p/one", NOW)
    await repository.set_link("t1", "c1", "l1", None, NOW)
    await repository.set_link("t1", "c1", "l1", None, NOW)  # a replay
    assert await repository.links("t1", ["c1"]) == {}


async def test_a_revocation_seen_first_keeps_its_link_from_coming_back(
    repository: CampaignRepository,
) -> None:
    await repository.set_link("t1", "c1", "l1", None, NOW + timedelta(hours=1))
    await repository.set_link("t1", "c1", "l1", "https://p/p/one", NOW)
    assert await repository.links("t1", ["c1"]) == {}
    await repository.set_link("t1", "c1", "l2", "https://p/p/new", NOW + timedelta(hours=2))
    assert await repository.links("t1", ["c1"]) == {"c1": "https://p/p/new"}


async def test_a_batch_of_link_changes_applies_each_contacts_in_order(
    repository: CampaignRepository,
) -> None:
    # The portal's events of one poll in one call: many contacts, and for some an issue, its
    # revocation and a newer issue; a stored later link refuses an older issue.
    await repository.set_link("t1", "old", "l9", "https://p/p/later", NOW + timedelta(hours=3))
    changes = [LinkChange("t1", f"c{i}", f"l{i}", f"https://p/p/{i}", NOW) for i in range(1200)]
    changes += [
        LinkChange("t1", "c1", "l1", None, NOW + timedelta(hours=1)),
        LinkChange("t1", "c2", "l2", None, NOW + timedelta(hours=1)),
        LinkChange("t1", "c2", "l2b", "https://p/p/2b", NOW + timedelta(hours=2)),
        LinkChange("t1", "old", "l8", "https://p/p/earlier", NOW),
        LinkChange("t1", "c3", "l3", "https://p/p/3", NOW),  # a replay
    ]
    await repository.set_links(changes)
    found = await repository.links("t1", [f"c{i}" for i in range(1200)] + ["old"])
    assert len(found) == 1200  # c1 revoked, "old" kept
    assert "c1" not in found
    assert found["c2"] == "https://p/p/2b"
    assert found["c1199"] == "https://p/p/1199"
    assert found["old"] == "https://p/p/later"


def campaign(
    cid: str,
    *,
    tenant: str = "t1",
    status: CampaignStatus = CampaignStatus.DRAFT,
    trigger: Trigger | None = None,
    at: int = 0,
) -> Campaign:
    return Campaign(
        id=cid,
        tenant_id=tenant,
        name=f"Campaign {cid}",
        channel="email",
        template_id="tpl",
        audience=Audience(
            groups=("March",),
            upload_id="u1",
            filters=Filters(balance_min=Decimal("10.5"), postcode_prefix="SW1"),
        ),
        trigger=trigger or Trigger(),
        status=status,
        send_rate=50.0,
        created_at=NOW + timedelta(seconds=at),
    )


async def test_a_campaign_reads_back_whole_and_lists_oldest_first_per_tenant(
    repository: CampaignRepository,
) -> None:
    first = campaign("k1", trigger=Trigger(on="schedule", at=NOW + timedelta(days=1)), at=2)
    await repository.save_campaign(first)
    await repository.save_campaign(campaign("k2", at=1))
    await repository.save_campaign(campaign("k3", tenant="t2"))
    assert await repository.get_campaign("t1", "k1") == first
    assert [c.id for c in await repository.list_campaigns("t1")] == ["k2", "k1"]
    assert await repository.get_campaign("t2", "k1") is None


async def test_a_campaign_is_replaced_or_deleted_only_from_the_expected_state(
    repository: CampaignRepository,
) -> None:
    draft = campaign("k1")
    await repository.save_campaign(draft)
    sending = replace(draft, status=CampaignStatus.SENDING, triggered_at=NOW)
    assert await repository.replace_campaign(sending, expected=[CampaignStatus.DRAFT])
    assert not await repository.replace_campaign(draft, expected=[CampaignStatus.DRAFT])
    assert not await repository.delete_campaign("t1", "k1", expected=CampaignStatus.DRAFT)
    assert await repository.get_campaign("t1", "k1") == sending
    await repository.save_campaign(campaign("k2"))
    assert not await repository.delete_campaign("t2", "k2", expected=CampaignStatus.DRAFT)
    assert await repository.delete_campaign("t1", "k2", expected=CampaignStatus.DRAFT)
    assert await repository.get_campaign("t1", "k2") is None


async def test_the_loops_find_sending_list_ready_and_due_scheduled_campaigns(
    repository: CampaignRepository,
) -> None:
    await repository.save_campaign(campaign("sending", status=CampaignStatus.SENDING))
    await repository.save_campaign(campaign("ready", trigger=Trigger(on="list_ready")))
    await repository.save_campaign(
        campaign(
            "ready-cancelled", trigger=Trigger(on="list_ready"), status=CampaignStatus.CANCELLED
        )
    )
    await repository.save_campaign(
        campaign("due", trigger=Trigger(on="schedule", at=NOW), tenant="t2")
    )
    await repository.save_campaign(
        campaign("later", trigger=Trigger(on="schedule", at=NOW + timedelta(hours=1)))
    )
    assert [c.id for c in await repository.campaigns_sending()] == ["sending"]
    assert [c.id for c in await repository.campaigns_on_list_ready("t1")] == ["ready"]
    assert await repository.campaigns_on_list_ready("t2") == []
    assert [c.id for c in await repository.campaigns_scheduled(NOW)] == ["due"]


async def test_settings_read_back_per_tenant(repository: CampaignRepository) -> None:
    mine = CampaignSettings(
        rules=Rules(quiet_start=time(20, 30), quiet_end=time(9, 0), cap_messages=3, cap_days=5),
        sms_help_text="Call 0800 000",
    )
    assert await repository.get_settings("t1") is None
    await repository.put_settings("t1", mine)
    assert await repository.get_settings("t1") == mine
    assert await repository.get_settings("t2") is None


def message(
    contact: str, *, campaign_id: str = "k1", tenant: str = "t1", channel: Channel = "email"
) -> Message:
    return Message(
        id=message_id(tenant, campaign_id, contact, channel),
        tenant_id=tenant,
        campaign_id=campaign_id,
        contact_id=contact,
        channel=channel,
        state=MessageState.PENDING,
        created_at=NOW,
        due_at=NOW,
    )


async def test_the_ledger_claims_each_message_once_however_often_asked(
    repository: CampaignRepository,
) -> None:
    assert await repository.claim_messages([message("c1"), message("c2"), message("c1")]) == 2
    assert await repository.claim_messages([message("c2"), message("c3")]) == 1
    assert await repository.claim_messages([]) == 0
    await repository.claim_messages([message("c1", tenant="t2"), message("c1", campaign_id="k2")])
    assert await repository.state_counts("t1", "k1") == [("pending", None, 3)]
    assert await repository.state_counts("t2", "k1") == [("pending", None, 1)]


async def test_due_messages_are_the_campaigns_open_ones_due_by_now_oldest_first(
    repository: CampaignRepository,
) -> None:
    early, late, other = message("c1"), message("c2"), message("c3", campaign_id="k2")
    await repository.claim_messages(
        [replace(late, due_at=NOW + timedelta(minutes=5)), early, other, message("c4")]
    )
    assert await repository.transition(
        message("c4"), MessageState.SENT, from_states=[MessageState.PENDING], sent_at=NOW
    )
    due = await repository.due_messages("t1", "k1", NOW, 10)
    assert [m.contact_id for m in due] == ["c1"]
    later = await repository.due_messages("t1", "k1", NOW + timedelta(hours=1), 10)
    assert [m.contact_id for m in later] == ["c1", "c2"]
    assert len(await repository.due_messages("t1", "k1", NOW + timedelta(hours=1), 1)) == 1
    assert await repository.due_messages("t2", "k1", NOW + timedelta(hours=1), 10) == []


async def test_due_messages_leave_out_the_ones_excluded(
    repository: CampaignRepository,
) -> None:
    # The sender reads its next pass while one sends: none of the one sending comes again.
    await repository.claim_messages([message(f"c{n}") for n in range(6)])
    sending = await repository.due_messages("t1", "k1", NOW, 4)
    taken = {m.id for m in sending}
    following = await repository.due_messages("t1", "k1", NOW, 4, exclude=taken)
    assert len(sending) == 4
    assert len(following) == 2
    assert {m.id for m in following}.isdisjoint(taken)
    everyone = {m.contact_id for m in [*sending, *following]}
    assert everyone == {f"c{n}" for n in range(6)}
    # Another tenant's message of the same id stays out of it.
    assert await repository.due_messages("t2", "k1", NOW, 4, exclude=taken) == []


async def test_a_transition_is_a_compare_and_set_on_the_state(
    repository: CampaignRepository,
) -> None:
    m = message("c1")
    await repository.claim_messages([m])
    pending = [MessageState.PENDING]
    assert await repository.transition(m, MessageState.SENDING, from_states=pending, attempts=1)
    assert not await repository.transition(m, MessageState.SENDING, from_states=pending)
    assert await repository.transition(
        m, MessageState.SENT, from_states=[MessageState.SENDING], sent_at=NOW
    )
    stored = await repository.get_message("t1", m.id)
    assert stored is not None
    assert (stored.state, stored.attempts, stored.sent_at) == (MessageState.SENT, 1, NOW)
    assert await repository.get_message("t2", m.id) is None
    suppressed = message("c2")
    await repository.claim_messages([suppressed])
    await repository.transition(
        suppressed, MessageState.SUPPRESSED, from_states=pending, reason="no_consent"
    )
    assert await repository.state_counts("t1", "k1") == [
        ("sent", None, 1),
        ("suppressed", "no_consent", 1),
    ]


async def test_state_counts_cover_every_state_and_the_reasons_of_the_suppressed(
    repository: CampaignRepository,
) -> None:
    states = [s for s in MessageState if s is not MessageState.PENDING]
    moved = [message(f"c{i}") for i in range(len(states))]
    reasons = [message("r1"), message("r2"), message("r3")]
    await repository.claim_messages([*moved, *reasons, message("p"), message("x", tenant="t2")])
    pending = [MessageState.PENDING]
    for m, to in zip(moved, states, strict=True):
        extra = {"reason": "no_consent"} if to is MessageState.SUPPRESSED else {}
        error = {"error": "smtp_550"} if to is MessageState.FAILED else {}
        assert await repository.transition(m, to, from_states=pending, **extra, **error)
    for m, reason in zip(reasons, ("quiet_hours", "frequency_cap", "no_consent"), strict=True):
        assert await repository.transition(
            m, MessageState.SUPPRESSED, from_states=pending, reason=reason
        )
    expected = [(str(s), None, 1) for s in states if s is not MessageState.SUPPRESSED]
    expected += [
        ("pending", None, 1),
        ("suppressed", "frequency_cap", 1),
        ("suppressed", "no_consent", 2),
        ("suppressed", "quiet_hours", 1),
    ]
    assert await repository.state_counts("t1", "k1") == sorted(expected, key=str)
    assert await repository.state_counts("t1", "k2") == []


async def test_state_counts_add_up_while_messages_move(repository: CampaignRepository) -> None:
    messages = [message(f"c{i:03d}") for i in range(300)]
    await repository.claim_messages(messages)

    async def send_all() -> None:
        for start in range(0, len(messages), 50):
            chunk = messages[start : start + 50]
            sending = [replace(m, state=MessageState.SENDING) for m in chunk]
            assert len(await repository.move_many(list(zip(chunk, sending, strict=True)))) == 50
            sent = [replace(m, state=MessageState.SENT, sent_at=NOW) for m in sending]
            assert len(await repository.move_many(list(zip(sending, sent, strict=True)))) == 50

    async def read_counts() -> list[list[tuple[str, str | None, int]]]:
        seen = []
        for _ in range(15):
            seen.append(await repository.state_counts("t1", "k1"))
            await asyncio.sleep(0)
        return seen

    _, seen = await asyncio.gather(send_all(), read_counts())
    for counts in seen:
        assert sum(n for *_, n in counts) == 300
        assert all(n > 0 for *_, n in counts)
    assert await repository.state_counts("t1", "k1") == [("sent", None, 300)]


async def test_the_cap_counts_a_contacts_messages_of_the_channel_across_campaigns(
    repository: CampaignRepository,
) -> None:
    messages = [message("c1", campaign_id=f"k{i}") for i in range(4)]
    await repository.claim_messages([*messages, message("c2")])
    for i, m in enumerate(messages[:3]):
        assert await repository.transition(
            m,
            MessageState.SENT,
            from_states=[MessageState.PENDING],
            sent_at=NOW - timedelta(days=i * 4),
        )
    week, month = NOW - timedelta(days=7), NOW - timedelta(days=30)
    assert await repository.sent_counts("t1", "email", ["c1", "c2"], week) == {"c1": 2}
    assert await repository.sent_counts("t1", "email", ["c1"], month) == {"c1": 3}
    assert await repository.sent_counts("t1", "sms", ["c1"], month) == {}
    assert await repository.sent_counts("t2", "email", ["c1"], month) == {}
    assert await repository.sent_counts("t1", "email", [], month) == {}


async def test_moves_are_compare_and_sets_on_state_and_due_time_many_at_once(
    repository: CampaignRepository,
) -> None:
    a, b, c = message("c1"), message("c2"), message("c3")
    await repository.claim_messages([a, b, c])
    [a, b, c] = await repository.due_messages("t1", "k1", NOW, 10)
    lease = NOW + timedelta(minutes=2)

    def claim(m: Message) -> tuple[Message, Message]:
        return m, replace(m, state=MessageState.SENDING, due_at=lease, attempts=1)

    assert await repository.move_many([claim(a), claim(b)]) == {a.id, b.id}
    # A second sender that read the same messages claims only the one still as it read it.
    assert await repository.move_many([claim(a), claim(c)]) == {c.id}
    assert await repository.move_many([]) == set()
    assert await repository.open_messages("t1", "k1") == 3
    # SENDING is due again only once its lease is over.
    assert await repository.due_messages("t1", "k1", NOW, 10) == []
    expired = await repository.due_messages("t1", "k1", lease, 10)
    assert [m.state for m in expired] == [MessageState.SENDING] * 3
    held = {m.id: m for m in expired}
    sent = replace(held[a.id], state=MessageState.SENT, sent_at=NOW)
    assert await repository.move_many([(held[a.id], sent)]) == {a.id}
    stored = await repository.get_message("t1", a.id)
    assert stored is not None and (stored.state, stored.sent_at) == (MessageState.SENT, NOW)
    assert await repository.open_messages("t1", "k1") == 2
    assert await repository.open_messages("t2", "k1") == 0


async def test_a_claim_takes_the_messages_still_due_in_one_write_and_says_which(
    repository: CampaignRepository,
) -> None:
    a, b, c, d = (message(f"c{i}") for i in range(1, 5))
    elsewhere = message("c1", tenant="t2")
    await repository.claim_messages([a, b, c, d, elsewhere])
    read = await repository.due_messages("t1", "k1", NOW, 10)
    lease = NOW + timedelta(minutes=2)
    # Moved since the read: d sent, c deferred past the read's time.
    assert await repository.transition(
        d, MessageState.SENT, from_states=[MessageState.PENDING], sent_at=NOW
    )
    assert await repository.transition(
        c,
        MessageState.DEFERRED,
        from_states=[MessageState.PENDING],
        due_at=NOW + timedelta(hours=8),
    )
    assert await repository.claim_due(read, as_of=NOW, lease_until=lease) == {a.id, b.id}
    # A second sender that read the same messages wins none of them.
    assert await repository.claim_due(read, as_of=NOW, lease_until=lease) == set()
    assert await repository.claim_due([], as_of=NOW, lease_until=lease) == set()
    stored = await repository.get_message("t1", a.id)
    assert stored is not None
    assert (stored.state, stored.due_at, stored.attempts) == (MessageState.SENDING, lease, 1)
    # Once the lease has run out the claim is due again and taken with one more attempt.
    expired = await repository.due_messages("t1", "k1", lease, 10)
    assert {m.id for m in expired} == {a.id, b.id}
    later = lease + timedelta(minutes=2)
    assert await repository.claim_due(expired, as_of=lease, lease_until=later) == {a.id, b.id}
    stored = await repository.get_message("t1", b.id)
    assert stored is not None and (stored.due_at, stored.attempts) == (later, 2)
    # Another tenant's ledger is not touched.
    assert await repository.get_message("t2", elsewhere.id) == elsewhere


async def test_marks_move_only_the_messages_still_held_under_their_lease(
    repository: CampaignRepository,
) -> None:
    a, b, c = message("c1"), message("c2"), message("c3")
    await repository.claim_messages([a, b, c])
    lease = NOW + timedelta(minutes=2)
    assert await repository.claim_due([a, b, c], as_of=NOW, lease_until=lease) == {
        a.id,
        b.id,
        c.id,
    }
    # c's lease ran out and another sender holds it under a lease of its own.
    later = lease + timedelta(minutes=2)
    assert await repository.claim_due([c], as_of=lease, lease_until=later) == {c.id}
    sent = await repository.mark_held(
        [a, b, c], MessageState.SENT, lease_until=lease, sent_at=NOW + timedelta(seconds=1)
    )
    assert sent == {a.id, b.id}
    assert await repository.mark_held([a], MessageState.SENT, lease_until=lease) == set()
    stored = await repository.get_message("t1", a.id)
    assert stored is not None
    assert (stored.state, stored.sent_at, stored.attempts) == (
        MessageState.SENT,
        NOW + timedelta(seconds=1),
        1,
    )
    retry = later + timedelta(minutes=1)
    assert await repository.mark_held(
        [c], MessageState.PENDING, lease_until=later, due_at=retry, error="EmailUnavailable"
    ) == {c.id}
    stored = await repository.get_message("t1", c.id)
    assert stored is not None
    assert (stored.state, stored.due_at, stored.error, stored.attempts) == (
        MessageState.PENDING,
        retry,
        "EmailUnavailable",
        2,
    )
    assert await repository.state_counts("t1", "k1") == [("pending", None, 1), ("sent", None, 2)]


async def test_senders_claiming_the_same_messages_at_once_each_win_a_message_once(
    repository: CampaignRepository,
) -> None:
    messages = [message(f"c{i:03d}") for i in range(200)]
    await repository.claim_messages(messages)
    read = await repository.due_messages("t1", "k1", NOW, 500)
    lease = NOW + timedelta(minutes=2)
    chunks = [read[i::3] for i in range(3)]
    # Five senders, each claiming overlapping chunks of what they all read as due.
    claims = [chunks[i % 3] + chunks[(i + 1) % 3] for i in range(5)]
    won = await asyncio.gather(
        *(repository.claim_due(chunk, as_of=NOW, lease_until=lease) for chunk in claims)
    )
    assert sum(len(w) for w in won) == len(messages)
    assert set().union(*won) == {m.id for m in messages}
    stored = await repository.list_messages("t1", "k1", limit=500)
    assert {(m.state, m.attempts) for m in stored} == {(MessageState.SENDING, 1)}


async def test_a_campaign_is_finished_only_if_unchanged_since_read(
    repository: CampaignRepository,
) -> None:
    c = replace(campaign("k1"), status=CampaignStatus.SENDING, targeted_at=NOW)
    await repository.save_campaign(c)
    retargeted = replace(c, targeted_at=NOW + timedelta(seconds=1))
    await repository.save_campaign(retargeted)
    assert not await repository.finish_campaign(c, NOW)
    assert await repository.finish_campaign(retargeted, NOW + timedelta(minutes=1))
    stored = await repository.get_campaign("t1", "k1")
    assert stored is not None
    assert stored.status is CampaignStatus.COMPLETED
    assert stored.finished_at == NOW + timedelta(minutes=1)
    assert not await repository.finish_campaign(retargeted, NOW)


async def test_a_status_callback_finds_an_sms_by_its_id_alone_and_moves_it(
    repository: CampaignRepository,
) -> None:
    mine, theirs = message("c1", channel="sms"), message("c1", tenant="t2", channel="sms")
    email = message("c1")
    await repository.claim_messages([mine, theirs, email])
    found = await repository.find_message(mine.id)
    assert found is not None
    assert (found.tenant_id, found.id) == ("t1", mine.id)
    assert await repository.find_message("no-such-message") is None
    # Email has no status callback: an email's id finds nothing.
    assert await repository.find_message(email.id) is None
    assert await repository.transition(
        found, MessageState.SENT, from_states=[MessageState.PENDING], sent_at=NOW
    )
    moved = await repository.find_message(mine.id)
    assert moved is not None and moved.state is MessageState.SENT
    other = await repository.get_message("t2", theirs.id)
    assert other is not None and other.state is MessageState.PENDING


async def test_a_campaigns_messages_are_paged_by_id_and_filtered_by_state(
    repository: CampaignRepository,
) -> None:
    mine = [message(f"c{n}") for n in range(5)]
    await repository.claim_messages(
        [*mine, message("c1", tenant="t2"), message("c1", campaign_id="k2")]
    )
    failed = mine[3]
    assert await repository.transition(
        failed, MessageState.FAILED, from_states=[MessageState.PENDING], error="OSError"
    )
    ids = sorted(m.id for m in mine)
    first = await repository.list_messages("t1", "k1", limit=2)
    assert [m.id for m in first] == ids[:2]
    rest = await repository.list_messages("t1", "k1", after=first[-1].id, limit=10)
    assert [m.id for m in rest] == ids[2:]
    [only] = await repository.list_messages("t1", "k1", states=[MessageState.FAILED])
    assert (only.id, only.state, only.error) == (failed.id, MessageState.FAILED, "OSError")
    both = await repository.list_messages(
        "t1", "k1", states=[MessageState.FAILED, MessageState.PENDING]
    )
    assert len(both) == 5
    assert await repository.list_messages("t3", "k1") == []


async def test_cancel_open_settles_the_due_messages_only(repository: CampaignRepository) -> None:
    pending, deferred, sending, sent = (message(f"c{n}") for n in range(4))
    await repository.claim_messages([pending, deferred, sending, sent, message("c9", tenant="t2")])
    for m, to in (
        (deferred, MessageState.DEFERRED),
        (sending, MessageState.SENDING),
        (sent, MessageState.SENT),
    ):
        assert await repository.transition(m, to, from_states=[MessageState.PENDING])
    assert await repository.cancel_open("t1", "k1") == 2
    assert await repository.cancel_open("t1", "k1") == 0
    assert await repository.state_counts("t1", "k1") == sorted(
        [("cancelled", None, 2), ("sending", None, 1), ("sent", None, 1)], key=str
    )
    # A pass that read `pending` as due finds it gone at its compare and set.
    assert not await repository.transition(
        pending, MessageState.SENDING, from_states=[MessageState.PENDING]
    )
    assert await repository.state_counts("t2", "k1") == [("pending", None, 1)]


async def test_a_ledger_made_before_drops_its_paging_index_and_still_pages() -> None:
    # Earlier versions paged a campaign's messages on (tenant, campaign, message_id), an
    # index every ledger write paid for; a store made then loses it on start.
    async with fresh_database() as db:
        old = "tenant_id_1_campaign_id_1_message_id_1"
        await db["messages"].create_index(["tenant_id", "campaign_id", "message_id"])
        assert old in await db["messages"].index_information()
        repository = MongoCampaignRepository(db)
        await repository.ensure_indexes()
        await repository.ensure_indexes()  # again, as a second instance starting would
        assert old not in await db["messages"].index_information()
        await repository.claim_messages([message(f"c{n}") for n in range(5)])
        first = await repository.list_messages("t1", "k1", limit=3)
        rest = await repository.list_messages("t1", "k1", after=first[-1].id, limit=3)
        ids = [m.id for m in [*first, *rest]]
        assert ids == sorted(ids) and len(set(ids)) == 5


async def test_a_ledger_made_before_keeps_only_capped_messages_in_the_contact_index() -> None:
    # Earlier versions indexed every message by contact for the frequency cap, an entry a
    # campaign's targeting paid for its whole audience; a store made then replaces it with
    # an index of the messages the cap counts (claimed, sent, delivered).
    async with fresh_database() as db:
        await db["messages"].create_index(["tenant_id", "contact_id", "channel"])
        repository = MongoCampaignRepository(db)
        await repository.ensure_indexes()
        await repository.ensure_indexes()  # again, as a second instance starting would
        indexes = await db["messages"].index_information()
        assert "tenant_id_1_contact_id_1_channel_1" not in indexes
        assert indexes["contact_capped"]["partialFilterExpression"] == {
            "state": {"$in": ["sending", "sent", "delivered"]}
        }
        claimed, sent, targeted = message("c1"), message("c1", campaign_id="k2"), message("c2")
        await repository.claim_messages([claimed, sent, targeted])
        for m, to in ((claimed, MessageState.SENDING), (sent, MessageState.SENT)):
            assert await repository.transition(
                m, to, from_states=[MessageState.PENDING], sent_at=NOW
            )
        since = NOW - timedelta(days=7)
        assert await repository.sent_counts("t1", "email", ["c1", "c2"], since) == {"c1": 2}


async def test_a_ledger_made_before_keeps_only_sms_in_the_message_id_index() -> None:
    # Earlier versions indexed every message by its id, an entry each of an email's ledger
    # writes paid for; a store made then replaces it with an index of SMS messages only.
    async with fresh_database() as db:
        await db["messages"].create_index("message_id")
        repository = MongoCampaignRepository(db)
        await repository.ensure_indexes()
        await repository.ensure_indexes()  # again, as a second instance starting would
        indexes = await db["messages"].index_information()
        assert "message_id_1" not in indexes
        assert indexes["message_id_sms"]["partialFilterExpression"] == {"channel": "sms"}
        sms = message("c1", channel="sms")
        await repository.claim_messages([sms, message("c2")])
        found = await repository.find_message(sms.id)
        assert found is not None and found.id == sms.id

"""One contract for every contacts repository: the in-memory fake and MongoDB (FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.adapters.mongo_repository import MongoContactRepository
from listflow.contacts.domain.model import Contact, Hold
from listflow.contacts.handlers import merge_rows
from listflow.contacts.ports import Claim, ConcurrentUpdate, ContactFilter, ContactRepository
from listflow.schemas.events import ContactChange, ContactRowParsed, RowOutcomes
from listflow.schemas.values import (
    Account,
    ContactData,
    MatchKey,
    MatchPolicy,
    Phone,
    RowStatus,
    TargetKind,
    TargetRef,
)

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class RecordingSink:
    def __init__(self) -> None:
        self.outcomes: list[RowOutcomes] = []

    async def contacts_changed(self, events: Sequence[ContactChange]) -> None:
        pass

    async def row_outcomes(self, batches: Sequence[RowOutcomes]) -> None:
        self.outcomes.extend(batches)


GROUP = TargetRef(kind=TargetKind.GROUP, id="g", name="G")


def parsed(
    upload_id: str, key: MatchKey, value: str, data: ContactData, n: int = 1
) -> ContactRowParsed:
    """Row `n` of upload `upload_id` into GROUP, matched by `key` = `value`."""
    return ContactRowParsed(
        tenant_id="t1",
        upload_id=upload_id,
        row_number=n,
        target=GROUP,
        match=MatchPolicy(key=key),
        match_key=key,
        match_value=value,
        contact=data,
    )


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[ContactRepository]:
    if request.param == "memory":
        yield InMemoryContactRepository()
        return
    async with fresh_database() as db:
        repo = MongoContactRepository(db)
        await repo.ensure_indexes()
        yield repo


def contact(cid: str, tenant: str = "t1", account: str = "A1") -> Contact:
    data = ContactData(
        first_name="Ana",
        accounts=(Account(number=account),),
        phones=(Phone(e164="+14155550100"),),
    )
    return Contact.new(id=cid, tenant_id=tenant, data=data, group_id="g", now=NOW)


async def test_every_key_of_a_saved_contact_finds_it(repository: ContactRepository) -> None:
    await repository.save([contact("c1")], [])
    for key in [(MatchKey.ACCOUNT_NUMBER, "A1"), (MatchKey.PHONE, "+14155550100")]:
        ids, found = await repository.find_by_keys("t1", [key])
        assert ids == {key: ["c1"]}
        assert found["c1"].data.first_name == "Ana"


async def test_a_key_asked_about_before_any_contact_had_it_finds_the_contact_saved_later(
    repository: ContactRepository,
) -> None:
    key = (MatchKey.ACCOUNT_NUMBER, "A1")
    assert await repository.find_by_keys("t1", [key]) == ({}, {})
    await repository.save([contact("c1")], [])
    ids, _ = await repository.find_by_keys("t1", [key])
    assert ids == {key: ["c1"]}


async def test_a_key_a_contact_gains_by_an_update_finds_it(repository: ContactRepository) -> None:
    original = contact("c1")
    await repository.save([original], [])
    email = (MatchKey.EMAIL, "ana@example.com")
    assert await repository.find_by_keys("t1", [email]) == ({}, {})
    gained = original.merged(
        ContactData(emails=("ana@example.com",)),
        MatchPolicy().merge,
        group_id="g",
        now=NOW,
        source="u:1",
    )
    await repository.save([], [(gained, 1)])
    ids, _ = await repository.find_by_keys("t1", [email])
    assert ids == {email: ["c1"]}


async def test_a_batch_of_more_keys_than_one_lookup_carries_finds_each_contact_once(
    repository: ContactRepository,
) -> None:
    """Stored customers' keys mixed with new ones, more of them than one `$in` carries
    (LOOKUP_CHUNK), each contact's two keys far apart in the batch: every stored contact is
    found under each of its keys exactly once, and the new keys find nothing."""
    await repository.save([contact(f"c{i}", account=f"A{i}") for i in range(60)], [])
    accounts = [(MatchKey.ACCOUNT_NUMBER, f"A{i}") for i in range(60)]
    new = [(MatchKey.ACCOUNT_NUMBER, f"N{i}") for i in range(2400)]
    phone = (MatchKey.PHONE, "+14155550100")  # every one of the 60 has it
    batch = [*accounts[:30], *new, phone, *accounts[30:]]
    ids, found = await repository.find_by_keys("t1", batch)
    assert {k: v for k, v in ids.items() if k != phone} == {
        key: [f"c{i}"] for i, key in enumerate(accounts)
    }
    assert sorted(ids[phone]) == sorted(f"c{i}" for i in range(60))
    assert set(found) == {f"c{i}" for i in range(60)}
    counts = await repository.count_matches(
        "t1", MatchKey.ACCOUNT_NUMBER, [f"A{i}" for i in range(60)] + [f"N{i}" for i in range(2400)]
    )
    assert counts == {**{f"A{i}": 1 for i in range(60)}, **{f"N{i}": 0 for i in range(2400)}}
    several = await repository.count_matches("t1", MatchKey.PHONE, ["+14155550100", "+1"], cap=2)
    assert several == {"+14155550100": 2, "+1": 0}


async def test_holds_are_kept_with_the_contact(repository: ContactRepository) -> None:
    await repository.save([contact("c1")], [])
    holds = (
        Hold("pr1", "promise", date(2026, 3, 9), lifted=True),
        Hold("pl1", "plan", date(2026, 6, 1), instalments=3),
    )
    stored = await repository.get("t1", "c1")
    assert stored is not None
    await repository.save([], [(replace(stored, holds=holds, version=2), 1)])
    again = await repository.get("t1", "c1")
    assert again is not None and again.holds == holds
    assert (again.snapshot().held_until, again.snapshot().hold_reason) == (date(2026, 6, 1), "plan")


async def test_count_is_every_page_of_a_search_together(repository: ContactRepository) -> None:
    group_b = replace(contact("c4", account="A4"), group_ids=("b",))
    others = [contact("c1"), contact("c2", account="A2"), contact("c3", account="A3"), group_b]
    await repository.save([*others, contact("c9", tenant="t2")], [])
    walked = 0
    cursor = None
    while True:
        page = await repository.page("t1", group_id="g", limit=2, cursor=cursor)
        walked += len(page.items)
        if (cursor := page.next_cursor) is None:
            break
    assert await repository.count("t1", group_id="g") == walked == 3
    assert await repository.count("t1", group_id=None) == 4
    by_account = ContactFilter(terms=((MatchKey.ACCOUNT_NUMBER.value, "A2"),))
    assert await repository.count("t1", group_id=None, filters=by_account) == 1
    assert await repository.count("t1", group_id="b", filters=by_account) == 0
    assert await repository.count("t3", group_id=None) == 0
    later = ContactFilter(updated_since=datetime(2027, 1, 1, tzinfo=UTC))
    assert await repository.count("t1", group_id=None, filters=later) == 0


async def test_keys_never_cross_tenants(repository: ContactRepository) -> None:
    await repository.save([contact("c1", tenant="t1")], [])
    ids, found = await repository.find_by_keys("t2", [(MatchKey.ACCOUNT_NUMBER, "A1")])
    assert ids == {} and found == {}
    assert await repository.get("t2", "c1") is None


async def test_a_stale_version_is_not_written(repository: ContactRepository) -> None:
    original = contact("c1")
    await repository.save([original], [])
    newer = original.merged(
        ContactData(first_name="Anna"), MatchPolicy().merge, group_id="g", now=NOW, source="u:1"
    )
    await repository.save([], [(newer, 1)])
    with pytest.raises(ConcurrentUpdate):
        await repository.save([], [(newer, 1)])
    stored = await repository.get("t1", "c1")
    assert stored is not None and stored.version == 2 and stored.data.first_name == "Anna"


async def test_claims_give_each_key_one_owner_and_report_every_key_held_by_another(
    repository: ContactRepository,
) -> None:
    a9, b1, c1 = (
        (MatchKey.ACCOUNT_NUMBER, "A9"),
        (MatchKey.ACCOUNT_NUMBER, "B1"),
        (MatchKey.PHONE, "+14155550100"),
    )
    first = Claim(a9, "first", a9)
    assert await repository.claim_keys("t1", [first]) == []
    assert await repository.claim_keys("t1", []) == []
    second = [Claim(b1, "second", b1), Claim(a9, "second", b1), Claim(c1, "second", b1)]
    # B1 and C1 are taken; A9 is held by "first" (who matched by A9).
    assert await repository.claim_keys("t1", second) == [(second[1], first)]
    assert await repository.claim_keys("t1", [Claim(c1, "third", None)]) == [
        (Claim(c1, "third", None), second[2])
    ]
    assert await repository.claim_keys("t2", [Claim(a9, "other", None)]) == []
    # A claim can be taken over only from the holder named.
    assert not await repository.take_over_claim("t1", Claim(a9, "nobody", None), second[1])
    assert await repository.take_over_claim("t1", first, second[1])
    assert await repository.claim_keys("t1", [Claim(a9, "x", None)]) == [
        (Claim(a9, "x", None), second[1])
    ]
    # Released only by its holder.
    await repository.release_claims("t1", [Claim(b1, "x", None)])
    assert await repository.claim_keys("t1", [Claim(b1, "third", None)]) == [
        (Claim(b1, "third", None), second[0])
    ]
    await repository.release_claims("t1", [second[0]])
    assert await repository.claim_keys("t1", [Claim(b1, "third", None)]) == []


async def test_keys_held_for_our_own_contacts_count_as_claimed(
    repository: ContactRepository,
) -> None:
    """A batch redelivered after a crash between its claims and its insert finds every key
    held by its own (deterministic) contact ids: they stand, and the other keys are claimed
    in the same call; a key held by another writer is still reported."""
    keys = [(MatchKey.ACCOUNT_NUMBER, f"A{i}") for i in range(5)]
    assert await repository.claim_keys("t1", [Claim(k, "c1", keys[0]) for k in keys[:4]]) == []
    again = [Claim(k, "c1", keys[0]) for k in keys]
    assert await repository.claim_keys("t1", again, ours={"c1"}) == []
    assert await repository.claim_keys("t1", [Claim(keys[4], "c2", None)]) == [
        (Claim(keys[4], "c2", None), again[4])
    ]
    other = (MatchKey.ACCOUNT_NUMBER, "B0")
    assert await repository.claim_keys("t1", [Claim(other, "c9", other)]) == []
    mixed = [Claim(keys[0], "c1", None), Claim(other, "c1", None), Claim(keys[1], "c1", None)]
    assert await repository.claim_keys("t1", mixed, ours={"c1"}) == [
        (mixed[1], Claim(other, "c9", other))
    ]


async def test_concurrent_merges_of_one_key_leave_exactly_one_contact(
    repository: ContactRepository,
) -> None:
    def row(upload: int) -> ContactRowParsed:
        data = ContactData(first_name=f"N{upload}", accounts=(Account(number="RACE-1"),))
        return parsed(f"u{upload}", MatchKey.ACCOUNT_NUMBER, "RACE-1", data)

    sinks = [RecordingSink() for _ in range(8)]
    await asyncio.gather(
        *(merge_rows([row(i)], repository, sink, lambda: NOW) for i, sink in enumerate(sinks))
    )
    ids, _ = await repository.find_by_keys("t1", [(MatchKey.ACCOUNT_NUMBER, "RACE-1")])
    assert len(ids[(MatchKey.ACCOUNT_NUMBER, "RACE-1")]) == 1
    statuses = sorted(o.status for s in sinks for b in s.outcomes for o in b.outcomes)
    assert statuses.count(RowStatus.IMPORTED) == 1
    assert statuses.count(RowStatus.UPDATED) == 7


async def test_concurrent_uploads_matching_by_different_keys_leave_one_contact_per_customer(
    repository: ContactRepository,
) -> None:
    """Upload "u-acc" matches by account number, "u-cid" by customer id; both carry the same
    50 new customers (each with both keys) and run at the same time, in several batches."""

    def row(upload: str, n: int, key: MatchKey) -> ContactRowParsed:
        data = ContactData(
            first_name=f"{upload}-{n}",
            customer_id=f"CID-{n}",
            accounts=(Account(number=f"ACC-{n}"),),
        )
        value = f"ACC-{n}" if key is MatchKey.ACCOUNT_NUMBER else f"CID-{n}"
        return parsed(upload, key, value, data, n)

    by_account = [row("u-acc", n, MatchKey.ACCOUNT_NUMBER) for n in range(1, 51)]
    by_customer = [row("u-cid", n, MatchKey.CUSTOMER_ID) for n in reversed(range(1, 51))]
    sinks = [RecordingSink() for _ in range(4)]
    await asyncio.gather(
        merge_rows(by_account[:25], repository, sinks[0], lambda: NOW),
        merge_rows(by_customer[:25], repository, sinks[1], lambda: NOW),
        merge_rows(by_account[25:], repository, sinks[2], lambda: NOW),
        merge_rows(by_customer[25:], repository, sinks[3], lambda: NOW),
    )
    for n in range(1, 51):
        ids, found = await repository.find_by_keys(
            "t1", [(MatchKey.ACCOUNT_NUMBER, f"ACC-{n}"), (MatchKey.CUSTOMER_ID, f"CID-{n}")]
        )
        assert len(found) == 1, (n, ids)
    statuses = [o.status for s in sinks for b in s.outcomes for o in b.outcomes]
    assert statuses.count(RowStatus.IMPORTED) == 50
    assert statuses.count(RowStatus.UPDATED) == 50


async def test_a_key_edited_off_its_contact_neither_finds_it_nor_blocks_a_new_customer(
    repository: ContactRepository,
) -> None:
    """The phone that claimed it is edited off a contact: the claim stays behind, and a new
    customer matched by that phone is imported all the same (it takes the claim over)."""
    phone = (MatchKey.PHONE, "+14155550100")

    def row(n: int, account: str) -> ContactRowParsed:
        data = ContactData(accounts=(Account(number=account),), phones=(Phone(e164=phone[1]),))
        return parsed(f"u{n}", MatchKey.PHONE, phone[1], data)

    await merge_rows([row(1, "A1")], repository, RecordingSink(), lambda: NOW)
    _, found = await repository.find_by_keys("t1", [phone])
    (first,) = found.values()
    edited = replace(
        first,
        data=first.data.model_copy(update={"phones": (Phone(e164="+14155550199"),)}),
        version=first.version + 1,
    )
    await repository.save([], [(edited, first.version)])
    assert await repository.find_by_keys("t1", [phone]) == ({}, {})
    sink = RecordingSink()
    await merge_rows([row(2, "A2")], repository, sink, lambda: NOW)
    assert [o.status for b in sink.outcomes for o in b.outcomes] == [RowStatus.IMPORTED]
    ids, found = await repository.find_by_keys("t1", [phone])
    (created,) = found.values()
    assert created.id != first.id and ids == {phone: [created.id]}

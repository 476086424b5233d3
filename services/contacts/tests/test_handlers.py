import pytest
from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.handlers import merge_rows
from listflow.schemas.events import ContactCreated, ContactUpdated
from listflow.schemas.values import MatchKey, MatchPolicy, OnNoMatch, OnOneMatch, RowStatus

from .conftest import NOW, RecordingSink, row


def clock():  # type: ignore[no-untyped-def]
    return NOW


def statuses(sink: RecordingSink) -> dict[int, RowStatus]:
    return {o.row_number: o.status for batch in sink.outcomes for o in batch.outcomes}


async def test_new_rows_create_contacts_and_announce_them(sink: RecordingSink) -> None:
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1"), row(2, account="A2")], repo, sink, clock)
    assert statuses(sink) == {1: RowStatus.IMPORTED, 2: RowStatus.IMPORTED}
    assert len(repo.contacts) == 2
    assert [type(e) for e in sink.changes] == [ContactCreated, ContactCreated]


async def test_second_upload_updates_and_creates_nothing(sink: RecordingSink) -> None:
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1", first_name="Ana")], repo, sink, clock)
    second = RecordingSink()
    await merge_rows([row(1, account="A1", first_name="Anna", upload_id="u2")], repo, second, clock)
    assert statuses(second) == {1: RowStatus.UPDATED}
    assert len(repo.contacts) == 1
    assert [type(e) for e in second.changes] == [ContactUpdated]
    assert next(iter(repo.contacts.values())).data.first_name == "Anna"


async def test_redelivered_batch_gives_the_same_outcomes_and_no_new_contact(
    sink: RecordingSink,
) -> None:
    repo = InMemoryContactRepository()
    rows = [row(1, account="A1"), row(2, account="A2")]
    await merge_rows(rows, repo, sink, clock)
    replay = RecordingSink()
    await merge_rows(rows, repo, replay, clock)
    assert statuses(replay) == statuses(sink)
    assert len(repo.contacts) == 2
    # Announced again with the same versions, so consumers can drop the repeat.
    assert [(e.contact.id, e.contact.version) for e in replay.changes] == [
        (e.contact.id, e.contact.version) for e in sink.changes
    ]


async def test_skip_policies(sink: RecordingSink) -> None:
    repo = InMemoryContactRepository()
    only_update = MatchPolicy(on_no_match=OnNoMatch.SKIP)
    await merge_rows([row(1, account="A1", policy=only_update)], repo, sink, clock)
    assert statuses(sink) == {1: RowStatus.SKIPPED}
    assert repo.contacts == {}
    await merge_rows([row(2, account="A1")], repo, RecordingSink(), clock)
    only_new = MatchPolicy(on_one_match=OnOneMatch.SKIP)
    skipped = RecordingSink()
    await merge_rows([row(3, account="A1", policy=only_new, upload_id="u3")], repo, skipped, clock)
    assert statuses(skipped) == {3: RowStatus.SKIPPED}


async def test_a_contact_is_found_by_any_of_its_keys(sink: RecordingSink) -> None:
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1", phone="+14155550100")], repo, sink, clock)
    by_phone = RecordingSink()
    await merge_rows(
        [row(1, phone="+14155550100", key=MatchKey.PHONE, upload_id="u2", first_name="Bo")],
        repo,
        by_phone,
        clock,
    )
    assert statuses(by_phone) == {1: RowStatus.UPDATED}
    assert len(repo.contacts) == 1


async def test_tenants_never_match_each_other(sink: RecordingSink) -> None:
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1", tenant_id="t1")], repo, sink, clock)
    other = RecordingSink()
    await merge_rows([row(1, account="A1", tenant_id="t2", upload_id="u9")], repo, other, clock)
    assert statuses(other) == {1: RowStatus.IMPORTED}
    assert len(repo.contacts) == 2


async def test_a_key_shared_with_an_existing_contact_does_not_block_a_new_one(
    sink: RecordingSink,
) -> None:
    # Matched by account number, a new customer who shares a phone with a stored contact is a
    # new contact (as it would be one after the other); the phone claim stays with the first.
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1", phone="+14155550100")], repo, sink, clock)
    second = RecordingSink()
    await merge_rows(
        [row(1, account="A2", phone="+14155550100", upload_id="u2")], repo, second, clock
    )
    assert statuses(second) == {1: RowStatus.IMPORTED}
    assert len(repo.contacts) == 2


async def test_new_customers_sharing_a_stored_phone_claim_their_keys_in_one_call(
    sink: RecordingSink,
) -> None:
    """A placeholder number shared by many rows: each row is a new customer of its own, and
    the batch asks the store for its claims once, not once more after every shared key."""
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A0", phone="+14155550100")], repo, sink, clock)
    calls = 0
    claim_keys = repo.claim_keys

    async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await claim_keys(*args, **kwargs)

    repo.claim_keys = counted  # type: ignore[method-assign]
    second = RecordingSink()
    rows = [row(n, account=f"A{n}", phone="+14155550100", upload_id="u2") for n in range(1, 51)]
    await merge_rows(rows, repo, second, clock)
    assert statuses(second) == {n: RowStatus.IMPORTED for n in range(1, 51)}
    assert len(repo.contacts) == 51
    assert calls == 1


async def test_a_new_contact_claims_every_key_it_has(sink: RecordingSink) -> None:
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1", phone="+14155550100")], repo, sink, clock)
    (contact,) = repo.contacts.values()
    held = {key: claim.contact_id for (_, key), claim in repo.claims.items()}
    assert held == {
        (MatchKey.ACCOUNT_NUMBER, "A1"): contact.id,
        (MatchKey.PHONE, "+14155550100"): contact.id,
    }


async def test_a_writer_outwaits_an_in_flight_holder_that_gives_way(
    sink: RecordingSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of two writers in flight after one key, the smaller contact id waits for the other to
    release it instead of giving way too (no retry is allowed here)."""
    import asyncio

    from listflow.contacts import handlers
    from listflow.contacts.ports import Claim

    monkeypatch.setattr(handlers, "MAX_ATTEMPTS", 1)
    repo = InMemoryContactRepository()
    key = (MatchKey.ACCOUNT_NUMBER, "A1")
    # Contact ids are UUIDs: "zz" sorts after every one of them.
    other = Claim(key, "zz-in-flight", key, NOW)
    await repo.claim_keys("t1", [other])

    async def give_way() -> None:
        await asyncio.sleep(0.3)
        await repo.release_claims("t1", [other])

    releasing = asyncio.create_task(give_way())
    await merge_rows([row(1, account="A1")], repo, sink, clock)
    await releasing
    assert statuses(sink) == {1: RowStatus.IMPORTED}
    (contact,) = repo.contacts.values()
    assert repo.claims[("t1", key)].contact_id == contact.id


async def test_a_stale_claim_of_a_writer_that_died_is_taken_over(sink: RecordingSink) -> None:
    from datetime import timedelta

    from listflow.contacts.ports import Claim

    repo = InMemoryContactRepository()
    key = (MatchKey.ACCOUNT_NUMBER, "A1")
    ghost = Claim(key, "ghost", key, NOW - timedelta(minutes=5))
    await repo.claim_keys("t1", [ghost])
    await merge_rows([row(1, account="A1")], repo, sink, clock)
    assert statuses(sink) == {1: RowStatus.IMPORTED}
    (contact,) = repo.contacts.values()
    assert repo.claims[("t1", key)].contact_id == contact.id

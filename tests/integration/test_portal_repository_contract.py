"""One contract for every portal repository: the in-memory fake and MongoDB (FerretDB here)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from listflow.portal.adapters.memory_repository import InMemoryPortalRepository
from listflow.portal.adapters.mongo_repository import MongoPortalRepository
from listflow.portal.domain.model import (
    AccessLink,
    AccountView,
    Customer,
    IdvFact,
    PortalSettings,
)
from listflow.portal.domain.money import Instalment, Judged, Payment, Plan, Promise
from listflow.portal.ports import IdvAttempt, PortalRepository

from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "ferretdb"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[PortalRepository]:
    if request.param == "memory":
        yield InMemoryPortalRepository()
        return
    async with fresh_database() as db:
        repo = MongoPortalRepository(db)
        await repo.ensure_indexes()
        yield repo


def customer(cid: str, version: int = 1, tenant: str = "t1", *groups: str) -> Customer:
    return Customer(
        tenant_id=tenant,
        contact_id=cid,
        version=version,
        first_name="Ana",
        last_name="Ruiz",
        date_of_birth=date(1980, 5, 17),
        postcode="28001",
        national_id_last4_fp="fp-6789",
        accounts=(AccountView(id=f"{cid}:A1", number="A1", balance=None, currency="EUR"),),
        group_ids=groups or ("g",),
    )


def link(cid: str, tenant: str = "t1") -> AccessLink:
    made, _ = AccessLink.new(tenant, cid, now=NOW, expiry_days=30, reason="list_ready")
    return made


async def test_settings_round_trip_per_tenant(repository: PortalRepository) -> None:
    assert await repository.get_settings("t1") is None
    chosen = PortalSettings(idv_fields=(IdvFact.ACCOUNT_LAST4,), max_attempts=3)
    await repository.put_settings("t1", chosen)
    assert await repository.get_settings("t1") == chosen
    assert await repository.get_settings("t2") is None


async def test_newer_snapshots_win_and_replays_change_nothing(
    repository: PortalRepository,
) -> None:
    assert await repository.upsert_customers([customer("c1", 2)]) == [customer("c1", 2)]
    assert await repository.upsert_customers([customer("c1", 2)]) == []
    assert await repository.upsert_customers([customer("c1", 1)]) == []
    newer = replace(customer("c1", 3), postcode="28002")
    assert await repository.upsert_customers([newer]) == [newer]
    assert await repository.get_customer("t1", "c1") == newer
    assert await repository.get_customer("t2", "c1") is None


async def test_contact_ids_in_group_leave_out_deleted_and_other_tenants(
    repository: PortalRepository,
) -> None:
    await repository.upsert_customers(
        [
            customer("a", 1, "t1", "g"),
            customer("b", 1, "t1", "g", "h"),
            replace(customer("c", 1, "t1", "g"), deleted=True),
            customer("d", 1, "t2", "g"),
        ]
    )
    assert sorted(await repository.contact_ids_in_group("t1", "g")) == ["a", "b"]
    await repository.mark_group_ready("t1", "g", NOW)
    assert await repository.ready_groups("t1") == {"g"}
    assert await repository.ready_groups("t2") == set()


async def test_a_group_is_answered_as_of_its_latest_list_ready(
    repository: PortalRepository,
) -> None:
    # Microseconds, which BSON drops: the stored time still answers the same ListReady.
    at = NOW + timedelta(microseconds=123_456)
    assert await repository.mark_group_ready("t1", "g", at) is False
    assert await repository.ready_groups("t1") == {"g"}
    assert await repository.mark_group_ready("t1", "g", at) is False  # not answered yet
    await repository.mark_group_answered("t1", "g", at)
    assert await repository.mark_group_ready("t1", "g", at) is True
    assert await repository.mark_group_ready("t1", "g", at - timedelta(days=1)) is True
    # An older answer arriving late does not move it back.
    await repository.mark_group_answered("t1", "g", at - timedelta(days=1))
    assert await repository.mark_group_ready("t1", "g", at) is True
    assert await repository.mark_group_ready("t1", "g", at + timedelta(seconds=1)) is False
    assert await repository.mark_group_ready("t2", "g", at) is False
    assert await repository.mark_group_ready("t1", "h", at) is False


async def test_one_current_link_per_contact_under_a_race(repository: PortalRepository) -> None:
    racers = [link("c1") for _ in range(8)]
    won = await asyncio.gather(*(repository.insert_link(li) for li in racers))
    assert won.count(True) == 1
    winner = racers[won.index(True)]
    assert await repository.current_link("t1", "c1") == winner
    assert await repository.link_by_token_hash(winner.token_hash) == winner


async def test_many_links_in_one_write_keep_a_contacts_first_and_one_winner_each(
    repository: PortalRepository,
) -> None:
    first = link("a")
    assert await repository.insert_links([first]) == {first.id}
    racers = [[link(cid) for cid in ("a", "b", "c")] for _ in range(4)]
    won = await asyncio.gather(*(repository.insert_links(batch) for batch in racers))
    assert all(batch[0].id not in w for batch, w in zip(racers, won, strict=True))
    for i, cid in enumerate(("b", "c"), start=1):
        winners = [batch[i] for batch, w in zip(racers, won, strict=True) if batch[i].id in w]
        assert len(winners) == 1
        assert await repository.current_link("t1", cid) == winners[0]
    assert await repository.current_link("t1", "a") == first


async def test_current_links_of_many_contacts_are_the_tenants_own(
    repository: PortalRepository,
) -> None:
    a, b = link("a"), link("b")
    other = link("b", tenant="t2")
    await repository.insert_links([a, b, other])
    assert await repository.current_links("t1", ["a", "b", "missing"]) == {"a": a, "b": b}
    assert await repository.current_links("t2", ["a", "b"]) == {"b": other}
    assert await repository.current_links("t1", []) == {}


async def test_links_are_marked_published_only_where_still_current(
    repository: PortalRepository,
) -> None:
    a, b = link("a"), link("b")
    await repository.insert_links([a, b])
    newer = link("b")
    assert await repository.replace_link(b, newer)
    revoked = replace(a, revoked_at=NOW + timedelta(minutes=5))
    assert await repository.save_link_state(revoked)
    await repository.mark_links_published([a, b])
    assert await repository.current_link("t1", "a") == replace(revoked, published=True)
    assert await repository.current_link("t1", "b") == newer


async def test_a_batch_announced_reads_back_published_and_only_its_own_links(
    repository: PortalRepository,
) -> None:
    def batched(cid: str, batch: str) -> AccessLink:
        made, _ = AccessLink.new(
            "t1", cid, now=NOW, expiry_days=30, reason="list_ready", batch=batch
        )
        return made

    a, b, c = batched("a", "B1"), batched("b", "B1"), batched("c", "B2")
    assert await repository.insert_links([a, b, c]) == {a.id, b.id, c.id}
    newer = batched("b", "B3")  # another writer's batch replaced b meanwhile
    assert await repository.replace_link(b, newer)
    await repository.mark_links_published([a, b])
    await repository.mark_links_published([a, b])  # a redelivery marks nothing more
    found = await repository.current_links("t1", ["a", "b", "c"])
    assert found["a"] == replace(a, published=True)
    assert found["b"] == newer and not found["b"].published
    assert found["c"] == c and not found["c"].published
    assert await repository.current_link("t1", "a") == replace(a, published=True)
    page = await repository.links_page("t1", contact_id=None, limit=10, cursor=None)
    assert [li.published for li in page.items] == [True, False, False]
    # The state written back (a revocation) keeps it announced.
    revoked = found["a"].revoked(NOW)
    assert await repository.save_link_state(revoked)
    assert await repository.current_link("t1", "a") == revoked


async def test_replace_only_if_still_current_and_old_token_stops_working(
    repository: PortalRepository,
) -> None:
    first, second, third = link("c1"), link("c1"), link("c1")
    await repository.insert_link(first)
    assert await repository.replace_link(first, second)
    assert not await repository.replace_link(first, third)  # stale
    assert await repository.link_by_token_hash(first.token_hash) is None
    revoked = replace(second, published=True, revoked_at=NOW + timedelta(hours=1))
    assert await repository.save_link_state(revoked)
    assert await repository.current_link("t1", "c1") == revoked
    assert not await repository.save_link_state(replace(first, published=True))


async def test_links_page_by_tenant_and_contact(repository: PortalRepository) -> None:
    for cid in ("a", "b", "c"):
        await repository.insert_link(link(cid))
    await repository.insert_link(link("a", tenant="t2"))
    page = await repository.links_page("t1", contact_id=None, limit=2, cursor=None)
    assert [li.contact_id for li in page.items] == ["a", "b"] and page.next_cursor == "b"
    rest = await repository.links_page("t1", contact_id=None, limit=2, cursor=page.next_cursor)
    assert [li.contact_id for li in rest.items] == ["c"] and rest.next_cursor is None
    one = await repository.links_page("t2", contact_id="a", limit=10, cursor=None)
    assert [(li.tenant_id, li.contact_id) for li in one.items] == [("t2", "a")]
    # A tenant whose id extends another's with ":" is apart too (links are keyed
    # "tenant:contact"), and so is the one before it in that order.
    await repository.insert_link(link("z", tenant="t1:x"))
    await repository.insert_link(link("z", tenant="t0"))
    whole = await repository.links_page("t1", contact_id=None, limit=10, cursor=None)
    assert [(li.tenant_id, li.contact_id) for li in whole.items] == [
        ("t1", "a"),
        ("t1", "b"),
        ("t1", "c"),
    ]
    assert (await repository.links_page("t1", contact_id="x:z", limit=10, cursor=None)).items == []


async def test_a_store_made_before_drops_the_links_index_by_contact() -> None:
    # Earlier versions indexed links by (tenant, contact) besides their "tenant:contact" id.
    async with fresh_database() as db:
        await db["links"].create_index([("tenant_id", 1), ("contact_id", 1)])
        repository = MongoPortalRepository(db)
        await repository.ensure_indexes()
        await repository.ensure_indexes()  # again, as a second instance starting would
        assert "tenant_id_1_contact_id_1" not in await db["links"].index_information()
        await repository.insert_link(link("a"))
        page = await repository.links_page("t1", contact_id=None, limit=10, cursor=None)
        assert [li.contact_id for li in page.items] == ["a"]


async def test_a_page_view_reads_customer_link_lock_and_settings_together(
    repository: PortalRepository,
) -> None:
    store: Any = repository
    assert await store.page_view("t1", "c1") is None  # neither customer nor link
    await repository.upsert_customers([customer("c1"), customer("c1", 1, "t2")])
    assert await store.page_view("t1", "c1") is None  # no link yet
    current = link("c1")
    await repository.insert_link(current)
    await repository.insert_link(link("c1", tenant="t2"))
    view = await store.page_view("t1", "c1")
    assert (view.customer, view.link, view.settings) == (customer("c1"), current, None)
    assert view.lock.failures == 0 and view.lock.locked_until is None

    chosen = PortalSettings(max_attempts=3)
    await repository.put_settings("t1", chosen)
    until = NOW + timedelta(minutes=15)
    await store.lock(current.id, until)
    view = await store.page_view("t1", "c1")
    assert view.settings == chosen and view.lock.locked_until == until
    other = await store.page_view("t2", "c1")  # another tenant's: its own link, no lock
    assert other.link.tenant_id == "t2" and other.settings is None
    assert other.lock.locked_until is None
    # A reissue's new link has its own lock state (none yet).
    fresh = link("c1")
    assert await repository.replace_link(current, fresh)
    view = await store.page_view("t1", "c1")
    assert view.link == fresh and view.lock.locked_until is None
    assert await store.page_view("t1", "nobody") is None


# --- ID&V state, throttle, audit -------------------------------------------------------------


async def test_failures_count_atomically_and_a_lock_starts_them_again(
    repository: PortalRepository,
) -> None:
    store: Any = repository
    assert (await store.lock_state("L1")).failures == 0
    counts = await asyncio.gather(*(store.record_failure("L1") for _ in range(5)))
    assert sorted(counts) == [1, 2, 3, 4, 5]  # concurrent wrong answers each count
    until = NOW + timedelta(minutes=15)
    await store.lock("L1", until)
    state = await store.lock_state("L1")
    assert state.failures == 0 and state.locked_until == until and state.locked(NOW)
    assert not state.locked(until)
    await store.record_failure("L1")
    await store.clear_failures("L1")
    assert (await store.lock_state("L1")).failures == 0
    assert (await store.lock_state("L2")).locked_until is None


async def test_throttle_windows_count_apart(repository: PortalRepository) -> None:
    store: Any = repository
    later = NOW + timedelta(minutes=1)
    assert [await store.hit("link:L1", NOW, later) for _ in range(3)] == [1, 2, 3]
    assert await store.hit("link:L1", later, later) == 1
    assert await store.hit("address:a", NOW, later) == 1


async def test_attempts_are_audited_newest_first_per_tenant(repository: PortalRepository) -> None:
    store: Any = repository
    for i in range(3):
        await store.audit(
            IdvAttempt(f"{i:013x}", "t1", "c1", "L1", NOW + timedelta(seconds=i), "failed", "d")
        )
    await store.audit(IdvAttempt("00000000000009", "t2", "c1", "L9", NOW, "passed", "d"))
    first = await store.attempts_page("t1", contact_id="c1", limit=2, cursor=None)
    assert [a.id for a in first.items] == [f"{2:013x}", f"{1:013x}"] and first.next_cursor
    rest = await store.attempts_page("t1", contact_id="c1", limit=2, cursor=first.next_cursor)
    assert [a.id for a in rest.items] == [f"{0:013x}"] and rest.next_cursor is None
    assert (await store.attempts_page("t1", contact_id="c2", limit=5, cursor=None)).items == []


# --- payments, promises, plans ----------------------------------------------------------------


def payment(pid: str, tenant: str = "t1", minutes: int = 0) -> Payment:
    return Payment(
        id=pid,
        tenant_id=tenant,
        contact_id="c1",
        account_id="c1:A1",
        account_number="A1",
        amount=Decimal("20.00"),
        currency="USD",
        created_at=NOW + timedelta(minutes=minutes),
    )


async def test_a_payment_is_stored_once_and_settled_by_its_first_final_result(
    repository: PortalRepository,
) -> None:
    store: Any = repository
    first = await store.insert_payment(payment("p1"))
    await store.set_intent(first, "pi_1", "https://psp/pi_1")
    again = await store.insert_payment(payment("p1"))  # a double submit finds it
    assert again.intent_id == "pi_1"
    ok = first.settled("succeeded", at=NOW, reason=None, reference="pi_1")
    failed = first.settled("failed", at=NOW, reason="card_declined", reference="pi_1")
    results = await asyncio.gather(store.settle(ok), store.settle(failed))
    assert sorted(results) == [False, True]  # one final result, whichever came first
    assert not await store.settle(ok)
    stored = await store.get_payment("t1", "p1")
    assert stored.status in ("succeeded", "failed") and not stored.published
    await store.mark_published(stored)
    assert (await store.get_payment("t1", "p1")).published
    assert await store.get_payment("t2", "p1") is None


async def test_payments_page_newest_first_and_per_tenant(repository: PortalRepository) -> None:
    store: Any = repository
    for i in range(5):
        await store.insert_payment(payment(f"p{i}", minutes=i))
    await store.insert_payment(payment("other", tenant="t2"))
    first = await store.payments_page("t1", contact_id=None, limit=3, cursor=None)
    assert [p.id for p in first.items] == ["p4", "p3", "p2"]
    rest = await store.payments_page("t1", contact_id=None, limit=3, cursor=first.next_cursor)
    assert [p.id for p in rest.items] == ["p1", "p0"] and rest.next_cursor is None
    assert [p.id for p in await store.payments_of("t2", "c1")] == ["other"]


async def test_promises_and_plans_round_trip_per_customer(repository: PortalRepository) -> None:
    store: Any = repository
    promise = Promise("pr1", "t1", "c1", "c1:A1", "A1", Decimal("50"), "USD", date(2026, 3, 9), NOW)
    plan = Plan(
        "pl1",
        "t1",
        "c1",
        "c1:A1",
        "A1",
        "USD",
        "monthly",
        (
            Instalment(1, date(2026, 3, 8), Decimal("60.25")),
            Instalment(2, date(2026, 4, 8), Decimal("60.25")),
        ),
        NOW,
    )
    await store.insert_promise(promise)
    await store.insert_plan(plan)
    assert await store.promises_of("t1", "c1") == [promise]
    assert await store.plans_of("t1", "c1") == [plan]
    assert await store.promises_of("t2", "c1") == [] and await store.plans_of("t1", "c2") == []


async def test_a_promise_is_judged_once_and_stays_listed_until_announced(
    repository: PortalRepository,
) -> None:
    store: Any = repository
    due = Promise("pr1", "t1", "c1", "c1:A1", "A1", Decimal("50"), "USD", date(2026, 3, 2), NOW)
    later = replace(due, id="pr2", due_date=date(2026, 3, 20))
    await store.insert_promise(due)
    await store.insert_promise(later)
    assert [p.id for p in await store.promises_to_judge(date(2026, 3, 3), 10)] == ["pr1"]
    broken = replace(due, state="broken", judged_at=NOW)
    results = await asyncio.gather(store.judge(broken), store.judge(broken))
    assert sorted(results) == [False, True]
    [waiting] = await store.promises_to_judge(date(2026, 3, 3), 10)
    assert waiting.state == "broken" and not waiting.announced
    await store.mark_announced(waiting)
    assert await store.promises_to_judge(date(2026, 3, 3), 10) == []


async def test_an_instalment_gets_one_verdict_and_the_plan_waits_for_its_next_due(
    repository: PortalRepository,
) -> None:
    store: Any = repository
    plan = Plan(
        "pl9",
        "t1",
        "c1",
        "c1:A1",
        "A1",
        "USD",
        "weekly",
        (
            Instalment(1, date(2026, 3, 8), Decimal("10")),
            Instalment(2, date(2026, 3, 15), Decimal("10")),
        ),
        NOW,
    )
    await store.insert_plan(plan)
    assert await store.plans_to_judge(date(2026, 3, 8), 10) == []  # nothing due before the 8th
    [due] = await store.plans_to_judge(date(2026, 3, 9), 10)
    missed = Judged(1, "missed", None, NOW)
    results = await asyncio.gather(
        store.judge_instalment(due, missed, date(2026, 3, 15)),
        store.judge_instalment(due, missed, date(2026, 3, 15)),
    )
    assert sorted(results) == [False, True]
    [waiting] = await store.plans_to_judge(date(2026, 3, 9), 10)  # not announced yet
    assert [(j.number, j.state, j.announced) for j in waiting.judged] == [(1, "missed", False)]
    await store.mark_instalment_announced(waiting, 1)
    assert await store.plans_to_judge(date(2026, 3, 9), 10) == []
    [stored] = await store.plans_of("t1", "c1")
    assert stored.judged[0].announced and stored.instalments == plan.instalments

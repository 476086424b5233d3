"""Promises and plans hold the contact out of collections (its snapshot's held_until) while
they last; their end lifts the hold; redeliveries change nothing."""

from datetime import date, timedelta
from decimal import Decimal

from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.handlers import merge_rows
from listflow.contacts.holds import HoldsApplier
from listflow.schemas.events import ContactSnapshot
from listflow.schemas.payments import (
    Instalment,
    InstalmentMissed,
    InstalmentPaid,
    PaymentPlanAgreed,
    PromiseBroken,
    PromiseKept,
    PromiseToPayMade,
)

from .conftest import NOW, RecordingSink, row

TODAY = NOW.date()


def clock():  # type: ignore[no-untyped-def]
    return NOW


async def seeded() -> tuple[InMemoryContactRepository, str]:
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1", balance="120.50")], repo, RecordingSink(), clock)
    [contact_id] = [c.id for c in repo.contacts.values()]
    return repo, contact_id


def about(contact_id: str) -> dict[str, str]:
    return {"tenant_id": "t1", "account_id": f"{contact_id}:A1", "contact_id": contact_id,
            "account_number": "A1"}  # fmt: skip


def promised(cid: str, pid: str = "pr1", days: int = 7, hold: bool = True) -> PromiseToPayMade:
    due = TODAY + timedelta(days=days)
    return PromiseToPayMade(
        **about(cid),
        promise_id=pid,
        amount=Decimal("50"),
        currency="USD",
        due_date=due,
        made_at=NOW,
        hold_until=due if hold else None,
    )


def agreed(cid: str) -> PaymentPlanAgreed:
    dues = [TODAY + timedelta(days=30 * n) for n in (1, 2, 3)]
    return PaymentPlanAgreed(
        **about(cid),
        plan_id="pl1",
        frequency="monthly",
        currency="USD",
        instalments=tuple(
            Instalment(number=n, due_date=d, amount=Decimal("40")) for n, d in enumerate(dues, 1)
        ),
        agreed_at=NOW,
        hold_until=dues[-1],
    )


def paid(cid: str, number: int) -> InstalmentPaid:
    return InstalmentPaid(**about(cid), plan_id="pl1", number=number, payment_id=f"p{number}",
                          paid_at=NOW)  # fmt: skip


async def snapshot(repo: InMemoryContactRepository, cid: str) -> ContactSnapshot:
    contact = await repo.get("t1", cid)
    assert contact is not None
    return contact.snapshot()


async def test_a_promise_holds_the_contact_until_it_is_kept() -> None:
    repo, cid = await seeded()
    sink = RecordingSink()
    holds = HoldsApplier(repo, sink, clock)
    await holds.apply([promised(cid)])
    held = await snapshot(repo, cid)
    assert (held.held_until, held.hold_reason) == (TODAY + timedelta(days=7), "promise")
    assert held.held(TODAY) and not held.held(TODAY + timedelta(days=8))
    assert sink.changes[-1].contact.held_until == held.held_until
    kept = PromiseKept(**about(cid), promise_id="pr1", payment_ids=("p1",), kept_at=NOW)
    await holds.apply([kept])
    lifted = await snapshot(repo, cid)
    assert lifted.held_until is None and lifted.hold_reason is None
    assert lifted.version == held.version + 1
    assert sink.changes[-1].contact.held_until is None


async def test_a_redelivered_promise_does_not_hold_again_once_lifted() -> None:
    repo, cid = await seeded()
    sink = RecordingSink()
    holds = HoldsApplier(repo, sink, clock)
    broken = PromiseBroken(**about(cid), promise_id="pr1", due_date=TODAY, paid=Decimal(0),
                           judged_at=NOW)  # fmt: skip
    await holds.apply([promised(cid), broken])
    version = (await snapshot(repo, cid)).version
    await holds.apply([promised(cid), broken])
    after = await snapshot(repo, cid)
    assert after.held_until is None
    assert after.version == version  # nothing written again, only announced
    assert len(sink.changes) == 4 and sink.changes[-1].contact.version == version


async def test_without_hold_until_nothing_is_held_or_announced() -> None:
    repo, cid = await seeded()
    sink = RecordingSink()
    holds = HoldsApplier(repo, sink, clock)
    await holds.apply([promised(cid, hold=False)])
    await holds.apply([PromiseKept(**about(cid), promise_id="pr1", payment_ids=(), kept_at=NOW)])
    assert (await snapshot(repo, cid)).held_until is None
    assert sink.changes == []


async def test_a_plan_holds_until_its_last_instalment_or_a_missed_one() -> None:
    repo, cid = await seeded()
    holds = HoldsApplier(repo, RecordingSink(), clock)
    # The customer may pick which instalment to pay: the last one first ends nothing.
    await holds.apply([agreed(cid), paid(cid, 3), paid(cid, 1), paid(cid, 3)])
    held = await snapshot(repo, cid)
    assert (held.held_until, held.hold_reason) == (TODAY + timedelta(days=90), "plan")
    await holds.apply([paid(cid, 2)])
    assert (await snapshot(repo, cid)).held_until is None

    repo, cid = await seeded()
    holds = HoldsApplier(repo, RecordingSink(), clock)
    missed = InstalmentMissed(**about(cid), plan_id="pl1", number=1, due_date=TODAY,
                              judged_at=NOW)  # fmt: skip
    await holds.apply([agreed(cid), promised(cid, "pr2", days=3), missed])
    # The plan is broken; the promise made beside it still holds.
    left = await snapshot(repo, cid)
    assert (left.held_until, left.hold_reason) == (TODAY + timedelta(days=3), "promise")


async def test_lifted_holds_are_dropped_once_their_day_has_passed() -> None:
    repo, cid = await seeded()
    holds = HoldsApplier(repo, RecordingSink(), clock)
    kept = PromiseKept(**about(cid), promise_id="old", payment_ids=(), kept_at=NOW)
    await holds.apply([promised(cid, "old", days=0), kept])
    later = HoldsApplier(repo, RecordingSink(), lambda: NOW + timedelta(days=2))
    await later.apply([promised(cid, "new", days=5)])
    contact = await repo.get("t1", cid)
    assert contact is not None
    assert [h.id for h in contact.holds] == ["new"]
    assert contact.snapshot().held_until == date.fromordinal(TODAY.toordinal() + 5)

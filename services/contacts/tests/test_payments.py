"""PaymentReceived lowers an account's balance once per payment, through crashes too."""

from decimal import Decimal

from listflow.contacts.adapters.memory_repository import InMemoryContactRepository
from listflow.contacts.adapters.payment_ledger import InMemoryPaymentLedger
from listflow.contacts.handlers import merge_rows
from listflow.contacts.payments import LedgerEntry, PaymentsApplier
from listflow.schemas.events import ContactUpdated
from listflow.schemas.payments import PaymentReceived

from .conftest import NOW, RecordingSink, row


def clock():  # type: ignore[no-untyped-def]
    return NOW


async def seeded() -> tuple[InMemoryContactRepository, str]:
    repo = InMemoryContactRepository()
    await merge_rows([row(1, account="A1", balance="120.50")], repo, RecordingSink(), clock)
    [contact_id] = [c.id for c in repo.contacts.values()]
    return repo, contact_id


def paid(contact_id: str, payment_id: str = "p1", amount: str = "20.50") -> PaymentReceived:
    return PaymentReceived(
        tenant_id="t1",
        account_id=f"{contact_id}:A1",
        contact_id=contact_id,
        account_number="A1",
        payment_id=payment_id,
        amount=Decimal(amount),
        currency="USD",
        received_at=NOW,
    )


async def balance(repo: InMemoryContactRepository, contact_id: str) -> Decimal | None:
    contact = await repo.get("t1", contact_id)
    assert contact is not None
    return contact.data.accounts[0].balance


async def test_a_payment_lowers_the_balance_once_even_when_redelivered() -> None:
    repo, cid = await seeded()
    sink = RecordingSink()
    applier = PaymentsApplier(repo, InMemoryPaymentLedger(), sink, clock)
    await applier.apply([paid(cid), paid(cid)])
    await applier.apply([paid(cid)])
    assert await balance(repo, cid) == Decimal("100.00")
    assert [type(e) for e in sink.changes] == [ContactUpdated]
    await applier.apply([paid(cid, "p2", "10")])
    assert await balance(repo, cid) == Decimal("90.00")


async def test_a_crash_after_the_write_is_recognised_by_the_contacts_source() -> None:
    repo, cid = await seeded()
    ledger = InMemoryPaymentLedger()
    applier = PaymentsApplier(repo, ledger, RecordingSink(), clock)
    await applier.apply([paid(cid)])
    # As if the process died after the contact write, before the ledger said so.
    ledger.entries[("t1", "p1")] = LedgerEntry("t1", "p1", cid, "pending", from_version=1)
    await applier.apply([paid(cid)])
    assert await balance(repo, cid) == Decimal("100.00")
    # ... and a crash before the write applies it on redelivery.
    ledger.entries[("t1", "p2")] = LedgerEntry("t1", "p2", cid, "pending", from_version=2)
    await applier.apply([paid(cid, "p2", "10")])
    assert await balance(repo, cid) == Decimal("90.00")


async def test_other_tenants_and_unknown_accounts_are_left_alone() -> None:
    repo, cid = await seeded()
    ledger = InMemoryPaymentLedger()
    applier = PaymentsApplier(repo, ledger, RecordingSink(), clock)
    await applier.apply([paid(cid).model_copy(update={"tenant_id": "t2"})])
    await applier.apply([paid(cid).model_copy(update={"account_number": "ZZ", "payment_id": "p3"})])
    assert await balance(repo, cid) == Decimal("120.50")
    assert ledger.entries[("t1", "p3")].state == "skipped"

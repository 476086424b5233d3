"""Payments the portal received lower the account's balance, once per payment.

MongoDB (and FerretDB) give no transaction across the contact and a ledger, so the ledger
records, before the contact is written, the version the write starts from; the write sets
the contact's `last_source` to `payment:<id>`. A redelivery after a crash then tells what
happened: the contact still at that version (not applied: apply it), one version on with
our source (applied: announce it), one version on by another writer (ours lost the race:
apply it again from there). Only a contact changed twice or more since the crash cannot be
told apart; it is left for review (logged), never lowered twice.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol

from listflow.contacts.domain.model import Contact
from listflow.contacts.ports import ConcurrentUpdate, ContactRepository, EventSink
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.schemas.events import ContactUpdated
from listflow.schemas.payments import PaymentReceived

_log = get_logger(__name__)
LedgerState = Literal["pending", "applied", "announced", "skipped", "review"]
DONE: frozenset[str] = frozenset({"announced", "skipped", "review"})


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    tenant_id: str
    payment_id: str
    contact_id: str
    state: LedgerState
    from_version: int | None = None
    reason: str | None = None


class PaymentLedger(Protocol):
    async def get(self, tenant_id: str, payment_id: str) -> LedgerEntry | None: ...

    async def put(self, entry: LedgerEntry) -> None: ...


def _source(payment_id: str) -> str:
    return f"payment:{payment_id}"


def _lowered(contact: Contact, event: PaymentReceived, now: datetime) -> Contact | str:
    """The contact with the account's balance lowered by the payment, or why it is not."""
    accounts = list(contact.data.accounts)
    at = next((i for i, a in enumerate(accounts) if a.number == event.account_number), None)
    if at is None:
        return "no such account"
    account = accounts[at]
    if account.balance is None:
        return "the account has no balance"
    if account.currency is not None and account.currency != event.currency:
        return "another currency"
    accounts[at] = account.model_copy(update={"balance": account.balance - event.amount})
    return replace(
        contact,
        data=contact.data.model_copy(update={"accounts": tuple(accounts)}),
        version=contact.version + 1,
        updated_at=now,
        last_source=_source(event.payment_id),
        changed=True,
    )


@dataclass
class PaymentsApplier:
    repository: ContactRepository
    ledger: PaymentLedger
    events: EventSink
    clock: Clock

    async def apply(self, received: Sequence[PaymentReceived]) -> None:
        for event in received:
            await self._apply(event)

    async def _apply(self, event: PaymentReceived) -> None:
        entry = await self.ledger.get(event.tenant_id, event.payment_id)
        if entry is not None and entry.state in DONE:
            return
        for _ in range(20):
            contact = await self.repository.get(event.tenant_id, event.contact_id)
            if contact is None:
                await self._done(event, "skipped", "no such contact")
                return
            if entry is not None and entry.state == "applied":
                await self._announce(event, contact)
                return
            if entry is not None and entry.from_version is not None:
                verdict = self._recover(entry.from_version, contact, event.payment_id)
                if verdict == "applied":
                    await self._announce(event, contact)
                    return
                if verdict == "review":
                    _log.warning("payment left for review", payment_id=event.payment_id)
                    await self._done(event, "review", "the contact changed meanwhile")
                    return
            changed = _lowered(contact, event, self.clock())
            if isinstance(changed, str):
                await self._done(event, "skipped", changed)
                return
            entry = LedgerEntry(
                event.tenant_id, event.payment_id, contact.id, "pending", contact.version
            )
            await self.ledger.put(entry)
            try:
                await self.repository.save([], [(changed, contact.version)])
            except ConcurrentUpdate:
                continue  # another writer changed the contact: read it again
            entry = replace(entry, state="applied")
            await self.ledger.put(entry)
            await self._announce(event, changed)
            return
        raise ConcurrentUpdate(f"payment {event.payment_id}: the contact kept changing")

    @staticmethod
    def _recover(from_version: int, contact: Contact, payment_id: str) -> str:
        if contact.version == from_version:
            return "not applied"
        if contact.version == from_version + 1:
            return "applied" if contact.last_source == _source(payment_id) else "not applied"
        return "applied" if contact.last_source == _source(payment_id) else "review"

    async def _announce(self, event: PaymentReceived, contact: Contact) -> None:
        await self.events.contacts_changed(
            [ContactUpdated(tenant_id=event.tenant_id, contact=contact.snapshot())]
        )
        await self._done(event, "announced", None)
        _log.info("payment applied", payment_id=event.payment_id, contact_id=contact.id)

    async def _done(self, event: PaymentReceived, state: LedgerState, reason: str | None) -> None:
        if reason is not None:
            _log.info("payment not applied", payment_id=event.payment_id, reason=reason)
        await self.ledger.put(
            LedgerEntry(event.tenant_id, event.payment_id, event.contact_id, state, reason=reason)
        )

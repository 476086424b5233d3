"""Arrangements made in the portal hold a contact out of collections while they last.

PromiseToPayMade and PaymentPlanAgreed carry `hold_until` when the tenant holds such
customers (the portal's `hold_arrangements` setting); contacts keeps a hold per arrangement
on the contact, and its snapshot on `contacts.changes.v1` shows the longest one
(`held_until`, `hold_reason`), so campaigns skip the contact and leads keep its numbers out
of the dialer queue. A hold is lifted by PromiseKept or PromiseBroken (the promise's end),
by InstalmentMissed (the plan is broken) and by the InstalmentPaid that leaves no instalment
unpaid (its end; the customer may pay them in any order); otherwise it lapses after `until`.

Every change is keyed by the arrangement's id, so it is idempotent: a redelivered event
finds its hold already set (or lifted, since a lifted hold is kept until its day has
passed) and only announces the contact again, which covers a crash between the write and
the announcement (a snapshot of the same version changes nothing downstream).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from listflow.contacts.domain.model import Contact, Hold
from listflow.contacts.ports import ConcurrentUpdate, ContactRepository, EventSink
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.schemas.events import ContactUpdated
from listflow.schemas.payments import (
    AccountEvent,
    InstalmentMissed,
    InstalmentPaid,
    PaymentPlanAgreed,
    PromiseBroken,
    PromiseKept,
    PromiseToPayMade,
)

_log = get_logger(__name__)

HOLD_EVENTS: tuple[type[AccountEvent], ...] = (
    PromiseToPayMade,
    PaymentPlanAgreed,
    PromiseKept,
    PromiseBroken,
    InstalmentPaid,
    InstalmentMissed,
)


def _placed(event: AccountEvent) -> Hold | None:
    """The hold an arrangement places, if the tenant holds customers."""
    if isinstance(event, PromiseToPayMade) and event.hold_until is not None:
        return Hold(event.promise_id, "promise", event.hold_until)
    if isinstance(event, PaymentPlanAgreed) and event.hold_until is not None:
        return Hold(event.plan_id, "plan", event.hold_until, instalments=len(event.instalments))
    return None


def _lifted(event: AccountEvent, holds: Sequence[Hold]) -> str | None:
    """The id of the arrangement whose hold the event ends (`holds` already count the paid
    instalment)."""
    if isinstance(event, PromiseKept | PromiseBroken):
        return event.promise_id
    if isinstance(event, InstalmentMissed):
        return event.plan_id
    if isinstance(event, InstalmentPaid):
        plan = next((h for h in holds if h.id == event.plan_id), None)
        if plan is not None and len(plan.paid) == plan.instalments:
            return event.plan_id
    return None


def _counted(holds: tuple[Hold, ...], event: AccountEvent) -> tuple[Hold, ...]:
    """The plan's hold with the instalment an InstalmentPaid paid counted (once)."""
    if not isinstance(event, InstalmentPaid):
        return holds
    return tuple(
        replace(h, paid=tuple(sorted({*h.paid, event.number})))
        if h.id == event.plan_id and event.number not in h.paid
        else h
        for h in holds
    )


def with_event(holds: tuple[Hold, ...], event: AccountEvent, today: date) -> tuple[Hold, ...]:
    """The contact's holds after the event (the same tuple if it changes nothing). Lifted
    holds whose day has passed are dropped."""
    placed = _placed(event)
    if placed is not None and all(h.id != placed.id for h in holds):
        holds = (*holds, placed)
    holds = _counted(holds, event)
    lifted = _lifted(event, holds)
    if lifted is not None:
        holds = tuple(replace(h, lifted=True) if h.id == lifted else h for h in holds)
    kept = tuple(h for h in holds if not (h.lifted and h.until < today))
    return kept if len(kept) != len(holds) else holds


def concerns(event: AccountEvent) -> bool:
    return _placed(event) is not None or isinstance(
        event, PromiseKept | PromiseBroken | InstalmentPaid | InstalmentMissed
    )


@dataclass
class HoldsApplier:
    repository: ContactRepository
    events: EventSink
    clock: Clock

    async def apply(self, events: Sequence[AccountEvent]) -> None:
        for event in events:
            if concerns(event):
                await self._apply(event)

    async def _apply(self, event: AccountEvent) -> None:
        for _ in range(20):
            contact = await self.repository.get(event.tenant_id, event.contact_id)
            if contact is None:
                return
            now = self.clock()
            holds = with_event(contact.holds, event, now.date())
            if holds == contact.holds:
                if self._known(event, contact):
                    await self._announce(event, contact)  # applied before a crash, maybe
                return
            changed = replace(
                contact,
                holds=holds,
                version=contact.version + 1,
                updated_at=now,
                changed=True,
            )
            try:
                await self.repository.save([], [(changed, contact.version)])
            except ConcurrentUpdate:
                continue  # another writer changed the contact: read it again
            await self._announce(event, changed)
            _log.info(
                "hold changed", contact_id=contact.id, held_until=changed.snapshot().held_until
            )
            return
        raise ConcurrentUpdate(f"{type(event).__name__}: the contact kept changing")

    @staticmethod
    def _known(event: AccountEvent, contact: Contact) -> bool:
        """Whether the contact holds a record of the event's arrangement (so the event was
        applied): announcing it again is then safe and covers a lost announcement."""
        placed = _placed(event)
        wanted = placed.id if placed is not None else _lifted(event, contact.holds)
        return any(h.id == wanted for h in contact.holds)

    async def _announce(self, event: AccountEvent, contact: Contact) -> None:
        await self.events.contacts_changed(
            [ContactUpdated(tenant_id=event.tenant_id, contact=contact.snapshot())]
        )

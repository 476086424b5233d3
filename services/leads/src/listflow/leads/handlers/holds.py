"""Customers held out of collections by an active promise or plan (issue 13): while a
contact's snapshot shows `held_until` (today or later), the leads having any of its numbers
are not queued, and are withdrawn from the queue when the hold starts; a snapshot without it
(the arrangement ended) puts them back in the queue of their dialable lists.

Leads know customers only by phone number (a lead list is not a contacts group), so the
link is the contact's numbers: leads keeps one document per held contact (`holds`) with its
numbers, the day the hold lapses and the snapshot's version. Both directions are idempotent:
a redelivered snapshot withdraws nothing more (and bumps the lead's revision again, so the
entries made when it is put back never collide with the withdrawn ones), and putting back
makes entries at most once (insert-only queue ids)."""

from collections.abc import Sequence
from dataclasses import dataclass

from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.leads.domain.keys import entry_lead_key
from listflow.leads.handlers.queue import Queue
from listflow.leads.ports import LeadRepository
from listflow.schemas.events import ContactChange, ContactDeleted

_log = get_logger(__name__)
REASON = "arrangement"


@dataclass
class Holds:
    repository: LeadRepository
    clock: Clock
    queue: Queue

    async def on_contact_changes(self, changes: Sequence[ContactChange]) -> None:
        by_tenant: dict[str, list[ContactChange]] = {}
        for change in changes:
            by_tenant.setdefault(change.tenant_id, []).append(change)
        today = self.clock().date()
        for tenant_id, mine in by_tenant.items():
            known = await self.repository.holds_of(tenant_id, [c.contact.id for c in mine])
            for change in mine:
                snap = change.contact
                doc = known.get(snap.id)
                if doc is not None and doc["version"] > snap.version:
                    continue  # an older snapshot than the one acted on
                phones = [p.e164 for p in snap.data.phones]
                if not isinstance(change, ContactDeleted) and snap.held(today):
                    await self.repository.put_hold(
                        tenant_id, snap.id, phones, snap.held_until, snap.version
                    )
                    await self._withdraw(tenant_id, phones)
                elif doc is not None and doc["until"] is not None:
                    await self.repository.put_hold(tenant_id, snap.id, phones, None, snap.version)
                    await self._put_back(tenant_id, [*doc["phones"], *phones])
                elif doc is not None and doc["version"] == snap.version:
                    # Lifted by this very snapshot before a crash: put back again (no repeat).
                    await self._put_back(tenant_id, [*doc["phones"], *phones])

    async def _withdraw(self, tenant_id: str, phones: Sequence[str]) -> None:
        found = await self.repository.find_by_phones(tenant_id, phones)
        withdrawn = 0
        for lead in found.values():
            withdrawn += await self.queue.withdraw(entry_lead_key(lead.id), REASON)
            await self.repository.set_lead(lead.id, {"revision": lead.revision + 1})
        _log.info("held leads withdrawn", leads=len(found), entries=withdrawn)

    async def _put_back(self, tenant_id: str, phones: Sequence[str]) -> None:
        found = await self.repository.find_by_phones(tenant_id, phones)
        await self.queue.queue_changed(tenant_id, list(found.values()), {})
        _log.info("leads of a lifted hold queued again", leads=len(found))

"""The tenant's do-not-call list: numbers as operators give them (any format, a default
region), and what adding one does to the queue."""

from collections.abc import Sequence
from dataclasses import dataclass

from listflow.kit.clock import Clock
from listflow.kit.errors import Invalid, NotFound
from listflow.leads.domain.keys import entry_lead_key
from listflow.leads.handlers.queue import Queue
from listflow.leads.ports import Entry, LeadRepository
from listflow.schemas.leads import LeadStatus
from listflow.schemas.normalize import PhoneNormalizer


def e164_numbers(phones: Sequence[str], region: str) -> list[str]:
    """The numbers in E.164, each once; every one that does not parse is named."""
    try:
        normalizer = PhoneNormalizer(region)
    except ValueError as exc:
        raise Invalid("Invalid region", str(exc)) from exc
    result: list[str] = []
    errors: list[dict[str, str]] = []
    for index, raw in enumerate(phones):
        try:
            result.append(normalizer.normalize(raw).e164)
        except ValueError as exc:
            errors.append({"location": f"phones.{index}", "message": str(exc)})
    if errors:
        raise Invalid("Invalid phone numbers", "Some numbers do not parse.", errors=errors)
    return list(dict.fromkeys(result))


@dataclass
class DoNotCall:
    repository: LeadRepository
    clock: Clock
    queue: Queue

    async def add(
        self, tenant_id: str, phones: Sequence[str], region: str, reason: str
    ) -> tuple[list[str], int]:
        """Put numbers on the do-not-call list. Leads having them are withdrawn from every
        queue; those left with a number to call are queued again without the blocked ones
        (new queue ids), the others are marked `dnc`. Returns the numbers added (E.164) and
        how many leads became `dnc`."""
        numbers = e164_numbers(phones, region)
        return numbers, await self.block(tenant_id, numbers, reason)

    async def block(self, tenant_id: str, phones: Sequence[str], reason: str) -> int:
        """`add` for numbers already in E.164; returns how many leads became `dnc`."""
        repo = self.repository
        await repo.add_dnc(tenant_id, phones, self.clock(), reason)
        found = await repo.find_by_phones(tenant_id, phones)
        suppressed = 0
        for lead in found.values():
            blocked = await repo.dnc_of(tenant_id, lead.phones)
            await self.queue.withdraw(entry_lead_key(lead.id), "do not call")
            if not set(lead.phones) - blocked:
                await repo.set_lead(lead.id, {"status": LeadStatus.DNC.value})
                suppressed += 1
                continue
            await repo.set_lead(lead.id, {"revision": lead.revision + 1})
            fresh = await repo.get_lead(tenant_id, lead.id)
            lst = await repo.get_list(tenant_id, lead.list_id)
            if fresh is not None and lst is not None and lst.dialable:
                await self.queue.queue_leads(lst, [fresh], await self.queue.campaigns_of(lst))
        return suppressed

    async def remove(self, tenant_id: str, phone: str, region: str) -> None:
        """Take a number off the list."""
        e164 = e164_numbers([phone], region)[0]
        if not await self.repository.remove_dnc(tenant_id, e164):
            raise NotFound("Not Found", "That number is not on the do-not-call list.")

    async def page(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Entry], str | None]:
        return await self.repository.page_dnc(tenant_id, limit, cursor)

"""Dial outcomes from dialers: recorded once on the queue entry, applied to the lead, and
its next attempt queued by the campaign's retry rules."""

import asyncio
from dataclasses import dataclass, replace

from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.leads.domain.entries import DIALED
from listflow.leads.domain.errors import WRITE_ATTEMPTS, ConcurrentUpdate
from listflow.leads.domain.retry import next_attempt
from listflow.leads.handlers.queue import Queue
from listflow.leads.ports import LeadEventPublisher, LeadRepository
from listflow.schemas.leads import DialOutcome, DialResult, LeadStatus, LeadUpdated

_log = get_logger(__name__)


@dataclass
class Outcomes:
    repository: LeadRepository
    events: LeadEventPublisher
    clock: Clock
    queue: Queue

    async def record_outcome(self, outcome: DialOutcome) -> None:
        """Apply a dialer's outcome to the lead and queue its next attempt by the campaign's
        retry rules. A redelivered outcome changes nothing and queues nothing more."""
        repo = self.repository
        entry = (await repo.get_entries([outcome.queue_id])).get(outcome.queue_id)
        if entry is None or entry["tenant_id"] != outcome.tenant_id:
            _log.warning("outcome for an unknown queue entry", lead_id=outcome.lead_id)
            return
        first = await repo.set_entry(
            entry,
            {"state": DIALED, "outcome": outcome.result.value, "dialed_at": outcome.dialed_at},
            {"outcome": None},
        )
        campaign = await repo.get_campaign(outcome.tenant_id, entry["campaign_id"])
        if campaign is None:
            return
        nxt = next_attempt(
            campaign.retry, outcome.result, entry["attempt"], outcome.dialed_at, outcome.callback_at
        )
        if nxt.at is None:
            status = LeadStatus.DNC if outcome.result is DialResult.DNC else LeadStatus.COMPLETED
        else:
            status = LeadStatus.DIALED
        for attempt in range(WRITE_ATTEMPTS):
            lead = await repo.get_lead(outcome.tenant_id, entry["lead_id"])
            if lead is None:
                return
            if outcome.result is DialResult.DNC and attempt == 0:
                phones = [outcome.phone] if outcome.phone else lead.phones
                await repo.add_dnc(lead.tenant_id, phones, self.clock(), "dialer outcome")
            if lead.cycle != entry["cycle"] or lead.attempts > entry["attempt"]:
                return  # churned or reset since, or a later attempt already counted
            if lead.attempts == entry["attempt"] and (
                lead.status is status or lead.status in (LeadStatus.QUEUED, LeadStatus.DEFERRED)
            ):
                break  # a redelivery: applied already (and perhaps queued again)
            changed = replace(
                lead,
                attempts=entry["attempt"],
                status=status,
                next_attempt_at=nxt.at,
                last_result=outcome.result.value,
                updated_at=self.clock(),
                version=lead.version + 1,
            )
            try:
                # Conditional on the version read: an upload updating the lead meanwhile wins
                # its write, and this outcome is applied again on top of it.
                await repo.save_leads([], [(changed, lead.version)])
            except ConcurrentUpdate:
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            lead = changed
            if first:
                await self.events.lead_changes(
                    [LeadUpdated(tenant_id=lead.tenant_id, lead=lead.snapshot())]
                )
            break
        else:
            raise ConcurrentUpdate("the lead kept changing while its outcome was applied")
        if nxt.at is None:
            return
        lst = await repo.get_list(lead.tenant_id, lead.list_id)
        if lst is not None and lst.dialable and campaign.id in lst.campaign_ids:
            await self.queue.queue_leads(lst, [lead], {campaign.id: campaign})

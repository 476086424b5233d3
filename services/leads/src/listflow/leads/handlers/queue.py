"""The dialer queue: making a lead's entries (queued in its calling window, else deferred),
publishing them, releasing deferred ones when their window opens, withdrawing them; and the
list switches that feed it (ready, assigned, enabled, reset)."""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.kit.mongo import gather_bounded
from listflow.leads.domain.entries import (
    ACTIVE,
    DEFERRED,
    QUEUED,
    WITHDRAWN,
    new_entry,
    status_with,
)
from listflow.leads.domain.keys import entry_assignment_key, entry_lead_key, entry_list_key
from listflow.leads.domain.model import DONE, Campaign, Lead, LeadList
from listflow.leads.domain.windows import window
from listflow.leads.ports import Entry, LeadEventPublisher, LeadRepository
from listflow.schemas.events import ListReady
from listflow.schemas.leads import LeadQueued, LeadStatus, LeadWithdrawn
from listflow.schemas.values import TargetKind

_log = get_logger(__name__)


@dataclass
class Queue:
    """Every way a lead enters or leaves the dialers' queue goes through here."""

    repository: LeadRepository
    events: LeadEventPublisher
    clock: Clock

    async def campaigns_of(self, lst: LeadList) -> dict[str, Campaign]:
        found: dict[str, Campaign] = {}
        for cid in lst.campaign_ids:
            campaign = await self.repository.get_campaign(lst.tenant_id, cid)
            if campaign is not None:
                found[cid] = campaign
        return found

    async def on_list_ready(self, event: ListReady) -> int:
        """An upload into a lead list finished: the list is ready, queue its leads."""
        if event.list_kind is not TargetKind.LEAD_LIST:
            return 0
        lst = await self.repository.set_list(event.tenant_id, event.list_id, {"ready": True})
        if lst is None:
            return 0
        return await self.queue_list(lst)

    async def queue_list(self, lst: LeadList, only: Iterable[str] | None = None) -> int:
        """Queue every callable lead of a dialable list for its campaigns (or `only` those)."""
        if not lst.dialable:
            return 0
        campaigns = await self.campaigns_of(lst)
        if only is not None:
            wanted = set(only)
            campaigns = {k: v for k, v in campaigns.items() if k in wanted}
        total = 0
        async for page in self.repository.leads_of_list(lst.tenant_id, lst.id):
            total += await self.queue_leads(lst, page, campaigns)
        _log.info("list queued", tenant_id=lst.tenant_id, list_id=lst.id, entries=total)
        return total

    async def queue_changed(
        self, tenant_id: str, leads: Sequence[Lead], lists: dict[str, LeadList | None]
    ) -> None:
        """Queue leads that changed list or cycle, in their dialable lists."""
        by_list: dict[str, list[Lead]] = {}
        for lead in leads:
            by_list.setdefault(lead.list_id, []).append(lead)
        for list_id, items in by_list.items():
            lst = lists.get(list_id) or await self.repository.get_list(tenant_id, list_id)
            if lst is not None and lst.dialable:
                await self.queue_leads(lst, items, await self.campaigns_of(lst))

    async def queue_leads(
        self, lst: LeadList, leads: Sequence[Lead], campaigns: dict[str, Campaign]
    ) -> int:
        """Make (at most once each) the queue entries of `leads` in `campaigns`: queued now
        if the lead's calling window is open, else deferred until it opens."""
        now = self.clock()
        repo = self.repository
        callable_leads = [x for x in leads if x.status not in DONE]
        # A customer held by an active promise or plan (handlers/holds.py) is not queued.
        held = await repo.held_of(
            lst.tenant_id, [p for x in callable_leads for p in x.phones], now.date()
        )
        callable_leads = [x for x in callable_leads if held.isdisjoint(x.phones)]
        blocked = await repo.dnc_of(lst.tenant_id, [p for x in callable_leads for p in x.phones])
        entries: list[Entry] = []
        for lead in callable_leads:
            phones = [p for p in lead.phones if p not in blocked]
            if not phones:
                await repo.set_lead(lead.id, {"status": LeadStatus.DNC.value})
                continue
            for cid, campaign in campaigns.items():
                attempt = lead.attempts + 1
                if attempt > campaign.retry.max_attempts:
                    continue
                due = max(now, lead.next_attempt_at or now)
                win = window(due, campaign.hours, lead.data.time_zone or lst.time_zone)
                ready_now = win.open and due <= now
                entries.append(
                    new_entry(
                        lst,
                        lead,
                        cid,
                        attempt,
                        ready_now=ready_now,
                        due_at=now if ready_now else (due if win.open else win.opens_at),
                        now=now,
                    )
                )
        existing = await repo.insert_entries(entries)
        fresh = [e for e in entries if e["_id"] not in existing]
        pending = [e for e in fresh if e["state"] == QUEUED]
        if existing:
            # Entries made before a crash that stopped short of publishing: publish them now.
            stored = await repo.get_entries(existing)
            pending += [d for d in stored.values() if d["state"] == QUEUED and not d["published"]]
        by_id = {x.id: x for x in leads}
        statuses: dict[str, LeadStatus] = {}
        for e in fresh:
            state = LeadStatus.QUEUED if e["state"] == QUEUED else LeadStatus.DEFERRED
            if statuses.get(e["lead_id"]) is not LeadStatus.QUEUED:
                statuses[e["lead_id"]] = state
        # Before publishing, so that no dialer's outcome can land first and be overwritten;
        # and only at the attempt read, so that an outcome recorded meanwhile wins anyway.
        await gather_bounded(
            repo.set_lead_at(by_id[lead_id], {"status": status.value})
            for lead_id, status in statuses.items()
            if by_id[lead_id].status is not status
        )
        await self._publish_queued(pending, by_id, lst, campaigns, blocked)
        return len(fresh)

    async def _publish_queued(
        self,
        entries: Sequence[Entry],
        leads: dict[str, Lead],
        lst: LeadList,
        campaigns: dict[str, Campaign],
        blocked: set[str],
    ) -> None:
        if not entries:
            return
        now = self.clock()
        events = []
        for e in entries:
            lead = leads[e["lead_id"]]
            campaign = campaigns[e["campaign_id"]]
            tz = lead.data.time_zone or lst.time_zone
            events.append(
                LeadQueued(
                    tenant_id=lst.tenant_id,
                    queue_id=e["_id"],
                    lead_id=lead.id,
                    list_id=lst.id,
                    campaign_id=campaign.id,
                    phones=tuple(p for p in lead.phones if p not in blocked),
                    time_zone=tz,
                    attempt=e["attempt"],
                    priority=campaign.priority,
                    name=lead.data.name,
                    call_window_ends_at=window(now, campaign.hours, tz).closes_at,
                    queued_at=now,
                )
            )
        await self.events.queued(events)
        await gather_bounded(
            self.repository.set_entry(e, {"published": True, "queued_at": now}) for e in entries
        )

    async def release_due(self, limit: int = 500) -> int:
        """Queue deferred entries whose time has come and whose calling window is open."""
        now = self.clock()
        repo = self.repository
        due = await repo.due_entries(now, limit)
        released = 0
        for entry in due:
            lead = await repo.get_lead(entry["tenant_id"], entry["lead_id"])
            lst = await repo.get_list(entry["tenant_id"], entry["list_id"])
            campaign = await repo.get_campaign(entry["tenant_id"], entry["campaign_id"])
            stale = (
                lead is None
                or lst is None
                or campaign is None
                or lead.list_id != lst.id
                or lead.cycle != entry["cycle"]
                or lead.revision != entry.get("revision", 0)
                or lead.status in DONE
                or not lst.dialable
                or campaign.id not in lst.campaign_ids
            )
            if stale:
                await repo.set_entry(entry, {"state": WITHDRAWN}, {"state": DEFERRED})
                continue
            assert lead is not None
            assert lst is not None
            assert campaign is not None
            win = window(now, campaign.hours, lead.data.time_zone or lst.time_zone)
            if not win.open:
                await repo.set_entry(entry, {"due_at": win.opens_at}, {"state": DEFERRED})
                continue
            if await repo.held_of(lead.tenant_id, lead.phones, now.date()):
                await repo.set_entry(entry, {"state": WITHDRAWN}, {"state": DEFERRED})
                continue
            blocked = await repo.dnc_of(lead.tenant_id, lead.phones)
            if not set(lead.phones) - blocked:
                await repo.set_entry(entry, {"state": WITHDRAWN}, {"state": DEFERRED})
                await repo.set_lead(lead.id, {"status": LeadStatus.DNC.value})
                continue
            if await repo.set_entry(entry, {"state": QUEUED}, {"state": DEFERRED}):
                entry = {**entry, "state": QUEUED}
                await repo.set_lead_at(lead, {"status": LeadStatus.QUEUED.value})
                await self._publish_queued(
                    [entry], {lead.id: lead}, lst, {campaign.id: campaign}, blocked
                )
                released += 1
        if released:
            _log.info("deferred leads queued", count=released)
        return released

    async def release_forever(self, every: float) -> None:
        while True:
            try:
                await self.release_due()
            except Exception:
                _log.exception("releasing deferred leads failed")
            await asyncio.sleep(every)

    async def withdraw(self, key: str, reason: str) -> int:
        """Withdraw the active queue entries found by `key`; tells dialers of queued ones."""
        repo = self.repository
        now = self.clock()
        withdrawn: list[LeadWithdrawn] = []
        leads: set[str] = set()
        count = 0
        for entry in await repo.entries_by_key(key):
            state = entry["state"]
            if state in ACTIVE:
                if not await repo.set_entry(
                    entry, {"state": WITHDRAWN, "withdrawn_at": now}, {"state": state}
                ):
                    continue
                count += 1
                leads.add(entry["lead_id"])
                if entry.get("published"):
                    withdrawn.append(
                        LeadWithdrawn(
                            tenant_id=entry["tenant_id"],
                            queue_id=entry["_id"],
                            lead_id=entry["lead_id"],
                            campaign_id=entry["campaign_id"],
                            reason=reason,
                            withdrawn_at=now,
                        )
                    )
        # The status first: a dialer told of the withdrawal reads the lead as withdrawn.
        await self._refresh_status(leads)
        if withdrawn:
            await self.events.withdrawn(withdrawn)
        return count

    async def withdraw_leads(self, lead_ids: Iterable[str], reason: str) -> int:
        total = 0
        for lead_id in lead_ids:
            total += await self.withdraw(entry_lead_key(lead_id), reason)
        return total

    async def _refresh_status(self, lead_ids: Iterable[str]) -> None:
        """A lead's status follows its active entries once some were withdrawn."""
        for lead_id in lead_ids:
            entries = await self.repository.entries_by_key(entry_lead_key(lead_id))
            leads = await self.repository.get_leads([lead_id])
            lead = leads.get(lead_id)
            if lead is None or lead.status in DONE:
                continue
            status = status_with({e["state"] for e in entries}, lead.attempts)
            if status is not lead.status:
                await self.repository.set_lead(lead_id, {"status": status.value})

    # --- the list switches that feed the queue -----------------------------------------

    async def assign(self, lst: LeadList, campaign: Campaign) -> LeadList:
        """Assign the list to a campaign (a new epoch) and queue its leads there."""
        if campaign.id in lst.campaign_ids:
            return lst
        epochs = {**lst.epochs, campaign.id: lst.epochs.get(campaign.id, 0) + 1}
        updated = await self.repository.set_list(
            lst.tenant_id,
            lst.id,
            {"campaign_ids": [*lst.campaign_ids, campaign.id], "epochs": epochs},
        )
        assert updated is not None
        await self.queue_list(updated, only=[campaign.id])
        return updated

    async def unassign(self, lst: LeadList, campaign_id: str) -> LeadList:
        """Unassign the list from a campaign, withdrawing its leads' entries there."""
        updated = await self.repository.set_list(
            lst.tenant_id,
            lst.id,
            {"campaign_ids": [c for c in lst.campaign_ids if c != campaign_id]},
        )
        assert updated is not None
        await self.withdraw(entry_assignment_key(lst.id, campaign_id), "list unassigned")
        return updated

    async def set_enabled(self, lst: LeadList, enabled: bool) -> LeadList:
        """Enabling queues the list (a new epoch per campaign); disabling withdraws it."""
        if enabled == lst.enabled:
            return lst
        changes: dict[str, Any] = {"enabled": enabled}
        if enabled:
            changes["epochs"] = {c: lst.epochs.get(c, 0) + 1 for c in lst.campaign_ids}
        updated = await self.repository.set_list(lst.tenant_id, lst.id, changes)
        assert updated is not None
        if enabled:
            await self.queue_list(updated)
        else:
            await self.withdraw(entry_list_key(lst.id), "list disabled")
        return updated

    async def reset(self, lst: LeadList) -> int:
        """Every lead of the list is called again from its first attempt."""
        await self.withdraw(entry_list_key(lst.id), "list reset")
        now = self.clock()
        count = 0
        async for page in self.repository.leads_of_list(lst.tenant_id, lst.id):
            for lead in page:
                await self.repository.replace_lead(lead.churned(now, None))
                count += 1
        await self.queue_list(lst)
        return count

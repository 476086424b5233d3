"""Use cases of the leads service: rows into lists, the queue, outcomes, withdrawals."""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from listflow.kit.logging import get_logger
from listflow.kit.mongo import gather_bounded
from listflow.leads.domain.duplicates import Action, decide, in_scope
from listflow.leads.domain.errors import ConcurrentUpdate
from listflow.leads.domain.keys import (
    entry_assignment_key,
    entry_lead_key,
    entry_list_key,
    phone_key,
)
from listflow.leads.domain.model import DONE, Campaign, Lead, LeadList, merge_data, queue_id
from listflow.leads.domain.retry import next_attempt
from listflow.leads.domain.windows import window
from listflow.leads.ports import LeadChange, LeadEventPublisher, LeadRepository
from listflow.schemas.events import ListReady, RowOutcome, RowOutcomes
from listflow.schemas.leads import (
    DialOutcome,
    DialResult,
    LeadCreated,
    LeadData,
    LeadDeleted,
    LeadMigrated,
    LeadQueued,
    LeadRowParsed,
    LeadStatus,
    LeadUpdated,
    LeadWithdrawn,
)
from listflow.schemas.values import RowStatus, TargetKind, deterministic_id

Clock = Callable[[], datetime]
_log = get_logger(__name__)
MAX_ATTEMPTS = 5
# A phone claim whose lead is not written within this long was left by a writer that died.
CLAIM_IN_FLIGHT = timedelta(seconds=60)
QUEUED = "queued"
DEFERRED = "deferred"
WITHDRAWN = "withdrawn"
DIALED = "dialed"
ACTIVE = (QUEUED, DEFERRED)


def new_lead_id(row: LeadRowParsed) -> str:
    # Deterministic, so a redelivered row finds the lead it created the first time.
    return deterministic_id("lead", row.tenant_id, row.upload_id, str(row.row_number))


def source_of(row: LeadRowParsed) -> str:
    return f"{row.upload_id}:{row.row_number}"


def custom_value(data: LeadData, name: str) -> object:
    key = name.casefold()
    return next((c.value for c in data.custom if c.name.casefold() == key), None)


def unique_key(tenant_id: str, list_id: str, name: str, value: object) -> str:
    return f"{tenant_id}|{list_id}|{name.casefold()}|{value}"


def _refuse_duplicates_of_unique_fields(
    results: list[tuple[LeadRowParsed, RowOutcome]], losers: dict[str, str]
) -> list[tuple[LeadRowParsed, RowOutcome]]:
    refused: list[tuple[LeadRowParsed, RowOutcome]] = []
    for row, outcome in results:
        field_name = losers.get(outcome.record_id or "")
        if field_name is not None and outcome.status in (RowStatus.IMPORTED, RowStatus.UPDATED):
            outcome = RowOutcome(
                row_number=row.row_number,
                status=RowStatus.INVALID,
                reason=f"{field_name}: must be unique in the list; another lead has this value",
            )
        refused.append((row, outcome))
    return refused


@dataclass
class _Batch:
    leads: dict[str, Lead]
    by_phone: dict[str, list[str]]
    read_versions: dict[str, int]
    created: dict[str, Lead] = field(default_factory=dict)
    migrated_from: dict[str, str] = field(default_factory=dict)
    churned: set[str] = field(default_factory=set)

    def index(self, lead: Lead) -> None:
        for phone in lead.phones:
            ids = self.by_phone.setdefault(phone, [])
            if lead.id not in ids:
                ids.append(lead.id)

    def candidates(self, data: LeadData) -> list[Lead]:
        ids = dict.fromkeys(i for p in data.phones for i in self.by_phone.get(p.e164, ()))
        return [self.leads[i] for i in ids if i in self.leads]


@dataclass
class Leads:
    """The leads use cases, wired with their adapters."""

    repository: LeadRepository
    events: LeadEventPublisher
    clock: Clock

    # --- rows into lists -------------------------------------------------------------

    async def ingest_rows(self, rows: Sequence[LeadRowParsed]) -> list[RowOutcomes]:
        """Write a batch of rows into their lists; one outcome per row. Safe to repeat."""
        by_tenant: dict[str, list[LeadRowParsed]] = defaultdict(list)
        for row in rows:
            by_tenant[row.tenant_id].append(row)
        outcomes: dict[tuple[str, str], list[RowOutcome]] = defaultdict(list)
        for tenant_id, tenant_rows in by_tenant.items():
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    results = await self._ingest_tenant_rows(tenant_id, tenant_rows)
                    break
                except ConcurrentUpdate as conflict:
                    if attempt == MAX_ATTEMPTS:
                        raise
                    _log.info(
                        "concurrent lead write, retrying", attempt=attempt, reason=str(conflict)
                    )
                    await asyncio.sleep(0.1 * attempt)
            for row, outcome in results:
                outcomes[(tenant_id, row.upload_id)].append(outcome)
        batches = [
            RowOutcomes(tenant_id=t, upload_id=u, outcomes=tuple(items))
            for (t, u), items in outcomes.items()
        ]
        await self.events.row_outcomes(batches)
        return batches

    async def _ingest_tenant_rows(
        self, tenant_id: str, rows: Sequence[LeadRowParsed]
    ) -> list[tuple[LeadRowParsed, RowOutcome]]:
        now = self.clock()
        repo = self.repository
        lists: dict[str, LeadList | None] = {}
        for list_id in {r.target.id for r in rows}:
            lists[list_id] = await repo.get_list(tenant_id, list_id)
        found = await repo.find_by_phones(tenant_id, {p.e164 for r in rows for p in r.lead.phones})
        for lead in found.values():
            if lead.list_id not in lists:
                lists[lead.list_id] = await repo.get_list(tenant_id, lead.list_id)
        campaigns_of = {
            lid: frozenset(item.campaign_ids) for lid, item in lists.items() if item is not None
        }
        batch = _Batch(
            leads=dict(found), by_phone={}, read_versions={i: x.version for i, x in found.items()}
        )
        for lead in found.values():
            batch.index(lead)

        results: list[tuple[LeadRowParsed, RowOutcome]] = []
        for row in rows:
            target = lists.get(row.target.id)
            if target is None:
                results.append(
                    (
                        row,
                        RowOutcome(
                            row_number=row.row_number,
                            status=RowStatus.FAILED,
                            reason="the lead list no longer exists",
                        ),
                    )
                )
                continue
            results.append((row, self._apply_row(row, target, batch, campaigns_of, now)))

        await self._claim_new_phones(tenant_id, rows, lists, batch)
        losers = await self._claim_unique_values(tenant_id, lists, batch, found)
        if losers:
            results = _refuse_duplicates_of_unique_fields(results, losers)
        created = list(batch.created.values())
        updated = [
            (x, batch.read_versions[i])
            for i, x in batch.leads.items()
            if i in batch.read_versions and x.version != batch.read_versions[i]
        ]
        await repo.save_leads(created, updated)

        upload_of = {o.record_id: r.upload_id for r, o in results if o.record_id}
        changes: list[LeadChange] = [
            LeadCreated(tenant_id=tenant_id, lead=x.snapshot(), upload_id=upload_of.get(x.id))
            for x in created
        ]
        for lead, _ in updated:
            if lead.id in batch.migrated_from:
                changes.append(
                    LeadMigrated(
                        tenant_id=tenant_id,
                        lead=lead.snapshot(),
                        from_list_id=batch.migrated_from[lead.id],
                        upload_id=upload_of.get(lead.id),
                    )
                )
            else:
                changes.append(
                    LeadUpdated(
                        tenant_id=tenant_id, lead=lead.snapshot(), upload_id=upload_of.get(lead.id)
                    )
                )
        if changes:
            await self.events.lead_changes(changes)
        moved = set(batch.migrated_from) | batch.churned
        if moved:
            # Their queued attempts are stale: a new list's campaigns or a new cycle.
            await self.withdraw_leads(moved, "lead migrated or churned")
        # Leads of other lists (migrated away from, or churned there) are queued now; the
        # upload's own list is queued when ingest announces it ready.
        targets = {r.target.id for r in rows}
        elsewhere = [x for x, _ in updated if x.list_id not in targets and x.id in moved]
        await self._queue_changed(tenant_id, elsewhere, lists)
        _log.info(
            "lead rows written",
            tenant_id=tenant_id,
            rows=len(rows),
            created=len(created),
            updated=len(updated),
        )
        return results

    async def _claim_new_phones(
        self,
        tenant_id: str,
        rows: Sequence[LeadRowParsed],
        lists: dict[str, LeadList | None],
        batch: _Batch,
    ) -> None:
        """Race detection for new leads: each phone of a lead about to be created is claimed
        (first writer wins). If another lead holds a phone and would have been this row's
        duplicate, that lead was written after our read: raise, so the batch is re-read.
        A claim whose lead is gone or lost the phone, or is out of the row's scope, is
        ignored (claims are never released)."""
        by_lead = {new_lead_id(r): r for r in rows if r.duplicates.scope != "none"}
        claims: dict[str, str] = {}
        for lead_id, lead in batch.created.items():
            if lead_id in by_lead:
                for phone in lead.phones:
                    claims.setdefault(phone_key(tenant_id, phone), lead_id)
        if not claims:
            return
        now = self.clock()
        holders = await self.repository.claim_phones(claims, now)
        for key, holder in holders.items():
            lead_id = claims[key]
            if holder == lead_id:
                continue
            other = await self.repository.get_lead(tenant_id, holder)
            if other is None and await self._claim_in_flight(key, now):
                # The holder claimed the phone but has not written its lead yet: treating
                # the claim as stale here let two concurrent batches both create the lead.
                raise ConcurrentUpdate("a lead holding this phone is still being written")
            if other is None or key.rsplit("|", 1)[-1] not in other.phones:
                continue
            if other.list_id not in lists:
                lists[other.list_id] = await self.repository.get_list(tenant_id, other.list_id)
            campaigns_of = {
                lid: frozenset(item.campaign_ids) for lid, item in lists.items() if item is not None
            }
            row = by_lead[lead_id]
            if in_scope(row.duplicates, row.target.id, other, campaigns_of):
                raise ConcurrentUpdate("a duplicate lead was written by another batch meanwhile")

    async def _claim_in_flight(self, key: str, now: datetime) -> bool:
        """Whether a phone claim without its lead is young enough that the lead may still
        come; an older one is left by a writer that died, and is ignored."""
        claim = await self.repository.phone_claim(key)
        at = claim.get("claimed_at") if claim else None
        if not isinstance(at, datetime):
            return False
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return now - at < CLAIM_IN_FLIGHT

    async def _claim_unique_values(
        self,
        tenant_id: str,
        lists: dict[str, LeadList | None],
        batch: _Batch,
        found: dict[str, Lead],
    ) -> dict[str, str]:
        """Claim the values of `unique` custom fields for the leads this batch writes; the
        leads that lose a claim to another lead of the list are taken out of the batch.
        Returns lead id -> the field it lost."""
        changed = [
            *batch.created.values(),
            *(
                x
                for i, x in batch.leads.items()
                if batch.read_versions.get(i, x.version) != x.version
            ),
        ]
        claims: dict[str, tuple[str, str, str, object]] = {}  # key -> lead, list, field, value
        for lead in changed:
            lst = lists.get(lead.list_id)
            for definition in lst.fields if lst is not None else ():
                if not definition.unique:
                    continue
                value = custom_value(lead.data, definition.name)
                if value is not None:
                    key = unique_key(tenant_id, lead.list_id, definition.name, value)
                    claims[key] = (lead.id, lead.list_id, definition.name, value)
        if not claims:
            return {}
        holders = await self.repository.claim_unique({k: v[0] for k, v in claims.items()})
        losers: dict[str, str] = {}
        for key, holder in holders.items():
            lead_id, list_id, name, value = claims[key]
            if holder == lead_id:
                continue
            other = await self.repository.get_lead(tenant_id, holder)
            if (
                other is not None
                and other.list_id == list_id
                and custom_value(other.data, name) == value
            ):
                losers[lead_id] = name
            else:
                # A stale claim (its lead was deleted, moved or changed the value): take it.
                await self.repository.move_unique(key, holder, lead_id)
        for lead_id in losers:
            batch.created.pop(lead_id, None)
            batch.migrated_from.pop(lead_id, None)
            batch.churned.discard(lead_id)
            if lead_id in found:
                batch.leads[lead_id] = found[lead_id]
            else:
                batch.leads.pop(lead_id, None)
        return losers

    def _apply_row(
        self,
        row: LeadRowParsed,
        target: LeadList,
        batch: _Batch,
        campaigns_of: dict[str, frozenset[str]],
        now: datetime,
    ) -> RowOutcome:
        source = source_of(row)
        own_id = new_lead_id(row)
        own = batch.leads.get(own_id)
        if own is not None and own.created_from == source:
            return RowOutcome(
                row_number=row.row_number, status=RowStatus.IMPORTED, record_id=own_id
            )
        data = row.lead
        if data.time_zone is None:
            data = data.model_copy(update={"time_zone": target.time_zone})
        candidates = batch.candidates(data)
        replayed = next((c for c in candidates if c.last_source == source), None)
        decision = decide(row.duplicates, target.id, candidates, campaigns_of)
        if replayed is not None:
            # This row already changed that lead (a redelivery): the same outcome, no write.
            status = RowStatus.SKIPPED if decision.action is Action.SKIP else RowStatus.UPDATED
            return RowOutcome(row_number=row.row_number, status=status, record_id=replayed.id)
        if decision.action is Action.CREATE:
            lead = Lead.new(
                id=own_id,
                tenant_id=row.tenant_id,
                list_id=target.id,
                data=data,
                now=now,
                source=source,
            )
            batch.leads[own_id] = lead
            batch.created[own_id] = lead
            batch.index(lead)
            return RowOutcome(
                row_number=row.row_number, status=RowStatus.IMPORTED, record_id=own_id
            )
        assert decision.target is not None
        lead = batch.leads[decision.target.id]
        status = RowStatus.UPDATED
        reason: str | None = None
        if decision.action is Action.SKIP:
            status = RowStatus.SKIPPED
            reason = f"duplicate of a lead (scope {row.duplicates.scope})"
        elif decision.action is Action.UPDATE:
            lead = lead.updated(merge_data(lead.data, row.lead), now, source)
        else:
            batch.migrated_from[lead.id] = lead.list_id
            lead = lead.migrated(target.id, merge_data(lead.data, row.lead), now, source)
        if row.churn:
            lead = lead.churned(now, source)
            batch.churned.add(lead.id)
            if reason:
                reason += "; dial state reset (churn)"
        if lead.id in batch.created:
            batch.created[lead.id] = replace(lead, version=1)
            lead = batch.created[lead.id]
        batch.leads[lead.id] = lead
        batch.index(lead)
        return RowOutcome(
            row_number=row.row_number, status=status, record_id=lead.id, reason=reason
        )

    async def _queue_changed(
        self, tenant_id: str, leads: Sequence[Lead], lists: dict[str, LeadList | None]
    ) -> None:
        by_list: dict[str, list[Lead]] = defaultdict(list)
        for lead in leads:
            by_list[lead.list_id].append(lead)
        for list_id, items in by_list.items():
            lst = lists.get(list_id) or await self.repository.get_list(tenant_id, list_id)
            if lst is not None and lst.dialable:
                await self.queue_leads(lst, items, await self._campaigns(lst))

    # --- the queue ----------------------------------------------------------------------

    async def _campaigns(self, lst: LeadList) -> dict[str, Campaign]:
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
        campaigns = await self._campaigns(lst)
        if only is not None:
            wanted = set(only)
            campaigns = {k: v for k, v in campaigns.items() if k in wanted}
        total = 0
        async for page in self.repository.leads_of_list(lst.tenant_id, lst.id):
            total += await self.queue_leads(lst, page, campaigns)
        _log.info("list queued", tenant_id=lst.tenant_id, list_id=lst.id, entries=total)
        return total

    async def queue_leads(
        self, lst: LeadList, leads: Sequence[Lead], campaigns: dict[str, Campaign]
    ) -> int:
        """Make (at most once each) the queue entries of `leads` in `campaigns`: queued now
        if the lead's calling window is open, else deferred until it opens."""
        now = self.clock()
        repo = self.repository
        callable_leads = [x for x in leads if x.status not in DONE]
        blocked = await repo.dnc_of(lst.tenant_id, [p for x in callable_leads for p in x.phones])
        entries: list[dict[str, Any]] = []
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
                tz = lead.data.time_zone or lst.time_zone
                win = window(due, campaign.hours, tz)
                ready_now = win.open and due <= now
                entries.append(
                    {
                        "_id": queue_id(
                            lead.id, cid, lst.epochs.get(cid, 0), lead.cycle, attempt, lead.revision
                        ),
                        "revision": lead.revision,
                        "tenant_id": lst.tenant_id,
                        "lead_id": lead.id,
                        "list_id": lst.id,
                        "campaign_id": cid,
                        "cycle": lead.cycle,
                        "attempt": attempt,
                        "state": QUEUED if ready_now else DEFERRED,
                        "due_at": now if ready_now else (due if win.open else win.opens_at),
                        "published": False,
                        "outcome": None,
                        "created_at": now,
                    }
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
        entries: Sequence[dict[str, Any]],
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
        if withdrawn:
            await self.events.withdrawn(withdrawn)
        await self._refresh_status(leads)
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
            states = {e["state"] for e in entries}
            leads = await self.repository.get_leads([lead_id])
            lead = leads.get(lead_id)
            if lead is None or lead.status in DONE:
                continue
            if QUEUED in states:
                status = LeadStatus.QUEUED
            elif DEFERRED in states:
                status = LeadStatus.DEFERRED
            else:
                status = LeadStatus.DIALED if lead.attempts else LeadStatus.NEW
            if status is not lead.status:
                await self.repository.set_lead(lead_id, {"status": status.value})

    # --- outcomes ----------------------------------------------------------------------

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
        for attempt in range(MAX_ATTEMPTS):
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
            await self.queue_leads(lst, [lead], {campaign.id: campaign})

    # --- list commands ---------------------------------------------------------------------

    async def assign(self, lst: LeadList, campaign: Campaign) -> LeadList:
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
        updated = await self.repository.set_list(
            lst.tenant_id,
            lst.id,
            {"campaign_ids": [c for c in lst.campaign_ids if c != campaign_id]},
        )
        assert updated is not None
        await self.withdraw(entry_assignment_key(lst.id, campaign_id), "list unassigned")
        return updated

    async def set_enabled(self, lst: LeadList, enabled: bool) -> LeadList:
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

    async def delete(self, lst: LeadList) -> int:
        """Withdraw the list's leads from every queue, then delete them and the list."""
        await self.repository.set_list(lst.tenant_id, lst.id, {"enabled": False})
        await self.withdraw(entry_list_key(lst.id), "list deleted")
        count = 0
        async for page in self.repository.leads_of_list(lst.tenant_id, lst.id):
            await self.events.lead_changes(
                [LeadDeleted(tenant_id=lst.tenant_id, lead_id=x.id, list_id=lst.id) for x in page]
            )
            for lead in page:
                await self.repository.delete_lead(lead.id)
                count += 1
        await self.repository.delete_list(lst.tenant_id, lst.id)
        return count

    async def delete_lead(self, lead: Lead) -> None:
        """Withdraw one lead from every queue, then delete it."""
        await self.withdraw(entry_lead_key(lead.id), "lead deleted")
        await self.events.lead_changes(
            [LeadDeleted(tenant_id=lead.tenant_id, lead_id=lead.id, list_id=lead.list_id)]
        )
        await self.repository.delete_lead(lead.id)

    async def add_dnc(self, tenant_id: str, phones: Sequence[str], reason: str) -> int:
        """Put numbers on the do-not-call list. Leads having them are withdrawn from every
        queue; those left with a number to call are queued again without the blocked ones
        (new queue ids), the others are marked `dnc`. Returns how many became `dnc`."""
        repo = self.repository
        await repo.add_dnc(tenant_id, phones, self.clock(), reason)
        found = await repo.find_by_phones(tenant_id, phones)
        suppressed = 0
        for lead in found.values():
            blocked = await repo.dnc_of(tenant_id, lead.phones)
            await self.withdraw(entry_lead_key(lead.id), "do not call")
            if not set(lead.phones) - blocked:
                await repo.set_lead(lead.id, {"status": LeadStatus.DNC.value})
                suppressed += 1
                continue
            await repo.set_lead(lead.id, {"revision": lead.revision + 1})
            fresh = await repo.get_lead(tenant_id, lead.id)
            lst = await repo.get_list(tenant_id, lead.list_id)
            if fresh is not None and lst is not None and lst.dialable:
                await self.queue_leads(lst, [fresh], await self._campaigns(lst))
        return suppressed

    async def release_forever(self, every: float) -> None:
        while True:
            try:
                await self.release_due()
            except Exception:
                _log.exception("releasing deferred leads failed")
            await asyncio.sleep(every)

"""Rows into lead lists: a batch of parsed rows written under each upload's duplicate scope,
action and churn, with one outcome per row; safe to repeat (a redelivered row finds what it
wrote)."""

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.leads.domain.duplicates import Action, decide, in_scope
from listflow.leads.domain.errors import WRITE_ATTEMPTS, ConcurrentUpdate
from listflow.leads.domain.keys import phone_key
from listflow.leads.domain.model import Lead, LeadList, merge_data
from listflow.leads.handlers.queue import Queue
from listflow.leads.ports import LeadChange, LeadEventPublisher, LeadRepository
from listflow.schemas.events import RowOutcome, RowOutcomes
from listflow.schemas.leads import (
    LeadCreated,
    LeadData,
    LeadMigrated,
    LeadRowParsed,
    LeadUpdated,
)
from listflow.schemas.values import RowStatus, deterministic_id

_log = get_logger(__name__)
# A phone claim whose lead is not written within this long was left by a writer that died.
CLAIM_IN_FLIGHT = timedelta(seconds=60)


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
class Rows:
    """Lead rows from uploads into their lists."""

    repository: LeadRepository
    events: LeadEventPublisher
    clock: Clock
    queue: Queue

    async def ingest_rows(self, rows: Sequence[LeadRowParsed]) -> list[RowOutcomes]:
        """Write a batch of rows into their lists; one outcome per row. Safe to repeat."""
        by_tenant: dict[str, list[LeadRowParsed]] = defaultdict(list)
        for row in rows:
            by_tenant[row.tenant_id].append(row)
        outcomes: dict[tuple[str, str], list[RowOutcome]] = defaultdict(list)
        for tenant_id, tenant_rows in by_tenant.items():
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                try:
                    results = await self._ingest_tenant_rows(tenant_id, tenant_rows)
                    break
                except ConcurrentUpdate as conflict:
                    if attempt == WRITE_ATTEMPTS:
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
            await self.queue.withdraw_leads(moved, "lead migrated or churned")
        # Leads of other lists (migrated away from, or churned there) are queued now; the
        # upload's own list is queued when ingest announces it ready.
        targets = {r.target.id for r in rows}
        elsewhere = [x for x, _ in updated if x.list_id not in targets and x.id in moved]
        await self.queue.queue_changed(tenant_id, elsewhere, lists)
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

"""Use cases of the contacts service."""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from listflow.contacts.domain.matching import Action, decide
from listflow.contacts.domain.model import Contact
from listflow.contacts.ports import ConcurrentUpdate, ContactRepository, EventSink, KeyRef
from listflow.kit.logging import get_logger
from listflow.kit.timing import StepTimer
from listflow.schemas.events import (
    ContactCreated,
    ContactRowParsed,
    ContactUpdated,
    RowOutcome,
    RowOutcomes,
)
from listflow.schemas.matching import all_match_keys
from listflow.schemas.values import RowStatus, deterministic_id

Clock = Callable[[], datetime]
_log = get_logger(__name__)
MAX_ATTEMPTS = 5


@dataclass
class _BatchState:
    """The contacts a batch touches, as they will be once the batch is written."""

    contacts: dict[str, Contact]
    key_ids: dict[KeyRef, list[str]]
    read_versions: dict[str, int]
    created: dict[str, Contact] = field(default_factory=dict)
    # Contacts whose change a redelivered row already wrote: announce them again, since the
    # first attempt may have stopped between the write and the publish.
    replayed: set[str] = field(default_factory=set)
    # The match key each new contact is created under, to be claimed before writing.
    claims: dict[KeyRef, str] = field(default_factory=dict)

    def index(self, contact: Contact) -> None:
        """Make the contact findable by its keys for the rest of the batch."""
        for key in all_match_keys(contact.data):
            ids = self.key_ids.setdefault(key, [])
            if contact.id not in ids:
                ids.append(contact.id)


def created_from(row: ContactRowParsed) -> str:
    return f"{row.upload_id}:{row.row_number}"


def new_contact_id(row: ContactRowParsed) -> str:
    # Deterministic, so that a redelivered row finds the contact it created the first time.
    return deterministic_id("contact", row.tenant_id, row.upload_id, str(row.row_number))


async def merge_rows(
    rows: Sequence[ContactRowParsed], repository: ContactRepository, events: EventSink, clock: Clock
) -> list[RowOutcomes]:
    """Merge a batch of rows into the customer base: one lookup, one write, one outcome per row.

    Safe to run again on the same rows: outcomes come out the same and nothing is created twice.
    """
    by_tenant: dict[str, list[ContactRowParsed]] = defaultdict(list)
    for row in rows:
        by_tenant[row.tenant_id].append(row)
    outcomes: dict[str, list[RowOutcome]] = defaultdict(list)
    changes: list[ContactCreated | ContactUpdated] = []
    for tenant_id, tenant_rows in by_tenant.items():
        await repository.ensure_groups(tenant_id, {row.target for row in tenant_rows})
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                tenant_outcomes, tenant_changes = await _merge_tenant_rows(
                    tenant_id, tenant_rows, repository, clock
                )
                break
            except ConcurrentUpdate as conflict:
                if attempt == MAX_ATTEMPTS:
                    raise
                _log.info(
                    "concurrent write, retrying batch",
                    tenant_id=tenant_id,
                    attempt=attempt,
                    reason=str(conflict),
                )
                await asyncio.sleep(0.1 * attempt)
        for row, outcome in tenant_outcomes:
            outcomes[row.upload_id].append(outcome)
        changes.extend(tenant_changes)
    if changes:
        await events.contacts_changed(changes)
    batches = [
        RowOutcomes(
            tenant_id=_tenant_of(rows, upload_id), upload_id=upload_id, outcomes=tuple(items)
        )
        for upload_id, items in outcomes.items()
    ]
    await events.row_outcomes(batches)
    return batches


def _tenant_of(rows: Sequence[ContactRowParsed], upload_id: str) -> str:
    return next(r.tenant_id for r in rows if r.upload_id == upload_id)


async def _merge_tenant_rows(
    tenant_id: str,
    rows: Sequence[ContactRowParsed],
    repository: ContactRepository,
    clock: Clock,
) -> tuple[list[tuple[ContactRowParsed, RowOutcome]], list[ContactCreated | ContactUpdated]]:
    now = clock()
    timer = StepTimer()
    keys = {(row.match_key, row.match_value) for row in rows}
    key_ids, contacts = await repository.find_by_keys(tenant_id, keys)
    timer.lap("lookup")
    state = _BatchState(
        contacts=contacts,
        key_ids={k: list(v) for k, v in key_ids.items()},
        read_versions={cid: c.version for cid, c in contacts.items()},
    )

    results: list[tuple[ContactRowParsed, RowOutcome]] = []
    for row in rows:
        results.append((row, _apply_row(tenant_id, row, state, now)))

    updated = [
        (c, state.read_versions[c.id])
        for cid, c in state.contacts.items()
        if c.changed and cid not in state.created and cid in state.read_versions
    ]
    created = list(state.created.values())
    timer.lap("merge")
    if state.claims:
        # One new contact per key: whoever claims a key first creates its contact; a batch
        # that loses re-reads and updates the winner's contact instead.
        winners = await repository.claim_keys(tenant_id, state.claims)
        lost = [key for key, cid in state.claims.items() if winners.get(key) != cid]
        if lost:
            raise ConcurrentUpdate(f"{len(lost)} new keys were claimed by another writer")
    await repository.save(created, updated)
    timer.lap("write")
    _log.info(
        "batch merged",
        tenant_id=tenant_id,
        rows=len(rows),
        created=len(created),
        updated=len(updated),
        **timer.laps,
    )
    changes: list[ContactCreated | ContactUpdated] = []
    upload_of = {o.record_id: r.upload_id for r, o in results if o.record_id}
    for contact in created:
        changes.append(
            ContactCreated(
                tenant_id=tenant_id, contact=contact.snapshot(), upload_id=upload_of.get(contact.id)
            )
        )
    for contact, _ in updated:
        changes.append(
            ContactUpdated(
                tenant_id=tenant_id, contact=contact.snapshot(), upload_id=upload_of.get(contact.id)
            )
        )
    written = set(state.created) | {c.id for c, _ in updated}
    for cid in sorted(state.replayed - written):
        contact = state.contacts[cid]
        event_type = ContactCreated if contact.version == 1 else ContactUpdated
        changes.append(
            event_type(
                tenant_id=tenant_id, contact=contact.snapshot(), upload_id=upload_of.get(cid)
            )
        )
    return results, changes


def _apply_row(
    tenant_id: str, row: ContactRowParsed, state: _BatchState, now: datetime
) -> RowOutcome:
    own_id = new_contact_id(row)
    existing_own = state.contacts.get(own_id)
    if existing_own is not None and existing_own.created_from == created_from(row):
        # A redelivery of the row that created this contact: same outcome as the first time.
        state.index(existing_own)
        state.replayed.add(own_id)
        return RowOutcome(row_number=row.row_number, status=RowStatus.IMPORTED, record_id=own_id)

    ids = state.key_ids.get((row.match_key, row.match_value), [])
    matches = [state.contacts[cid] for cid in ids if cid in state.contacts]
    decision = decide(row.match, matches)
    group_id = row.target.id
    if decision.action is Action.SKIP:
        return RowOutcome(
            row_number=row.row_number,
            status=RowStatus.SKIPPED,
            record_id=decision.target.id if decision.target else None,
            reason=decision.reason,
        )
    if decision.action is Action.CREATE:
        contact = Contact.new(
            id=own_id,
            tenant_id=tenant_id,
            data=row.contact,
            group_id=group_id,
            now=now,
            created_from=created_from(row),
        )
        state.contacts[own_id] = contact
        state.created[own_id] = contact
        state.claims[(row.match_key, row.match_value)] = own_id
        state.index(contact)
        return RowOutcome(row_number=row.row_number, status=RowStatus.IMPORTED, record_id=own_id)

    assert decision.target is not None
    target = state.contacts[decision.target.id]
    source = created_from(row)
    merged = target.merged(row.contact, row.match.merge, group_id=group_id, now=now, source=source)
    if merged is target and target.last_source == source:
        state.replayed.add(target.id)
    state.contacts[target.id] = merged
    if target.id in state.created:
        state.created[target.id] = merged
    if merged is not target:
        state.index(merged)
    return RowOutcome(row_number=row.row_number, status=RowStatus.UPDATED, record_id=target.id)

"""Use cases of the contacts service."""

import asyncio
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from listflow.contacts.domain.matching import Action, decide
from listflow.contacts.domain.model import Contact, Origin
from listflow.contacts.domain.tags import check_tags, tag_key
from listflow.contacts.ports import Claim, ConcurrentUpdate, ContactRepository, EventSink, KeyRef
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.kit.timing import StepTimer
from listflow.schemas.events import (
    ContactChange,
    ContactCreated,
    ContactRowParsed,
    ContactUpdated,
    RowOutcome,
    RowOutcomes,
)
from listflow.schemas.matching import all_match_keys
from listflow.schemas.values import (
    ConsentSource,
    ContactData,
    MatchKey,
    MatchPolicy,
    RowStatus,
    deterministic_id,
)

_log = get_logger(__name__)
MAX_ATTEMPTS = 5
# A claim this old whose contact does not exist was left by a writer that died between claim
# and insert (or a delete that died before releasing it); it may be taken over.
STALE_CLAIM = timedelta(minutes=1)
# How long a writer outwaits an in-flight holder of a key it needs (see _claim_new_keys).
OUTWAIT_ATTEMPTS = 50
OUTWAIT_PAUSE_S = 0.1


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """One contact's data to merge under a match policy: a row of an upload, or a contact
    created by hand. Both take the same path, so both obey the same rules."""

    tenant_id: str
    origin: Origin
    new_id: str
    match: MatchPolicy
    match_key: MatchKey | None
    match_value: str | None
    data: ContactData
    group_id: str | None = None
    group_ids: tuple[str, ...] = ()

    @classmethod
    def of_row(cls, row: ContactRowParsed) -> "MergeRequest":
        return cls(
            tenant_id=row.tenant_id,
            origin=Origin(ConsentSource.UPLOAD, upload_id=row.upload_id, row_number=row.row_number),
            new_id=new_contact_id(row),
            match=row.match,
            match_key=row.match_key,
            match_value=row.match_value,
            data=row.contact,
            group_id=row.target.id,
        )


@dataclass(frozen=True, slots=True)
class MergeResult:
    status: RowStatus
    record_id: str | None = None
    reason: str | None = None


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
    # New contacts and the key each was matched by; all their keys are claimed before writing.
    claims: dict[str, KeyRef | None] = field(default_factory=dict)

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
    changes: list[ContactChange] = []
    for tenant_id, tenant_rows in by_tenant.items():
        await repository.ensure_groups(tenant_id, {row.target for row in tenant_rows})
        accepted, refused = await _check_row_tags(tenant_id, tenant_rows, repository)
        for row, reason in refused:
            outcomes[row.upload_id].append(
                RowOutcome(row_number=row.row_number, status=RowStatus.FAILED, reason=reason)
            )
        requests = [MergeRequest.of_row(row) for row in accepted]
        results, tenant_changes = await merge_with_retries(tenant_id, requests, repository, clock)
        for row, result in zip(accepted, results, strict=True):
            outcomes[row.upload_id].append(
                RowOutcome(
                    row_number=row.row_number,
                    status=result.status,
                    record_id=result.record_id,
                    reason=result.reason,
                )
            )
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


async def _check_row_tags(
    tenant_id: str, rows: Sequence[ContactRowParsed], repository: ContactRepository
) -> tuple[list[ContactRowParsed], list[tuple[ContactRowParsed, str]]]:
    """Rows whose tags are all defined (spelled as defined), and rows refused with a reason.

    A row of an upload with create_missing_tags (or from a producer that predates the option)
    defines its unknown tags instead.
    """
    keys = {tag_key(t) for row in rows for t in row.contact.tags}
    if not keys:
        return list(rows), []
    defined = await repository.defined_tags(tenant_id, keys)
    to_create: dict[str, str] = {}
    for row in rows:
        if row.create_missing_tags is not False:
            for name in row.contact.tags:
                if tag_key(name) not in defined:
                    to_create.setdefault(tag_key(name), name.strip())
    if to_create:
        await repository.ensure_tags(tenant_id, list(to_create.values()))
        defined = await repository.defined_tags(tenant_id, keys)
    accepted: list[ContactRowParsed] = []
    refused: list[tuple[ContactRowParsed, str]] = []
    for row in rows:
        if not row.contact.tags:
            accepted.append(row)
            continue
        check = check_tags(row.contact.tags, defined)
        if check.missing:
            refused.append((row, check.reason))
        else:
            contact = row.contact.model_copy(update={"tags": check.tags})
            accepted.append(row.model_copy(update={"contact": contact}))
    return accepted, refused


def _tenant_of(rows: Sequence[ContactRowParsed], upload_id: str) -> str:
    return next(r.tenant_id for r in rows if r.upload_id == upload_id)


async def merge_with_retries(
    tenant_id: str,
    requests: Sequence[MergeRequest],
    repository: ContactRepository,
    clock: Clock,
) -> tuple[list[MergeResult], list[ContactChange]]:
    """Merge requests of one tenant, re-reading and re-applying them if another writer got in
    between (optimistic versions, key claims)."""
    if not requests:
        return [], []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await _merge_requests(tenant_id, requests, repository, clock)
        except ConcurrentUpdate as conflict:
            if attempt == MAX_ATTEMPTS:
                raise
            _log.info(
                "concurrent write, retrying batch",
                tenant_id=tenant_id,
                attempt=attempt,
                reason=str(conflict),
            )
            # Jitter: two batches that collided should not collide again in step.
            await asyncio.sleep(0.1 * attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")


async def _merge_requests(
    tenant_id: str,
    requests: Sequence[MergeRequest],
    repository: ContactRepository,
    clock: Clock,
) -> tuple[list[MergeResult], list[ContactChange]]:
    now = clock()
    timer = StepTimer()
    keys = {(r.match_key, r.match_value) for r in requests if r.match_key and r.match_value}
    key_ids, contacts = await repository.find_by_keys(tenant_id, keys)
    own_ids = [r.new_id for r in requests if r.new_id not in contacts]
    if own_ids and not keys:
        # Nothing to match by (a contact created by hand without any key): still look for
        # the contact a retried request created, by its id.
        for cid in own_ids:
            own = await repository.get(tenant_id, cid)
            if own is not None:
                contacts[cid] = own
    timer.lap("lookup")
    state = _BatchState(
        contacts=contacts,
        key_ids={k: list(v) for k, v in key_ids.items()},
        read_versions={cid: c.version for cid, c in contacts.items()},
    )

    results = [_apply(tenant_id, request, state, now) for request in requests]

    updated = [
        (c, state.read_versions[c.id])
        for cid, c in state.contacts.items()
        if c.changed and cid not in state.created and cid in state.read_versions
    ]
    created = list(state.created.values())
    timer.lap("merge")
    if state.claims:
        await _claim_new_keys(tenant_id, state, repository, now)
    timer.lap("claim")
    await repository.save(created, updated)
    timer.lap("write")
    _log.info(
        "batch merged",
        tenant_id=tenant_id,
        rows=len(requests),
        created=len(created),
        updated=len(updated),
        **timer.laps,
    )
    changes: list[ContactChange] = []
    upload_of = {
        res.record_id: req.origin.upload_id
        for req, res in zip(requests, results, strict=True)
        if res.record_id
    }
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


async def _claim_new_keys(
    tenant_id: str, state: _BatchState, repository: ContactRepository, now: datetime
) -> None:
    """Claim every key of every new contact, so that concurrent writers end as if one had
    gone first: one contact per customer, whichever key each upload matches by.

    Writer W must give way to the holder H of a key it wants if, had H gone first, W would
    have found H's contact: the key is the one W matches by, or H is still being written and
    matches by a key W's contact has (then H would find W's, and one of the two must retry).
    A key held by a contact already written that W does not match by is shared, as it would
    be had W come second; a key held by a contact that no longer has it (edited off since)
    is nobody's, and W takes the claim over. Every free key is claimed in one call and every
    key held by another writer is then judged (in key order), so a batch costs one insert
    and one read per held key however many keys are shared. Of two writers still in flight that each
    took a key the other needs, the one with the larger contact id gives way (releasing all
    it took, retrying after a random pause) and the other waits (up to ~5 s) to claim the
    key once it is released.
    """
    wanted: dict[str, Claim] = {}
    for cid, own in state.claims.items():
        for key in all_match_keys(state.created[cid].data):
            wanted.setdefault(f"{key[0]}|{key[1]}", Claim(key, cid, own, now))
    claims = [wanted[k] for k in sorted(wanted)]
    for tried, holder in await repository.claim_keys(tenant_id, claims, ours=state.created.keys()):
        ours = state.created[tried.contact_id]
        stored = await repository.get(tenant_id, holder.contact_id) if holder.contact_id else None
        if stored is not None and tried.key not in all_match_keys(stored.data):
            # The key was edited off the contact that claimed it: nobody holds it any more.
            if await repository.take_over_claim(tenant_id, holder, tried):
                continue
            raise ConcurrentUpdate("a key edited off its contact was taken over by another writer")
        holder_exists = stored is not None
        if (
            not holder_exists
            and holder.claimed_at is not None
            and now - holder.claimed_at > STALE_CLAIM
        ):
            if await repository.take_over_claim(tenant_id, holder, tried):
                continue
            raise ConcurrentUpdate("a stale key claim was taken over by another writer")
        in_flight = not holder_exists and holder.own_key in set(all_match_keys(ours.data))
        if tried.key == tried.own_key or in_flight:
            # One of two writers still in flight goes second. Were both to give way, two
            # batches after the same new customers could do so round after round; so the
            # writer of the smaller contact id outwaits the other, which gives way to it.
            if (
                not holder_exists
                and holder.contact_id > tried.contact_id
                and await _outwait(tenant_id, tried, holder, repository)
            ):
                continue
            # Releases are conditional on our contact id: only what we hold goes.
            await repository.release_claims(tenant_id, list(wanted.values()))
            raise ConcurrentUpdate("a new contact's key was claimed by another writer")


async def _outwait(
    tenant_id: str, tried: Claim, holder: Claim, repository: ContactRepository
) -> bool:
    """Claim `tried` once its in-flight holder has given way; False if the holder's contact
    was written meanwhile (then we re-read), another writer took the key, or it took long."""
    for attempt in range(OUTWAIT_ATTEMPTS):
        if attempt:
            await asyncio.sleep(OUTWAIT_PAUSE_S)
        taken = await repository.claim_keys(tenant_id, [tried], ours=(tried.contact_id,))
        if not taken:
            return True
        current = taken[0][1]
        if current.contact_id != holder.contact_id:
            return False
        if await repository.get(tenant_id, holder.contact_id) is not None:
            return False
    return False


def _apply(tenant_id: str, request: MergeRequest, state: _BatchState, now: datetime) -> MergeResult:
    own_id = request.new_id
    source = request.origin.source
    existing_own = state.contacts.get(own_id)
    if existing_own is not None and existing_own.created_from == source:
        # A redelivery of the request that created this contact: same outcome as the first time.
        state.index(existing_own)
        state.replayed.add(own_id)
        return MergeResult(RowStatus.IMPORTED, own_id)

    key: KeyRef | None = (
        (request.match_key, request.match_value)
        if request.match_key and request.match_value
        else None
    )
    ids = state.key_ids.get(key, []) if key else []
    matches = [state.contacts[cid] for cid in ids if cid in state.contacts]
    decision = decide(request.match, matches)
    if decision.action is Action.SKIP:
        return MergeResult(
            RowStatus.SKIPPED, decision.target.id if decision.target else None, decision.reason
        )
    if decision.action is Action.CREATE:
        contact = Contact.new(
            id=own_id,
            tenant_id=tenant_id,
            data=request.data,
            group_id=request.group_id,
            group_ids=request.group_ids,
            now=now,
            created_from=source,
            origin=request.origin,
        )
        state.contacts[own_id] = contact
        state.created[own_id] = contact
        state.claims[own_id] = key
        state.index(contact)
        return MergeResult(RowStatus.IMPORTED, own_id)

    assert decision.target is not None
    target = state.contacts[decision.target.id]
    merged = target.merged(
        request.data,
        request.match.merge,
        group_id=request.group_id,
        group_ids=request.group_ids,
        now=now,
        source=source,
        origin=request.origin,
    )
    if merged is target and target.last_source == source:
        state.replayed.add(target.id)
    state.contacts[target.id] = merged
    if target.id in state.created:
        state.created[target.id] = merged
    if merged is not target:
        state.index(merged)
    return MergeResult(RowStatus.UPDATED, target.id)

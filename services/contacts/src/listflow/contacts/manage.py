"""Use cases of the HTTP API: contacts by hand, edits, merges, deletions, groups, tags, export."""

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from listflow.contacts.domain import confirmation
from listflow.contacts.domain.errors import Conflict, Invalid, NotFound
from listflow.contacts.domain.input import FieldNormalizer
from listflow.contacts.domain.model import Contact, Origin
from listflow.contacts.domain.tags import MAX_TAG_LENGTH, check_tags, tag_id, tag_key
from listflow.contacts.handlers import MergeRequest, merge_with_retries
from listflow.contacts.ports import (
    ConcurrentUpdate,
    ContactFilter,
    ContactRepository,
    EventSink,
    Label,
    Page,
    Term,
)
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.schemas.events import ContactDeleted, ContactMerged, ContactUpdated
from listflow.schemas.matching import default_match_key_of, match_value
from listflow.schemas.normalize import PhoneNormalizer, normalize_email
from listflow.schemas.values import (
    ConsentSource,
    ContactData,
    MatchKey,
    MatchPolicy,
    MergeMode,
    RowStatus,
    TargetKind,
    deterministic_id,
    list_id_for,
)

_log = get_logger(__name__)
MAX_ATTEMPTS = 5
LABEL_KINDS = ("group", "tag")


@dataclass(frozen=True, slots=True)
class Tools:
    """What the API use cases work with."""

    repository: ContactRepository
    events: EventSink
    clock: Clock
    normalizer: FieldNormalizer
    confirmation_key: bytes


# --- contacts ------------------------------------------------------------------------------


async def _defined_tags(tools: Tools, tenant_id: str, names: Sequence[str]) -> tuple[str, ...]:
    defined = await tools.repository.defined_tags(tenant_id, {tag_key(n) for n in names})
    check = check_tags(names, defined)
    if check.missing:
        raise Invalid(check.reason, [{"field": "tags", "message": check.reason}])
    return check.tags


async def _existing_groups(tools: Tools, tenant_id: str, groups: Sequence[str]) -> tuple[str, ...]:
    """Group ids for names or ids; every one must exist."""
    ids: list[str] = []
    for ref in groups:
        gid = await tools.repository.group_id_by_name(tenant_id, ref)
        if gid is None and await tools.repository.get_label("group", tenant_id, ref) is not None:
            gid = ref
        if gid is None:
            raise Invalid(
                f"group {ref!r} does not exist",
                [{"field": "groups", "message": f"group {ref!r} does not exist"}],
            )
        ids.append(gid)
    return tuple(dict.fromkeys(ids))


async def create_contact(
    tools: Tools,
    tenant_id: str,
    fields: Mapping[str, Any],
    *,
    groups: Sequence[str],
    match: MatchPolicy,
    idempotency_key: str | None,
) -> tuple[RowStatus, Contact]:
    """A contact typed by hand, matched and merged exactly as an upload's row would be."""
    values = tools.normalizer.normalize(fields)
    if values.get("tags"):
        values["tags"] = await _defined_tags(tools, tenant_id, values["tags"])
    data = ContactData.model_validate(values)
    if data.time_zone is None and data.phones and data.phones[0].time_zone:
        data = data.model_copy(update={"time_zone": data.phones[0].time_zone})
    group_ids = await _existing_groups(tools, tenant_id, groups)
    key = match.key or default_match_key_of(data)
    if match.key is not None and match_value(data, match.key) is None:
        raise Invalid(
            f"the contact has no {match.key.value} to match by",
            [{"field": "match.key", "message": f"no {match.key.value} given"}],
        )
    request_id = idempotency_key or uuid.uuid4().hex
    request = MergeRequest(
        tenant_id=tenant_id,
        origin=Origin(ConsentSource.API, request_id=request_id),
        # With an Idempotency-Key, a retried request finds the contact the first one made.
        new_id=deterministic_id("contact", tenant_id, "api", request_id),
        match=match.model_copy(update={"key": key}),
        match_key=key,
        match_value=match_value(data, key) if key else None,
        data=data,
        group_ids=group_ids,
    )
    results, changes = await merge_with_retries(tenant_id, [request], tools.repository, tools.clock)
    result = results[0]
    if result.status is RowStatus.SKIPPED:
        raise Conflict(result.reason or "skipped by the match policy", contact_id=result.record_id)
    if changes:
        await tools.events.contacts_changed(changes)
    assert result.record_id is not None
    contact = await tools.repository.get(tenant_id, result.record_id)
    if contact is None:
        raise NotFound(f"No contact {result.record_id} in this tenant.")
    return result.status, contact


async def update_contact(
    tools: Tools,
    tenant_id: str,
    contact_id: str,
    version: int,
    fields: Mapping[str, Any],
    groups: Sequence[str] | None,
) -> Contact:
    """Set fields of one contact (what is given replaces what was), if still at `version`."""
    contact = await tools.repository.get(tenant_id, contact_id)
    if contact is None:
        raise NotFound(f"No contact {contact_id} in this tenant.")
    if contact.version != version:
        raise Conflict(
            f"the contact is at version {contact.version}, not {version}; read it again",
            current_version=contact.version,
        )
    values = tools.normalizer.normalize(fields)
    if values.get("tags"):
        values["tags"] = await _defined_tags(tools, tenant_id, values["tags"])
    data = ContactData.model_validate({**dict(contact.data), **values})
    group_ids = (
        await _existing_groups(tools, tenant_id, groups)
        if groups is not None
        else contact.group_ids
    )
    edited = contact.edited(
        data,
        group_ids,
        now=tools.clock(),
        origin=Origin(ConsentSource.API, request_id=uuid.uuid4().hex),
    )
    if edited is contact:
        return contact
    try:
        await tools.repository.save([], [(edited, version)])
    except ConcurrentUpdate:
        raise Conflict("the contact changed meanwhile; read it again") from None
    await tools.events.contacts_changed(
        [ContactUpdated(tenant_id=tenant_id, contact=edited.snapshot())]
    )
    return edited


def contact_filter(
    tenant_id: str,
    *,
    tag: str | None,
    phone: str | None,
    email: str | None,
    name: str | None,
    updated_since: datetime | None,
    region: str,
) -> ContactFilter:
    """The list filters as lookup terms, normalized as stored (E.164, lower-cased email)."""
    terms: list[Term] = []
    errors: list[dict[str, str]] = []
    if phone:
        try:
            terms.append((MatchKey.PHONE.value, PhoneNormalizer(region).normalize(phone).e164))
        except ValueError as error:
            errors.append({"field": "phone", "message": str(error)})
    if email:
        try:
            terms.append((MatchKey.EMAIL.value, normalize_email(email).lower()))
        except ValueError as error:
            errors.append({"field": "email", "message": str(error)})
    if tag:
        terms.append(("tag", tag_key(tag)))
    if name is not None:
        from listflow.contacts.domain.model import name_words

        words = name_words(ContactData(first_name=name))
        if not words:
            errors.append({"field": "name", "message": "give at least one word"})
        terms.extend(("name", w) for w in words)
    if errors:
        raise Invalid("Some filters are not valid.", errors)
    return ContactFilter(terms=tuple(terms), updated_since=updated_since)


async def resolve_group(tools: Tools, tenant_id: str, group: str) -> str:
    """A group id for a group name or id (an unknown one simply finds nothing)."""
    return await tools.repository.group_id_by_name(tenant_id, group) or group


# --- deletion with confirmation --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeletionPreview:
    contacts: list[Contact]
    not_found: list[str]
    token: str


async def _load(
    tools: Tools, tenant_id: str, ids: Sequence[str]
) -> tuple[list[Contact], list[str]]:
    found: list[Contact] = []
    missing: list[str] = []
    for cid in dict.fromkeys(ids):
        contact = await tools.repository.get(tenant_id, cid)
        if contact is None:
            missing.append(cid)
        else:
            found.append(contact)
    return found, missing


async def preview_deletion(tools: Tools, tenant_id: str, ids: Sequence[str]) -> DeletionPreview:
    """What a deletion would remove, and the token that confirms exactly that."""
    found, missing = await _load(tools, tenant_id, ids)
    token = confirmation.issue(
        tools.confirmation_key, tenant_id, [(c.id, c.version) for c in found], tools.clock()
    )
    return DeletionPreview(found, missing, token)


async def delete_contacts(
    tools: Tools, tenant_id: str, ids: Sequence[str], token: str
) -> tuple[list[str], list[str]]:
    """Delete the contacts a preview showed, if the token confirms them unchanged.

    Returns (deleted, changed meanwhile and therefore kept)."""
    found, _ = await _load(tools, tenant_id, ids)
    now = tools.clock()
    if not found:
        raise NotFound("none of these contacts exist")
    if not confirmation.verify(
        tools.confirmation_key, token, tenant_id, [(c.id, c.version) for c in found], now
    ):
        raise Conflict(
            "the confirmation token does not match these contacts as they are now (expired, "
            "or they changed since the preview); ask for a new preview"
        )
    deleted: list[Contact] = []
    kept: list[str] = []
    for contact in found:
        if await tools.repository.delete(contact):
            deleted.append(contact)
        else:
            kept.append(contact.id)
    if deleted:
        await tools.events.contacts_changed(
            [
                ContactDeleted(
                    tenant_id=tenant_id, contact=c.deletion_snapshot(now), deleted_at=now
                )
                for c in deleted
            ]
        )
    _log.info("contacts deleted", tenant_id=tenant_id, deleted=len(deleted), kept=len(kept))
    return [c.id for c in deleted], kept


# --- explicit merge of duplicates ------------------------------------------------------------


async def merge_contacts(
    tools: Tools,
    tenant_id: str,
    survivor_id: str,
    duplicate_ids: Sequence[str],
    mode: MergeMode,
) -> Contact:
    """Fold duplicates into one contact (the survivor), then delete them."""
    dup_ids = list(dict.fromkeys(d for d in duplicate_ids))
    if survivor_id in dup_ids:
        raise Invalid(
            "a contact cannot be merged into itself",
            [{"field": "duplicate_ids", "message": "contains the survivor's own id"}],
        )
    request_id = uuid.uuid4().hex
    for attempt in range(1, MAX_ATTEMPTS + 1):
        survivor = await tools.repository.get(tenant_id, survivor_id)
        if survivor is None:
            raise NotFound(f"No contact {survivor_id} in this tenant.")
        duplicates, missing = await _load(tools, tenant_id, dup_ids)
        if missing:
            raise NotFound(f"no contact {missing[0]} in this tenant")
        now = tools.clock()
        merged = survivor.absorbed(duplicates, mode, now=now, request_id=request_id)
        try:
            await tools.repository.save([], [(merged, survivor.version)])
        except ConcurrentUpdate:
            continue
        # The survivor holds everything now; a duplicate that changed since we read it is
        # kept and merged again on the next attempt.
        gone = [d for d in duplicates if await tools.repository.delete(d)]
        await tools.events.contacts_changed(
            [
                ContactMerged(
                    tenant_id=tenant_id, contact=merged.snapshot(), merged_ids=tuple(dup_ids)
                ),
                *(
                    ContactDeleted(
                        tenant_id=tenant_id,
                        contact=d.deletion_snapshot(now),
                        deleted_at=now,
                        merged_into=survivor_id,
                    )
                    for d in gone
                ),
            ]
        )
        if len(gone) == len(duplicates):
            _log.info("contacts merged", tenant_id=tenant_id, merged=len(gone), attempt=attempt)
            return merged
        dup_ids = [d.id for d in duplicates if d not in gone]
    raise Conflict("the contacts kept changing while being merged; try again")


# --- groups and tags -------------------------------------------------------------------------


def label_id(kind: str, tenant_id: str, name: str) -> str:
    if kind == "group":
        return list_id_for(tenant_id, TargetKind.GROUP, name)
    return tag_id(tenant_id, name)


async def create_label(
    tools: Tools, kind: str, tenant_id: str, name: str, description: str | None
) -> Label:
    name = name.strip()
    if kind == "tag" and (len(name) > MAX_TAG_LENGTH or any(c in name for c in ",;|")):
        # A file lists tags in one cell separated by commas (or ; and |).
        raise Invalid(
            "a tag name has at most 64 characters and no , ; or |",
            [{"field": "name", "message": "at most 64 characters, no , ; or |"}],
        )
    label = Label(
        id=label_id(kind, tenant_id, name),
        tenant_id=tenant_id,
        name=name,
        description=description,
        created_at=tools.clock(),
    )
    if not await tools.repository.create_label(kind, label):
        raise Conflict(f"a {kind} named {name!r} exists", id=label.id)
    return label


async def find_label(tools: Tools, kind: str, tenant_id: str, ref: str) -> Label:
    """A group or tag by id, or by name."""
    label = await tools.repository.get_label(kind, tenant_id, ref)
    if label is None:
        label = await tools.repository.get_label(kind, tenant_id, label_id(kind, tenant_id, ref))
    if label is None:
        raise NotFound(f"no {kind} {ref} in this tenant")
    return label


async def delete_label(tools: Tools, kind: str, tenant_id: str, ref: str) -> int:
    """Delete a group or tag; its contacts stay, taken out of the group or stripped of the
    tag (each announced as ContactUpdated). Returns how many contacts changed."""
    label = await find_label(tools, kind, tenant_id, ref)
    await tools.repository.delete_label(kind, tenant_id, label.id)
    term: Term = ("group", label.id) if kind == "group" else ("tag", tag_key(label.name))
    changed = 0
    cursor: str | None = None
    while True:
        page = await tools.repository.page(
            tenant_id, group_id=None, limit=200, cursor=cursor, filters=ContactFilter((term,))
        )
        updates: list[ContactUpdated] = []
        for contact in page.items:
            stripped = await _strip(tools, contact, kind, label)
            if stripped is not None:
                updates.append(ContactUpdated(tenant_id=tenant_id, contact=stripped.snapshot()))
        if updates:
            await tools.events.contacts_changed(updates)
            changed += len(updates)
        if page.next_cursor is None:
            return changed
        cursor = page.next_cursor


async def _strip(tools: Tools, contact: Contact, kind: str, label: Label) -> Contact | None:
    for _ in range(MAX_ATTEMPTS):
        now = tools.clock()
        stripped = (
            contact.without(group_id=label.id, now=now)
            if kind == "group"
            else contact.without(tag=label.name, now=now)
        )
        if stripped is contact:
            return None
        try:
            await tools.repository.save([], [(stripped, contact.version)])
            return stripped
        except ConcurrentUpdate:
            fresh = await tools.repository.get(contact.tenant_id, contact.id)
            if fresh is None:
                return None
            contact = fresh
    raise Conflict("a contact kept changing; delete again to finish")


async def group_contacts(tools: Tools, tenant_id: str, group_id: str) -> AsyncIterator[Contact]:
    """Every contact of a group, page by page (for the export)."""
    cursor: str | None = None
    while True:
        page: Page = await tools.repository.page(
            tenant_id, group_id=group_id, limit=500, cursor=cursor
        )
        for contact in page.items:
            yield contact
        if page.next_cursor is None:
            return
        cursor = page.next_cursor

"""In-memory contacts repository: the fake that unit tests wire instead of MongoDB."""

from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from listflow.contacts.domain.model import Contact
from listflow.contacts.domain.tags import tag_id, tag_key
from listflow.contacts.ports import (
    Claim,
    ConcurrentUpdate,
    ContactFilter,
    KeyRef,
    Label,
    LabelPage,
    Page,
    Term,
)
from listflow.schemas.matching import all_match_keys
from listflow.schemas.values import MatchKey, TargetRef


def _terms(contact: Contact) -> set[Term]:
    return {(str(k), v) for k, v in all_match_keys(contact.data)} | set(contact.search_terms())


class InMemoryContactRepository:
    def __init__(self) -> None:
        self.contacts: dict[str, Contact] = {}
        self.keys: dict[tuple[str, KeyRef], list[str]] = {}
        self.groups: dict[str, tuple[str, str]] = {}
        self.claims: dict[tuple[str, KeyRef], Claim] = {}
        self.labels: dict[str, dict[str, Label]] = {"group": {}, "tag": {}}

    async def find_by_keys(
        self, tenant_id: str, keys: Collection[KeyRef]
    ) -> tuple[dict[KeyRef, list[str]], dict[str, Contact]]:
        ids = {
            k: [cid for cid in self.keys[(tenant_id, k)] if cid in self.contacts]
            for k in keys
            if (tenant_id, k) in self.keys
        }
        ids = {k: v for k, v in ids.items() if v}
        found = {cid for found_ids in ids.values() for cid in found_ids}
        contacts = {
            cid: self.contacts[cid]
            for cid in found
            if cid in self.contacts and self.contacts[cid].tenant_id == tenant_id
        }
        return ids, contacts

    async def count_matches(
        self, tenant_id: str, key: MatchKey, values: Collection[str], *, cap: int = 2
    ) -> dict[str, int]:
        return {v: min(len(self.keys.get((tenant_id, (key, v)), [])), cap) for v in values}

    async def claim_keys(
        self, tenant_id: str, claims: Sequence[Claim], ours: Collection[str] = ()
    ) -> list[tuple[Claim, Claim]]:
        held_by_others: list[tuple[Claim, Claim]] = []
        for claim in claims:
            held = self.claims.setdefault((tenant_id, claim.key), claim)
            if held is not claim and held.contact_id not in ours:
                held_by_others.append((claim, held))
        return held_by_others

    async def take_over_claim(self, tenant_id: str, stale: Claim, ours: Claim) -> bool:
        held = self.claims.get((tenant_id, stale.key))
        if held is None or held.contact_id != stale.contact_id:
            return False
        self.claims[(tenant_id, stale.key)] = ours
        return True

    async def release_claims(self, tenant_id: str, claims: Sequence[Claim]) -> None:
        for claim in claims:
            held = self.claims.get((tenant_id, claim.key))
            if held is not None and held.contact_id == claim.contact_id:
                del self.claims[(tenant_id, claim.key)]

    async def save(
        self, created: Sequence[Contact], updated: Sequence[tuple[Contact, int]]
    ) -> None:
        for contact in created:
            if contact.id in self.contacts:
                continue
            self.contacts[contact.id] = replace(contact, changed=False)
            self._index(contact)
        stale = [
            c for c, v in updated if c.id not in self.contacts or self.contacts[c.id].version != v
        ]
        for contact, version in updated:
            current = self.contacts.get(contact.id)
            if current is not None and current.version == version:
                self.contacts[contact.id] = replace(contact, changed=False)
                self._index(contact, previous=current)
        if stale:
            raise ConcurrentUpdate(f"{len(stale)} contacts changed meanwhile")

    async def delete(self, contact: Contact) -> bool:
        current = self.contacts.get(contact.id)
        if current is None or current.version != contact.version:
            return False
        del self.contacts[contact.id]
        for key in all_match_keys(contact.data):
            held = self.claims.get((contact.tenant_id, key))
            if held is not None and held.contact_id == contact.id:
                del self.claims[(contact.tenant_id, key)]
        return True

    def _index(self, contact: Contact, previous: Contact | None = None) -> None:
        # As the store's `match_keys`: a key edited off the contact no longer finds it.
        keys = all_match_keys(contact.data)
        if previous is not None:
            for key in set(all_match_keys(previous.data)).difference(keys):
                ids = self.keys.get((contact.tenant_id, key), [])
                if contact.id in ids:
                    ids.remove(contact.id)
        for key in keys:
            ids = self.keys.setdefault((contact.tenant_id, key), [])
            if contact.id not in ids:
                ids.append(contact.id)

    async def ensure_groups(self, tenant_id: str, groups: Collection[TargetRef]) -> None:
        for group in groups:
            self.groups.setdefault(group.id, (tenant_id, group.name))
            self.labels["group"].setdefault(
                group.id,
                Label(group.id, tenant_id, group.name, None, datetime.now().astimezone()),
            )

    async def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        contact = self.contacts.get(contact_id)
        return contact if contact and contact.tenant_id == tenant_id else None

    async def page(
        self,
        tenant_id: str,
        *,
        group_id: str | None,
        limit: int,
        cursor: str | None,
        filters: ContactFilter | None = None,
    ) -> Page:
        matching = sorted(
            (
                c
                for c in self._search(tenant_id, group_id, filters)
                if cursor is None or c.id > cursor
            ),
            key=lambda c: c.id,
        )
        items = matching[:limit]
        return Page(items, items[-1].id if len(matching) > limit else None)

    async def count(
        self, tenant_id: str, *, group_id: str | None, filters: ContactFilter | None = None
    ) -> int:
        return sum(1 for _ in self._search(tenant_id, group_id, filters))

    def _search(
        self, tenant_id: str, group_id: str | None, filters: ContactFilter | None
    ) -> Iterator[Contact]:
        filters = filters or ContactFilter()
        return (
            c
            for c in self.contacts.values()
            if c.tenant_id == tenant_id
            and (group_id is None or group_id in c.group_ids)
            and set(filters.terms) <= _terms(c)
            and (filters.updated_since is None or c.updated_at >= filters.updated_since)
        )

    async def group_id_by_name(self, tenant_id: str, name: str) -> str | None:
        for label in self.labels["group"].values():
            if label.tenant_id == tenant_id and tag_key(label.name) == tag_key(name):
                return label.id
        return None

    async def create_label(self, kind: str, label: Label) -> bool:
        if label.id in self.labels[kind]:
            return False
        self.labels[kind][label.id] = label
        if kind == "group":
            self.groups[label.id] = (label.tenant_id, label.name)
        return True

    async def get_label(self, kind: str, tenant_id: str, label_id: str) -> Label | None:
        label = self.labels[kind].get(label_id)
        return label if label and label.tenant_id == tenant_id else None

    async def labels_page(
        self, kind: str, tenant_id: str, *, limit: int, cursor: str | None
    ) -> LabelPage:
        matching = sorted(
            (
                lb
                for lb in self.labels[kind].values()
                if lb.tenant_id == tenant_id and (cursor is None or lb.id > cursor)
            ),
            key=lambda lb: lb.id,
        )
        items = matching[:limit]
        return LabelPage(items, items[-1].id if len(matching) > limit else None)

    async def describe_label(
        self, kind: str, tenant_id: str, label_id: str, description: str | None
    ) -> Label | None:
        label = await self.get_label(kind, tenant_id, label_id)
        if label is None:
            return None
        self.labels[kind][label_id] = replace(label, description=description)
        return self.labels[kind][label_id]

    async def delete_label(self, kind: str, tenant_id: str, label_id: str) -> bool:
        if await self.get_label(kind, tenant_id, label_id) is None:
            return False
        del self.labels[kind][label_id]
        self.groups.pop(label_id, None)
        return True

    async def defined_tags(self, tenant_id: str, keys: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for key in keys:
            label = await self.get_label("tag", tenant_id, tag_id(tenant_id, key))
            if label is not None:
                found[key] = label.name
        return found

    async def ensure_tags(self, tenant_id: str, names: Collection[str]) -> None:
        for name in names:
            tid = tag_id(tenant_id, name)
            self.labels["tag"].setdefault(
                tid, Label(tid, tenant_id, name.strip(), None, datetime.now().astimezone())
            )

"""In-memory contacts repository: the fake that unit tests wire instead of MongoDB."""

from collections.abc import Collection, Sequence
from dataclasses import replace

from listflow.contacts.domain.model import Contact
from listflow.contacts.ports import ConcurrentUpdate, KeyRef, Page
from listflow.schemas.matching import all_match_keys
from listflow.schemas.values import MatchKey, TargetRef


class InMemoryContactRepository:
    def __init__(self) -> None:
        self.contacts: dict[str, Contact] = {}
        self.keys: dict[tuple[str, KeyRef], list[str]] = {}
        self.groups: dict[str, tuple[str, str]] = {}
        self.claims: dict[tuple[str, KeyRef], str] = {}

    async def find_by_keys(
        self, tenant_id: str, keys: Collection[KeyRef]
    ) -> tuple[dict[KeyRef, list[str]], dict[str, Contact]]:
        ids = {k: list(self.keys[(tenant_id, k)]) for k in keys if (tenant_id, k) in self.keys}
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

    async def claim_keys(self, tenant_id: str, claims: dict[KeyRef, str]) -> dict[KeyRef, str]:
        return {key: self.claims.setdefault((tenant_id, key), cid) for key, cid in claims.items()}

    async def save(
        self, created: Sequence[Contact], updated: Sequence[tuple[Contact, int]]
    ) -> None:
        for contact in created:
            self.contacts[contact.id] = replace(contact, changed=False)
            self._index(contact)
        stale = [
            c for c, v in updated if c.id not in self.contacts or self.contacts[c.id].version != v
        ]
        for contact, version in updated:
            current = self.contacts.get(contact.id)
            if current is not None and current.version == version:
                self.contacts[contact.id] = replace(contact, changed=False)
                self._index(contact)
        if stale:
            raise ConcurrentUpdate(f"{len(stale)} contacts changed meanwhile")

    def _index(self, contact: Contact) -> None:
        for key in all_match_keys(contact.data):
            ids = self.keys.setdefault((contact.tenant_id, key), [])
            if contact.id not in ids:
                ids.append(contact.id)

    async def ensure_groups(self, tenant_id: str, groups: Collection[TargetRef]) -> None:
        for group in groups:
            self.groups.setdefault(group.id, (tenant_id, group.name))

    async def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        contact = self.contacts.get(contact_id)
        return contact if contact and contact.tenant_id == tenant_id else None

    async def page(
        self, tenant_id: str, *, group_id: str | None, limit: int, cursor: str | None
    ) -> Page:
        matching = sorted(
            (
                c
                for c in self.contacts.values()
                if c.tenant_id == tenant_id
                and (group_id is None or group_id in c.group_ids)
                and (cursor is None or c.id > cursor)
            ),
            key=lambda c: c.id,
        )
        items = matching[:limit]
        return Page(items, items[-1].id if len(matching) > limit else None)

    async def group_id_by_name(self, tenant_id: str, name: str) -> str | None:
        for group_id, (tenant, group_name) in self.groups.items():
            if tenant == tenant_id and group_name.strip().casefold() == name.strip().casefold():
                return group_id
        return None

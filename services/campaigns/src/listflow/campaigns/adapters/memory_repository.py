"""The in-memory repositories: the fakes of unit tests, held to the same contracts as
MongoDB (tests/integration/test_template_repository_contract.py and
test_campaign_repository_contract.py)."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from listflow.campaigns.domain.model import ContactView
from listflow.campaigns.domain.templates import MessageTemplate


class InMemoryTemplateRepository:
    def __init__(self) -> None:
        self._templates: dict[tuple[str, str], MessageTemplate] = {}
        self._lock = asyncio.Lock()

    async def insert_template(self, template: MessageTemplate) -> None:
        async with self._lock:
            self._templates[(template.tenant_id, template.id)] = template

    async def replace_template(self, template: MessageTemplate, *, expected_version: int) -> bool:
        async with self._lock:
            key = (template.tenant_id, template.id)
            current = self._templates.get(key)
            if current is None or current.version != expected_version:
                return False
            self._templates[key] = template
            return True

    async def get_template(self, tenant_id: str, template_id: str) -> MessageTemplate | None:
        return self._templates.get((tenant_id, template_id))

    async def list_templates(self, tenant_id: str) -> list[MessageTemplate]:
        mine = [t for (tenant, _), t in self._templates.items() if tenant == tenant_id]
        return sorted(mine, key=lambda t: (t.created_at, t.id))

    async def delete_template(self, tenant_id: str, template_id: str) -> bool:
        async with self._lock:
            return self._templates.pop((tenant_id, template_id), None) is not None


@dataclass(frozen=True, slots=True)
class _Link:
    link_id: str
    url: str | None
    at: datetime


class InMemoryCampaignRepository(InMemoryTemplateRepository):
    def __init__(self) -> None:
        super().__init__()
        self._contacts: dict[tuple[str, str], ContactView] = {}
        self._links: dict[tuple[str, str], _Link] = {}

    # --- read models ---------------------------------------------------------------------
    async def upsert_contacts(self, contacts: Sequence[ContactView]) -> None:
        for c in contacts:
            key = (c.tenant_id, c.id)
            stored = self._contacts.get(key)
            if stored is None:
                self._contacts[key] = c
                continue
            uploads = tuple(dict.fromkeys((*stored.upload_ids, *c.upload_ids)))
            newer = c if c.version > stored.version else stored
            self._contacts[key] = replace(newer, upload_ids=uploads)

    async def contacts_in(
        self, tenant_id: str, *, group_ids: Sequence[str], upload_id: str | None
    ) -> list[ContactView]:
        groups = set(group_ids)
        found = [
            c
            for (tenant, _), c in self._contacts.items()
            if tenant == tenant_id
            and not c.deleted
            and (groups.intersection(c.group_ids) or (upload_id and upload_id in c.upload_ids))
        ]
        return sorted(found, key=lambda c: c.id)

    async def get_contacts(self, tenant_id: str, ids: Sequence[str]) -> dict[str, ContactView]:
        return {i: c for i in ids if (c := self._contacts.get((tenant_id, i))) is not None}

    async def set_link(
        self, tenant_id: str, contact_id: str, link_id: str, url: str | None, at: datetime
    ) -> None:
        key = (tenant_id, contact_id)
        stored = self._links.get(key)
        if stored is not None:
            # A revocation ends its own link only, even one issued at the same instant.
            ends = url is None and stored.link_id == link_id and stored.at <= at
            if not (stored.at < at and url is not None) and not ends:
                return
        self._links[key] = _Link(link_id, url, at)

    async def links(self, tenant_id: str, contact_ids: Sequence[str]) -> dict[str, str]:
        return {
            i: link.url
            for i in contact_ids
            if (link := self._links.get((tenant_id, i))) is not None and link.url is not None
        }

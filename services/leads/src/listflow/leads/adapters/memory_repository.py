"""An in-memory `LeadRepository` for use-case tests: the same contract as the Mongo one
(tests/integration/test_lead_repository_contract.py runs against both)."""

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from listflow.leads.domain.errors import ConcurrentUpdate, NameTaken
from listflow.leads.domain.keys import (
    entry_keys,
    entry_state_key,
    hold_document,
    hold_key,
    phone_key,
)
from listflow.leads.domain.model import Campaign, Lead, LeadList
from listflow.leads.ports import Entry
from listflow.schemas.leads import CustomFieldDefinition, LeadStatus


def _name_key(name: str) -> str:
    return name.strip().casefold()


def _page(items: list[Any], key: Any, limit: int, cursor: str | None) -> tuple[list[Any], Any]:
    ordered = sorted((x for x in items if cursor is None or key(x) > cursor), key=key)
    page = ordered[:limit]
    return page, (key(page[-1]) if len(ordered) > limit else None)


def _lead_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: LeadStatus(v) if k == "status" else v for k, v in changes.items()}


class InMemoryLeadRepository:
    def __init__(self) -> None:
        self.lists: dict[str, LeadList] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.leads: dict[str, Lead] = {}
        self.queue: dict[str, Entry] = {}
        self.dnc: dict[str, Entry] = {}
        self.holds: dict[str, Entry] = {}
        self.unique: dict[str, str] = {}
        self.phone_claims: dict[str, Entry] = {}

    # --- lists ---------------------------------------------------------------------------

    def _name_taken(
        self, items: Collection[LeadList | Campaign], item_id: str, tenant: str, name: str
    ) -> bool:
        return any(
            x.tenant_id == tenant and x.id != item_id and _name_key(x.name) == _name_key(name)
            for x in items
        )

    async def insert_list(self, item: LeadList) -> bool:
        taken = self._name_taken(self.lists.values(), item.id, item.tenant_id, item.name)
        if item.id in self.lists or taken:
            return False
        self.lists[item.id] = item
        return True

    async def get_list(self, tenant_id: str, list_id: str) -> LeadList | None:
        item = self.lists.get(list_id)
        return item if item is not None and item.tenant_id == tenant_id else None

    async def list_by_name(self, tenant_id: str, name: str) -> LeadList | None:
        key = _name_key(name)
        return next(
            (
                x
                for x in self.lists.values()
                if x.tenant_id == tenant_id and _name_key(x.name) == key
            ),
            None,
        )

    async def page_lists(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LeadList], str | None]:
        mine = [x for x in self.lists.values() if x.tenant_id == tenant_id]
        return _page(mine, lambda x: x.id, limit, cursor)

    async def set_list(
        self, tenant_id: str, list_id: str, changes: dict[str, Any]
    ) -> LeadList | None:
        item = await self.get_list(tenant_id, list_id)
        if item is None:
            return None
        fields = dict(changes)
        if "name" in fields and self._name_taken(
            self.lists.values(), list_id, tenant_id, fields["name"]
        ):
            raise NameTaken("lead list", str(fields["name"]))
        if "fields" in fields:
            fields["fields"] = tuple(
                CustomFieldDefinition.model_validate(f) for f in fields["fields"]
            )
        if "campaign_ids" in fields:
            fields["campaign_ids"] = tuple(fields["campaign_ids"])
        self.lists[list_id] = replace(item, **fields)
        return self.lists[list_id]

    async def delete_list(self, tenant_id: str, list_id: str) -> None:
        if await self.get_list(tenant_id, list_id) is not None:
            del self.lists[list_id]

    async def lists_of_campaign(self, tenant_id: str, campaign_id: str) -> list[LeadList]:
        return [
            x
            for x in self.lists.values()
            if x.tenant_id == tenant_id and campaign_id in x.campaign_ids
        ]

    # --- campaigns -----------------------------------------------------------------------

    async def insert_campaign(self, item: Campaign) -> bool:
        taken = self._name_taken(self.campaigns.values(), item.id, item.tenant_id, item.name)
        if item.id in self.campaigns or taken:
            return False
        self.campaigns[item.id] = item
        return True

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign | None:
        item = self.campaigns.get(campaign_id)
        return item if item is not None and item.tenant_id == tenant_id else None

    async def replace_campaign(self, item: Campaign) -> None:
        if self._name_taken(self.campaigns.values(), item.id, item.tenant_id, item.name):
            raise NameTaken("campaign", item.name)
        if await self.get_campaign(item.tenant_id, item.id) is not None:
            self.campaigns[item.id] = item

    async def delete_campaign(self, tenant_id: str, campaign_id: str) -> None:
        if await self.get_campaign(tenant_id, campaign_id) is not None:
            del self.campaigns[campaign_id]

    async def page_campaigns(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Campaign], str | None]:
        mine = [x for x in self.campaigns.values() if x.tenant_id == tenant_id]
        return _page(mine, lambda x: x.id, limit, cursor)

    # --- leads ---------------------------------------------------------------------------

    async def find_by_phones(self, tenant_id: str, phones: Collection[str]) -> dict[str, Lead]:
        wanted = set(phones)
        return {
            i: x
            for i, x in self.leads.items()
            if x.tenant_id == tenant_id and wanted.intersection(x.phones)
        }

    async def get_leads(self, ids: Collection[str]) -> dict[str, Lead]:
        return {i: self.leads[i] for i in ids if i in self.leads}

    async def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        lead = self.leads.get(lead_id)
        return lead if lead is not None and lead.tenant_id == tenant_id else None

    async def save_leads(
        self, created: Sequence[Lead], updated: Sequence[tuple[Lead, int]]
    ) -> None:
        for lead in created:
            self.leads.setdefault(lead.id, lead)  # an existing id is the row's replay
        stale = 0
        for lead, version in updated:
            stored = self.leads.get(lead.id)
            if stored is None or stored.version != version:
                stale += 1
            else:
                self.leads[lead.id] = lead
        if stale:
            raise ConcurrentUpdate(f"{stale} leads changed meanwhile")

    async def set_lead(self, lead_id: str, changes: dict[str, Any]) -> None:
        lead = self.leads.get(lead_id)
        if lead is not None:
            self.leads[lead_id] = replace(lead, **_lead_changes(changes), version=lead.version + 1)

    async def set_lead_at(self, lead: Lead, changes: dict[str, Any]) -> bool:
        stored = self.leads.get(lead.id)
        if stored is None or (stored.attempts, stored.cycle) != (lead.attempts, lead.cycle):
            return False
        await self.set_lead(lead.id, changes)
        return True

    async def replace_lead(self, lead: Lead) -> None:
        if lead.id in self.leads:
            self.leads[lead.id] = lead

    async def leads_of_list(
        self, tenant_id: str, list_id: str, batch: int = 500
    ) -> AsyncIterator[list[Lead]]:
        mine = [x for x in self.leads.values() if x.tenant_id == tenant_id and x.list_id == list_id]
        for start in range(0, len(mine), batch):
            yield mine[start : start + batch]

    async def page_leads(
        self,
        tenant_id: str,
        list_id: str | None,
        limit: int,
        cursor: str | None,
        status: str | None = None,
    ) -> tuple[list[Lead], str | None]:
        mine = [
            x
            for x in self.leads.values()
            if x.tenant_id == tenant_id
            and (list_id is None or x.list_id == list_id)
            and (status is None or x.status.value == status)
        ]
        return _page(mine, lambda x: x.id, limit, cursor)

    async def delete_lead(self, lead_id: str) -> None:
        self.leads.pop(lead_id, None)

    async def count_list_leads_by(self, tenant_id: str, list_id: str, field: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for lead in self.leads.values():
            if lead.tenant_id == tenant_id and lead.list_id == list_id:
                value = getattr(lead, field)
                key = str(value.value if isinstance(value, LeadStatus) else value)
                counts[key] = counts.get(key, 0) + 1
        return counts

    # --- claims --------------------------------------------------------------------------

    async def claim_unique(self, claims: dict[str, str]) -> dict[str, str]:
        for key, lead_id in claims.items():
            self.unique.setdefault(key, lead_id)
        return {k: self.unique[k] for k in claims}

    async def claim_phones(self, claims: dict[str, str], at: datetime) -> dict[str, str]:
        for key, lead_id in claims.items():
            self.phone_claims.setdefault(key, {"_id": key, "lead_id": lead_id, "claimed_at": at})
        return {k: self.phone_claims[k]["lead_id"] for k in claims}

    async def phone_claim(self, key: str) -> Entry | None:
        claim = self.phone_claims.get(key)
        return dict(claim) if claim is not None else None

    async def move_unique(self, key: str, holder: str, lead_id: str) -> None:
        if self.unique.get(key) == holder:
            self.unique[key] = lead_id

    # --- queue entries -------------------------------------------------------------------

    async def insert_entries(self, docs: Sequence[Entry]) -> set[str]:
        existing = {d["_id"] for d in docs if d["_id"] in self.queue}
        for doc in docs:
            if doc["_id"] not in self.queue:
                self.queue[doc["_id"]] = {**doc, "match_keys": entry_keys(doc, doc["state"])}
        return existing

    async def get_entries(self, ids: Collection[str]) -> dict[str, Entry]:
        return {i: dict(self.queue[i]) for i in ids if i in self.queue}

    async def set_entry(
        self, entry: Entry, changes: dict[str, Any], expect: dict[str, Any] | None = None
    ) -> bool:
        stored = self.queue.get(entry["_id"])
        if stored is None or any(stored.get(k) != v for k, v in (expect or {}).items()):
            return False
        if "state" in changes:
            changes = {**changes, "match_keys": entry_keys(entry, changes["state"])}
        stored.update(changes)
        return True

    async def entries_by_key(self, key: str) -> list[Entry]:
        return [dict(e) for e in self.queue.values() if key in e["match_keys"]]

    async def due_entries(self, now: datetime, limit: int) -> list[Entry]:
        deferred = entry_state_key("deferred")
        due = [e for e in self.queue.values() if deferred in e["match_keys"] and e["due_at"] <= now]
        return [dict(e) for e in sorted(due, key=lambda e: e["due_at"])[:limit]]

    # --- do not call ---------------------------------------------------------------------

    async def add_dnc(
        self, tenant_id: str, phones: Collection[str], now: datetime, reason: str
    ) -> None:
        for phone in phones:
            self.dnc.setdefault(
                phone_key(tenant_id, phone),
                {
                    "_id": phone_key(tenant_id, phone),
                    "tenant_id": tenant_id,
                    "phone": phone,
                    "added_at": now,
                    "reason": reason,
                },
            )

    async def remove_dnc(self, tenant_id: str, phone: str) -> bool:
        return self.dnc.pop(phone_key(tenant_id, phone), None) is not None

    async def dnc_of(self, tenant_id: str, phones: Collection[str]) -> set[str]:
        return {p for p in phones if phone_key(tenant_id, p) in self.dnc}

    async def holds_of(self, tenant_id: str, contact_ids: Collection[str]) -> dict[str, Entry]:
        found = (self.holds.get(hold_key(tenant_id, c)) for c in contact_ids)
        return {d["contact_id"]: dict(d) for d in found if d is not None}

    async def put_hold(
        self,
        tenant_id: str,
        contact_id: str,
        phones: Collection[str],
        until: date | None,
        version: int,
    ) -> None:
        doc = hold_document(tenant_id, contact_id, phones, until, version)
        self.holds[doc["_id"]] = doc

    async def held_of(self, tenant_id: str, phones: Collection[str], today: date) -> set[str]:
        wanted = set(phones)
        return {
            p
            for d in self.holds.values()
            if d["tenant_id"] == tenant_id
            and d["until"] is not None
            and d["until"] >= today.isoformat()
            for p in d["phones"]
            if p in wanted
        }

    async def page_dnc(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Entry], str | None]:
        mine = [dict(d) for d in self.dnc.values() if d["tenant_id"] == tenant_id]
        return _page(mine, lambda d: d["_id"], limit, cursor)

"""Use cases of lead lists and dialer campaigns as operators edit them: finding (a 404 in the
domain's words), creating or resolving under a name race, renaming, and the cascades of
assignment and deletion. The queue side of each (assign, enable, withdraw) is `Leads`'."""

from dataclasses import dataclass
from typing import Any

from listflow.leads.domain.errors import CampaignNotFound, LeadNotFound, ListNotFound, NameTaken
from listflow.leads.domain.model import Campaign, Lead, LeadList
from listflow.leads.handlers import Leads
from listflow.leads.ports import LeadRepository
from listflow.schemas.values import TargetKind, list_id_for

Counts = tuple[dict[str, int], dict[str, int]]


@dataclass
class Lists:
    repository: LeadRepository
    leads: Leads

    async def get_list(self, tenant_id: str, list_id: str) -> LeadList:
        item = await self.repository.get_list(tenant_id, list_id)
        if item is None:
            raise ListNotFound(list_id)
        return item

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign:
        item = await self.repository.get_campaign(tenant_id, campaign_id)
        if item is None:
            raise CampaignNotFound(campaign_id)
        return item

    async def get_lead(self, tenant_id: str, lead_id: str) -> Lead:
        lead = await self.repository.get_lead(tenant_id, lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        return lead

    @staticmethod
    def new_list(tenant_id: str, name: str, **fields: Any) -> LeadList:
        """A list named `name`; its id follows from the name (what an upload target names)."""
        return LeadList(
            id=list_id_for(tenant_id, TargetKind.LEAD_LIST, name),
            tenant_id=tenant_id,
            name=name.strip(),
            **fields,
        )

    async def create_list(self, item: LeadList) -> LeadList:
        if not await self.repository.insert_list(item):
            raise NameTaken("lead list", item.name)
        return item

    async def resolve_list(self, tenant_id: str, name: str) -> LeadList:
        """The tenant's list of that name, created if missing; a concurrent creator's list is
        as good as ours."""
        found = await self.repository.list_by_name(tenant_id, name)
        if found is None:
            await self.repository.insert_list(self.new_list(tenant_id, name))
            found = await self.repository.list_by_name(tenant_id, name)
        if found is None:  # created and deleted meanwhile
            raise ListNotFound(name)
        return found

    async def update_list(
        self, item: LeadList, changes: dict[str, Any], enabled: bool | None
    ) -> LeadList:
        """Apply `changes` (a rename to another list's name is refused, also when a racing
        rename takes it first), then enable or disable."""
        name = changes.get("name")
        if name:
            other = await self.repository.list_by_name(item.tenant_id, name)
            if other is not None and other.id != item.id:
                raise NameTaken("lead list", name)
        if changes:
            updated = await self.repository.set_list(item.tenant_id, item.id, changes)
            if updated is None:  # deleted meanwhile
                raise ListNotFound(item.id)
            item = updated
        if enabled is not None:
            item = await self.leads.set_enabled(item, enabled)
        return item

    async def create_campaign(self, item: Campaign) -> Campaign:
        if not await self.repository.insert_campaign(item):
            raise NameTaken("campaign", item.name)
        return item

    async def delete_campaign(self, tenant_id: str, campaign_id: str) -> None:
        """Unassign the campaign from its lists (withdrawing their queued leads), then delete."""
        await self.get_campaign(tenant_id, campaign_id)
        for item in await self.repository.lists_of_campaign(tenant_id, campaign_id):
            await self.leads.unassign(item, campaign_id)
        await self.repository.delete_campaign(tenant_id, campaign_id)

    async def assign_lists(
        self, tenant_id: str, campaign_id: str, list_ids: list[str]
    ) -> list[LeadList]:
        """Assign every list (all found first: one unknown id assigns none)."""
        campaign = await self.get_campaign(tenant_id, campaign_id)
        lists = [await self.get_list(tenant_id, i) for i in dict.fromkeys(list_ids)]
        return [await self.leads.assign(x, campaign) for x in lists]

    async def list_counts(self, tenant_id: str, list_id: str) -> Counts:
        await self.get_list(tenant_id, list_id)
        return await self._counts(tenant_id, [list_id])

    async def campaign_counts(self, tenant_id: str, campaign_id: str) -> Counts:
        await self.get_campaign(tenant_id, campaign_id)
        lists = await self.repository.lists_of_campaign(tenant_id, campaign_id)
        return await self._counts(tenant_id, [x.id for x in lists])

    async def _counts(self, tenant_id: str, list_ids: list[str]) -> Counts:
        by_status: dict[str, int] = {}
        by_result: dict[str, int] = {}
        for list_id in list_ids:
            for into, field in ((by_status, "status"), (by_result, "last_result")):
                counts = await self.repository.count_list_leads_by(tenant_id, list_id, field)
                for k, v in counts.items():
                    into[k] = into.get(k, 0) + v
        return by_status, by_result

"""Use cases of lead lists, leads and dialer campaigns as operators edit them: finding (a 404
in the domain's words), paging, creating or resolving under a name race, renaming, and the
cascades of assignment, reset and deletion. The queue side of each (assign, enable, reset,
withdraw) is `handlers/queue.py`'s `Queue`."""

from dataclasses import dataclass
from typing import Any

from listflow.kit.errors import Conflict, Invalid
from listflow.leads.domain.errors import CampaignNotFound, LeadNotFound, ListNotFound, NameTaken
from listflow.leads.domain.keys import entry_lead_key, entry_list_key
from listflow.leads.domain.model import Campaign, Lead, LeadList
from listflow.leads.handlers.queue import Queue
from listflow.leads.ports import LeadEventPublisher, LeadRepository
from listflow.schemas.leads import LeadDeleted
from listflow.schemas.values import TargetKind, list_id_for

Counts = tuple[dict[str, int], dict[str, int]]


@dataclass
class Lists:
    repository: LeadRepository
    events: LeadEventPublisher
    queue: Queue

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

    async def resolve(self, tenant_id: str, list_id: str | None, name: str | None) -> LeadList:
        """What an upload target names: the list by id, else by name (created if missing)."""
        if list_id:
            return await self.get_list(tenant_id, list_id)
        if not name:
            raise Invalid("Invalid target", "Give the list's id or name.")
        return await self.resolve_list(tenant_id, name)

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
            item = await self.queue.set_enabled(item, enabled)
        return item

    async def page_lists(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LeadList], str | None]:
        return await self.repository.page_lists(tenant_id, limit, cursor)

    async def assign(self, tenant_id: str, list_id: str, campaign_id: str) -> LeadList:
        """Assign a list to a campaign; its leads are queued there if the list is dialable."""
        item = await self.get_list(tenant_id, list_id)
        campaign = await self.get_campaign(tenant_id, campaign_id)
        return await self.queue.assign(item, campaign)

    async def unassign(self, tenant_id: str, list_id: str, campaign_id: str) -> LeadList:
        item = await self.get_list(tenant_id, list_id)
        return await self.queue.unassign(item, campaign_id)

    async def reset_list(self, tenant_id: str, list_id: str) -> LeadList:
        """Every lead of the list is called again from its first attempt."""
        item = await self.get_list(tenant_id, list_id)
        await self.queue.reset(item)
        return item

    async def delete_list(self, tenant_id: str, list_id: str, *, confirmed: bool) -> int:
        """Withdraw the list's leads from every queue, then delete them and the list. Only
        when `confirmed`: it cannot be undone. Returns how many leads were deleted."""
        lst = await self.get_list(tenant_id, list_id)
        if not confirmed:
            raise Conflict(
                "Confirmation required",
                "Deleting a list deletes its leads and withdraws them from every queue; "
                "repeat the request with ?confirm=true.",
            )
        await self.repository.set_list(lst.tenant_id, lst.id, {"enabled": False})
        await self.queue.withdraw(entry_list_key(lst.id), "list deleted")
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

    async def page_leads(
        self,
        tenant_id: str,
        list_id: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Lead], str | None]:
        return await self.repository.page_leads(tenant_id, list_id, limit, cursor, status)

    async def delete_lead(self, tenant_id: str, lead_id: str) -> None:
        """Withdraw one lead from every queue, then delete it."""
        lead = await self.get_lead(tenant_id, lead_id)
        await self.queue.withdraw(entry_lead_key(lead.id), "lead deleted")
        await self.events.lead_changes(
            [LeadDeleted(tenant_id=lead.tenant_id, lead_id=lead.id, list_id=lead.list_id)]
        )
        await self.repository.delete_lead(lead.id)

    async def create_campaign(self, item: Campaign) -> Campaign:
        if not await self.repository.insert_campaign(item):
            raise NameTaken("campaign", item.name)
        return item

    async def update_campaign(self, item: Campaign) -> Campaign:
        """Store an edited campaign (a name another campaign took first is refused by the store)."""
        await self.repository.replace_campaign(item)
        return item

    async def page_campaigns(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Campaign], str | None]:
        return await self.repository.page_campaigns(tenant_id, limit, cursor)

    async def campaign_lists(self, tenant_id: str, campaign_id: str) -> list[LeadList]:
        """The lists assigned to a campaign."""
        await self.get_campaign(tenant_id, campaign_id)
        return await self.repository.lists_of_campaign(tenant_id, campaign_id)

    async def delete_campaign(self, tenant_id: str, campaign_id: str) -> None:
        """Unassign the campaign from its lists (withdrawing their queued leads), then delete."""
        await self.get_campaign(tenant_id, campaign_id)
        for item in await self.repository.lists_of_campaign(tenant_id, campaign_id):
            await self.queue.unassign(item, campaign_id)
        await self.repository.delete_campaign(tenant_id, campaign_id)

    async def assign_lists(
        self, tenant_id: str, campaign_id: str, list_ids: list[str]
    ) -> list[LeadList]:
        """Assign every list (all found first: one unknown id assigns none)."""
        campaign = await self.get_campaign(tenant_id, campaign_id)
        lists = [await self.get_list(tenant_id, i) for i in dict.fromkeys(list_ids)]
        return [await self.queue.assign(x, campaign) for x in lists]

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

"""In-memory portal repository: the fake that unit tests wire instead of MongoDB."""

from collections.abc import Sequence
from datetime import datetime

from listflow.portal.domain.model import AccessLink, Customer, PortalSettings
from listflow.portal.ports import LinkPage


class InMemoryPortalRepository:
    def __init__(self) -> None:
        self.settings: dict[str, PortalSettings] = {}
        self.customers: dict[tuple[str, str], Customer] = {}
        self.ready: dict[str, set[str]] = {}
        self.links: dict[tuple[str, str], AccessLink] = {}

    async def get_settings(self, tenant_id: str) -> PortalSettings | None:
        return self.settings.get(tenant_id)

    async def put_settings(self, tenant_id: str, settings: PortalSettings) -> None:
        self.settings[tenant_id] = settings

    async def upsert_customers(self, customers: Sequence[Customer]) -> list[Customer]:
        kept = []
        for customer in customers:
            key = (customer.tenant_id, customer.contact_id)
            stored = self.customers.get(key)
            if stored is None or stored.version < customer.version:
                self.customers[key] = customer
                kept.append(customer)
        return kept

    async def get_customer(self, tenant_id: str, contact_id: str) -> Customer | None:
        return self.customers.get((tenant_id, contact_id))

    async def customers_in_group(self, tenant_id: str, group_id: str) -> list[Customer]:
        return [
            c
            for (tenant, _), c in sorted(self.customers.items())
            if tenant == tenant_id and group_id in c.group_ids and not c.deleted
        ]

    async def mark_group_ready(self, tenant_id: str, group_id: str, at: datetime) -> None:
        self.ready.setdefault(tenant_id, set()).add(group_id)

    async def ready_groups(self, tenant_id: str) -> set[str]:
        return set(self.ready.get(tenant_id, ()))

    async def current_link(self, tenant_id: str, contact_id: str) -> AccessLink | None:
        return self.links.get((tenant_id, contact_id))

    async def insert_link(self, link: AccessLink) -> bool:
        key = (link.tenant_id, link.contact_id)
        if key in self.links:
            return False
        self.links[key] = link
        return True

    async def replace_link(self, old: AccessLink, new: AccessLink) -> bool:
        key = (old.tenant_id, old.contact_id)
        current = self.links.get(key)
        if current is None or current.id != old.id:
            return False
        self.links[key] = new
        return True

    async def save_link_state(self, link: AccessLink) -> bool:
        return await self.replace_link(link, link)

    async def link_by_token_hash(self, token_hash: str) -> AccessLink | None:
        return next((li for li in self.links.values() if li.token_hash == token_hash), None)

    async def links_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> LinkPage:
        links = sorted(
            (
                li
                for (tenant, contact), li in self.links.items()
                if tenant == tenant_id and (contact_id is None or contact == contact_id)
            ),
            key=lambda li: li.contact_id,
        )
        if cursor is not None:
            links = [li for li in links if li.contact_id > cursor]
        page = links[:limit]
        more = len(links) > limit
        return LinkPage(page, page[-1].contact_id if more and page else None)

"""What the portal's use cases need from the outside world; adapters implement these."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from listflow.portal.domain.model import AccessLink, Customer, PortalSettings
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked


@dataclass(frozen=True, slots=True)
class LinkPage:
    items: list[AccessLink]
    next_cursor: str | None


class PortalRepository(Protocol):
    # --- settings -----------------------------------------------------------------------
    async def get_settings(self, tenant_id: str) -> PortalSettings | None: ...

    async def put_settings(self, tenant_id: str, settings: PortalSettings) -> None: ...

    # --- the read model of customers ------------------------------------------------------
    async def upsert_customers(self, customers: Sequence[Customer]) -> list[Customer]:
        """Keep each snapshot newer than the stored one; returns those kept (a replayed or
        older snapshot changes nothing)."""
        ...

    async def get_customer(self, tenant_id: str, contact_id: str) -> Customer | None: ...

    async def customers_in_group(self, tenant_id: str, group_id: str) -> list[Customer]:
        """The customers (not deleted) the read model places in the group."""
        ...

    async def mark_group_ready(self, tenant_id: str, group_id: str, at: datetime) -> None: ...

    async def ready_groups(self, tenant_id: str) -> set[str]: ...

    # --- access links ---------------------------------------------------------------------
    async def current_link(self, tenant_id: str, contact_id: str) -> AccessLink | None: ...

    async def insert_link(self, link: AccessLink) -> bool:
        """Store the contact's first link; False if it has one already (another writer won)."""
        ...

    async def replace_link(self, old: AccessLink, new: AccessLink) -> bool:
        """Replace the contact's link if it is still `old`; False if it changed meanwhile."""
        ...

    async def save_link_state(self, link: AccessLink) -> bool:
        """Write `published`/`revoked_at` of the link if it is still the contact's current."""
        ...

    async def link_by_token_hash(self, token_hash: str) -> AccessLink | None: ...

    async def links_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> LinkPage: ...


class LinkEvents(Protocol):
    async def links_issued(self, events: Sequence[AccessLinkIssued]) -> None: ...

    async def links_revoked(self, events: Sequence[AccessLinkRevoked]) -> None: ...

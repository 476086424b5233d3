"""Use cases of the portal: (event or command, repository, publisher) -> outcome."""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from listflow.kit.clock import Clock
from listflow.kit.errors import NotFound
from listflow.kit.logging import get_logger
from listflow.portal.domain.model import AccessLink, Customer, LinkReason, PortalSettings
from listflow.portal.ports import LinkEvents, LinkPage, PortalRepository
from listflow.schemas.events import ContactChange, ContactDeleted, ListReady
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked
from listflow.schemas.values import TargetKind

_log = get_logger(__name__)
# Customers whose links are looked up, written and announced together.
LINK_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Issued:
    """A link just issued, with the URL (the only moment the token is known)."""

    link: AccessLink
    url: str


@dataclass
class Portal:
    repository: PortalRepository
    events: LinkEvents
    clock: Clock
    public_url: str
    # Keyed fingerprint of a national id's last four (the read model keeps no digits).
    fingerprint: Callable[[str], str]
    unpublished_grace: timedelta = timedelta(seconds=30)

    def url_for(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/p/{token}"

    async def settings(self, tenant_id: str) -> PortalSettings:
        return await self.repository.get_settings(tenant_id) or PortalSettings()

    async def put_settings(self, tenant_id: str, settings: PortalSettings) -> PortalSettings:
        await self.repository.put_settings(tenant_id, settings)
        return settings

    # --- links from events ------------------------------------------------------------------

    async def on_list_ready(self, event: ListReady) -> list[Issued]:
        """A group finished an import: every customer of it gets a link (once). The group is
        remembered as ready, so a customer whose snapshot reaches the portal after ListReady
        (the two topics are read apart) gets one when it arrives.

        A ListReady answered in full before (a redelivery, or one older than the last
        answered) is not answered again: reading every link of a large group again found
        nothing to do. A group with a link left unannounced within the grace (another writer
        may be announcing it) is not answered in full, so its redelivery looks again."""
        if event.list_kind is not TargetKind.GROUP:
            return []
        tenant_id, group_id = event.tenant_id, event.list_id
        if await self.repository.mark_group_ready(tenant_id, group_id, event.ready_at):
            _log.info("list ready already answered", group_id=group_id)
            return []
        contact_ids = await self.repository.contact_ids_in_group(tenant_id, group_id)
        issued, unannounced = await self._ensure_links(tenant_id, contact_ids, "list_ready")
        if not unannounced:
            await self.repository.mark_group_answered(tenant_id, group_id, event.ready_at)
        return issued

    async def on_contact_changes(self, changes: Sequence[ContactChange]) -> list[Issued]:
        """Keep the read model; a deleted contact's link is revoked, and a new customer of a
        ready group gets a link."""
        kept = await self.repository.upsert_customers(
            [
                Customer.from_snapshot(
                    c.tenant_id,
                    c.contact,
                    fingerprint=self.fingerprint,
                    deleted=isinstance(c, ContactDeleted),
                )
                for c in changes
            ]
        )
        issued: list[Issued] = []
        by_tenant: dict[str, list[Customer]] = {}
        for customer in kept:
            if customer.deleted:
                await self.revoke(customer.tenant_id, customer.contact_id, missing_ok=True)
            else:
                by_tenant.setdefault(customer.tenant_id, []).append(customer)
        for tenant_id, customers in by_tenant.items():
            ready = await self.repository.ready_groups(tenant_id)
            joined = [c for c in customers if ready.intersection(c.group_ids)]
            if joined:
                issued += await self.ensure_links(
                    tenant_id, [c.contact_id for c in joined], "contact_added"
                )
        return issued

    async def ensure_links(
        self, tenant_id: str, contact_ids: Sequence[str], reason: LinkReason
    ) -> list[Issued]:
        """Give each customer a usable, announced link unless it has one. A revoked link stays
        revoked (the operator's choice, undone by a reissue); an expired one is replaced.
        A thousand customers at a time: one read of their links, one write of the new ones,
        then their announcement, so a large ready list reaches campaigns as it goes."""
        issued, _ = await self._ensure_links(tenant_id, contact_ids, reason)
        return issued

    async def _ensure_links(
        self, tenant_id: str, contact_ids: Sequence[str], reason: LinkReason
    ) -> tuple[list[Issued], int]:
        """ensure_links, and how many links it left unannounced (within the grace)."""
        settings = await self.settings(tenant_id)
        issued: list[Issued] = []
        unannounced = 0
        for start in range(0, len(contact_ids), LINK_BATCH):
            batch = contact_ids[start : start + LINK_BATCH]
            # The batch's links are announced together, and recorded announced together.
            written = secrets.token_hex(8)
            now = self.clock()
            current = await self.repository.current_links(tenant_id, batch)
            fresh: list[tuple[AccessLink, str]] = []
            stale: list[tuple[AccessLink, AccessLink, str]] = []
            for contact_id in batch:
                held = current.get(contact_id)
                if held is not None and not self._replaceable(held, now):
                    unannounced += not held.published and held.revoked_at is None
                    continue
                link, token = AccessLink.new(
                    tenant_id,
                    contact_id,
                    now=now,
                    expiry_days=settings.link_expiry_days,
                    reason=reason,
                    batch=written,
                )
                if held is None:
                    fresh.append((link, token))
                else:
                    stale.append((held, link, token))
            stored = await self.repository.insert_links([link for link, _ in fresh])
            done = [Issued(link, self.url_for(token)) for link, token in fresh if link.id in stored]
            for held, link, token in stale:
                if await self.repository.replace_link(held, link):
                    done.append(Issued(link, self.url_for(token)))
            await self._announce(done)
            issued += done
        return issued, unannounced

    def _replaceable(self, link: AccessLink, now: datetime) -> bool:
        if link.revoked_at is not None:
            return False
        if now >= link.expires_at:
            return True
        # Written but never announced (the writer died before Kafka acknowledged): nobody
        # can hold its token, so a fresh link replaces it. Within the grace another writer
        # may still be announcing it.
        return not link.published and now - link.issued_at >= self.unpublished_grace

    async def _announce(self, issued: Sequence[Issued]) -> None:
        if not issued:
            return
        await self.events.links_issued(
            [
                AccessLinkIssued(
                    tenant_id=i.link.tenant_id,
                    link_id=i.link.id,
                    contact_id=i.link.contact_id,
                    url=i.url,
                    issued_at=i.link.issued_at,
                    expires_at=i.link.expires_at,
                    reason=i.link.reason,
                )
                for i in issued
            ]
        )
        await self.repository.mark_links_published([i.link for i in issued])
        _log.info("access links issued", count=len(issued))

    # --- links by operators ----------------------------------------------------------------

    async def issue_on_demand(self, tenant_id: str, contact_id: str) -> Issued | None:
        """A link for one customer if it has no usable one; None if it has."""
        customer = await self._known(tenant_id, contact_id)
        issued = await self.ensure_links(tenant_id, [customer.contact_id], "on_demand")
        return issued[0] if issued else None

    async def reissue(self, tenant_id: str, contact_id: str) -> Issued:
        """Revoke the customer's link (if any) and issue a new one."""
        customer = await self._known(tenant_id, contact_id)
        settings = await self.settings(tenant_id)
        while True:
            now = self.clock()
            current = await self.repository.current_link(tenant_id, contact_id)
            link, token = AccessLink.new(
                tenant_id,
                customer.contact_id,
                now=now,
                expiry_days=settings.link_expiry_days,
                reason="reissue",
            )
            if current is None:
                if await self.repository.insert_link(link):
                    break
            elif await self.repository.replace_link(current, link):
                if current.revoked_at is None:
                    await self._announce_revoked([current.revoked(now)])
                break
        issued = Issued(link, self.url_for(token))
        await self._announce([issued])
        return issued

    async def revoke(
        self, tenant_id: str, contact_id: str, *, missing_ok: bool = False
    ) -> AccessLink | None:
        current = await self.repository.current_link(tenant_id, contact_id)
        if current is None:
            if missing_ok:
                return None
            raise NotFound("Link not found", f"Contact {contact_id} has no portal link.")
        if current.revoked_at is not None:
            return current
        revoked = current.revoked(self.clock())
        if await self.repository.save_link_state(revoked):
            await self._announce_revoked([revoked])
        return revoked

    async def _announce_revoked(self, links: Sequence[AccessLink]) -> None:
        await self.events.links_revoked(
            [
                AccessLinkRevoked(
                    tenant_id=link.tenant_id,
                    link_id=link.id,
                    contact_id=link.contact_id,
                    revoked_at=link.revoked_at or self.clock(),
                )
                for link in links
            ]
        )

    async def links(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> LinkPage:
        return await self.repository.links_page(
            tenant_id, contact_id=contact_id, limit=limit, cursor=cursor
        )

    async def _known(self, tenant_id: str, contact_id: str) -> Customer:
        customer = await self.repository.get_customer(tenant_id, contact_id)
        if customer is None or customer.deleted:
            raise NotFound(
                "Contact not found",
                f"The portal knows no contact {contact_id} (yet: it learns contacts from "
                "their change events).",
            )
        return customer

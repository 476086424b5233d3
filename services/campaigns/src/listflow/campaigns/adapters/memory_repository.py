"""The in-memory template repository: the fake of unit tests, held to the same contract as
MongoDB (tests/integration/test_template_repository_contract.py)."""

import asyncio
from datetime import datetime

from listflow.campaigns.domain.templates import MessageTemplate
from listflow.campaigns.ports import Suppression
from listflow.schemas.campaigns import Channel, SuppressionReason


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


class InMemorySuppressions:
    """The suppression list in memory (the campaign repository's fake takes it in)."""

    def __init__(self) -> None:
        self._suppressions: dict[tuple[str, Channel, str], Suppression] = {}

    async def suppress(
        self,
        tenant_id: str,
        channel: Channel,
        address: str,
        reason: SuppressionReason,
        at: datetime,
        campaign_id: str | None = None,
        by: str = "campaigns",
    ) -> None:
        self._suppressions.setdefault(
            (tenant_id, channel, address),
            Suppression(tenant_id, channel, address, reason, at, by, campaign_id),
        )

    async def unsuppress(self, tenant_id: str, channel: Channel, address: str) -> bool:
        return self._suppressions.pop((tenant_id, channel, address), None) is not None

    async def suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> SuppressionReason | None:
        found = await self.get_suppression(tenant_id, channel, address)
        return found.reason if found else None

    async def get_suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> Suppression | None:
        return self._suppressions.get((tenant_id, channel, address))

    async def unsubscribes_of(self, tenant_id: str, campaign_id: str) -> int:
        return sum(
            1
            for s in self._suppressions.values()
            if s.tenant_id == tenant_id
            and s.campaign_id == campaign_id
            and s.reason is SuppressionReason.UNSUBSCRIBED
        )

    async def list_suppressions(
        self,
        tenant_id: str,
        *,
        channel: Channel | None = None,
        reason: SuppressionReason | None = None,
        after: tuple[Channel, str] | None = None,
        limit: int = 100,
    ) -> list[Suppression]:
        mine = sorted(
            (
                s
                for s in self._suppressions.values()
                if s.tenant_id == tenant_id
                and (channel is None or s.channel == channel)
                and (reason is None or s.reason == reason)
                and (after is None or (s.channel, s.address) > after)
            ),
            key=lambda s: (s.channel, s.address),
        )
        return mine[:limit]

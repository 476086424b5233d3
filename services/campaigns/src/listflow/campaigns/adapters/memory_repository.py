"""The in-memory template repository: the fake of unit tests, held to the same contract as
MongoDB (tests/integration/test_template_repository_contract.py)."""

import asyncio
from datetime import datetime

from listflow.campaigns.domain.templates import MessageTemplate
from listflow.campaigns.ports import Suppression, SuppressionChange
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
        self._changes: list[SuppressionChange] = []

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
        key = (tenant_id, channel, address)
        if key not in self._suppressions:
            self._suppressions[key] = Suppression(
                tenant_id, channel, address, reason, at, by, campaign_id
            )
            self._changes.append(
                SuppressionChange(tenant_id, channel, address, "suppressed", reason, at, by)
            )

    async def unsuppress(
        self, tenant_id: str, channel: Channel, address: str, *, at: datetime, by: str
    ) -> bool:
        lifted = self._suppressions.pop((tenant_id, channel, address), None)
        if lifted is None:
            return False
        self._changes.append(
            SuppressionChange(tenant_id, channel, address, "lifted", lifted.reason, at, by)
        )
        return True

    async def changes(
        self, tenant_id: str, channel: Channel, address: str
    ) -> list[SuppressionChange]:
        return [
            c
            for c in self._changes
            if (c.tenant_id, c.channel, c.address) == (tenant_id, channel, address)
        ]

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

"""The in-memory template repository: the fake of unit tests, held to the same contract as
MongoDB (tests/integration/test_template_repository_contract.py)."""

import asyncio

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

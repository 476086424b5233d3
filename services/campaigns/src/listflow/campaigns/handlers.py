"""Use cases of the campaigns service: (command, repository, clock) -> outcome."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from listflow.campaigns.domain.errors import Conflict, NotFound
from listflow.campaigns.domain.templates import (
    MessageTemplate,
    Rendered,
    TemplateContent,
    preview,
)
from listflow.campaigns.ports import TemplateRepository
from listflow.kit.clock import Clock


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Templates:
    """The message-template use cases over one repository and clock."""

    repository: TemplateRepository
    clock: Clock
    new_id: Callable[[], str] = field(default=_new_id)

    async def create(self, tenant_id: str, name: str, content: TemplateContent) -> MessageTemplate:
        """Check and store a new template (TemplateRefused names the part and field)."""
        template = MessageTemplate.new(
            id=self.new_id(), tenant_id=tenant_id, name=name, content=content, now=self.clock()
        )
        await self.repository.insert_template(template)
        return template

    async def get(self, tenant_id: str, template_id: str) -> MessageTemplate:
        template = await self.repository.get_template(tenant_id, template_id)
        if template is None:
            raise NotFound(f"No message template {template_id!r}.")
        return template

    async def list(self, tenant_id: str) -> list[MessageTemplate]:
        return await self.repository.list_templates(tenant_id)

    async def update(
        self,
        tenant_id: str,
        template_id: str,
        name: str,
        content: TemplateContent,
        version: int | None = None,
    ) -> MessageTemplate:
        """Replace a template's content; with `version`, only if it is still that one."""
        current = await self.get(tenant_id, template_id)
        if version is not None and version != current.version:
            raise Conflict(
                f"The template is at version {current.version}, not {version}.",
                version=current.version,
            )
        revised = current.revised(name=name, content=content, now=self.clock())
        if not await self.repository.replace_template(revised, expected_version=current.version):
            raise Conflict("The template changed meanwhile; read it again.")
        return revised

    async def delete(self, tenant_id: str, template_id: str) -> None:
        if not await self.repository.delete_template(tenant_id, template_id):
            raise NotFound(f"No message template {template_id!r}.")

    async def preview(
        self, tenant_id: str, template_id: str, values: Mapping[str, Any] | None = None
    ) -> tuple[MessageTemplate, Rendered]:
        """The template rendered for the sample contact (the caller's values over it)."""
        template = await self.get(tenant_id, template_id)
        return template, preview(template.content, values)

"""Use cases of the campaigns service: (command, repository, clock) -> outcome."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from listflow.campaigns.domain.errors import Conflict, NotFound
from listflow.campaigns.domain.model import ContactView
from listflow.campaigns.domain.templates import (
    MessageTemplate,
    Rendered,
    TemplateContent,
    preview,
)
from listflow.campaigns.ports import ReadModelRepository, TemplateRepository
from listflow.schemas.events import (
    ContactChange,
    ContactCreated,
    ContactDeleted,
    ContactUpdated,
)
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Templates:
    """The message-template use cases over one repository and clock."""

    repository: TemplateRepository
    clock: Callable[[], datetime]
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


def contact_view(event: ContactChange) -> ContactView:
    """The read model's contact from a change: its snapshot, the upload that made it (if
    any), deleted for a ContactDeleted."""
    snapshot = event.contact
    upload_id = event.upload_id if isinstance(event, ContactCreated | ContactUpdated) else None
    return ContactView(
        id=snapshot.id,
        tenant_id=event.tenant_id,
        version=snapshot.version,
        data=snapshot.data,
        group_ids=snapshot.group_ids,
        upload_ids=(upload_id,) if upload_id else (),
        updated_at=snapshot.updated_at,
        deleted=isinstance(event, ContactDeleted),
    )


@dataclass(frozen=True)
class ReadModels:
    """Keeps the contacts and portal links campaigns target and personalize with."""

    repository: ReadModelRepository

    async def on_contact_changes(self, events: Sequence[ContactChange]) -> None:
        await self.repository.upsert_contacts([contact_view(e) for e in events])

    async def on_link_events(self, events: Sequence[AccessLinkIssued | AccessLinkRevoked]) -> None:
        # In order: events of one contact share a partition, so a revocation follows the
        # issue it ends; the repository's guards make a replay change nothing.
        for e in events:
            if isinstance(e, AccessLinkIssued):
                await self.repository.set_link(
                    e.tenant_id, e.contact_id, e.link_id, e.url, e.issued_at
                )
            else:
                await self.repository.set_link(
                    e.tenant_id, e.contact_id, e.link_id, None, e.revoked_at
                )

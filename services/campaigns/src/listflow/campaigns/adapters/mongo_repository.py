"""Message templates in MongoDB/FerretDB: one document per template, every query by tenant.

Single-document writes only (no transactions): an update is a compare-and-set on `version`.
"""

from datetime import UTC, datetime
from typing import Any

from listflow.campaigns.domain.templates import MessageTemplate, TemplateContent
from listflow.kit.mongo import Document
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase


def template_to_document(template: MessageTemplate) -> Document:
    c = template.content
    return {
        "_id": template.id,
        "tenant_id": template.tenant_id,
        "name": template.name,
        "channel": c.channel,
        "subject": c.subject,
        "html": c.html,
        "text": c.text,
        "body": c.body,
        "version": template.version,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


def _utc(value: datetime) -> datetime:
    # BSON dates are UTC; a client without tz_aware reads them naive.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def template_from_document(doc: Document) -> MessageTemplate:
    content = TemplateContent(
        channel=doc["channel"],
        subject=doc.get("subject"),
        html=doc.get("html"),
        text=doc.get("text"),
        body=doc.get("body"),
    )
    return MessageTemplate.from_document(
        id=doc["_id"],
        tenant_id=doc["tenant_id"],
        name=doc["name"],
        content=content,
        version=int(doc["version"]),
        created_at=_utc(doc["created_at"]),
        updated_at=_utc(doc["updated_at"]),
    )


class MongoTemplateRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._templates = database["message_templates"]

    async def ensure_indexes(self) -> None:
        await self._templates.create_index(
            [("tenant_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]
        )

    async def insert_template(self, template: MessageTemplate) -> None:
        await self._templates.insert_one(template_to_document(template))

    async def replace_template(self, template: MessageTemplate, *, expected_version: int) -> bool:
        result = await self._templates.replace_one(
            {"_id": template.id, "tenant_id": template.tenant_id, "version": expected_version},
            template_to_document(template),
        )
        return result.matched_count == 1

    async def get_template(self, tenant_id: str, template_id: str) -> MessageTemplate | None:
        doc = await self._templates.find_one({"_id": template_id, "tenant_id": tenant_id})
        return template_from_document(doc) if doc is not None else None

    async def list_templates(self, tenant_id: str) -> list[MessageTemplate]:
        cursor = self._templates.find({"tenant_id": tenant_id}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        docs: list[dict[str, Any]] = await cursor.to_list()
        return [template_from_document(d) for d in docs]

    async def delete_template(self, tenant_id: str, template_id: str) -> bool:
        result = await self._templates.delete_one({"_id": template_id, "tenant_id": tenant_id})
        return result.deleted_count == 1

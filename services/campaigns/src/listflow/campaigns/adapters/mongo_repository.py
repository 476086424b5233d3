"""The campaigns' collections in MongoDB/FerretDB: one document per template, per contact of
the read model and per contact's portal link; every query names the tenant.

Single-document writes only (no transactions): an update is a compare-and-set on `version`
(templates, contacts) or on `at` (links).
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from listflow.campaigns.domain.model import ContactView
from listflow.campaigns.domain.templates import MessageTemplate, TemplateContent
from listflow.kit.mongo import Document, find_any, gather_bounded, is_duplicate_key
from listflow.schemas.values import ContactData
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure


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


def _key(tenant_id: str, contact_id: str) -> str:
    return f"{tenant_id}:{contact_id}"


def contact_to_document(c: ContactView) -> Document:
    """Every field but `upload_ids`, which only grows ($addToSet)."""
    return {
        "tenant_id": c.tenant_id,
        "contact_id": c.id,
        "version": c.version,
        "data": c.data.model_dump(mode="json"),
        "group_ids": list(c.group_ids),
        "updated_at": c.updated_at,
        "deleted": c.deleted,
    }


def contact_from_document(doc: Document) -> ContactView:
    return ContactView(
        id=doc["contact_id"],
        tenant_id=doc["tenant_id"],
        version=int(doc["version"]),
        data=ContactData.model_validate(doc["data"]),
        group_ids=tuple(doc.get("group_ids", ())),
        upload_ids=tuple(doc.get("upload_ids", ())),
        updated_at=_utc(doc["updated_at"]),
        deleted=bool(doc.get("deleted", False)),
    )


class MongoCampaignRepository(MongoTemplateRepository):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database)
        self._contacts = database["contacts"]
        self._links = database["links"]

    async def ensure_indexes(self) -> None:
        await super().ensure_indexes()
        await self._contacts.create_index([("tenant_id", ASCENDING), ("group_ids", ASCENDING)])
        await self._contacts.create_index([("tenant_id", ASCENDING), ("upload_ids", ASCENDING)])

    # --- read models ---------------------------------------------------------------------
    async def upsert_contacts(self, contacts: Sequence[ContactView]) -> None:
        # The newest snapshot per contact of the batch and every upload named, then one
        # guarded write each: a stored newer version keeps its fields and gains the uploads.
        newest: dict[str, ContactView] = {}
        uploads: dict[str, list[str]] = {}
        for c in contacts:
            key = _key(c.tenant_id, c.id)
            if key not in newest or newest[key].version < c.version:
                newest[key] = c
            uploads.setdefault(key, []).extend(c.upload_ids)

        async def write(key: str, c: ContactView) -> None:
            add = {"upload_ids": {"$each": list(dict.fromkeys(uploads[key]))}}
            try:
                await self._contacts.update_one(
                    {"_id": key, "version": {"$lt": c.version}},
                    {"$set": contact_to_document(c), "$addToSet": add},
                    upsert=True,
                )
            except OperationFailure as exc:
                if not is_duplicate_key(exc):
                    raise
                if uploads[key]:
                    await self._contacts.update_one({"_id": key}, {"$addToSet": add})

        await gather_bounded(write(key, c) for key, c in newest.items())

    async def contacts_in(
        self, tenant_id: str, *, group_ids: Sequence[str], upload_id: str | None
    ) -> list[ContactView]:
        lists: list[Document] = []
        if group_ids:
            lists.append({"group_ids": {"$in": list(group_ids)}})
        if upload_id:
            lists.append({"upload_ids": upload_id})
        if not lists:
            return []
        cursor = self._contacts.find({"tenant_id": tenant_id, "deleted": False, "$or": lists}).sort(
            "_id", ASCENDING
        )
        return [contact_from_document(doc) async for doc in cursor]

    async def get_contacts(self, tenant_id: str, ids: Sequence[str]) -> dict[str, ContactView]:
        docs = await find_any(self._contacts, "_id", [_key(tenant_id, i) for i in ids])
        return {doc["contact_id"]: contact_from_document(doc) for doc in docs}

    async def set_link(
        self, tenant_id: str, contact_id: str, link_id: str, url: str | None, at: datetime
    ) -> None:
        key = _key(tenant_id, contact_id)
        # A revocation ends its own link only, even one issued at the same instant.
        guard: Document = (
            {"_id": key, "at": {"$lt": at}}
            if url is not None
            else {"_id": key, "link_id": link_id, "at": {"$lte": at}}
        )
        fields = {"tenant_id": tenant_id, "contact_id": contact_id, "link_id": link_id}
        try:
            await self._links.update_one(
                guard, {"$set": {**fields, "url": url, "at": at}}, upsert=True
            )
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise  # else a later event (or a newer link) is stored: nothing to do

    async def links(self, tenant_id: str, contact_ids: Sequence[str]) -> dict[str, str]:
        docs = await find_any(self._links, "_id", [_key(tenant_id, i) for i in contact_ids])
        return {doc["contact_id"]: doc["url"] for doc in docs if doc.get("url")}

"""Message templates in MongoDB/FerretDB: one document per template, every query by tenant.

Single-document writes only (no transactions): an update is a compare-and-set on `version`.
"""

from datetime import UTC, datetime
from typing import Any

from listflow.campaigns.domain.templates import MessageTemplate, TemplateContent
from listflow.campaigns.ports import Suppression, SuppressionChange
from listflow.kit.mongo import Document
from listflow.schemas.campaigns import Channel, SuppressionReason
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


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


def _suppression_id(tenant_id: str, channel: Channel, address: str) -> str:
    return f"{tenant_id}\x1f{channel}\x1f{address}"


def suppression_from_document(doc: Document) -> Suppression:
    return Suppression(
        tenant_id=doc["tenant_id"],
        channel=doc["channel"],
        address=doc["address"],
        reason=SuppressionReason(doc["reason"]),
        at=_utc(doc["at"]),
        by=doc["by"],
        campaign_id=doc.get("campaign_id"),
    )


class MongoSuppressions:
    """The suppression list: one document per (tenant, channel, address), keyed by them so a
    repeated suppress inserts nothing (the first record, its who and when, stays)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._suppressions = database["suppressions"]
        self._changes = database["suppression_changes"]

    async def ensure_indexes(self) -> None:
        await self._suppressions.create_index(
            [("tenant_id", ASCENDING), ("channel", ASCENDING), ("address", ASCENDING)]
        )
        await self._suppressions.create_index(
            [("tenant_id", ASCENDING), ("campaign_id", ASCENDING)]
        )

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
        document = {
            "_id": _suppression_id(tenant_id, channel, address),
            "tenant_id": tenant_id,
            "channel": channel,
            "address": address,
            "reason": reason.value,
            "at": at,
            "by": by,
            "campaign_id": campaign_id,
        }
        try:
            await self._suppressions.insert_one(document)
        except DuplicateKeyError:
            return
        # After the record (no transactions): a crash between the two loses an audit line,
        # never a suppression.
        await self._record(tenant_id, channel, address, "suppressed", reason, at, by)

    async def unsuppress(
        self, tenant_id: str, channel: Channel, address: str, *, at: datetime, by: str
    ) -> bool:
        lifted = await self._suppressions.find_one_and_delete(
            {"_id": _suppression_id(tenant_id, channel, address), "tenant_id": tenant_id}
        )
        if lifted is None:
            return False
        reason = SuppressionReason(lifted["reason"])
        await self._record(tenant_id, channel, address, "lifted", reason, at, by)
        return True

    async def _record(
        self,
        tenant_id: str,
        channel: Channel,
        address: str,
        action: str,
        reason: SuppressionReason,
        at: datetime,
        by: str,
    ) -> None:
        await self._changes.insert_one(
            {
                "tenant_id": tenant_id,
                "channel": channel,
                "address": address,
                "action": action,
                "reason": reason.value,
                "at": at,
                "by": by,
            }
        )

    async def changes(
        self, tenant_id: str, channel: Channel, address: str
    ) -> list[SuppressionChange]:
        cursor = self._changes.find(
            {"tenant_id": tenant_id, "channel": channel, "address": address}
        ).sort([("at", ASCENDING), ("_id", ASCENDING)])
        return [
            SuppressionChange(
                tenant_id=d["tenant_id"],
                channel=d["channel"],
                address=d["address"],
                action=d["action"],
                reason=SuppressionReason(d["reason"]),
                at=_utc(d["at"]),
                by=d["by"],
            )
            for d in await cursor.to_list()
        ]

    async def suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> SuppressionReason | None:
        found = await self.get_suppression(tenant_id, channel, address)
        return found.reason if found else None

    async def get_suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> Suppression | None:
        doc = await self._suppressions.find_one(
            {"_id": _suppression_id(tenant_id, channel, address), "tenant_id": tenant_id}
        )
        return suppression_from_document(doc) if doc is not None else None

    async def unsubscribes_of(self, tenant_id: str, campaign_id: str) -> int:
        return await self._suppressions.count_documents(
            {
                "tenant_id": tenant_id,
                "campaign_id": campaign_id,
                "reason": SuppressionReason.UNSUBSCRIBED.value,
            }
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
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if channel is not None:
            query["channel"] = channel
        if reason is not None:
            query["reason"] = reason.value
        if after is not None:
            last_channel, last_address = after
            query["$or"] = [
                {"channel": {"$gt": last_channel}},
                {"channel": last_channel, "address": {"$gt": last_address}},
            ]
        cursor = (
            self._suppressions.find(query)
            .sort([("channel", ASCENDING), ("address", ASCENDING)])
            .limit(limit)
        )
        return [suppression_from_document(d) for d in await cursor.to_list()]

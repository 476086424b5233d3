"""Contacts in MongoDB (or FerretDB): contacts, match-key links, groups."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from listflow.contacts.domain.model import Contact
from listflow.contacts.ports import ConcurrentUpdate, KeyRef, Page
from listflow.kit.mongo import Document, duplicate_key_indexes
from listflow.schemas.values import ContactData, MatchKey, TargetRef
from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError


def key_id(tenant_id: str, key: KeyRef) -> str:
    # One document per (tenant, key kind, value): its _id is the lookup, which both MongoDB
    # and FerretDB answer from the primary key without scanning.
    return f"{tenant_id}|{key[0].value}|{key[1]}"


def _to_document(contact: Contact) -> Document:
    return {
        "_id": contact.id,
        "tenant_id": contact.tenant_id,
        "version": contact.version,
        "data": contact.data.model_dump(mode="json", exclude_defaults=True),
        "group_ids": list(contact.group_ids),
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "created_from": contact.created_from,
        "last_source": contact.last_source,
    }


def _from_document(doc: Document) -> Contact:
    return Contact(
        id=doc["_id"],
        tenant_id=doc["tenant_id"],
        data=ContactData.model_validate(doc["data"]),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        created_from=doc.get("created_from"),
        last_source=doc.get("last_source"),
        group_ids=tuple(doc.get("group_ids", ())),
        version=doc["version"],
    )


class MongoContactRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._db = database
        self._contacts = database["contacts"]
        self._keys = database["contact_keys"]
        self._groups = database["groups"]

    async def ensure_indexes(self) -> None:
        await self._contacts.create_index([("tenant_id", ASCENDING), ("group_ids", ASCENDING)])
        await self._contacts.create_index([("tenant_id", ASCENDING), ("updated_at", ASCENDING)])
        await self._groups.create_index(
            [("tenant_id", ASCENDING), ("name_key", ASCENDING)], unique=True
        )

    async def ids_for_keys(
        self, tenant_id: str, keys: Collection[KeyRef]
    ) -> dict[KeyRef, list[str]]:
        by_id = {key_id(tenant_id, k): k for k in keys}
        found: dict[KeyRef, list[str]] = {}
        async for doc in self._keys.find({"_id": {"$in": list(by_id)}}):
            found[by_id[doc["_id"]]] = list(doc.get("contact_ids", []))
        return found

    async def get_many(self, tenant_id: str, ids: Collection[str]) -> dict[str, Contact]:
        if not ids:
            return {}
        cursor = self._contacts.find({"_id": {"$in": list(ids)}})
        return {
            doc["_id"]: _from_document(doc) async for doc in cursor if doc["tenant_id"] == tenant_id
        }

    async def save(
        self,
        created: Sequence[Contact],
        updated: Sequence[tuple[Contact, int]],
        links: Sequence[tuple[str, KeyRef, str]],
    ) -> None:
        # Inserts wherever possible: FerretDB answers an update or upsert by scanning the
        # collection, while an insert only checks the unique _id index (docs/performance.md).
        if created:
            try:
                await self._contacts.insert_many([_to_document(c) for c in created], ordered=False)
            except BulkWriteError as error:
                # Ids are deterministic per source row: an existing one is this row's replay.
                duplicate_key_indexes(error)
        if updated:
            result = await self._contacts.bulk_write(
                [
                    ReplaceOne({"_id": c.id, "version": read_version}, _to_document(c))
                    for c, read_version in updated
                ],
                ordered=False,
            )
            if result.matched_count != len(updated):
                stale = len(updated) - result.matched_count
                raise ConcurrentUpdate(f"{stale} contacts changed meanwhile")
        if links:
            await self._link(links)

    async def _link(self, links: Sequence[tuple[str, KeyRef, str]]) -> None:
        docs = [
            {"_id": key_id(tenant_id, key), "tenant_id": tenant_id, "contact_ids": [contact_id]}
            for tenant_id, key, contact_id in links
        ]
        try:
            await self._keys.insert_many(docs, ordered=False)
        except BulkWriteError as error:
            # The key exists already (another contact shares it, or a replay): add to it.
            existing = sorted(duplicate_key_indexes(error))
            await self._keys.bulk_write(
                [
                    UpdateOne(
                        {"_id": docs[i]["_id"]},
                        {"$addToSet": {"contact_ids": docs[i]["contact_ids"][0]}},
                    )
                    for i in existing
                ],
                ordered=False,
            )

    async def ensure_groups(self, tenant_id: str, groups: Collection[TargetRef]) -> None:
        now = datetime.now().astimezone()
        ops = [
            UpdateOne(
                {"_id": g.id},
                {
                    "$setOnInsert": {
                        "tenant_id": tenant_id,
                        "name": g.name,
                        "name_key": g.name.strip().casefold(),
                        "created_at": now,
                    }
                },
                upsert=True,
            )
            for g in groups
        ]
        if ops:
            try:
                await self._groups.bulk_write(ops, ordered=False)
            except BulkWriteError as error:
                duplicate_key_indexes(error)  # created concurrently by another batch: fine

    async def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        doc = await self._contacts.find_one({"_id": contact_id, "tenant_id": tenant_id})
        return _from_document(doc) if doc else None

    async def page(
        self, tenant_id: str, *, group_id: str | None, limit: int, cursor: str | None
    ) -> Page:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if group_id is not None:
            query["group_ids"] = group_id
        if cursor:
            query["_id"] = {"$gt": cursor}
        docs = await self._contacts.find(query).sort("_id", ASCENDING).limit(limit + 1).to_list()
        items = [_from_document(d) for d in docs[:limit]]
        return Page(items, items[-1].id if len(docs) > limit else None)

    async def group_id_by_name(self, tenant_id: str, name: str) -> str | None:
        doc = await self._groups.find_one(
            {"tenant_id": tenant_id, "name_key": name.strip().casefold()}
        )
        return doc["_id"] if doc else None

    async def count(self, tenant_id: str) -> int:
        return await self._contacts.count_documents({"tenant_id": tenant_id})


__all__ = ["MatchKey", "MongoContactRepository", "key_id"]

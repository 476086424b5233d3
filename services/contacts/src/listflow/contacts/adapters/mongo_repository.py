"""Contacts in MongoDB (or FerretDB): contacts, match-key links, groups."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from listflow.contacts.domain.model import Contact
from listflow.contacts.ports import ConcurrentUpdate, KeyRef, Page
from listflow.kit.mongo import Document, duplicate_key_indexes, gather_bounded
from listflow.schemas.values import ContactData, MatchKey, TargetRef
from pymongo import ASCENDING
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
        docs = await gather_bounded(self._keys.find_one({"_id": i}) for i in by_id)
        return {by_id[d["_id"]]: list(d.get("contact_ids", [])) for d in docs if d is not None}

    async def get_many(self, tenant_id: str, ids: Collection[str]) -> dict[str, Contact]:
        docs = await gather_bounded(self._contacts.find_one({"_id": i}) for i in ids)
        # Ids are global; the tenant check keeps one tenant's contact from another's lookup.
        owned = [d for d in docs if d is not None and d["tenant_id"] == tenant_id]
        return {d["_id"]: _from_document(d) for d in owned}

    async def save(
        self,
        created: Sequence[Contact],
        updated: Sequence[tuple[Contact, int]],
        links: Sequence[tuple[str, KeyRef, str]],
    ) -> None:
        # Inserts wherever possible: FerretDB answers an update or upsert by scanning the
        # collection, while an insert only checks the unique _id index (docs/performance.md).
        # Keys first: a crash after them leaves keys naming a contact not yet written, which
        # a replay of the same rows creates under the same id; the other order would leave a
        # contact no key finds, and its replay would create it again.
        if links:
            await self._link(links)
        if created:
            try:
                await self._contacts.insert_many([_to_document(c) for c in created], ordered=False)
            except BulkWriteError as error:
                # Ids are deterministic per source row: an existing one is this row's replay.
                duplicate_key_indexes(error)
        if updated:
            # The version read is the condition: a contact changed meanwhile is not overwritten.
            results = await gather_bounded(
                self._contacts.replace_one({"_id": c.id, "version": read_version}, _to_document(c))
                for c, read_version in updated
            )
            matched = sum(r.matched_count for r in results)
            if matched != len(updated):
                stale = len(updated) - matched
                raise ConcurrentUpdate(f"{stale} contacts changed meanwhile")

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
            await gather_bounded(
                self._keys.update_one(
                    {"_id": docs[i]["_id"]},
                    {"$addToSet": {"contact_ids": docs[i]["contact_ids"][0]}},
                )
                for i in existing
            )

    async def ensure_groups(self, tenant_id: str, groups: Collection[TargetRef]) -> None:
        now = datetime.now().astimezone()
        await gather_bounded(
            self._groups.update_one(
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
        )

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

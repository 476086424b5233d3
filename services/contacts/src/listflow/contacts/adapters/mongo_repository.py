"""Contacts in MongoDB (or FerretDB): contacts, key claims, groups."""

import contextlib
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from listflow.contacts.domain.model import Contact
from listflow.contacts.ports import ConcurrentUpdate, KeyRef, Page
from listflow.kit.mongo import Document, duplicate_key_indexes, gather_bounded
from listflow.schemas.matching import all_match_keys
from listflow.schemas.values import ContactData, MatchKey, TargetRef
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError


def key_id(tenant_id: str, key: KeyRef) -> str:
    # "tenant|kind|value": an entry of a contact's `match_keys` and the _id of a key claim.
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
        # Every value the contact can be matched by, as "tenant|key|value" (multikey index).
        "match_keys": [key_id(contact.tenant_id, k) for k in all_match_keys(contact.data)],
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
        self._groups = database["groups"]
        self._claims = database["key_claims"]

    async def ensure_indexes(self) -> None:
        await self._contacts.create_index([("match_keys", ASCENDING)])
        await self._contacts.create_index([("tenant_id", ASCENDING), ("group_ids", ASCENDING)])
        await self._contacts.create_index([("tenant_id", ASCENDING), ("updated_at", ASCENDING)])
        await self._groups.create_index(
            [("tenant_id", ASCENDING), ("name_key", ASCENDING)], unique=True
        )

    async def find_by_keys(
        self, tenant_id: str, keys: Collection[KeyRef]
    ) -> tuple[dict[KeyRef, list[str]], dict[str, Contact]]:
        # One equality query per key on the multikey `match_keys`: an index lookup on MongoDB
        # and (with the GIN index the devstack adds) on FerretDB, where `$in` would scan.
        by_key = {key_id(tenant_id, k): k for k in keys}
        results = await gather_bounded(
            self._contacts.find({"match_keys": kid}).to_list() for kid in by_key
        )
        ids: dict[KeyRef, list[str]] = {}
        contacts: dict[str, Contact] = {}
        for kid, docs in zip(by_key, results, strict=True):
            for doc in docs:
                if doc["tenant_id"] != tenant_id:
                    continue
                ids.setdefault(by_key[kid], []).append(doc["_id"])
                contacts.setdefault(doc["_id"], _from_document(doc))
        return ids, contacts

    async def count_matches(
        self, tenant_id: str, key: MatchKey, values: Collection[str], *, cap: int = 2
    ) -> dict[str, int]:
        # One equality query per value, never `$in` (FerretDB scans the collection for it);
        # `limit(cap)` because a preview only tells none, one and several apart.
        unique = list(dict.fromkeys(values))
        found = await gather_bounded(
            self._contacts.find(
                {"match_keys": key_id(tenant_id, (key, value))}, {"_id": 1, "tenant_id": 1}
            )
            .limit(cap)
            .to_list()
            for value in unique
        )
        return {
            value: sum(1 for doc in docs if doc["tenant_id"] == tenant_id)
            for value, docs in zip(unique, found, strict=True)
        }

    async def claim_keys(self, tenant_id: str, claims: dict[KeyRef, str]) -> dict[KeyRef, str]:
        docs = [{"_id": key_id(tenant_id, k), "contact_id": cid} for k, cid in claims.items()]
        keys = list(claims)
        winners = dict(claims)
        try:
            # An insert is atomic on the unique _id on MongoDB and FerretDB alike.
            await self._claims.insert_many(docs, ordered=False)
        except BulkWriteError as error:
            taken = sorted(duplicate_key_indexes(error))
            holders = await gather_bounded(
                self._claims.find_one({"_id": docs[i]["_id"]}) for i in taken
            )
            for i, holder in zip(taken, holders, strict=True):
                winners[keys[i]] = holder["contact_id"] if holder else ""
        return winners

    async def save(
        self, created: Sequence[Contact], updated: Sequence[tuple[Contact, int]]
    ) -> None:
        # Inserts wherever possible: on FerretDB an insert only checks the unique _id index.
        if created:
            try:
                await self._contacts.insert_many([_to_document(c) for c in created], ordered=False)
            except BulkWriteError as error:
                # Ids are deterministic per source row: an existing one is this row's replay.
                duplicate_key_indexes(error)
        if updated:
            # The version read is the condition: a contact changed meanwhile is not overwritten.
            # Single-document operations: FerretDB stalls on large multi-statement updates.
            results = await gather_bounded(
                self._contacts.replace_one({"_id": c.id, "version": read_version}, _to_document(c))
                for c, read_version in updated
            )
            matched = sum(r.matched_count for r in results)
            if matched != len(updated):
                raise ConcurrentUpdate(f"{len(updated) - matched} contacts changed meanwhile")

    async def ensure_groups(self, tenant_id: str, groups: Collection[TargetRef]) -> None:
        now = datetime.now().astimezone()

        async def ensure(group: TargetRef) -> None:
            # A concurrent batch may create the group a moment earlier: that is what we want.
            with contextlib.suppress(DuplicateKeyError):
                await self._groups.update_one(
                    {"_id": group.id},
                    {
                        "$setOnInsert": {
                            "tenant_id": tenant_id,
                            "name": group.name,
                            "name_key": group.name.strip().casefold(),
                            "created_at": now,
                        }
                    },
                    upsert=True,
                )

        await gather_bounded(ensure(g) for g in groups)

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

"""Contacts in MongoDB (or FerretDB): contacts, key claims, groups, tags."""

import contextlib
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any

from listflow.contacts.domain.model import Contact, Hold
from listflow.contacts.domain.tags import tag_id
from listflow.contacts.ports import (
    Claim,
    ConcurrentUpdate,
    ContactFilter,
    KeyRef,
    Label,
    LabelPage,
    Page,
    Term,
)
from listflow.kit.mongo import (
    Document,
    duplicate_key_indexes,
    find_any,
    gather_bounded,
    insert_new,
    replace_many,
)
from listflow.schemas.matching import all_match_keys
from listflow.schemas.values import ConsentRecord, ContactData, MatchKey, TargetRef
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError


def key_id(tenant_id: str, key: KeyRef | Term) -> str:
    # "tenant|kind|value": an entry of a contact's `match_keys` and the _id of a key claim.
    return f"{tenant_id}|{key[0]}|{key[1]}"


def lookup_terms(contact: Contact, keys: Sequence[KeyRef]) -> list[Term]:
    """Match keys, then tag, group and name-word terms. The filters of the contact list live
    in the same multikey array as the match keys: one equality on it is what FerretDB pushes
    down to PostgreSQL (and the devstack's GIN index serves), where a filter on a nested
    field such as data.tags would be evaluated document by document inside FerretDB."""
    return [*((str(k), v) for k, v in keys), *contact.search_terms()]


def _claim_from(key: KeyRef, doc: Document | None) -> Claim:
    if doc is None:  # released between our insert and our read: nobody holds it now
        return Claim(key, "", None)
    own = doc.get("own_key")
    kind, _, value = own.partition("|") if own else ("", "", "")
    return Claim(
        key,
        doc["contact_id"],
        (MatchKey(kind), value) if own else None,
        _aware(doc.get("claimed_at")),
    )


def _aware(value: datetime | None) -> datetime | None:
    # A client without tz_aware reads naive UTC datetimes; the handler compares aware ones.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _label_from(doc: Document) -> Label:
    return Label(
        id=doc["_id"],
        tenant_id=doc["tenant_id"],
        name=doc["name"],
        description=doc.get("description"),
        created_at=doc["created_at"],
    )


def _to_document(contact: Contact, keys: Sequence[KeyRef]) -> Document:
    """The stored contact; `keys` are all_match_keys of its data, computed once by the caller."""
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
        "consent_sources": [r.model_dump(mode="json") for r in contact.consent_sources],
        "holds": [_hold_document(h) for h in contact.holds],
        # Every value the contact can be matched (or filtered) by, as "tenant|kind|value".
        "match_keys": list(
            dict.fromkeys(key_id(contact.tenant_id, t) for t in lookup_terms(contact, keys))
        ),
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
        consent_sources=tuple(
            ConsentRecord.model_validate(r) for r in doc.get("consent_sources", ())
        ),
        holds=tuple(
            Hold(
                id=h["id"],
                reason=h["reason"],
                until=date.fromisoformat(h["until"]),
                instalments=h.get("instalments"),
                paid=tuple(h.get("paid", ())),
                lifted=h.get("lifted", False),
            )
            for h in doc.get("holds", ())
        ),
    )


def _hold_document(hold: Hold) -> Document:
    return {
        "id": hold.id,
        "reason": hold.reason,
        "until": hold.until.isoformat(),
        "instalments": hold.instalments,
        "paid": list(hold.paid),
        "lifted": hold.lifted,
    }


class MongoContactRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._db = database
        self._contacts = database["contacts"]
        self._groups = database["groups"]
        self._claims = database["key_claims"]
        self._tags = database["tags"]

    def _labels(self, kind: str) -> Any:
        return self._groups if kind == "group" else self._tags

    async def ensure_indexes(self) -> None:
        await self._contacts.create_index([("match_keys", ASCENDING)])
        await self._contacts.create_index([("tenant_id", ASCENDING), ("group_ids", ASCENDING)])
        await self._contacts.create_index([("tenant_id", ASCENDING), ("updated_at", ASCENDING)])
        for labels in (self._groups, self._tags):
            await labels.create_index(
                [("tenant_id", ASCENDING), ("name_key", ASCENDING)], unique=True
            )

    async def find_by_keys(
        self, tenant_id: str, keys: Collection[KeyRef]
    ) -> tuple[dict[KeyRef, list[str]], dict[str, Contact]]:
        # `$in` on the multikey `match_keys` index, 1,000 keys a query (docs/architecture.md,
        # Matching: cheaper than the known-keys probe FerretDB 1.24 needed, let alone one
        # query per key).
        by_key = {key_id(tenant_id, k): k for k in keys}
        ids: dict[KeyRef, list[str]] = {}
        contacts: dict[str, Contact] = {}
        for doc in await find_any(self._contacts, "match_keys", by_key):
            if doc["tenant_id"] != tenant_id:
                continue
            contacts[doc["_id"]] = _from_document(doc)
            for kid in doc["match_keys"]:
                if (key := by_key.get(kid)) is not None:
                    ids.setdefault(key, []).append(doc["_id"])
        return ids, contacts

    async def count_matches(
        self, tenant_id: str, key: MatchKey, values: Collection[str], *, cap: int = 2
    ) -> dict[str, int]:
        # A preview only tells none, one and several apart: counts stop at `cap`.
        by_kid = {key_id(tenant_id, (key, value)): value for value in values}
        counts = dict.fromkeys(by_kid.values(), 0)
        projection = {"_id": 1, "tenant_id": 1, "match_keys": 1}
        for doc in await find_any(self._contacts, "match_keys", by_kid, projection):
            if doc["tenant_id"] != tenant_id:
                continue
            for kid in doc["match_keys"]:
                if (value := by_kid.get(kid)) is not None:
                    counts[value] = min(cap, counts[value] + 1)
        return counts

    async def claim_keys(
        self, tenant_id: str, claims: Sequence[Claim], ours: Collection[str] = ()
    ) -> list[tuple[Claim, Claim]]:
        if not claims:
            return []
        docs = [
            {
                "_id": key_id(tenant_id, c.key),
                "contact_id": c.contact_id,
                "own_key": f"{c.own_key[0]}|{c.own_key[1]}" if c.own_key else None,
                "claimed_at": c.claimed_at,
            }
            for c in claims
        ]
        try:
            # Unordered: every free key in one call (each insert is atomic on the unique _id),
            # then one read per key already held.
            await self._claims.insert_many(docs, ordered=False)
            return []
        except BulkWriteError as error:
            held = sorted(duplicate_key_indexes(error))
            if not held:
                raise
        holders = await gather_bounded(self._claims.find_one({"_id": docs[i]["_id"]}) for i in held)
        return [
            (claims[i], holder)
            for i, doc in zip(held, holders, strict=True)
            if (holder := _claim_from(claims[i].key, doc)).contact_id not in ours
        ]

    async def take_over_claim(self, tenant_id: str, stale: Claim, ours: Claim) -> bool:
        result = await self._claims.replace_one(
            {"_id": key_id(tenant_id, stale.key), "contact_id": stale.contact_id},
            {
                "contact_id": ours.contact_id,
                "own_key": f"{ours.own_key[0]}|{ours.own_key[1]}" if ours.own_key else None,
                "claimed_at": ours.claimed_at,
            },
        )
        return result.modified_count == 1

    async def release_claims(self, tenant_id: str, claims: Sequence[Claim]) -> None:
        await gather_bounded(
            self._claims.delete_one({"_id": key_id(tenant_id, c.key), "contact_id": c.contact_id})
            for c in claims
        )

    async def save(
        self, created: Sequence[Contact], updated: Sequence[tuple[Contact, int]]
    ) -> None:
        written = [*created, *(c for c, _ in updated)]
        keys = {c.id: all_match_keys(c.data) for c in written}
        # Inserts wherever possible: on FerretDB an insert only checks the unique _id index.
        if created:
            # Ids are deterministic per source row: an existing one is this row's replay.
            await insert_new(self._contacts, [_to_document(c, keys[c.id]) for c in created])
        if updated:
            # The version read is the condition: a contact changed meanwhile is not overwritten.
            replaced = await replace_many(
                self._contacts,
                [
                    ({"_id": c.id, "version": read_version}, _to_document(c, keys[c.id]))
                    for c, read_version in updated
                ],
            )
            matched = replaced.matched
            if matched != len(updated):
                raise ConcurrentUpdate(f"{len(updated) - matched} contacts changed meanwhile")

    async def delete(self, contact: Contact) -> bool:
        result = await self._contacts.delete_one(
            {"_id": contact.id, "tenant_id": contact.tenant_id, "version": contact.version}
        )
        if result.deleted_count == 0:
            return False
        # Release the keys this contact claimed, so that a later row with one of them creates
        # a new contact instead of waiting for one that is gone. (A crash right here leaves a
        # claim behind; see docs/architecture.md.)
        await gather_bounded(
            self._claims.delete_one(
                {"_id": key_id(contact.tenant_id, (str(k), v)), "contact_id": contact.id}
            )
            for k, v in all_match_keys(contact.data)
        )
        return True

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
        self,
        tenant_id: str,
        *,
        group_id: str | None,
        limit: int,
        cursor: str | None,
        filters: ContactFilter | None = None,
    ) -> Page:
        query = self._search_query(tenant_id, group_id, filters)
        if cursor:
            query["_id"] = {"$gt": cursor}
        docs = await self._contacts.find(query).sort("_id", ASCENDING).limit(limit + 1).to_list()
        items = [_from_document(d) for d in docs[:limit]]
        return Page(items, items[-1].id if len(docs) > limit else None)

    async def count(
        self, tenant_id: str, *, group_id: str | None, filters: ContactFilter | None = None
    ) -> int:
        return await self._contacts.count_documents(
            self._search_query(tenant_id, group_id, filters)
        )

    @staticmethod
    def _search_query(
        tenant_id: str, group_id: str | None, filters: ContactFilter | None
    ) -> dict[str, Any]:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        terms = [key_id(tenant_id, t) for t in (filters.terms if filters else ())]
        if terms:
            # The first term is a plain equality (pushed down, indexed); the others narrow it.
            query["match_keys"] = terms[0]
            if terms[1:]:
                query["$and"] = [{"match_keys": t} for t in terms[1:]]
        if group_id is not None:
            query["group_ids"] = group_id
        if filters is not None and filters.updated_since is not None:
            query["updated_at"] = {"$gte": filters.updated_since}
        return query

    async def group_id_by_name(self, tenant_id: str, name: str) -> str | None:
        doc = await self._groups.find_one(
            {"tenant_id": tenant_id, "name_key": name.strip().casefold()}
        )
        return doc["_id"] if doc else None

    async def create_label(self, kind: str, label: Label) -> bool:
        try:
            await self._labels(kind).insert_one(
                {
                    "_id": label.id,
                    "tenant_id": label.tenant_id,
                    "name": label.name,
                    "name_key": label.name.strip().casefold(),
                    "description": label.description,
                    "created_at": label.created_at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def get_label(self, kind: str, tenant_id: str, label_id: str) -> Label | None:
        doc = await self._labels(kind).find_one({"_id": label_id, "tenant_id": tenant_id})
        return _label_from(doc) if doc else None

    async def labels_page(
        self, kind: str, tenant_id: str, *, limit: int, cursor: str | None
    ) -> LabelPage:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if cursor:
            query["_id"] = {"$gt": cursor}
        docs = (
            await self._labels(kind).find(query).sort("_id", ASCENDING).limit(limit + 1).to_list()
        )
        items = [_label_from(d) for d in docs[:limit]]
        return LabelPage(items, items[-1].id if len(docs) > limit else None)

    async def describe_label(
        self, kind: str, tenant_id: str, label_id: str, description: str | None
    ) -> Label | None:
        doc = await self._labels(kind).find_one_and_update(
            {"_id": label_id, "tenant_id": tenant_id},
            {"$set": {"description": description}},
            return_document=ReturnDocument.AFTER,
        )
        return _label_from(doc) if doc else None

    async def delete_label(self, kind: str, tenant_id: str, label_id: str) -> bool:
        result = await self._labels(kind).delete_one({"_id": label_id, "tenant_id": tenant_id})
        return result.deleted_count == 1

    async def defined_tags(self, tenant_id: str, keys: Collection[str]) -> dict[str, str]:
        wanted = list(keys)
        docs = await gather_bounded(
            self._tags.find_one({"_id": tag_id(tenant_id, k), "tenant_id": tenant_id})
            for k in wanted
        )
        return {k: doc["name"] for k, doc in zip(wanted, docs, strict=True) if doc}

    async def ensure_tags(self, tenant_id: str, names: Collection[str]) -> None:
        now = datetime.now().astimezone()

        async def ensure(name: str) -> None:
            with contextlib.suppress(DuplicateKeyError):
                await self._tags.update_one(
                    {"_id": tag_id(tenant_id, name)},
                    {
                        "$setOnInsert": {
                            "tenant_id": tenant_id,
                            "name": name.strip(),
                            "name_key": name.strip().casefold(),
                            "description": None,
                            "created_at": now,
                        }
                    },
                    upsert=True,
                )

        await gather_bounded(ensure(n) for n in names)


__all__ = ["MatchKey", "MongoContactRepository", "key_id"]

"""Saved column mappings per tenant, in MongoDB (or FerretDB)."""

from typing import Any

from listflow.kit.mongo import Document, is_duplicate_key
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure


class MappingNameTaken(Exception):
    """Another saved mapping of the tenant has this name."""


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class MappingRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._mappings = database["mappings"]

    async def ensure_indexes(self) -> None:
        await self._mappings.create_index(
            [("tenant_id", ASCENDING), ("name_key", ASCENDING)], unique=True
        )

    async def insert(self, doc: Document) -> None:
        try:
            await self._mappings.insert_one(doc)
        except DuplicateKeyError as exc:
            raise MappingNameTaken(doc["name"]) from exc

    async def replace(
        self, tenant_id: str, mapping_id: str, fields: dict[str, Any]
    ) -> Document | None:
        try:
            return await self._mappings.find_one_and_update(
                {"_id": mapping_id, "tenant_id": tenant_id},
                {"$set": fields},
                return_document=ReturnDocument.AFTER,
            )
        except OperationFailure as exc:
            if not is_duplicate_key(exc):
                raise
            raise MappingNameTaken(fields["name"]) from exc

    async def delete(self, tenant_id: str, mapping_id: str) -> bool:
        result = await self._mappings.delete_one({"_id": mapping_id, "tenant_id": tenant_id})
        return result.deleted_count == 1

    async def get(self, tenant_id: str, mapping_id: str) -> Document | None:
        return await self._mappings.find_one({"_id": mapping_id, "tenant_id": tenant_id})

    async def find(self, tenant_id: str, name_or_id: str) -> Document | None:
        """By id, else by name (case and spacing do not matter)."""
        return await self.get(tenant_id, name_or_id) or await self._mappings.find_one(
            {"tenant_id": tenant_id, "name_key": name_key(name_or_id)}
        )

    async def page(
        self, tenant_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[Document], str | None]:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if cursor:
            query["name_key"] = {"$gt": cursor}
        docs = (
            await self._mappings.find(query).sort("name_key", ASCENDING).limit(limit + 1).to_list()
        )
        return docs[:limit], (docs[limit - 1]["name_key"] if len(docs) > limit else None)

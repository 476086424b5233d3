"""Preview runs in MongoDB (or FerretDB): one document per upload, its latest preview."""

from collections.abc import Mapping
from typing import Any

from listflow.kit.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase


class PreviewStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._previews = database["previews"]

    async def replace(self, doc: Document) -> None:
        """A new preview of an upload replaces its previous one (`_id` is the upload id)."""
        await self._previews.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def update(self, upload_id: str, run_id: str, fields: Mapping[str, Any]) -> None:
        # Conditional on the run: a superseded run cannot overwrite the newer one's state.
        await self._previews.update_one(
            {"_id": upload_id, "run_id": run_id}, {"$set": dict(fields)}
        )

    async def get(self, tenant_id: str, upload_id: str) -> Document | None:
        return await self._previews.find_one({"_id": upload_id, "tenant_id": tenant_id})

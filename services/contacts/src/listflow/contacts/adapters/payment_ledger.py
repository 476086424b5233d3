"""Where contacts remembers each portal payment it applied (see `payments.py`)."""

from listflow.contacts.payments import LedgerEntry
from listflow.kit.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase


class MongoPaymentLedger:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._entries = database["payment_ledger"]

    async def get(self, tenant_id: str, payment_id: str) -> LedgerEntry | None:
        doc = await self._entries.find_one({"_id": f"{tenant_id}:{payment_id}"})
        if doc is None:
            return None
        return LedgerEntry(
            tenant_id=doc["tenant_id"],
            payment_id=doc["payment_id"],
            contact_id=doc["contact_id"],
            state=doc["state"],
            from_version=doc.get("from_version"),
            reason=doc.get("reason"),
        )

    async def put(self, entry: LedgerEntry) -> None:
        await self._entries.replace_one(
            {"_id": f"{entry.tenant_id}:{entry.payment_id}"},
            {
                "tenant_id": entry.tenant_id,
                "payment_id": entry.payment_id,
                "contact_id": entry.contact_id,
                "state": entry.state,
                "from_version": entry.from_version,
                "reason": entry.reason,
            },
            upsert=True,
        )


class InMemoryPaymentLedger:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], LedgerEntry] = {}

    async def get(self, tenant_id: str, payment_id: str) -> LedgerEntry | None:
        return self.entries.get((tenant_id, payment_id))

    async def put(self, entry: LedgerEntry) -> None:
        self.entries[(entry.tenant_id, entry.payment_id)] = entry

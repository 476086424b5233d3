"""The portal's collections in MongoDB (FerretDB locally): one document per customer, per
current link, per tenant's settings and per ready group. Single-document writes only."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from listflow.kit.mongo import Document, gather_bounded
from listflow.portal.domain.model import AccessLink, AccountView, Customer, PortalSettings
from listflow.portal.ports import LinkPage
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


def _key(tenant_id: str, contact_id: str) -> str:
    return f"{tenant_id}:{contact_id}"


def _customer_doc(c: Customer) -> Document:
    return {
        "_id": _key(c.tenant_id, c.contact_id),
        "tenant_id": c.tenant_id,
        "contact_id": c.contact_id,
        "version": c.version,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "date_of_birth": c.date_of_birth.isoformat() if c.date_of_birth else None,
        "postcode": c.postcode,
        "national_id_last4": c.national_id_last4,
        # Money as strings: exact on both MongoDB and FerretDB (no Decimal128 needed).
        "accounts": [
            {
                "id": a.id,
                "number": a.number,
                "balance": str(a.balance) if a.balance is not None else None,
                "currency": a.currency,
            }
            for a in c.accounts
        ],
        "group_ids": list(c.group_ids),
        "deleted": c.deleted,
    }


def _customer(doc: Document) -> Customer:
    return Customer(
        tenant_id=doc["tenant_id"],
        contact_id=doc["contact_id"],
        version=doc["version"],
        first_name=doc.get("first_name"),
        last_name=doc.get("last_name"),
        date_of_birth=date.fromisoformat(doc["date_of_birth"])
        if doc.get("date_of_birth")
        else None,
        postcode=doc.get("postcode"),
        national_id_last4=doc.get("national_id_last4"),
        accounts=tuple(
            AccountView(
                id=a["id"],
                number=a["number"],
                balance=Decimal(a["balance"]) if a.get("balance") is not None else None,
                currency=a.get("currency"),
            )
            for a in doc.get("accounts", [])
        ),
        group_ids=tuple(doc.get("group_ids", [])),
        deleted=doc.get("deleted", False),
    )


def _link_doc(link: AccessLink) -> Document:
    return {
        "_id": _key(link.tenant_id, link.contact_id),
        "link_id": link.id,
        "tenant_id": link.tenant_id,
        "contact_id": link.contact_id,
        "token_hash": link.token_hash,
        "issued_at": link.issued_at,
        "expires_at": link.expires_at,
        "reason": link.reason,
        "revoked_at": link.revoked_at,
        "published": link.published,
    }


def _utc(value: datetime | None) -> datetime | None:
    # BSON dates are UTC; a client made without tz_aware hands them back naive.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _link(doc: Document) -> AccessLink:
    return AccessLink(
        id=doc["link_id"],
        tenant_id=doc["tenant_id"],
        contact_id=doc["contact_id"],
        token_hash=doc["token_hash"],
        issued_at=_utc(doc["issued_at"]) or doc["issued_at"],
        expires_at=_utc(doc["expires_at"]) or doc["expires_at"],
        reason=doc["reason"],
        revoked_at=_utc(doc.get("revoked_at")),
        published=doc.get("published", False),
    )


class MongoPortalRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._settings = database["settings"]
        self._customers = database["customers"]
        self._ready = database["ready_groups"]
        self._links = database["links"]

    async def ensure_indexes(self) -> None:
        await self._customers.create_index([("tenant_id", ASCENDING), ("group_ids", ASCENDING)])
        # Every page view finds its link by the token's hash: unique, one index probe.
        await self._links.create_index("token_hash", unique=True)
        await self._links.create_index([("tenant_id", ASCENDING), ("contact_id", ASCENDING)])

    async def get_settings(self, tenant_id: str) -> PortalSettings | None:
        doc = await self._settings.find_one({"_id": tenant_id})
        if doc is None:
            return None
        return PortalSettings.model_validate(doc["settings"])

    async def put_settings(self, tenant_id: str, settings: PortalSettings) -> None:
        await self._settings.replace_one(
            {"_id": tenant_id}, {"settings": settings.model_dump(mode="json")}, upsert=True
        )

    async def upsert_customers(self, customers: Sequence[Customer]) -> list[Customer]:
        # The newest snapshot per contact of the batch, then one guarded write each.
        newest: dict[str, Customer] = {}
        for c in customers:
            key = _key(c.tenant_id, c.contact_id)
            if key not in newest or newest[key].version < c.version:
                newest[key] = c

        async def write(c: Customer) -> Customer | None:
            doc = _customer_doc(c)
            try:
                result = await self._customers.replace_one(
                    {"_id": doc["_id"], "version": {"$lt": c.version}}, doc, upsert=True
                )
            except DuplicateKeyError:
                return None  # a newer (or the same) snapshot is stored: nothing to do
            return c if (result.upserted_id is not None or result.modified_count) else None

        written = await gather_bounded(write(c) for c in newest.values())
        return [c for c in written if c is not None]

    async def get_customer(self, tenant_id: str, contact_id: str) -> Customer | None:
        doc = await self._customers.find_one({"_id": _key(tenant_id, contact_id)})
        return _customer(doc) if doc is not None else None

    async def customers_in_group(self, tenant_id: str, group_id: str) -> list[Customer]:
        cursor = self._customers.find(
            {"tenant_id": tenant_id, "group_ids": group_id, "deleted": False}
        ).sort("_id", ASCENDING)
        return [_customer(doc) async for doc in cursor]

    async def mark_group_ready(self, tenant_id: str, group_id: str, at: datetime) -> None:
        await self._ready.update_one(
            {"_id": _key(tenant_id, group_id)},
            {"$set": {"tenant_id": tenant_id, "group_id": group_id, "ready_at": at}},
            upsert=True,
        )

    async def ready_groups(self, tenant_id: str) -> set[str]:
        return {doc["group_id"] async for doc in self._ready.find({"tenant_id": tenant_id})}

    async def current_link(self, tenant_id: str, contact_id: str) -> AccessLink | None:
        doc = await self._links.find_one({"_id": _key(tenant_id, contact_id)})
        return _link(doc) if doc is not None else None

    async def insert_link(self, link: AccessLink) -> bool:
        try:
            await self._links.insert_one(_link_doc(link))
        except DuplicateKeyError:
            return False
        return True

    async def replace_link(self, old: AccessLink, new: AccessLink) -> bool:
        result = await self._links.replace_one(
            {"_id": _key(old.tenant_id, old.contact_id), "link_id": old.id}, _link_doc(new)
        )
        return result.matched_count == 1

    async def save_link_state(self, link: AccessLink) -> bool:
        result = await self._links.update_one(
            {"_id": _key(link.tenant_id, link.contact_id), "link_id": link.id},
            {"$set": {"published": link.published, "revoked_at": link.revoked_at}},
        )
        return result.matched_count == 1

    async def link_by_token_hash(self, token_hash: str) -> AccessLink | None:
        doc = await self._links.find_one({"token_hash": token_hash})
        return _link(doc) if doc is not None else None

    async def links_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> LinkPage:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if contact_id is not None:
            query["contact_id"] = contact_id
        elif cursor is not None:
            query["contact_id"] = {"$gt": cursor}
        docs = (
            await self._links.find(query).sort("contact_id", ASCENDING).limit(limit + 1).to_list()
        )
        links = [_link(d) for d in docs[:limit]]
        more = len(docs) > limit
        return LinkPage(links, links[-1].contact_id if more and links else None)

"""The portal's collections in MongoDB (FerretDB locally): one document per customer, per
current link, per tenant's settings and per ready group. Single-document writes only."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from listflow.kit.clock import to_millis
from listflow.kit.mongo import (
    ONE_BATCH,
    Document,
    drop_index_if_present,
    find_any,
    insert_new,
    replace_many,
)
from listflow.portal.domain.idv import LockState
from listflow.portal.domain.model import (
    AccessLink,
    AccountView,
    Customer,
    PlanOffer,
    PortalSettings,
)
from listflow.portal.domain.money import Instalment, Judged, Payment, Plan, Promise
from listflow.portal.ports import AttemptPage, IdvAttempt, LinkPage, PageView, PaymentPage
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

# Links marked announced in one update each.
_MARK_CHUNK = 1000


# The links' index of (tenant, contact) of earlier versions.
_LINKS_BY_CONTACT = "tenant_id_1_contact_id_1"


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
        "national_id_last4_fp": c.national_id_last4_fp,
        "plan_offer": (
            {
                "instalments": c.plan_offer.instalments,
                "frequency": c.plan_offer.frequency,
                "amount": str(c.plan_offer.amount) if c.plan_offer.amount is not None else None,
            }
            if c.plan_offer is not None
            else None
        ),
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
        national_id_last4_fp=doc.get("national_id_last4_fp"),
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
        plan_offer=_plan_offer(doc.get("plan_offer")),
    )


def _plan_offer(doc: Document | None) -> PlanOffer | None:
    if doc is None:
        return None
    amount = doc.get("amount")
    return PlanOffer(doc["instalments"], doc["frequency"], Decimal(amount) if amount else None)


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
        "batch": link.batch,
    }


def _utc(value: datetime | None) -> datetime | None:
    # BSON dates are UTC; a client made without tz_aware hands them back naive.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _link(doc: Document, announced: set[str] | frozenset[str] = frozenset()) -> AccessLink:
    batch = doc.get("batch")
    return AccessLink(
        id=doc["link_id"],
        tenant_id=doc["tenant_id"],
        contact_id=doc["contact_id"],
        token_hash=doc["token_hash"],
        issued_at=_utc(doc["issued_at"]) or doc["issued_at"],
        expires_at=_utc(doc["expires_at"]) or doc["expires_at"],
        reason=doc["reason"],
        revoked_at=_utc(doc.get("revoked_at")),
        published=doc.get("published", False) or batch in announced,
        batch=batch,
    )


def _lock(doc: Document) -> LockState:
    return LockState(doc.get("failures", 0), _utc(doc.get("locked_until")))


class MongoPortalRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._settings = database["settings"]
        self._customers = database["customers"]
        self._ready = database["ready_groups"]
        self._links = database["links"]
        self._announced = database["announced_batches"]
        self._locks = database["idv_locks"]
        self._throttle = database["throttle"]
        self._attempts = database["idv_attempts"]
        self._payments = database["payments"]
        self._promises = database["promises"]
        self._plans = database["plans"]

    async def ensure_indexes(self) -> None:
        await self._customers.create_index([("tenant_id", ASCENDING), ("group_ids", ASCENDING)])
        # Every page view finds its link by the token's hash: unique, one index probe.
        await self._links.create_index("token_hash", unique=True)
        # A link's `_id` is "tenant:contact", so a tenant's links page in `_id` order. An
        # index of (tenant, contact) beside it cost each link's two writes (issued, then
        # marked announced) ~10 us of the store apiece (docs/performance.md, s14); a store
        # made before drops it.
        await drop_index_if_present(self._links, _LINKS_BY_CONTACT)
        await self._attempts.create_index([("tenant_id", ASCENDING), ("contact_id", ASCENDING)])
        await self._payments.create_index(
            [("tenant_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]
        )
        await self._payments.create_index([("tenant_id", ASCENDING), ("contact_id", ASCENDING)])
        await self._promises.create_index([("tenant_id", ASCENDING), ("contact_id", ASCENDING)])
        await self._promises.create_index([("state", ASCENDING), ("due_date", ASCENDING)])
        await self._plans.create_index([("tenant_id", ASCENDING), ("contact_id", ASCENDING)])
        await self._plans.create_index("next_due")
        # Throttle windows are worthless once over; MongoDB drops them itself.
        await self._throttle.create_index("expires_at", expireAfterSeconds=0)

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

        # One guarded upsert each, a thousand to a request: a stored snapshot as new or newer
        # refuses the upsert (its _id is taken), so that customer is not "kept".
        batch = list(newest.values())
        replaced = await replace_many(
            self._customers,
            [
                ({"_id": doc["_id"], "version": {"$lt": c.version}}, doc)
                for c in batch
                for doc in (_customer_doc(c),)
            ],
            upsert=True,
        )
        return [c for i, c in enumerate(batch) if i not in replaced.refused]

    async def page_view(self, tenant_id: str, contact_id: str) -> PageView | None:
        # One aggregation instead of four finds: every page view pays each round trip in the
        # driver, FerretDB and PostgreSQL (measured in docs/performance.md, portal pages).
        # The link shares the customer's _id; the lock is the link's; settings the tenant's.
        pipeline: list[Document] = [
            {"$match": {"_id": _key(tenant_id, contact_id)}},
            {"$lookup": {"from": "links", "localField": "_id", "foreignField": "_id",
                         "as": "link"}},
            {"$lookup": {"from": "idv_locks", "localField": "link.link_id",
                         "foreignField": "_id", "as": "lock"}},
            {"$lookup": {"from": "settings", "localField": "tenant_id", "foreignField": "_id",
                         "as": "settings"}},
        ]  # fmt: skip
        docs = await (await self._customers.aggregate(pipeline)).to_list(1)
        if not docs or not docs[0]["link"]:
            return None
        doc = docs[0]
        settings = doc["settings"][0]["settings"] if doc["settings"] else None
        return PageView(
            customer=_customer(doc),
            link=_link(doc["link"][0]),
            lock=_lock(doc["lock"][0]) if doc["lock"] else LockState(),
            settings=PortalSettings.model_validate(settings) if settings is not None else None,
        )

    async def get_customer(self, tenant_id: str, contact_id: str) -> Customer | None:
        doc = await self._customers.find_one({"_id": _key(tenant_id, contact_id)})
        return _customer(doc) if doc is not None else None

    async def contact_ids_in_group(self, tenant_id: str, group_id: str) -> list[str]:
        # The ids alone: a redelivered ListReady of 100,000 customers decoded every one of
        # them whole (~60 us each) only to look up their links. Unsorted and in as few
        # batches as the 16 MiB reply allows (~5 MB for 100,000 ids): DocumentDB sorted the
        # whole group before the first batch, and each cursor costs the store a backend
        # (kit.mongo.ONE_BATCH).
        cursor = self._customers.find(
            {"tenant_id": tenant_id, "group_ids": group_id, "deleted": False},
            {"_id": 0, "contact_id": 1},
        ).batch_size(ONE_BATCH)
        return [doc["contact_id"] async for doc in cursor]

    async def mark_group_ready(self, tenant_id: str, group_id: str, at: datetime) -> bool:
        before = await self._ready.find_one_and_update(
            {"_id": _key(tenant_id, group_id)},
            {"$set": {"tenant_id": tenant_id, "group_id": group_id}, "$max": {"ready_at": at}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        answered = _utc(before.get("answered_at")) if before is not None else None
        return answered is not None and answered >= to_millis(at)

    async def mark_group_answered(self, tenant_id: str, group_id: str, at: datetime) -> None:
        await self._ready.update_one(
            {"_id": _key(tenant_id, group_id)}, {"$max": {"answered_at": at}}
        )

    async def ready_groups(self, tenant_id: str) -> set[str]:
        return {doc["group_id"] async for doc in self._ready.find({"tenant_id": tenant_id})}

    async def current_link(self, tenant_id: str, contact_id: str) -> AccessLink | None:
        doc = await self._links.find_one({"_id": _key(tenant_id, contact_id)})
        return (await self._links_of([doc]))[0] if doc is not None else None

    async def current_links(
        self, tenant_id: str, contact_ids: Sequence[str]
    ) -> dict[str, AccessLink]:
        # One $in per thousand on _id, where a point query each cost a round trip through the
        # driver, FerretDB and PostgreSQL per customer of a ready list (docs/performance.md).
        docs = await find_any(self._links, "_id", [_key(tenant_id, c) for c in contact_ids])
        return {link.contact_id: link for link in await self._links_of(docs)}

    async def _links_of(self, docs: Sequence[Document]) -> list[AccessLink]:
        """The links, each read as announced if it was or its batch was."""
        batches = list({d["batch"] for d in docs if d.get("batch") and not d.get("published")})
        announced = {d["_id"] for d in await find_any(self._announced, "_id", batches)}
        return [_link(d, announced) for d in docs]

    async def insert_link(self, link: AccessLink) -> bool:
        try:
            await self._links.insert_one(_link_doc(link))
        except DuplicateKeyError:
            return False
        return True

    async def insert_links(self, links: Sequence[AccessLink]) -> set[str]:
        taken = await insert_new(self._links, [_link_doc(li) for li in links])
        return {li.id for i, li in enumerate(links) if i not in taken}

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

    async def mark_links_published(self, links: Sequence[AccessLink]) -> None:
        # A batch's links are announced once for the batch, in one small document: marking
        # each link rewrote each of them (and its index entries) a second time, ~45 us of
        # the store a link (docs/performance.md, s14). A link replaced meanwhile belongs to
        # its own writer's batch, so it is left as that writer put it.
        batches = list(dict.fromkeys(li.batch for li in links if li.batch))
        await insert_new(self._announced, [{"_id": b} for b in batches])
        single = [li for li in links if not li.batch]
        # A link id names one contact's link, so `_id` and `link_id` both in the lists is
        # each contact's own pair: a link replaced meanwhile is left as its writer put it.
        for start in range(0, len(single), _MARK_CHUNK):
            chunk = single[start : start + _MARK_CHUNK]
            await self._links.update_many(
                {
                    "_id": {"$in": [_key(li.tenant_id, li.contact_id) for li in chunk]},
                    "link_id": {"$in": [li.id for li in chunk]},
                },
                {"$set": {"published": True}},
            )

    async def link_by_token_hash(self, token_hash: str) -> AccessLink | None:
        doc = await self._links.find_one({"token_hash": token_hash})
        return _link(doc) if doc is not None else None

    async def links_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> LinkPage:
        # The tenant's range of `_id`s ("tenant:" up to "tenant;"), and its tenant_id too: a
        # tenant id holding ":" would otherwise share another's range.
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if contact_id is not None:
            query["_id"] = _key(tenant_id, contact_id)
        else:
            after = _key(tenant_id, cursor) if cursor is not None else f"{tenant_id}:"
            query["_id"] = {"$gt": after, "$lt": f"{tenant_id};"}
        docs = await self._links.find(query).sort("_id", ASCENDING).limit(limit + 1).to_list()
        links = await self._links_of(docs[:limit])
        more = len(docs) > limit
        return LinkPage(links, links[-1].contact_id if more and links else None)

    # --- ID&V ---------------------------------------------------------------------------

    async def lock_state(self, link_id: str) -> LockState:
        doc = await self._locks.find_one({"_id": link_id})
        return _lock(doc) if doc is not None else LockState()

    async def record_failure(self, link_id: str) -> int:
        # One atomic increment: concurrent wrong answers each count.
        doc = await self._locks.find_one_and_update(
            {"_id": link_id},
            {"$inc": {"failures": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None  # upsert with ReturnDocument.AFTER always answers one
        return int(doc["failures"])

    async def lock(self, link_id: str, until: datetime) -> None:
        await self._locks.update_one(
            {"_id": link_id}, {"$set": {"failures": 0, "locked_until": until}}, upsert=True
        )

    async def clear_failures(self, link_id: str) -> None:
        await self._locks.update_one({"_id": link_id}, {"$set": {"failures": 0}})

    async def hit(self, key: str, window_start: datetime, expires_at: datetime) -> int:
        doc = await self._throttle.find_one_and_update(
            {"_id": f"{key}:{window_start.isoformat()}"},
            {"$inc": {"n": 1}, "$setOnInsert": {"expires_at": expires_at}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None  # upsert with ReturnDocument.AFTER always answers one
        return int(doc["n"])

    async def audit(self, attempt: IdvAttempt) -> None:
        await self._attempts.insert_one(
            {
                "_id": attempt.id,
                "tenant_id": attempt.tenant_id,
                "contact_id": attempt.contact_id,
                "link_id": attempt.link_id,
                "at": attempt.at,
                "outcome": attempt.outcome,
                "address": attempt.address,
            }
        )

    async def attempts_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> AttemptPage:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if contact_id is not None:
            query["contact_id"] = contact_id
        if cursor is not None:
            query["_id"] = {"$lt": cursor}
        docs = await self._attempts.find(query).sort("_id", DESCENDING).limit(limit + 1).to_list()
        items = [
            IdvAttempt(
                id=d["_id"],
                tenant_id=d["tenant_id"],
                contact_id=d["contact_id"],
                link_id=d["link_id"],
                at=_utc(d["at"]) or d["at"],
                outcome=d["outcome"],
                address=d["address"],
            )
            for d in docs[:limit]
        ]
        return AttemptPage(items, items[-1].id if len(docs) > limit and items else None)

    # --- payments, promises, plans ---------------------------------------------------------

    async def insert_payment(self, payment: Payment) -> Payment:
        try:
            await self._payments.insert_one(_payment_doc(payment))
        except DuplicateKeyError:
            stored = await self.get_payment(payment.tenant_id, payment.id)
            assert stored is not None
            return stored
        return payment

    async def set_intent(self, payment: Payment, intent_id: str, hosted_url: str) -> None:
        await self._payments.update_one(
            {"_id": _key(payment.tenant_id, payment.id)},
            {"$set": {"intent_id": intent_id, "hosted_url": hosted_url}},
        )

    async def get_payment(self, tenant_id: str, payment_id: str) -> Payment | None:
        doc = await self._payments.find_one({"_id": _key(tenant_id, payment_id)})
        return _payment(doc) if doc is not None else None

    async def settle(self, settled: Payment) -> bool:
        # The status in the filter makes the first final result the only one written.
        result = await self._payments.update_one(
            {"_id": _key(settled.tenant_id, settled.id), "status": "pending"},
            {
                "$set": {
                    "status": settled.status,
                    "settled_at": settled.settled_at,
                    "reason": settled.reason,
                    "provider_reference": settled.provider_reference,
                    "published": False,
                }
            },
        )
        return result.modified_count == 1

    async def mark_published(self, payment: Payment) -> None:
        await self._payments.update_one(
            {"_id": _key(payment.tenant_id, payment.id)}, {"$set": {"published": True}}
        )

    async def payments_of(self, tenant_id: str, contact_id: str) -> list[Payment]:
        cursor = self._payments.find({"tenant_id": tenant_id, "contact_id": contact_id})
        docs = await cursor.sort([("created_at", DESCENDING), ("_id", DESCENDING)]).to_list()
        return [_payment(d) for d in docs]

    async def payments_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> PaymentPage:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if contact_id is not None:
            query["contact_id"] = contact_id
        if cursor is not None:
            last = await self._payments.find_one({"_id": _key(tenant_id, cursor)})
            if last is None:
                return PaymentPage([], None)
            query["$or"] = [
                {"created_at": {"$lt": last["created_at"]}},
                {"created_at": last["created_at"], "_id": {"$lt": last["_id"]}},
            ]
        docs = (
            await self._payments.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit + 1)
            .to_list()
        )
        items = [_payment(d) for d in docs[:limit]]
        return PaymentPage(items, items[-1].id if len(docs) > limit and items else None)

    async def insert_promise(self, promise: Promise) -> None:
        await self._promises.insert_one(
            {
                "_id": _key(promise.tenant_id, promise.id),
                "promise_id": promise.id,
                **_account_doc(promise),
                "amount": str(promise.amount),
                "currency": promise.currency,
                "due_date": promise.due_date.isoformat(),
                "made_at": promise.made_at,
                "state": promise.state,
                "judged_at": promise.judged_at,
                "announced": promise.announced,
            }
        )

    async def promises_of(self, tenant_id: str, contact_id: str) -> list[Promise]:
        cursor = self._promises.find({"tenant_id": tenant_id, "contact_id": contact_id})
        return [_promise(d) for d in await cursor.to_list()]

    async def promises_to_judge(self, due_before: date, limit: int) -> list[Promise]:
        # ISO dates compare as strings: one range on the due date.
        query = {
            "$or": [
                {"state": "open", "due_date": {"$lt": due_before.isoformat()}},
                {"announced": False},
            ]
        }
        return [_promise(d) for d in await self._promises.find(query).limit(limit).to_list()]

    async def judge(self, judged: Promise) -> bool:
        result = await self._promises.update_one(
            {"_id": _key(judged.tenant_id, judged.id), "state": "open"},
            {"$set": {"state": judged.state, "judged_at": judged.judged_at, "announced": False}},
        )
        return result.modified_count == 1

    async def mark_announced(self, promise: Promise) -> None:
        await self._promises.update_one(
            {"_id": _key(promise.tenant_id, promise.id)}, {"$set": {"announced": True}}
        )

    async def insert_plan(self, plan: Plan) -> None:
        await self._plans.insert_one(
            {
                "_id": _key(plan.tenant_id, plan.id),
                "plan_id": plan.id,
                **_account_doc(plan),
                "currency": plan.currency,
                "frequency": plan.frequency,
                "instalments": [
                    {
                        "number": i.number,
                        "due_date": i.due_date.isoformat(),
                        "amount": str(i.amount),
                    }
                    for i in plan.instalments
                ],
                "agreed_at": plan.agreed_at,
                "judged": {},
                "next_due": plan.instalments[0].due_date.isoformat(),
                "unannounced": False,
            }
        )

    async def plans_of(self, tenant_id: str, contact_id: str) -> list[Plan]:
        cursor = self._plans.find({"tenant_id": tenant_id, "contact_id": contact_id})
        return [_plan(d) for d in await cursor.to_list()]

    async def plans_to_judge(self, due_before: date, limit: int) -> list[Plan]:
        query = {"$or": [{"next_due": {"$lt": due_before.isoformat()}}, {"unannounced": True}]}
        return [_plan(d) for d in await self._plans.find(query).limit(limit).to_list()]

    async def judge_instalment(self, plan: Plan, judged: Judged, next_due: date | None) -> bool:
        # One verdict per instalment: the missing field in the filter makes it the only one.
        field = f"judged.{judged.number}"
        result = await self._plans.update_one(
            {"_id": _key(plan.tenant_id, plan.id), field: {"$exists": False}},
            {
                "$set": {
                    field: {
                        "state": judged.state,
                        "payment_id": judged.payment_id,
                        "at": judged.at,
                        "announced": False,
                    },
                    "next_due": next_due.isoformat() if next_due else None,
                    "unannounced": True,
                }
            },
        )
        return result.modified_count == 1

    async def mark_instalment_announced(self, plan: Plan, number: int) -> None:
        key = _key(plan.tenant_id, plan.id)
        await self._plans.update_one({"_id": key}, {"$set": {f"judged.{number}.announced": True}})
        doc = await self._plans.find_one({"_id": key})
        if doc is not None and all(j.get("announced") for j in doc.get("judged", {}).values()):
            await self._plans.update_one({"_id": key}, {"$set": {"unannounced": False}})


def _plan(d: Document) -> Plan:
    return Plan(
        id=d["plan_id"],
        **_account_fields(d),
        currency=d["currency"],
        frequency=d["frequency"],
        instalments=tuple(
            Instalment(i["number"], date.fromisoformat(i["due_date"]), Decimal(i["amount"]))
            for i in d["instalments"]
        ),
        agreed_at=_utc(d["agreed_at"]) or d["agreed_at"],
        judged=tuple(
            Judged(
                int(n),
                j["state"],
                j.get("payment_id"),
                _utc(j["at"]) or j["at"],
                j.get("announced", False),
            )
            for n, j in sorted(d.get("judged", {}).items(), key=lambda item: int(item[0]))
        ),
    )


def _payment_doc(p: Payment) -> Document:
    return {
        "_id": _key(p.tenant_id, p.id),
        "payment_id": p.id,
        **_account_doc(p),
        "amount": str(p.amount),
        "currency": p.currency,
        "created_at": p.created_at,
        "status": p.status,
        "intent_id": p.intent_id,
        "hosted_url": p.hosted_url,
        "reason": p.reason,
        "settled_at": p.settled_at,
        "provider_reference": p.provider_reference,
        "published": p.published,
        "plan_id": p.plan_id,
        "instalment": p.instalment,
    }


def _promise(d: Document) -> Promise:
    return Promise(
        id=d["promise_id"],
        **_account_fields(d),
        amount=Decimal(d["amount"]),
        currency=d["currency"],
        due_date=date.fromisoformat(d["due_date"]),
        made_at=_utc(d["made_at"]) or d["made_at"],
        state=d.get("state", "open"),
        judged_at=_utc(d.get("judged_at")),
        announced=d.get("announced", True),
    )


def _payment(d: Document) -> Payment:
    return Payment(
        id=d["payment_id"],
        **_account_fields(d),
        amount=Decimal(d["amount"]),
        currency=d["currency"],
        created_at=_utc(d["created_at"]) or d["created_at"],
        status=d["status"],
        intent_id=d.get("intent_id"),
        hosted_url=d.get("hosted_url"),
        reason=d.get("reason"),
        settled_at=_utc(d.get("settled_at")),
        provider_reference=d.get("provider_reference"),
        published=d.get("published", False),
        plan_id=d.get("plan_id"),
        instalment=d.get("instalment"),
    )


def _account_doc(record: Payment | Promise | Plan) -> Document:
    """The account a payment, promise or plan is about, as its documents hold it."""
    return {
        "tenant_id": record.tenant_id,
        "contact_id": record.contact_id,
        "account_id": record.account_id,
        "account_number": record.account_number,
    }


def _account_fields(doc: Document) -> dict[str, str]:
    return {k: doc[k] for k in ("tenant_id", "contact_id", "account_id", "account_number")}

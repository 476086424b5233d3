"""Lead lists, campaigns, leads, queue entries and the do-not-call list in MongoDB/FerretDB.

Only single-document writes and equality lookups per key (no `$in`, no multi-statement bulk
updates, no transactions): the same rules as contacts, for the same FerretDB reasons.
"""

import contextlib
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from listflow.kit.logging import get_logger
from listflow.kit.mongo import (
    Document,
    find_any,
    gather_bounded,
    insert_new,
    is_duplicate_key,
    replace_many,
)
from listflow.leads.domain.errors import ConcurrentUpdate, NameTaken
from listflow.leads.domain.keys import (
    entry_keys,
    entry_state_key,
    hold_document,
    hold_key,
    list_key,
    phone_key,
)
from listflow.leads.domain.model import Campaign, Lead, LeadList, parse_hhmm, valid_days
from listflow.leads.domain.retry import DEFAULT_GAP_MINUTES, RetryRules, rules_in_range
from listflow.leads.domain.windows import CallingHours
from listflow.schemas.leads import CustomFieldDefinition, DialResult, LeadData, LeadStatus
from listflow.schemas.text import safe_text
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

_log = get_logger(__name__)
T = TypeVar("T")
__all__ = ["ConcurrentUpdate", "MongoLeadRepository", "list_key", "phone_key"]


def _phone_keys(leads: Iterable[Lead]) -> list[str]:
    return [phone_key(x.tenant_id, p) for x in leads for p in x.phones]


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


# --- documents -----------------------------------------------------------------------------


def list_to_document(item: LeadList) -> Document:
    return {
        "_id": item.id,
        "tenant_id": item.tenant_id,
        "name": item.name,
        "name_key": item.name.strip().casefold(),
        "time_zone": item.time_zone,
        "owner": item.owner,
        "description": item.description,
        "fields": [f.model_dump() for f in item.fields],
        "enabled": item.enabled,
        "campaign_ids": list(item.campaign_ids),
        "ready": item.ready,
        "epochs": dict(item.epochs),
    }


def _text(doc: Document, field: str) -> str:
    """A stored string the API can show, or ValueError (the document is unreadable)."""
    value = doc.get(field)
    if not isinstance(value, str) or not value.strip() or not safe_text(value):
        raise ValueError(f"{field} is not a readable text")
    return value


def _optional_text(doc: Document, field: str) -> str | None:
    value = doc.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not safe_text(value):
        raise ValueError(f"{field} is not a readable text")
    return value


def list_from_document(doc: Document) -> LeadList:
    """The list, or ValueError/TypeError/KeyError for a document the API could not show."""
    campaign_ids = tuple(doc.get("campaign_ids") or ())
    if not all(isinstance(c, str) for c in campaign_ids):
        raise ValueError("campaign_ids are not strings")
    return LeadList(
        id=_text(doc, "_id"),
        tenant_id=doc["tenant_id"],
        name=_text(doc, "name"),
        time_zone=_optional_text(doc, "time_zone") or "UTC",
        owner=_optional_text(doc, "owner"),
        description=_optional_text(doc, "description"),
        fields=tuple(CustomFieldDefinition.model_validate(f) for f in doc.get("fields") or ()),
        enabled=bool(doc.get("enabled")),
        campaign_ids=campaign_ids,
        ready=bool(doc.get("ready")),
        epochs={str(k): int(v) for k, v in (doc.get("epochs") or {}).items()},
    )


def campaign_to_document(item: Campaign) -> Document:
    return {
        "_id": item.id,
        "tenant_id": item.tenant_id,
        "name": item.name,
        "name_key": item.name.strip().casefold(),
        "hours": {
            "start": _hhmm(item.hours.start),
            "end": _hhmm(item.hours.end),
            "days": list(item.hours.days),
        },
        "retry": {
            "max_attempts": item.retry.max_attempts,
            "gap_minutes": dict(item.retry.gap_minutes),
            "default_gap": item.retry.default_gap,
        },
        "priority": item.priority,
    }


_OUTCOMES = frozenset(r.value for r in DialResult)


def campaign_from_document(doc: Document) -> Campaign:
    """The campaign, or ValueError/TypeError/KeyError for a document the API could not show."""
    hours = doc.get("hours") or {}
    retry = doc.get("retry") or {}
    start = parse_hhmm(hours.get("start", "08:00"))
    end = parse_hhmm(hours.get("end", "21:00"))
    if start >= end:
        raise ValueError("calling hours end before they start")
    stored = retry.get("gap_minutes", RetryRules().gap_minutes)
    # Outcomes no dialer reports never decide a gap: older documents may name some.
    gaps = {str(k): int(v) for k, v in dict(stored).items() if k in _OUTCOMES}
    max_attempts = int(retry.get("max_attempts", 3))
    default_gap = int(retry.get("default_gap", 60))
    if not rules_in_range(max_attempts, gaps, default_gap):
        raise ValueError("retry rules out of range")
    return Campaign(
        id=_text(doc, "_id"),
        tenant_id=doc["tenant_id"],
        name=_text(doc, "name"),
        hours=CallingHours(
            start=start,
            end=end,
            days=valid_days(list(hours.get("days", CallingHours().days))),
        ),
        retry=RetryRules(max_attempts=max_attempts, gap_minutes=gaps, default_gap=default_gap),
        priority=int(doc.get("priority", 0)),
    )


def readable(build: Callable[[Document], T], doc: Document | None, collection: str) -> T | None:
    """`build(doc)`, or None (logged) for a document the service cannot serve: a read that
    meets one skips it rather than failing the whole page (documents written before the API
    validated its input; `repair_documents` mends them at startup)."""
    if doc is None:
        return None
    try:
        return build(doc)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # ValidationError too
        _log.warning(
            "unreadable document skipped",
            collection=collection,
            document_id=str(doc.get("_id"))[:100],
            error=type(exc).__name__,
        )
        return None


def repaired_list(doc: Document) -> Document:
    """A list document with every unreadable field set to what a new list would have."""
    fixed = dict(doc)
    if not _readable_text(doc.get("name")):
        fixed["name"] = f"Lead list {doc['_id']}"
        fixed["name_key"] = fixed["name"].casefold()
    if not _readable_text(doc.get("time_zone")):
        fixed["time_zone"] = "UTC"
    for field in ("owner", "description"):
        if doc.get(field) is not None and not _readable_text(doc.get(field)):
            fixed[field] = None
    fields = []
    stored = doc.get("fields")
    for f in stored if isinstance(stored, list) else ():
        with contextlib.suppress(TypeError, ValueError):
            fields.append(CustomFieldDefinition.model_validate(f).model_dump())
    fixed["fields"] = fields
    fixed["enabled"] = doc.get("enabled") is True
    ids = doc.get("campaign_ids")
    fixed["campaign_ids"] = [c for c in ids if isinstance(c, str)] if isinstance(ids, list) else []
    return fixed


def repaired_campaign(doc: Document) -> Document:
    """A campaign document with unreadable parts set to a new campaign's defaults."""
    fixed = dict(doc)
    default = campaign_to_document(Campaign(id=str(doc["_id"]), tenant_id="", name="-"))
    if not _readable_text(doc.get("name")):
        fixed["name"] = f"Dialer campaign {doc['_id']}"
        fixed["name_key"] = fixed["name"].casefold()
    try:
        hours = doc["hours"]
        if parse_hhmm(hours["start"]) >= parse_hhmm(hours["end"]):
            raise ValueError("start after end")
        valid_days(list(hours["days"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        fixed["hours"] = default["hours"]
    stored = doc.get("retry")
    retry: dict[str, Any] = stored if isinstance(stored, dict) else {}
    try:
        gaps = {str(k): int(v) for k, v in dict(retry.get("gap_minutes", {})).items()}
    except (TypeError, ValueError):
        gaps = dict(DEFAULT_GAP_MINUTES)
    fixed["retry"] = {**default["retry"], **retry, "gap_minutes": gaps}
    for field in ("max_attempts", "default_gap"):
        if not isinstance(fixed["retry"][field], int):
            fixed["retry"][field] = default["retry"][field]
    rules = fixed["retry"]
    if not rules_in_range(rules["max_attempts"], rules["gap_minutes"], rules["default_gap"]):
        fixed["retry"] = default["retry"]
    if not isinstance(doc.get("priority", 0), int):
        fixed["priority"] = 0
    return fixed


def _readable_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and safe_text(value)


@dataclass(frozen=True, slots=True)
class Repairs:
    repaired: int = 0
    quarantined: int = 0


def lead_to_document(lead: Lead) -> Document:
    return {
        "_id": lead.id,
        "tenant_id": lead.tenant_id,
        "list_id": lead.list_id,
        "data": lead.data.model_dump(mode="json", exclude_defaults=True),
        "status": lead.status.value,
        "attempts": lead.attempts,
        "cycle": lead.cycle,
        "revision": lead.revision,
        "next_attempt_at": lead.next_attempt_at,
        "last_result": lead.last_result,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "created_from": lead.created_from,
        "last_source": lead.last_source,
        "version": lead.version,
        "match_keys": [
            list_key(lead.tenant_id, lead.list_id),
            *(phone_key(lead.tenant_id, p) for p in lead.phones),
        ],
    }


def lead_from_document(doc: Document) -> Lead:
    return Lead(
        id=doc["_id"],
        tenant_id=doc["tenant_id"],
        list_id=doc["list_id"],
        data=LeadData.model_validate(doc["data"]),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        status=LeadStatus(doc.get("status", "new")),
        attempts=int(doc.get("attempts", 0)),
        cycle=int(doc.get("cycle", 0)),
        revision=int(doc.get("revision", 0)),
        next_attempt_at=doc.get("next_attempt_at"),
        last_result=doc.get("last_result"),
        created_from=doc.get("created_from"),
        last_source=doc.get("last_source"),
        version=int(doc.get("version", 1)),
    )


async def _claim(
    collection: Any, claims: dict[str, str], at: datetime | None = None
) -> dict[str, str]:
    """Insert-only claims on a unique _id (atomic on MongoDB and FerretDB alike): key -> the
    lead id holding it, ours or the one that claimed it first."""
    holders = dict(claims)
    keys = list(claims)
    stamp = {"claimed_at": at} if at is not None else {}
    taken = sorted(
        await insert_new(collection, [{"_id": k, "lead_id": v, **stamp} for k, v in claims.items()])
    )
    docs = await gather_bounded(collection.find_one({"_id": keys[i]}) for i in taken)
    for i, doc in zip(taken, docs, strict=True):
        holders[keys[i]] = doc["lead_id"] if doc else ""
    return holders


class MongoLeadRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.lists = database["lead_lists"]
        self.campaigns = database["campaigns"]
        self.leads = database["leads"]
        self.queue = database["queue"]
        self.dnc = database["dnc"]
        self.holds = database["holds"]
        self.quarantine = database["quarantine"]
        self.unique = database["unique_values"]
        self.phone_claims = database["phone_claims"]

    async def ensure_indexes(self) -> None:
        await self.leads.create_index([("match_keys", ASCENDING)])
        await self.leads.create_index([("tenant_id", ASCENDING), ("list_id", ASCENDING)])
        await self.lists.create_index(
            [("tenant_id", ASCENDING), ("name_key", ASCENDING)], unique=True
        )
        await self.campaigns.create_index(
            [("tenant_id", ASCENDING), ("name_key", ASCENDING)], unique=True
        )
        await self.queue.create_index([("match_keys", ASCENDING), ("due_at", ASCENDING)])

    async def repair_documents(self) -> Repairs:
        """Mend the lists and campaigns that the API cannot show (stored before it validated
        its input): unreadable fields get a new record's defaults; a document still
        unreadable after that moves to `quarantine` (kept whole for a person to look at)."""
        repaired = quarantined = 0
        for collection, build, repair in (
            (self.lists, list_from_document, repaired_list),
            (self.campaigns, campaign_from_document, repaired_campaign),
        ):
            async for doc in collection.find({}):
                if readable(build, doc, collection.name) is not None:
                    continue
                fixed: Document | None
                try:
                    fixed = repair(doc)
                    build(fixed)
                except (AttributeError, KeyError, TypeError, ValueError):
                    fixed = None
                if fixed is not None:
                    try:
                        await collection.replace_one({"_id": doc["_id"]}, fixed)
                        repaired += 1
                        continue
                    except DuplicateKeyError:  # the default name is taken: keep it aside
                        pass
                await self.quarantine.replace_one(
                    {"_id": f"{collection.name}|{doc['_id']}"},
                    {"collection": collection.name, "document": doc, "at": datetime.now(UTC)},
                    upsert=True,
                )
                await collection.delete_one({"_id": doc["_id"]})
                quarantined += 1
        if repaired or quarantined:
            _log.warning("documents repaired", repaired=repaired, quarantined=quarantined)
        return Repairs(repaired=repaired, quarantined=quarantined)

    # --- lists ---------------------------------------------------------------------------

    async def insert_list(self, item: LeadList) -> bool:
        """Create a list; False if the tenant already has one of that name (or id)."""
        try:
            await self.lists.insert_one(list_to_document(item))
        except DuplicateKeyError:
            return False
        return True

    async def get_list(self, tenant_id: str, list_id: str) -> LeadList | None:
        doc = await self.lists.find_one({"_id": list_id})
        if not doc or doc.get("tenant_id") != tenant_id:
            return None
        return readable(list_from_document, doc, "lead_lists")

    async def list_by_name(self, tenant_id: str, name: str) -> LeadList | None:
        doc = await self.lists.find_one(
            {"tenant_id": tenant_id, "name_key": name.strip().casefold()}
        )
        return readable(list_from_document, doc, "lead_lists")

    async def page_lists(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LeadList], str | None]:
        return await self._page(
            self.lists, {"tenant_id": tenant_id}, limit, cursor, list_from_document
        )

    async def set_list(
        self, tenant_id: str, list_id: str, changes: dict[str, Any]
    ) -> LeadList | None:
        """Change a list; NameTaken if a rename meets another list's name (the unique index
        settles two renames racing to one name: the later one is refused, never a 500)."""
        if "name" in changes:
            changes = {**changes, "name_key": str(changes["name"]).strip().casefold()}
        try:
            result = await self.lists.find_one_and_update(
                {"_id": list_id, "tenant_id": tenant_id}, {"$set": changes}, return_document=True
            )
        except OperationFailure as error:
            if not is_duplicate_key(error):
                raise
            raise NameTaken("lead list", str(changes.get("name", ""))) from None
        return readable(list_from_document, result, "lead_lists")

    async def add_campaign_to_list(
        self, tenant_id: str, list_id: str, campaign_id: str
    ) -> LeadList | None:
        result = await self.lists.find_one_and_update(
            {"_id": list_id, "tenant_id": tenant_id},
            {"$addToSet": {"campaign_ids": campaign_id}},
            return_document=True,
        )
        return readable(list_from_document, result, "lead_lists")

    async def remove_campaign_from_list(
        self, tenant_id: str, list_id: str, campaign_id: str
    ) -> LeadList | None:
        result = await self.lists.find_one_and_update(
            {"_id": list_id, "tenant_id": tenant_id},
            {"$pull": {"campaign_ids": campaign_id}},
            return_document=True,
        )
        return readable(list_from_document, result, "lead_lists")

    async def delete_list(self, tenant_id: str, list_id: str) -> None:
        await self.lists.delete_one({"_id": list_id, "tenant_id": tenant_id})

    async def lists_of_campaign(self, tenant_id: str, campaign_id: str) -> list[LeadList]:
        docs = await self.lists.find(
            {"tenant_id": tenant_id, "campaign_ids": campaign_id}
        ).to_list()
        return [x for d in docs if (x := readable(list_from_document, d, "lead_lists"))]

    # --- campaigns ---------------------------------------------------------------------

    async def insert_campaign(self, item: Campaign) -> bool:
        try:
            await self.campaigns.insert_one(campaign_to_document(item))
        except DuplicateKeyError:
            return False
        return True

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign | None:
        doc = await self.campaigns.find_one({"_id": campaign_id})
        if not doc or doc.get("tenant_id") != tenant_id:
            return None
        return readable(campaign_from_document, doc, "campaigns")

    async def replace_campaign(self, item: Campaign) -> None:
        """Replace a campaign; NameTaken if its new name is another campaign's."""
        try:
            await self.campaigns.replace_one(
                {"_id": item.id, "tenant_id": item.tenant_id}, campaign_to_document(item)
            )
        except OperationFailure as error:
            if not is_duplicate_key(error):
                raise
            raise NameTaken("campaign", item.name) from None

    async def delete_campaign(self, tenant_id: str, campaign_id: str) -> None:
        await self.campaigns.delete_one({"_id": campaign_id, "tenant_id": tenant_id})

    async def page_campaigns(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Campaign], str | None]:
        return await self._page(
            self.campaigns, {"tenant_id": tenant_id}, limit, cursor, campaign_from_document
        )

    # --- leads ---------------------------------------------------------------------------

    async def find_by_phones(self, tenant_id: str, phones: Collection[str]) -> dict[str, Lead]:
        """Every lead of the tenant having any of `phones` (`$in` on `match_keys`)."""
        keys = [phone_key(tenant_id, p) for p in phones]
        return {
            doc["_id"]: lead_from_document(doc)
            for doc in await find_any(self.leads, "match_keys", keys)
            if doc["tenant_id"] == tenant_id
        }

    async def get_leads(self, ids: Collection[str]) -> dict[str, Lead]:
        return {d["_id"]: lead_from_document(d) for d in await find_any(self.leads, "_id", ids)}

    async def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        doc = await self.leads.find_one({"_id": lead_id})
        return lead_from_document(doc) if doc and doc["tenant_id"] == tenant_id else None

    async def save_leads(
        self, created: Sequence[Lead], updated: Sequence[tuple[Lead, int]]
    ) -> None:
        """Insert new leads (an existing id is this row's replay) and replace updated ones,
        each only if still at the version read; raises ConcurrentUpdate otherwise."""
        if created:
            await insert_new(self.leads, [lead_to_document(x) for x in created])
        if updated:
            replaced = await replace_many(
                self.leads,
                [({"_id": x.id, "version": v}, lead_to_document(x)) for x, v in updated],
            )
            stale = len(updated) - replaced.matched
            if stale:
                raise ConcurrentUpdate(f"{stale} leads changed meanwhile")

    async def set_lead(self, lead_id: str, changes: dict[str, Any]) -> None:
        # The version moves too, so a writer holding an older read (an upload's update, an
        # outcome) fails its conditional replace and re-reads instead of undoing this change.
        await self.leads.update_one({"_id": lead_id}, {"$set": changes, "$inc": {"version": 1}})

    async def set_lead_at(self, lead: Lead, changes: dict[str, Any]) -> bool:
        """Change a lead only if it is still at the attempt and cycle it was read at."""
        result = await self.leads.update_one(
            {"_id": lead.id, "attempts": lead.attempts, "cycle": lead.cycle},
            {"$set": changes, "$inc": {"version": 1}},
        )
        return result.matched_count == 1

    async def replace_lead(self, lead: Lead) -> None:
        await self.leads.replace_one({"_id": lead.id}, lead_to_document(lead))

    async def leads_of_list(
        self, tenant_id: str, list_id: str, batch: int = 500
    ) -> AsyncIterator[list[Lead]]:
        """Every lead of a list, in chunks, from one indexed query."""
        chunk: list[Lead] = []
        async for doc in self.leads.find({"match_keys": list_key(tenant_id, list_id)}).batch_size(
            batch
        ):
            chunk.append(lead_from_document(doc))
            if len(chunk) >= batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    async def page_leads(
        self,
        tenant_id: str,
        list_id: str | None,
        limit: int,
        cursor: str | None,
        status: str | None = None,
    ) -> tuple[list[Lead], str | None]:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if list_id is not None:
            query = {"match_keys": list_key(tenant_id, list_id)}
        if status is not None:
            query["status"] = status
        return await self._page(self.leads, query, limit, cursor, lead_from_document)

    async def delete_lead(self, lead_id: str) -> None:
        await self.leads.delete_one({"_id": lead_id})

    async def count_leads_by(self, match: dict[str, Any], field: str) -> dict[str, int]:
        pipeline = [{"$match": match}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}]
        rows = await (await self.leads.aggregate(pipeline)).to_list()
        return {str(r["_id"]): int(r["n"]) for r in rows}

    async def count_list_leads_by(self, tenant_id: str, list_id: str, field: str) -> dict[str, int]:
        """A list's leads counted by one field's values (status, last result)."""
        return await self.count_leads_by({"match_keys": list_key(tenant_id, list_id)}, field)

    async def claim_unique(self, claims: dict[str, str]) -> dict[str, str]:
        """Claim unique custom-field values (key -> lead id); returns each key's holder."""
        return await _claim(self.unique, claims)

    async def claim_phones(self, claims: dict[str, str], at: datetime) -> dict[str, str]:
        """Claim phones for leads about to be created (key -> lead id); returns the holders."""
        return await _claim(self.phone_claims, claims, at)

    async def phone_claim(self, key: str) -> Document | None:
        return await self.phone_claims.find_one({"_id": key})

    async def move_unique(self, key: str, holder: str, lead_id: str) -> None:
        await self.unique.update_one(
            {"_id": key, "lead_id": holder}, {"$set": {"lead_id": lead_id}}
        )

    # --- queue entries -------------------------------------------------------------------

    async def insert_entries(self, docs: Sequence[Document]) -> set[str]:
        """Insert queue entries; returns the ids that already existed (never overwritten)."""
        if not docs:
            return set()
        taken = await insert_new(
            self.queue, [{**d, "match_keys": entry_keys(d, d["state"])} for d in docs]
        )
        return {docs[i]["_id"] for i in taken}

    async def get_entries(self, ids: Collection[str]) -> dict[str, Document]:
        docs = await gather_bounded(self.queue.find_one({"_id": i}) for i in ids)
        return {d["_id"]: d for d in docs if d}

    async def set_entry(
        self, entry: Document, changes: dict[str, Any], expect: dict[str, Any] | None = None
    ) -> bool:
        """Change one entry, if it still matches `expect`; a new state moves its state key."""
        if "state" in changes:
            changes = {**changes, "match_keys": entry_keys(entry, changes["state"])}
        result = await self.queue.update_one(
            {"_id": entry["_id"], **(expect or {})}, {"$set": changes}
        )
        return result.matched_count == 1

    async def entries_by_key(self, key: str) -> list[Document]:
        return await self.queue.find({"match_keys": key}).to_list()

    async def due_entries(self, now: datetime, limit: int) -> list[Document]:
        query = {"match_keys": entry_state_key("deferred"), "due_at": {"$lte": now}}
        return await self.queue.find(query).sort("due_at", ASCENDING).limit(limit).to_list()

    async def entries(self, query: dict[str, Any]) -> list[Document]:
        """Entries by any filter (tests and tools; not an indexed path on FerretDB)."""
        return await self.queue.find(query).to_list()

    async def count_entries_by(self, match: dict[str, Any]) -> dict[str, int]:
        pipeline = [{"$match": match}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}]
        rows = await (await self.queue.aggregate(pipeline)).to_list()
        return {str(r["_id"]): int(r["n"]) for r in rows}

    # --- do not call --------------------------------------------------------------------

    async def add_dnc(
        self, tenant_id: str, phones: Collection[str], now: datetime, reason: str
    ) -> None:
        async def add(phone: str) -> None:
            with contextlib.suppress(DuplicateKeyError):
                await self.dnc.insert_one(
                    {
                        "_id": phone_key(tenant_id, phone),
                        "tenant_id": tenant_id,
                        "phone": phone,
                        "added_at": now,
                        "reason": reason,
                    }
                )

        await gather_bounded(add(p) for p in phones)

    async def remove_dnc(self, tenant_id: str, phone: str) -> bool:
        result = await self.dnc.delete_one({"_id": phone_key(tenant_id, phone)})
        return result.deleted_count == 1

    async def dnc_of(self, tenant_id: str, phones: Collection[str]) -> set[str]:
        """Which of `phones` are on the tenant's do-not-call list (one _id lookup each)."""
        unique = list(dict.fromkeys(phones))
        if not unique or await self.dnc.find_one({"tenant_id": tenant_id}) is None:
            return set()  # most tenants' lists: no number to look up one by one
        docs = await gather_bounded(
            self.dnc.find_one({"_id": phone_key(tenant_id, p)}) for p in unique
        )
        return {p for p, d in zip(unique, docs, strict=True) if d is not None}

    async def holds_of(self, tenant_id: str, contact_ids: Collection[str]) -> dict[str, Document]:
        keys = [hold_key(tenant_id, c) for c in contact_ids]
        return {d["contact_id"]: d for d in await find_any(self.holds, "_id", keys)}

    async def put_hold(
        self,
        tenant_id: str,
        contact_id: str,
        phones: Collection[str],
        until: date | None,
        version: int,
    ) -> None:
        await self.holds.replace_one(
            {"_id": hold_key(tenant_id, contact_id)},
            hold_document(tenant_id, contact_id, phones, until, version),
            upsert=True,
        )

    async def held_of(self, tenant_id: str, phones: Collection[str], today: date) -> set[str]:
        """Which of `phones` belong to a customer held today (one query)."""
        unique = list(dict.fromkeys(phones))
        if not unique:
            return set()
        cursor = self.holds.find(
            {
                "tenant_id": tenant_id,
                "until": {"$gte": today.isoformat()},
                "phones": {"$in": unique},
            }
        )
        held = {p async for d in cursor for p in d["phones"]}
        return held.intersection(unique)

    async def page_dnc(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Document], str | None]:
        return await self._page(self.dnc, {"tenant_id": tenant_id}, limit, cursor, lambda d: d)

    # --- helpers ---------------------------------------------------------------------

    async def _page(
        self, collection: Any, query: dict[str, Any], limit: int, cursor: str | None, build: Any
    ) -> tuple[list[Any], str | None]:
        if cursor:
            query = {**query, "_id": {"$gt": cursor}}
        docs = await collection.find(query).sort("_id", ASCENDING).limit(limit + 1).to_list()
        items = [x for d in docs[:limit] if (x := readable(build, d, collection.name)) is not None]
        return items, (docs[limit - 1]["_id"] if len(docs) > limit else None)

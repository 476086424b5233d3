"""The campaigns' collections in MongoDB/FerretDB: one document per template, per contact of
the read model, per contact's portal link, per campaign, per ledger message and per
suppressed address (with its audit); every query names the tenant but the status callback's
lookup of a message by its id.

Single-document writes only (no transactions): an update is a compare-and-set on `version`
(templates, contacts) or on `at` (links).
"""

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from listflow.campaigns.domain.model import (
    CAPPED_STATES,
    DUE_STATES,
    OPEN_STATES,
    SENDER_STATES,
    Audience,
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    MessageState,
    Rules,
    Trigger,
)
from listflow.campaigns.domain.templates import MessageTemplate, TemplateContent
from listflow.campaigns.ports import LinkChange, Message, Suppression, SuppressionChange
from listflow.kit.mongo import (
    ONE_BATCH,
    Document,
    drop_index_if_present,
    find_any,
    insert_new,
    replace_many,
    update_each,
)
from listflow.schemas.campaigns import Channel, SuppressionReason
from listflow.schemas.values import ContactData
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure


def template_to_document(template: MessageTemplate) -> Document:
    c = template.content
    return {
        "_id": template.id,
        "tenant_id": template.tenant_id,
        "name": template.name,
        "channel": c.channel,
        "subject": c.subject,
        "html": c.html,
        "text": c.text,
        "body": c.body,
        "version": template.version,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


def _utc(value: datetime) -> datetime:
    # BSON dates are UTC; a client without tz_aware reads them naive.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def template_from_document(doc: Document) -> MessageTemplate:
    content = TemplateContent(
        channel=doc["channel"],
        subject=doc.get("subject"),
        html=doc.get("html"),
        text=doc.get("text"),
        body=doc.get("body"),
    )
    return MessageTemplate.from_document(
        id=doc["_id"],
        tenant_id=doc["tenant_id"],
        name=doc["name"],
        content=content,
        version=int(doc["version"]),
        created_at=_utc(doc["created_at"]),
        updated_at=_utc(doc["updated_at"]),
    )


class MongoTemplateRepository:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._templates = database["message_templates"]

    async def ensure_indexes(self) -> None:
        await self._templates.create_index(
            [("tenant_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]
        )

    async def insert_template(self, template: MessageTemplate) -> None:
        await self._templates.insert_one(template_to_document(template))

    async def replace_template(self, template: MessageTemplate, *, expected_version: int) -> bool:
        result = await self._templates.replace_one(
            {"_id": template.id, "tenant_id": template.tenant_id, "version": expected_version},
            template_to_document(template),
        )
        return result.matched_count == 1

    async def get_template(self, tenant_id: str, template_id: str) -> MessageTemplate | None:
        doc = await self._templates.find_one({"_id": template_id, "tenant_id": tenant_id})
        return template_from_document(doc) if doc is not None else None

    async def list_templates(self, tenant_id: str) -> list[MessageTemplate]:
        cursor = self._templates.find({"tenant_id": tenant_id}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        docs: list[dict[str, Any]] = await cursor.to_list()
        return [template_from_document(d) for d in docs]

    async def delete_template(self, tenant_id: str, template_id: str) -> bool:
        result = await self._templates.delete_one({"_id": template_id, "tenant_id": tenant_id})
        return result.deleted_count == 1


def _suppression_id(tenant_id: str, channel: Channel, address: str) -> str:
    return f"{tenant_id}\x1f{channel}\x1f{address}"


def suppression_from_document(doc: Document) -> Suppression:
    return Suppression(
        tenant_id=doc["tenant_id"],
        channel=doc["channel"],
        address=doc["address"],
        reason=SuppressionReason(doc["reason"]),
        at=_utc(doc["at"]),
        by=doc["by"],
        campaign_id=doc.get("campaign_id"),
    )


class MongoSuppressions:
    """The suppression list: one document per (tenant, channel, address), keyed by them so a
    repeated suppress inserts nothing (the first record, its who and when, stays)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._suppressions = database["suppressions"]
        self._changes = database["suppression_changes"]

    async def ensure_indexes(self) -> None:
        await self._suppressions.create_index(
            [("tenant_id", ASCENDING), ("channel", ASCENDING), ("address", ASCENDING)]
        )
        await self._suppressions.create_index(
            [("tenant_id", ASCENDING), ("campaign_id", ASCENDING)]
        )

    async def suppress(
        self,
        tenant_id: str,
        channel: Channel,
        address: str,
        reason: SuppressionReason,
        at: datetime,
        campaign_id: str | None = None,
        by: str = "campaigns",
    ) -> None:
        document = {
            "_id": _suppression_id(tenant_id, channel, address),
            "tenant_id": tenant_id,
            "channel": channel,
            "address": address,
            "reason": reason.value,
            "at": at,
            "by": by,
            "campaign_id": campaign_id,
        }
        try:
            await self._suppressions.insert_one(document)
        except DuplicateKeyError:
            return
        # After the record (no transactions): a crash between the two loses an audit line,
        # never a suppression.
        await self._record(tenant_id, channel, address, "suppressed", reason, at, by)

    async def unsuppress(
        self, tenant_id: str, channel: Channel, address: str, *, at: datetime, by: str
    ) -> bool:
        lifted = await self._suppressions.find_one_and_delete(
            {"_id": _suppression_id(tenant_id, channel, address), "tenant_id": tenant_id}
        )
        if lifted is None:
            return False
        reason = SuppressionReason(lifted["reason"])
        await self._record(tenant_id, channel, address, "lifted", reason, at, by)
        return True

    async def _record(
        self,
        tenant_id: str,
        channel: Channel,
        address: str,
        action: str,
        reason: SuppressionReason,
        at: datetime,
        by: str,
    ) -> None:
        await self._changes.insert_one(
            {
                "tenant_id": tenant_id,
                "channel": channel,
                "address": address,
                "action": action,
                "reason": reason.value,
                "at": at,
                "by": by,
            }
        )

    async def changes(
        self, tenant_id: str, channel: Channel, address: str
    ) -> list[SuppressionChange]:
        cursor = self._changes.find(
            {"tenant_id": tenant_id, "channel": channel, "address": address}
        ).sort([("at", ASCENDING), ("_id", ASCENDING)])
        return [
            SuppressionChange(
                tenant_id=d["tenant_id"],
                channel=d["channel"],
                address=d["address"],
                action=d["action"],
                reason=SuppressionReason(d["reason"]),
                at=_utc(d["at"]),
                by=d["by"],
            )
            for d in await cursor.to_list()
        ]

    async def suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> SuppressionReason | None:
        found = await self.get_suppression(tenant_id, channel, address)
        return found.reason if found else None

    async def suppressions_among(
        self, tenant_id: str, channel: Channel, addresses: Sequence[str]
    ) -> dict[str, SuppressionReason]:
        ids = [_suppression_id(tenant_id, channel, a) for a in addresses]
        docs = await find_any(self._suppressions, "_id", ids, {"address": 1, "reason": 1})
        return {d["address"]: SuppressionReason(d["reason"]) for d in docs}

    async def get_suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> Suppression | None:
        doc = await self._suppressions.find_one(
            {"_id": _suppression_id(tenant_id, channel, address), "tenant_id": tenant_id}
        )
        return suppression_from_document(doc) if doc is not None else None

    async def unsubscribes_of(self, tenant_id: str, campaign_id: str) -> int:
        return await self._suppressions.count_documents(
            {
                "tenant_id": tenant_id,
                "campaign_id": campaign_id,
                "reason": SuppressionReason.UNSUBSCRIBED.value,
            }
        )

    async def list_suppressions(
        self,
        tenant_id: str,
        *,
        channel: Channel | None = None,
        reason: SuppressionReason | None = None,
        after: tuple[Channel, str] | None = None,
        limit: int = 100,
    ) -> list[Suppression]:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if channel is not None:
            query["channel"] = channel
        if reason is not None:
            query["reason"] = reason.value
        if after is not None:
            last_channel, last_address = after
            query["$or"] = [
                {"channel": {"$gt": last_channel}},
                {"channel": last_channel, "address": {"$gt": last_address}},
            ]
        cursor = (
            self._suppressions.find(query)
            .sort([("channel", ASCENDING), ("address", ASCENDING)])
            .limit(limit)
        )
        return [suppression_from_document(d) for d in await cursor.to_list()]


def _key(tenant_id: str, contact_id: str) -> str:
    return f"{tenant_id}:{contact_id}"


def contact_to_document(c: ContactView) -> Document:
    """Every field but `upload_ids`, which only grows ($addToSet)."""
    return {
        "tenant_id": c.tenant_id,
        "contact_id": c.id,
        "version": c.version,
        "data": c.data.model_dump(mode="json"),
        "group_ids": list(c.group_ids),
        "updated_at": c.updated_at,
        "deleted": c.deleted,
        # BSON has no date without a time: the ISO day.
        "held_until": c.held_until.isoformat() if c.held_until else None,
    }


def contact_from_document(doc: Document) -> ContactView:
    return ContactView(
        id=doc["contact_id"],
        tenant_id=doc["tenant_id"],
        version=int(doc["version"]),
        data=ContactData.model_validate(doc["data"]),
        group_ids=tuple(doc.get("group_ids", ())),
        upload_ids=tuple(doc.get("upload_ids", ())),
        updated_at=_utc(doc["updated_at"]),
        deleted=bool(doc.get("deleted", False)),
        held_until=date.fromisoformat(held) if (held := doc.get("held_until")) else None,
    )


def campaign_to_document(c: Campaign) -> Document:
    return {
        "_id": _key(c.tenant_id, c.id),
        "tenant_id": c.tenant_id,
        "campaign_id": c.id,
        "name": c.name,
        "channel": c.channel,
        "template_id": c.template_id,
        "audience": c.audience.model_dump(mode="json"),
        # The trigger's parts as fields of their own: the loops query them.
        "trigger_on": c.trigger.on,
        "trigger_at": c.trigger.at,
        "status": str(c.status),
        "send_rate": c.send_rate,
        "created_at": c.created_at,
        "triggered_at": c.triggered_at,
        "targeted_at": c.targeted_at,
        "finished_at": c.finished_at,
    }


def _utc_or_none(value: datetime | None) -> datetime | None:
    return _utc(value) if value is not None else None


def campaign_from_document(doc: Document) -> Campaign:
    return Campaign(
        id=doc["campaign_id"],
        tenant_id=doc["tenant_id"],
        name=doc["name"],
        channel=doc["channel"],
        template_id=doc["template_id"],
        audience=Audience.model_validate(doc["audience"]),
        trigger=Trigger(on=doc["trigger_on"], at=_utc_or_none(doc.get("trigger_at"))),
        status=CampaignStatus(doc["status"]),
        send_rate=float(doc["send_rate"]),
        created_at=_utc(doc["created_at"]),
        triggered_at=_utc_or_none(doc.get("triggered_at")),
        targeted_at=_utc_or_none(doc.get("targeted_at")),
        finished_at=_utc_or_none(doc.get("finished_at")),
    )


# The ledger's index of earlier versions that paged a campaign's messages by id.
_PAGING_INDEX = "tenant_id_1_campaign_id_1_message_id_1"
# The status callback's lookup by message id: SMS messages only, since this session (s13).
_EVERY_MESSAGE_ID_INDEX = "message_id_1"
_SMS_ID_INDEX = "message_id_sms"
_EVERY_CONTACT_INDEX = "tenant_id_1_contact_id_1_channel_1"
_CAPPED_INDEX = "contact_capped"
_NOT_IMPLEMENTED = 238


def message_to_document(m: Message) -> Document:
    return {
        "_id": _key(m.tenant_id, m.id),
        "tenant_id": m.tenant_id,
        "message_id": m.id,
        "campaign_id": m.campaign_id,
        "contact_id": m.contact_id,
        "channel": m.channel,
        "state": str(m.state),
        "created_at": m.created_at,
        "due_at": m.due_at,
        "reason": m.reason,
        "address": m.address,
        "attempts": m.attempts,
        "sent_at": m.sent_at,
        "error": m.error,
    }


def message_from_document(doc: Document) -> Message:
    return Message(
        id=doc["message_id"],
        tenant_id=doc["tenant_id"],
        campaign_id=doc["campaign_id"],
        contact_id=doc["contact_id"],
        channel=doc["channel"],
        state=MessageState(doc["state"]),
        created_at=_utc(doc["created_at"]),
        due_at=_utc(doc["due_at"]),
        reason=doc.get("reason"),
        address=doc.get("address"),
        attempts=int(doc.get("attempts", 0)),
        sent_at=_utc_or_none(doc.get("sent_at")),
        error=doc.get("error"),
    )


def _settings_document(tenant_id: str, s: CampaignSettings) -> Document:
    r = s.rules
    return {
        "_id": tenant_id,
        "quiet_start": r.quiet_start.isoformat(),
        "quiet_end": r.quiet_end.isoformat(),
        "cap_messages": r.cap_messages,
        "cap_days": r.cap_days,
        "sms_help_text": s.sms_help_text,
    }


def _settings(doc: Document) -> CampaignSettings:
    rules = Rules(
        quiet_start=time.fromisoformat(doc["quiet_start"]),
        quiet_end=time.fromisoformat(doc["quiet_end"]),
        cap_messages=int(doc["cap_messages"]),
        cap_days=int(doc["cap_days"]),
    )
    return CampaignSettings(rules=rules, sms_help_text=doc["sms_help_text"])


# Documents per batch of a long read (an audience).
READ_BATCH = 1000


# The ledger's states, each before every state a message can come to it from (PENDING,
# where a retry goes back to, is what `state_counts` leaves).
_DOWNSTREAM_FIRST = (
    MessageState.DELIVERED,
    MessageState.FAILED,
    MessageState.SENT,
    MessageState.SUPPRESSED,
    MessageState.CANCELLED,
    MessageState.SENDING,
    MessageState.DEFERRED,
    MessageState.WAITING_LINK,
)


class MongoCampaignRepository(MongoTemplateRepository, MongoSuppressions):
    """The service's one store: templates and the suppression list by inheritance (their
    own collections), the read models, campaigns, settings and the ledger here."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        MongoTemplateRepository.__init__(self, database)
        MongoSuppressions.__init__(self, database)
        self._contacts = database["contacts"]
        self._links = database["links"]
        self._campaigns = database["campaigns"]
        self._settings = database["settings"]
        self._ledger = database["messages"]

    async def ensure_indexes(self) -> None:
        await MongoTemplateRepository.ensure_indexes(self)
        await MongoSuppressions.ensure_indexes(self)
        await self._campaigns.create_index(
            [("tenant_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        await self._campaigns.create_index([("status", ASCENDING), ("trigger_on", ASCENDING)])
        # The sender's due queries (one per state) and the stats' group by state.
        await self._ledger.create_index(
            [
                ("tenant_id", ASCENDING),
                ("campaign_id", ASCENDING),
                ("state", ASCENDING),
                ("due_at", ASCENDING),
            ]
        )
        # The frequency cap counts a contact's messages claimed or sent (CAPPED_STATES): only
        # those are in its index, so a message gets an entry at its claim and its mark, not
        # when it is targeted, which the campaign's start does for its whole audience at once
        # beside the first sends. A store made before drops the index of every message.
        await drop_index_if_present(self._ledger, _EVERY_CONTACT_INDEX)
        await self._partial_ledger_index(
            [("tenant_id", ASCENDING), ("contact_id", ASCENDING), ("channel", ASCENDING)],
            name=_CAPPED_INDEX,
            only={"state": {"$in": [str(s) for s in CAPPED_STATES]}},
        )
        # A campaign's messages paged by id (GET /v1/campaigns/{id}/messages) had an index
        # of their own, (tenant, campaign, message_id). DocumentDB sorted the page's whole
        # range with it all the same (Index Scan -> Sort -> Limit), and it cost every ledger
        # write of the sender: insert, claim and mark took ~180 us of the store a message
        # with it against ~110 us without (docs/performance.md, s12). A page now finds the
        # campaign's messages on the (tenant, campaign, state, due_at) index and sorts them;
        # a store made before drops it.
        await drop_index_if_present(self._ledger, _PAGING_INDEX)
        # A provider's status callback finds an SMS message by its id alone. Email has no
        # status callback, so only SMS messages are in that index: an entry in it cost each
        # of an email's three ledger writes (insert, claim, mark), ~130 against ~110 us of
        # the store for the three (docs/performance.md, s12 and s13). A store made before
        # drops the index of every message.
        await drop_index_if_present(self._ledger, _EVERY_MESSAGE_ID_INDEX)
        await self._partial_ledger_index(
            [("message_id", ASCENDING)], name=_SMS_ID_INDEX, only={"channel": "sms"}
        )
        await self._contacts.create_index([("tenant_id", ASCENDING), ("group_ids", ASCENDING)])
        await self._contacts.create_index([("tenant_id", ASCENDING), ("upload_ids", ASCENDING)])

    async def _partial_ledger_index(
        self, keys: list[tuple[str, int]], *, name: str, only: Document
    ) -> None:
        try:
            await self._ledger.create_index(keys, name=name, partialFilterExpression=only)
        except OperationFailure as exc:
            if exc.code != _NOT_IMPLEMENTED:
                raise
            # FerretDB 1.24 has no partial index: every message goes in it.
            await self._ledger.create_index(keys, name=name)

    # --- read models ---------------------------------------------------------------------
    async def upsert_contacts(self, contacts: Sequence[ContactView]) -> None:
        # The newest snapshot per contact of the batch and every upload named, then one
        # guarded write each, all in bulk: a stored newer version keeps its fields (the
        # upsert is refused) and gains the uploads in a second bulk write.
        newest: dict[str, ContactView] = {}
        uploads: dict[str, list[str]] = {}
        for c in contacts:
            key = _key(c.tenant_id, c.id)
            if key not in newest or newest[key].version < c.version:
                newest[key] = c
            uploads.setdefault(key, []).extend(c.upload_ids)
        keys = list(newest)
        adds = {k: {"upload_ids": {"$each": list(dict.fromkeys(uploads[k]))}} for k in keys}
        done = await update_each(
            self._contacts,
            [
                (
                    {"_id": k, "version": {"$lt": newest[k].version}},
                    {"$set": contact_to_document(newest[k]), "$addToSet": adds[k]},
                )
                for k in keys
            ],
            upsert=True,
        )
        older = [keys[i] for i in sorted(done.refused) if uploads[keys[i]]]
        await update_each(self._contacts, [({"_id": k}, {"$addToSet": adds[k]}) for k in older])

    async def iter_contacts_in(
        self, tenant_id: str, *, group_ids: Sequence[str], upload_id: str | None
    ) -> AsyncIterator[ContactView]:
        lists: list[Document] = []
        if group_ids:
            lists.append({"group_ids": {"$in": list(group_ids)}})
        if upload_id:
            lists.append({"upload_ids": upload_id})
        if not lists:
            return
        # Batches of a thousand: each is parsed in one go, blocking the event loop meanwhile.
        # Unsorted: DocumentDB answers a sort by reading and sorting the whole audience
        # before the first batch (Index Scan -> Sort: ~70 MB for 100,000 contacts), where
        # the unsorted scan of the (tenant, group) index streams.
        cursor = self._contacts.find(
            {"tenant_id": tenant_id, "deleted": False, "$or": lists}
        ).batch_size(READ_BATCH)
        async for doc in cursor:
            yield contact_from_document(doc)

    async def get_contacts(self, tenant_id: str, ids: Sequence[str]) -> dict[str, ContactView]:
        docs = await find_any(self._contacts, "_id", [_key(tenant_id, i) for i in ids])
        return {doc["contact_id"]: contact_from_document(doc) for doc in docs}

    async def set_link(
        self, tenant_id: str, contact_id: str, link_id: str, url: str | None, at: datetime
    ) -> None:
        await self.set_links([LinkChange(tenant_id, contact_id, link_id, url, at)])

    async def set_links(self, changes: Sequence[LinkChange]) -> None:
        # One bulk write per round, each round at most one change per contact: the portal
        # issues a link per contact of a list, so a batch is hundreds of contacts, and an
        # unordered bulk write of them costs a few us each against ~200 us as point writes.
        # A contact's later change goes in a later round, after its earlier one is stored.
        rounds: list[list[tuple[Document, Document]]] = []
        seen: dict[str, int] = {}
        for c in changes:
            key = _key(c.tenant_id, c.contact_id)
            n = seen[key] = seen.get(key, -1) + 1
            # A revocation ends its own link only, even one issued at the same instant.
            guard: Document = (
                {"_id": key, "at": {"$lt": c.at}}
                if c.url is not None
                else {"_id": key, "link_id": c.link_id, "at": {"$lte": c.at}}
            )
            doc = {
                "_id": key,
                "tenant_id": c.tenant_id,
                "contact_id": c.contact_id,
                "link_id": c.link_id,
                "url": c.url,
                "at": c.at,
            }
            if n == len(rounds):
                rounds.append([])
            rounds[n].append((guard, doc))
        for replacements in rounds:
            # Most links are a contact's first (the portal issues one per customer of a
            # ready list): inserted as they are, and only those already stored replaced,
            # each guarded. A refused replacement is a stored later event (or a newer
            # link): nothing to do.
            stored = await insert_new(self._links, [doc for _, doc in replacements])
            if stored:
                await replace_many(
                    self._links, [replacements[i] for i in sorted(stored)], upsert=True
                )

    async def links(self, tenant_id: str, contact_ids: Sequence[str]) -> dict[str, str]:
        docs = await find_any(self._links, "_id", [_key(tenant_id, i) for i in contact_ids])
        return {doc["contact_id"]: doc["url"] for doc in docs if doc.get("url")}

    # --- campaigns and settings ----------------------------------------------------------
    async def save_campaign(self, campaign: Campaign) -> None:
        doc = campaign_to_document(campaign)
        await self._campaigns.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def replace_campaign(
        self, campaign: Campaign, *, expected: Sequence[CampaignStatus]
    ) -> bool:
        doc = campaign_to_document(campaign)
        result = await self._campaigns.replace_one(
            {"_id": doc["_id"], "status": {"$in": [str(s) for s in expected]}}, doc
        )
        return result.matched_count == 1

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign | None:
        doc = await self._campaigns.find_one({"_id": _key(tenant_id, campaign_id)})
        return campaign_from_document(doc) if doc is not None else None

    async def _campaigns_where(self, query: Document) -> list[Campaign]:
        cursor = self._campaigns.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [campaign_from_document(doc) async for doc in cursor]

    async def list_campaigns(self, tenant_id: str) -> list[Campaign]:
        return await self._campaigns_where({"tenant_id": tenant_id})

    async def delete_campaign(
        self, tenant_id: str, campaign_id: str, *, expected: CampaignStatus
    ) -> bool:
        result = await self._campaigns.delete_one(
            {"_id": _key(tenant_id, campaign_id), "status": str(expected)}
        )
        return result.deleted_count == 1

    async def finish_campaign(self, campaign: Campaign, at: datetime) -> bool:
        result = await self._campaigns.update_one(
            {
                "_id": _key(campaign.tenant_id, campaign.id),
                "status": str(CampaignStatus.SENDING),
                "targeted_at": campaign.targeted_at,
            },
            {"$set": {"status": str(CampaignStatus.COMPLETED), "finished_at": at}},
        )
        return result.matched_count == 1

    async def campaigns_sending(self) -> list[Campaign]:
        return await self._campaigns_where({"status": str(CampaignStatus.SENDING)})

    async def campaigns_on_list_ready(self, tenant_id: str) -> list[Campaign]:
        return await self._campaigns_where(
            {
                "tenant_id": tenant_id,
                "trigger_on": "list_ready",
                "status": {"$ne": str(CampaignStatus.CANCELLED)},
            }
        )

    async def campaigns_scheduled(self, until: datetime) -> list[Campaign]:
        return await self._campaigns_where(
            {
                "status": str(CampaignStatus.DRAFT),
                "trigger_on": "schedule",
                "trigger_at": {"$lte": until},
            }
        )

    async def get_settings(self, tenant_id: str) -> CampaignSettings | None:
        doc = await self._settings.find_one({"_id": tenant_id})
        return _settings(doc) if doc is not None else None

    async def put_settings(self, tenant_id: str, settings: CampaignSettings) -> None:
        doc = _settings_document(tenant_id, settings)
        await self._settings.replace_one({"_id": tenant_id}, doc, upsert=True)

    # --- the ledger ----------------------------------------------------------------------
    async def claim_messages(self, messages: Sequence[Message]) -> int:
        if not messages:
            return 0
        docs = list({d["_id"]: d for d in map(message_to_document, messages)}.values())
        return len(docs) - len(await insert_new(self._ledger, docs))

    async def state_counts(
        self, tenant_id: str, campaign_id: str
    ) -> list[tuple[str, str | None, int]]:
        # Counts on the (tenant, campaign, state, due_at) index, a `$group` by reason over the
        # suppressed only. One `$group` over the whole ledger read every document: ~200-600
        # ms of the store for a campaign of 100,000 on every stats request (the console
        # refreshes a sending campaign's every 2 s), against ~50-70 ms for the counts.
        #
        # Several counts are several snapshots, while the sender moves messages between
        # them. So the states are counted downstream first (every move goes downstream, or
        # back to PENDING), which counts a message moving meanwhile at most once; the whole
        # campaign is counted last; and PENDING is what is left. The figures add up exactly,
        # none is negative, and once the campaign is still every one is exact.
        campaign = {"tenant_id": tenant_id, "campaign_id": campaign_id}
        rows: list[tuple[str, str | None, int]] = []
        for state in _DOWNSTREAM_FIRST:
            if state is MessageState.SUPPRESSED:
                cursor = await self._ledger.aggregate(
                    [
                        {"$match": {**campaign, "state": str(state)}},
                        {"$group": {"_id": "$reason", "n": {"$sum": 1}}},
                    ]
                )
                rows += [(str(state), d["_id"], int(d["n"])) async for d in cursor]
            elif n := await self._ledger.count_documents({**campaign, "state": str(state)}):
                rows.append((str(state), None, n))
        pending = await self._ledger.count_documents(campaign) - sum(n for *_, n in rows)
        if pending:
            rows.append((str(MessageState.PENDING), None, pending))
        return sorted(rows, key=str)

    async def due_messages(
        self,
        tenant_id: str,
        campaign_id: str,
        now: datetime,
        limit: int,
        *,
        exclude: Collection[str] = (),
    ) -> list[Message]:
        # One query per state on (tenant, campaign, state, due_at), with no sort: DocumentDB
        # sorts whatever the index range holds before it applies the limit (its plan is
        # Index Scan -> Sort -> Limit), so a sorted query read and sorted every due message
        # of the campaign on every pass: ~100 ms a pass with 20,000 pending, growing with
        # the campaign. Unsorted, the scan stops at `limit` (~24 ms for 500).
        found: list[Message] = []
        others: Document = (
            {"_id": {"$nin": [_key(tenant_id, i) for i in exclude]}} if exclude else {}
        )
        for state in SENDER_STATES:
            cursor = (
                self._ledger.find(
                    {
                        "tenant_id": tenant_id,
                        "campaign_id": campaign_id,
                        "state": str(state),
                        "due_at": {"$lte": now},
                        **others,
                    }
                )
                .limit(limit)
                .batch_size(ONE_BATCH)
            )
            found.extend([message_from_document(doc) async for doc in cursor])
        return sorted(found, key=lambda m: (m.due_at, m.id))[:limit]

    async def move_many(self, moves: Sequence[tuple[Message, Message]]) -> set[str]:
        if not moves:
            return set()
        # Each replacement carries this call's token: when some did not match, the stored
        # token tells which did.
        token = uuid.uuid4().hex
        replacements = [
            (
                {"_id": _key(old.tenant_id, old.id), "state": str(old.state), "due_at": old.due_at},
                {**message_to_document(new), "move": token},
            )
            for old, new in moves
        ]
        done = await replace_many(self._ledger, replacements)
        if done.matched == len(moves):
            return {new.id for _, new in moves}
        return await self._moved_by(token, [_key(old.tenant_id, old.id) for old, _ in moves])

    async def _moved_by(self, token: str, keys: Sequence[str]) -> set[str]:
        """Which of `keys` the write that stored `token` moved (when it matched fewer)."""
        stored = await find_any(self._ledger, "_id", keys, {"message_id": 1, "move": 1})
        return {d["message_id"] for d in stored if d.get("move") == token}

    async def _move_all(
        self, messages: Sequence[Message], expected: Document, update: Document
    ) -> set[str]:
        """One `update_many` over the messages still as `expected`, carrying a token that
        tells which it moved when it matched fewer than all (as `move_many`)."""
        if not messages:
            return set()
        token = uuid.uuid4().hex
        keys = [_key(m.tenant_id, m.id) for m in messages]
        update = {**update, "$set": {**update["$set"], "move": token}}
        result = await self._ledger.update_many({"_id": {"$in": keys}, **expected}, update)
        if result.matched_count == len(keys):
            return {m.id for m in messages}
        return await self._moved_by(token, keys)

    async def claim_due(
        self, messages: Sequence[Message], *, as_of: datetime, lease_until: datetime
    ) -> set[str]:
        return await self._move_all(
            messages,
            {"state": {"$in": [str(s) for s in SENDER_STATES]}, "due_at": {"$lte": as_of}},
            {
                "$set": {"state": str(MessageState.SENDING), "due_at": lease_until},
                "$inc": {"attempts": 1},
            },
        )

    async def mark_held(
        self,
        messages: Sequence[Message],
        to: MessageState,
        *,
        lease_until: datetime,
        **fields: Any,
    ) -> set[str]:
        return await self._move_all(
            messages,
            {"state": str(MessageState.SENDING), "due_at": lease_until},
            {"$set": {**fields, "state": str(to)}},
        )

    async def open_messages(self, tenant_id: str, campaign_id: str) -> int:
        return await self._ledger.count_documents(
            {
                "tenant_id": tenant_id,
                "campaign_id": campaign_id,
                "state": {"$in": [str(s) for s in OPEN_STATES]},
            }
        )

    async def transition(
        self,
        message: Message,
        to: MessageState,
        *,
        from_states: Sequence[MessageState],
        **fields: Any,
    ) -> bool:
        result = await self._ledger.update_one(
            {
                "_id": _key(message.tenant_id, message.id),
                "state": {"$in": [str(s) for s in from_states]},
            },
            {"$set": {**fields, "state": str(to)}},
        )
        return result.matched_count == 1

    async def get_message(self, tenant_id: str, message_id: str) -> Message | None:
        doc = await self._ledger.find_one({"_id": _key(tenant_id, message_id)})
        return message_from_document(doc) if doc is not None else None

    async def cancel_open(self, tenant_id: str, campaign_id: str) -> int:
        # One filtered update: a message a running pass moves to SENDING first is no longer
        # matched, and one cancelled first no longer matches that pass's compare and set.
        result = await self._ledger.update_many(
            {
                "tenant_id": tenant_id,
                "campaign_id": campaign_id,
                "state": {"$in": [str(s) for s in DUE_STATES]},
            },
            {"$set": {"state": str(MessageState.CANCELLED)}},
        )
        return result.modified_count

    async def list_messages(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        states: Sequence[MessageState] = (),
        after: str | None = None,
        limit: int = 100,
    ) -> list[Message]:
        query: Document = {"tenant_id": tenant_id, "campaign_id": campaign_id}
        if states:
            query["state"] = {"$in": [str(s) for s in states]}
        if after is not None:
            query["message_id"] = {"$gt": after}
        cursor = (
            self._ledger.find(query)
            .sort([("message_id", ASCENDING)])
            .limit(limit)
            .batch_size(ONE_BATCH)
        )
        return [message_from_document(doc) async for doc in cursor]

    async def find_message(self, message_id: str) -> Message | None:
        doc = await self._ledger.find_one({"message_id": message_id, "channel": "sms"})
        return message_from_document(doc) if doc is not None else None

    async def sent_counts(
        self, tenant_id: str, channel: Channel, contact_ids: Sequence[str], since: datetime
    ) -> dict[str, int]:
        if not contact_ids:
            return {}
        cursor = await self._ledger.aggregate(
            [
                {
                    "$match": {
                        "tenant_id": tenant_id,
                        "contact_id": {"$in": list(contact_ids)},
                        "channel": channel,
                        "state": {"$in": [str(s) for s in CAPPED_STATES]},
                        "sent_at": {"$gte": since},
                    }
                },
                {"$group": {"_id": "$contact_id", "n": {"$sum": 1}}},
            ],
            batchSize=ONE_BATCH,
        )
        return {d["_id"]: int(d["n"]) async for d in cursor}

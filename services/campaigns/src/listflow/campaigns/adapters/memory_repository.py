"""The in-memory repositories: the fakes of unit tests, held to the same contracts as
MongoDB (tests/integration/test_template_repository_contract.py and
test_campaign_repository_contract.py)."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from listflow.campaigns.domain.model import (
    CAPPED_STATES,
    DUE_STATES,
    OPEN_STATES,
    SENDER_STATES,
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    MessageState,
)
from listflow.campaigns.domain.templates import MessageTemplate
from listflow.campaigns.ports import LinkChange, Message, Suppression, SuppressionChange
from listflow.schemas.campaigns import Channel, SuppressionReason


class InMemoryTemplateRepository:
    def __init__(self) -> None:
        self._templates: dict[tuple[str, str], MessageTemplate] = {}
        self._lock = asyncio.Lock()

    async def insert_template(self, template: MessageTemplate) -> None:
        async with self._lock:
            self._templates[(template.tenant_id, template.id)] = template

    async def replace_template(self, template: MessageTemplate, *, expected_version: int) -> bool:
        async with self._lock:
            key = (template.tenant_id, template.id)
            current = self._templates.get(key)
            if current is None or current.version != expected_version:
                return False
            self._templates[key] = template
            return True

    async def get_template(self, tenant_id: str, template_id: str) -> MessageTemplate | None:
        return self._templates.get((tenant_id, template_id))

    async def list_templates(self, tenant_id: str) -> list[MessageTemplate]:
        mine = [t for (tenant, _), t in self._templates.items() if tenant == tenant_id]
        return sorted(mine, key=lambda t: (t.created_at, t.id))

    async def delete_template(self, tenant_id: str, template_id: str) -> bool:
        async with self._lock:
            return self._templates.pop((tenant_id, template_id), None) is not None


class InMemorySuppressions:
    """The suppression list in memory (the campaign repository's fake takes it in)."""

    def __init__(self) -> None:
        self._suppressions: dict[tuple[str, Channel, str], Suppression] = {}
        self._changes: list[SuppressionChange] = []

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
        key = (tenant_id, channel, address)
        if key not in self._suppressions:
            self._suppressions[key] = Suppression(
                tenant_id, channel, address, reason, at, by, campaign_id
            )
            self._changes.append(
                SuppressionChange(tenant_id, channel, address, "suppressed", reason, at, by)
            )

    async def unsuppress(
        self, tenant_id: str, channel: Channel, address: str, *, at: datetime, by: str
    ) -> bool:
        lifted = self._suppressions.pop((tenant_id, channel, address), None)
        if lifted is None:
            return False
        self._changes.append(
            SuppressionChange(tenant_id, channel, address, "lifted", lifted.reason, at, by)
        )
        return True

    async def changes(
        self, tenant_id: str, channel: Channel, address: str
    ) -> list[SuppressionChange]:
        return [
            c
            for c in self._changes
            if (c.tenant_id, c.channel, c.address) == (tenant_id, channel, address)
        ]

    async def suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> SuppressionReason | None:
        found = await self.get_suppression(tenant_id, channel, address)
        return found.reason if found else None

    async def suppressions_among(
        self, tenant_id: str, channel: Channel, addresses: Sequence[str]
    ) -> dict[str, SuppressionReason]:
        return {
            a: s.reason
            for a in addresses
            if (s := self._suppressions.get((tenant_id, channel, a))) is not None
        }

    async def get_suppression(
        self, tenant_id: str, channel: Channel, address: str
    ) -> Suppression | None:
        return self._suppressions.get((tenant_id, channel, address))

    async def unsubscribes_of(self, tenant_id: str, campaign_id: str) -> int:
        return sum(
            1
            for s in self._suppressions.values()
            if s.tenant_id == tenant_id
            and s.campaign_id == campaign_id
            and s.reason is SuppressionReason.UNSUBSCRIBED
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
        mine = sorted(
            (
                s
                for s in self._suppressions.values()
                if s.tenant_id == tenant_id
                and (channel is None or s.channel == channel)
                and (reason is None or s.reason == reason)
                and (after is None or (s.channel, s.address) > after)
            ),
            key=lambda s: (s.channel, s.address),
        )
        return mine[:limit]


@dataclass(frozen=True, slots=True)
class _Link:
    link_id: str
    url: str | None
    at: datetime


class InMemoryCampaignRepository(InMemoryTemplateRepository, InMemorySuppressions):
    """The campaign repository's fake: templates and suppressions by inheritance, the read
    models, campaigns, settings and the ledger here."""

    def __init__(self) -> None:
        InMemoryTemplateRepository.__init__(self)
        InMemorySuppressions.__init__(self)
        self._contacts: dict[tuple[str, str], ContactView] = {}
        self._links: dict[tuple[str, str], _Link] = {}
        self._campaigns: dict[tuple[str, str], Campaign] = {}
        self._settings: dict[str, CampaignSettings] = {}
        self._ledger: dict[tuple[str, str], Message] = {}

    # --- read models ---------------------------------------------------------------------
    async def upsert_contacts(self, contacts: Sequence[ContactView]) -> None:
        for c in contacts:
            key = (c.tenant_id, c.id)
            stored = self._contacts.get(key)
            if stored is None:
                self._contacts[key] = c
                continue
            uploads = tuple(dict.fromkeys((*stored.upload_ids, *c.upload_ids)))
            newer = c if c.version > stored.version else stored
            self._contacts[key] = replace(newer, upload_ids=uploads)

    async def iter_contacts_in(
        self, tenant_id: str, *, group_ids: Sequence[str], upload_id: str | None
    ) -> AsyncIterator[ContactView]:
        groups = set(group_ids)
        found = [
            c
            for (tenant, _), c in self._contacts.items()
            if tenant == tenant_id
            and not c.deleted
            and (groups.intersection(c.group_ids) or (upload_id and upload_id in c.upload_ids))
        ]
        for c in sorted(found, key=lambda c: c.id):
            yield c

    async def get_contacts(self, tenant_id: str, ids: Sequence[str]) -> dict[str, ContactView]:
        return {i: c for i in ids if (c := self._contacts.get((tenant_id, i))) is not None}

    async def set_link(
        self, tenant_id: str, contact_id: str, link_id: str, url: str | None, at: datetime
    ) -> None:
        key = (tenant_id, contact_id)
        stored = self._links.get(key)
        if stored is not None:
            # A revocation ends its own link only, even one issued at the same instant.
            ends = url is None and stored.link_id == link_id and stored.at <= at
            if not (stored.at < at and url is not None) and not ends:
                return
        self._links[key] = _Link(link_id, url, at)

    async def set_links(self, changes: Sequence[LinkChange]) -> None:
        for c in changes:
            await self.set_link(c.tenant_id, c.contact_id, c.link_id, c.url, c.at)

    async def links(self, tenant_id: str, contact_ids: Sequence[str]) -> dict[str, str]:
        return {
            i: link.url
            for i in contact_ids
            if (link := self._links.get((tenant_id, i))) is not None and link.url is not None
        }

    # --- campaigns and settings ----------------------------------------------------------
    async def save_campaign(self, campaign: Campaign) -> None:
        self._campaigns[(campaign.tenant_id, campaign.id)] = campaign

    async def replace_campaign(
        self, campaign: Campaign, *, expected: Sequence[CampaignStatus]
    ) -> bool:
        async with self._lock:
            key = (campaign.tenant_id, campaign.id)
            stored = self._campaigns.get(key)
            if stored is None or stored.status not in expected:
                return False
            self._campaigns[key] = campaign
            return True

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign | None:
        return self._campaigns.get((tenant_id, campaign_id))

    async def list_campaigns(self, tenant_id: str) -> list[Campaign]:
        mine = [c for (tenant, _), c in self._campaigns.items() if tenant == tenant_id]
        return sorted(mine, key=lambda c: (c.created_at, c.id))

    async def delete_campaign(
        self, tenant_id: str, campaign_id: str, *, expected: CampaignStatus
    ) -> bool:
        async with self._lock:
            stored = self._campaigns.get((tenant_id, campaign_id))
            if stored is None or stored.status is not expected:
                return False
            del self._campaigns[(tenant_id, campaign_id)]
            return True

    async def finish_campaign(self, campaign: Campaign, at: datetime) -> bool:
        async with self._lock:
            key = (campaign.tenant_id, campaign.id)
            stored = self._campaigns.get(key)
            if (
                stored is None
                or stored.status is not CampaignStatus.SENDING
                or stored.targeted_at != campaign.targeted_at
            ):
                return False
            self._campaigns[key] = replace(stored, status=CampaignStatus.COMPLETED, finished_at=at)
            return True

    async def campaigns_sending(self) -> list[Campaign]:
        found = [c for c in self._campaigns.values() if c.status is CampaignStatus.SENDING]
        return sorted(found, key=lambda c: (c.created_at, c.id))

    async def campaigns_on_list_ready(self, tenant_id: str) -> list[Campaign]:
        return [
            c
            for c in await self.list_campaigns(tenant_id)
            if c.trigger.on == "list_ready" and c.status is not CampaignStatus.CANCELLED
        ]

    async def campaigns_scheduled(self, until: datetime) -> list[Campaign]:
        found = [
            c
            for c in self._campaigns.values()
            if c.status is CampaignStatus.DRAFT
            and c.trigger.on == "schedule"
            and c.trigger.at is not None
            and c.trigger.at <= until
        ]
        return sorted(found, key=lambda c: (c.created_at, c.id))

    async def get_settings(self, tenant_id: str) -> CampaignSettings | None:
        return self._settings.get(tenant_id)

    async def put_settings(self, tenant_id: str, settings: CampaignSettings) -> None:
        self._settings[tenant_id] = settings

    # --- the ledger ----------------------------------------------------------------------
    async def claim_messages(self, messages: Sequence[Message]) -> int:
        new = 0
        async with self._lock:
            for m in messages:
                key = (m.tenant_id, m.id)
                if key not in self._ledger:
                    self._ledger[key] = m
                    new += 1
        return new

    async def state_counts(
        self, tenant_id: str, campaign_id: str
    ) -> list[tuple[str, str | None, int]]:
        counts = Counter(
            (str(m.state), m.reason if m.state is MessageState.SUPPRESSED else None)
            for m in self._ledger.values()
            if m.tenant_id == tenant_id and m.campaign_id == campaign_id
        )
        return [(state, reason, n) for (state, reason), n in sorted(counts.items(), key=str)]

    async def due_messages(
        self,
        tenant_id: str,
        campaign_id: str,
        now: datetime,
        limit: int,
        *,
        exclude: Collection[str] = (),
    ) -> list[Message]:
        due = [
            m
            for m in self._ledger.values()
            if m.tenant_id == tenant_id
            and m.campaign_id == campaign_id
            and m.state in SENDER_STATES
            and m.due_at <= now
            and m.id not in exclude
        ]
        return sorted(due, key=lambda m: (m.due_at, m.id))[:limit]

    async def move_many(self, moves: Sequence[tuple[Message, Message]]) -> set[str]:
        moved: set[str] = set()
        async with self._lock:
            for old, new in moves:
                key = (old.tenant_id, old.id)
                stored = self._ledger.get(key)
                if stored is not None and (stored.state, stored.due_at) == (old.state, old.due_at):
                    self._ledger[key] = new
                    moved.add(new.id)
        return moved

    async def claim_due(
        self, messages: Sequence[Message], *, as_of: datetime, lease_until: datetime
    ) -> set[str]:
        def claim(stored: Message) -> Message | None:
            if stored.state not in SENDER_STATES or stored.due_at > as_of:
                return None
            sending = MessageState.SENDING
            return replace(stored, state=sending, due_at=lease_until, attempts=stored.attempts + 1)

        return await self._move_each(messages, claim)

    async def mark_held(
        self,
        messages: Sequence[Message],
        to: MessageState,
        *,
        lease_until: datetime,
        **fields: Any,
    ) -> set[str]:
        def mark(stored: Message) -> Message | None:
            if (stored.state, stored.due_at) != (MessageState.SENDING, lease_until):
                return None
            return replace(stored, state=to, **fields)

        return await self._move_each(messages, mark)

    async def _move_each(
        self, messages: Sequence[Message], move: Callable[[Message], Message | None]
    ) -> set[str]:
        """Each stored message that `move` moves (None: left as it is); the ids moved."""
        moved: set[str] = set()
        async with self._lock:
            for m in messages:
                key = (m.tenant_id, m.id)
                stored = self._ledger.get(key)
                if stored is not None and (new := move(stored)) is not None:
                    self._ledger[key] = new
                    moved.add(m.id)
        return moved

    async def open_messages(self, tenant_id: str, campaign_id: str) -> int:
        return sum(
            1
            for m in self._ledger.values()
            if m.tenant_id == tenant_id and m.campaign_id == campaign_id and m.state in OPEN_STATES
        )

    async def transition(
        self,
        message: Message,
        to: MessageState,
        *,
        from_states: Sequence[MessageState],
        **fields: Any,
    ) -> bool:
        async with self._lock:
            key = (message.tenant_id, message.id)
            stored = self._ledger.get(key)
            if stored is None or stored.state not in from_states:
                return False
            self._ledger[key] = replace(stored, state=to, **fields)
            return True

    async def get_message(self, tenant_id: str, message_id: str) -> Message | None:
        return self._ledger.get((tenant_id, message_id))

    async def cancel_open(self, tenant_id: str, campaign_id: str) -> int:
        async with self._lock:
            open_ = [
                key
                for key, m in self._ledger.items()
                if m.tenant_id == tenant_id
                and m.campaign_id == campaign_id
                and m.state in DUE_STATES
            ]
            for key in open_:
                self._ledger[key] = replace(self._ledger[key], state=MessageState.CANCELLED)
        return len(open_)

    async def list_messages(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        states: Sequence[MessageState] = (),
        after: str | None = None,
        limit: int = 100,
    ) -> list[Message]:
        chosen = sorted(
            (
                m
                for m in self._ledger.values()
                if m.tenant_id == tenant_id
                and m.campaign_id == campaign_id
                and (not states or m.state in states)
                and (after is None or m.id > after)
            ),
            key=lambda m: m.id,
        )
        return chosen[:limit]

    async def find_message(self, message_id: str) -> Message | None:
        return next(
            (m for (_, i), m in self._ledger.items() if i == message_id and m.channel == "sms"),
            None,
        )

    async def sent_counts(
        self, tenant_id: str, channel: Channel, contact_ids: Sequence[str], since: datetime
    ) -> dict[str, int]:
        wanted = set(contact_ids)
        counts = Counter(
            m.contact_id
            for m in self._ledger.values()
            if m.tenant_id == tenant_id
            and m.contact_id in wanted
            and m.channel == channel
            and m.state in CAPPED_STATES
            and m.sent_at is not None
            and m.sent_at >= since
        )
        return dict(counts)

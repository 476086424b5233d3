"""Use cases of the campaigns service: (command, repository, clock) -> outcome."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from listflow.campaigns.domain.campaign_file import HEADER, file_row
from listflow.campaigns.domain.errors import Conflict, Invalid, NotFound
from listflow.campaigns.domain.model import (
    Audience,
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    MessageState,
    Stats,
    Trigger,
    in_audience,
    message_id,
)
from listflow.campaigns.domain.templates import (
    MessageTemplate,
    Rendered,
    TemplateContent,
    preview,
)
from listflow.campaigns.ports import (
    CampaignRepository,
    LinkChange,
    Message,
    ReadModelBarrier,
    ReadModelRepository,
    TemplateRepository,
)
from listflow.campaigns.sender import Sender
from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.schemas.campaigns import Channel
from listflow.schemas.events import (
    ContactChange,
    ContactCreated,
    ContactDeleted,
    ContactUpdated,
    ListReady,
)
from listflow.schemas.portal_links import AccessLinkIssued, AccessLinkRevoked
from listflow.schemas.values import TargetKind, list_id_for

_log = get_logger(__name__)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Templates:
    """The message-template use cases over one repository and clock."""

    repository: TemplateRepository
    clock: Clock
    new_id: Callable[[], str] = field(default=_new_id)

    async def create(self, tenant_id: str, name: str, content: TemplateContent) -> MessageTemplate:
        """Check and store a new template (TemplateRefused names the part and field)."""
        template = MessageTemplate.new(
            id=self.new_id(), tenant_id=tenant_id, name=name, content=content, now=self.clock()
        )
        await self.repository.insert_template(template)
        return template

    async def get(self, tenant_id: str, template_id: str) -> MessageTemplate:
        template = await self.repository.get_template(tenant_id, template_id)
        if template is None:
            raise NotFound(f"No message template {template_id!r}.")
        return template

    async def list(self, tenant_id: str) -> list[MessageTemplate]:
        return await self.repository.list_templates(tenant_id)

    async def update(
        self,
        tenant_id: str,
        template_id: str,
        name: str,
        content: TemplateContent,
        version: int | None = None,
    ) -> MessageTemplate:
        """Replace a template's content; with `version`, only if it is still that one."""
        current = await self.get(tenant_id, template_id)
        if version is not None and version != current.version:
            raise Conflict(
                f"The template is at version {current.version}, not {version}.",
                version=current.version,
            )
        revised = current.revised(name=name, content=content, now=self.clock())
        if not await self.repository.replace_template(revised, expected_version=current.version):
            raise Conflict("The template changed meanwhile; read it again.")
        return revised

    async def delete(self, tenant_id: str, template_id: str) -> None:
        if not await self.repository.delete_template(tenant_id, template_id):
            raise NotFound(f"No message template {template_id!r}.")

    async def preview(
        self, tenant_id: str, template_id: str, values: Mapping[str, Any] | None = None
    ) -> tuple[MessageTemplate, Rendered]:
        """The template rendered for the sample contact (the caller's values over it)."""
        template = await self.get(tenant_id, template_id)
        return template, preview(template.content, values)


def contact_view(event: ContactChange) -> ContactView:
    """The read model's contact from a change: its snapshot, the upload that made it (if
    any), deleted for a ContactDeleted."""
    snapshot = event.contact
    upload_id = event.upload_id if isinstance(event, ContactCreated | ContactUpdated) else None
    return ContactView(
        id=snapshot.id,
        tenant_id=event.tenant_id,
        version=snapshot.version,
        data=snapshot.data,
        group_ids=snapshot.group_ids,
        upload_ids=(upload_id,) if upload_id else (),
        updated_at=snapshot.updated_at,
        deleted=isinstance(event, ContactDeleted),
        held_until=snapshot.held_until,
    )


@dataclass(frozen=True)
class ReadModels:
    """Keeps the contacts and portal links campaigns target and personalize with."""

    repository: ReadModelRepository

    async def on_contact_changes(self, events: Sequence[ContactChange]) -> None:
        await self.repository.upsert_contacts([contact_view(e) for e in events])

    async def on_link_events(self, events: Sequence[AccessLinkIssued | AccessLinkRevoked]) -> None:
        # In order: events of one contact share a partition, so a revocation follows the
        # issue it ends; the repository's guards make a replay change nothing.
        await self.repository.set_links(
            [
                LinkChange(e.tenant_id, e.contact_id, e.link_id, e.url, e.issued_at)
                if isinstance(e, AccessLinkIssued)
                else LinkChange(e.tenant_id, e.contact_id, e.link_id, None, e.revoked_at)
                for e in events
            ]
        )


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """What an operator chooses for a campaign (checked by the API's models first)."""

    name: str
    channel: Channel
    template_id: str
    audience: Audience
    trigger: Trigger
    send_rate: float


# Messages claimed in the ledger per write while targeting.
CLAIM_BATCH = 1000
# From which states each command moves a campaign, and to which.
_MOVES: dict[str, tuple[tuple[CampaignStatus, ...], CampaignStatus]] = {
    "pause": ((CampaignStatus.SENDING,), CampaignStatus.PAUSED),
    "resume": ((CampaignStatus.PAUSED,), CampaignStatus.SENDING),
    "cancel": (
        (CampaignStatus.DRAFT, CampaignStatus.SENDING, CampaignStatus.PAUSED),
        CampaignStatus.CANCELLED,
    ),
}


@dataclass(frozen=True)
class Campaigns:
    """The campaign use cases: the book of campaigns, their commands, targeting and stats."""

    repository: CampaignRepository
    clock: Clock
    new_id: Callable[[], str] = field(default=_new_id)
    # Campaigns this process is targeting now: the start loop leaves them to that targeting
    # rather than claiming a large audience a second time beside it.
    targeting: set[str] = field(default_factory=set)

    async def create(self, tenant_id: str, draft: CampaignDraft) -> Campaign:
        """Check and store a new campaign; a `now` trigger sends it at once."""
        await self._check(tenant_id, draft)
        campaign = Campaign(
            id=self.new_id(),
            tenant_id=tenant_id,
            name=draft.name,
            channel=draft.channel,
            template_id=draft.template_id,
            audience=draft.audience,
            trigger=draft.trigger,
            status=CampaignStatus.DRAFT,
            send_rate=draft.send_rate,
            created_at=self.clock(),
        )
        await self.repository.save_campaign(campaign)
        if draft.trigger.on == "now":
            return await self.send(tenant_id, campaign.id)
        return campaign

    async def get(self, tenant_id: str, campaign_id: str) -> Campaign:
        campaign = await self.repository.get_campaign(tenant_id, campaign_id)
        if campaign is None:
            raise NotFound(f"No campaign {campaign_id!r}.")
        return campaign

    async def list(self, tenant_id: str) -> list[Campaign]:
        return await self.repository.list_campaigns(tenant_id)

    async def update(self, tenant_id: str, campaign_id: str, draft: CampaignDraft) -> Campaign:
        """Change a draft (a campaign that has started sending keeps what it was sent as)."""
        current = await self._draft(tenant_id, campaign_id)
        await self._check(tenant_id, draft)
        revised = replace(
            current,
            name=draft.name,
            channel=draft.channel,
            template_id=draft.template_id,
            audience=draft.audience,
            trigger=draft.trigger,
            send_rate=draft.send_rate,
        )
        if not await self.repository.replace_campaign(revised, expected=[CampaignStatus.DRAFT]):
            raise Conflict("The campaign is no longer a draft.", campaign_status="changed")
        if draft.trigger.on == "now":
            return await self.send(tenant_id, campaign_id)
        return revised

    async def delete(self, tenant_id: str, campaign_id: str) -> None:
        await self._draft(tenant_id, campaign_id)
        if not await self.repository.delete_campaign(
            tenant_id, campaign_id, expected=CampaignStatus.DRAFT
        ):
            raise Conflict("The campaign is no longer a draft.", campaign_status="changed")

    async def send(self, tenant_id: str, campaign_id: str) -> Campaign:
        """Start a draft now, whatever its trigger: mark it sending, then target it."""
        current = await self._draft(tenant_id, campaign_id)
        sending = replace(current, status=CampaignStatus.SENDING, triggered_at=self.clock())
        if not await self.repository.replace_campaign(sending, expected=[CampaignStatus.DRAFT]):
            raise Conflict("The campaign is no longer a draft.", campaign_status="changed")
        return await self.target(sending)

    async def move(self, tenant_id: str, campaign_id: str, command: str) -> Campaign:
        """pause, resume or cancel, from the states each allows (409 otherwise)."""
        current = await self.get(tenant_id, campaign_id)
        sources, to = _MOVES[command]
        if current.status not in sources:
            raise Conflict(
                f"A {current.status} campaign cannot {command}.",
                campaign_status=str(current.status),
            )
        moved = replace(current, status=to)
        if not await self.repository.replace_campaign(moved, expected=[current.status]):
            raise Conflict("The campaign changed meanwhile; read it again.")
        if to is CampaignStatus.CANCELLED:
            await self._settle_cancelled(moved)
        return moved

    async def _settle_cancelled(self, campaign: Campaign) -> None:
        # Every message still due is settled as cancelled: a sender pass already running
        # finds them gone at its compare and set to SENDING, so none is sent afterwards
        # (one already SENDING was handed to the server before the cancel and completes).
        settled = await self.repository.cancel_open(campaign.tenant_id, campaign.id)
        _log.info(
            "campaign cancelled",
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            messages_cancelled=settled,
        )

    async def target(self, campaign: Campaign) -> Campaign:
        """Claim one ledger entry per contact of the audience (again after a crash: the
        ledger keeps each once), then mark the campaign targeted."""
        self.targeting.add(campaign.id)
        try:
            return await self._target(campaign)
        finally:
            self.targeting.discard(campaign.id)

    async def _target(self, campaign: Campaign) -> Campaign:
        # The audience is read as it is claimed, a batch at a time: a list of 100,000 is
        # never held whole, and the event loop (the consumers' heartbeats, the sender) runs
        # between batches rather than waiting on one long read and parse.
        now = self.clock()
        claimed = 0
        batch: list[Message] = []
        async for c in self.repository.iter_contacts_in(
            campaign.tenant_id,
            group_ids=sorted(campaign.group_ids()),
            upload_id=campaign.audience.upload_id,
        ):
            if in_audience(c, campaign.audience, campaign.channel):
                batch.append(self._message(campaign, c, now))
            if len(batch) >= CLAIM_BATCH:
                claimed += await self.repository.claim_messages(batch)
                batch = []
        claimed += await self.repository.claim_messages(batch)
        return await self._mark_targeted(campaign, now, reopen=claimed > 0)

    async def _mark_targeted(self, campaign: Campaign, at: datetime, *, reopen: bool) -> Campaign:
        # Against the stored campaign: a pause or cancel meanwhile is kept. A completed one
        # that has just been given new messages (a later list into its group, or completed
        # while these were being claimed) is sending again.
        for _ in range(3):
            current = await self.repository.get_campaign(campaign.tenant_id, campaign.id)
            if current is not None and current.status is CampaignStatus.CANCELLED:
                # Cancelled while this targeting claimed messages: settle those too.
                await self._settle_cancelled(current)
                return current
            if current is None:
                return campaign
            marked = replace(current, targeted_at=at)
            if current.status is CampaignStatus.COMPLETED and reopen:
                marked = replace(marked, status=CampaignStatus.SENDING, finished_at=None)
            if await self.repository.replace_campaign(marked, expected=[current.status]):
                return marked
        raise Conflict("The campaign changed while being targeted.")

    async def stats(self, tenant_id: str, campaign_id: str) -> Stats:
        campaign = await self.get(tenant_id, campaign_id)
        counts = await self.repository.state_counts(tenant_id, campaign.id)
        unsubscribed = await self.repository.unsubscribes_of(tenant_id, campaign.id)
        return Stats.of(counts, unsubscribed=unsubscribed)

    async def settings(self, tenant_id: str) -> CampaignSettings:
        """The tenant's settings, the defaults until it chooses its own."""
        return await self.repository.get_settings(tenant_id) or CampaignSettings()

    async def put_settings(self, tenant_id: str, settings: CampaignSettings) -> CampaignSettings:
        await self.repository.put_settings(tenant_id, settings)
        return settings

    async def _draft(self, tenant_id: str, campaign_id: str) -> Campaign:
        campaign = await self.get(tenant_id, campaign_id)
        if campaign.status is not CampaignStatus.DRAFT:
            raise Conflict(
                f"The campaign is {campaign.status}, no longer a draft.",
                campaign_status=str(campaign.status),
            )
        return campaign

    async def _check(self, tenant_id: str, draft: CampaignDraft) -> None:
        template = await self.repository.get_template(tenant_id, draft.template_id)
        if template is None:
            raise Invalid(f"No message template {draft.template_id!r}.", field="template_id")
        if template.content.channel != draft.channel:
            raise Invalid(
                f"The template is for {template.content.channel}, the campaign for "
                f"{draft.channel}.",
                field="template_id",
            )
        if not draft.audience.groups and draft.audience.upload_id is None:
            raise Invalid("An audience names at least one group or an upload.", field="audience")
        if draft.trigger.on == "schedule" and draft.trigger.at is None:
            raise Invalid("A scheduled campaign needs its time (trigger.at).", field="trigger")

    @staticmethod
    def _message(campaign: Campaign, contact: ContactView, now: datetime) -> Message:
        # The address as targeted: the sender's claim, one write for a chunk, records only
        # the addresses that changed since (an unsubscribe suppresses the address sent to).
        return Message(
            id=message_id(campaign.tenant_id, campaign.id, contact.id, campaign.channel),
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            contact_id=contact.id,
            channel=campaign.channel,
            state=MessageState.PENDING,
            created_at=now,
            due_at=now,
            address=contact.address(campaign.channel),
        )


@dataclass(frozen=True, slots=True)
class MessagePage:
    items: list[Message]
    next_cursor: str | None  # the last item's id when more follow


@dataclass(frozen=True)
class Messages:
    """A campaign's ledger as operators read it (who got what, who failed and why) and the
    retry of one failed message."""

    campaigns: Campaigns
    sender: Sender

    async def page(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        states: Sequence[MessageState] = (),
        cursor: str | None = None,
        limit: int = 100,
    ) -> MessagePage:
        """The campaign's messages by id, in `states` when given (keyset paged)."""
        campaign = await self.campaigns.get(tenant_id, campaign_id)
        items = await self.campaigns.repository.list_messages(
            tenant_id, campaign.id, states=states, after=cursor, limit=limit + 1
        )
        more = len(items) > limit
        items = items[:limit]
        return MessagePage(items, items[-1].id if more else None)

    async def retry(self, tenant_id: str, campaign_id: str, message_id: str) -> Message:
        """Put a failed message back among the due ones: sent on the next pass (of a
        sending campaign; a paused one sends it when resumed). 409 for any other state."""
        campaign = await self.campaigns.get(tenant_id, campaign_id)
        repository = self.campaigns.repository
        message = await repository.get_message(tenant_id, message_id)
        if message is None or message.campaign_id != campaign.id:
            raise NotFound(f"No message {message_id!r} in this campaign.")
        if campaign.status is CampaignStatus.CANCELLED:
            raise Conflict(
                "The campaign is cancelled: its messages are not sent.",
                campaign_status=str(campaign.status),
            )
        if message.state is not MessageState.FAILED or not await self.sender.retry(
            tenant_id, message_id
        ):
            current = await repository.get_message(tenant_id, message_id) or message
            raise Conflict(
                f"The message is {current.state}: only a failed message is retried.",
                message_state=str(current.state),
            )
        await self._reopen(tenant_id, campaign_id)
        _log.info(
            "message retried", tenant_id=tenant_id, campaign_id=campaign.id, message_id=message_id
        )
        return await repository.get_message(tenant_id, message_id) or message

    async def _reopen(self, tenant_id: str, campaign_id: str) -> None:
        """A completed campaign given a message to send again is sending again (read after
        the retry's write, so a completion racing it cannot leave the message unsent)."""
        current = await self.campaigns.repository.get_campaign(tenant_id, campaign_id)
        if current is not None and current.status is CampaignStatus.COMPLETED:
            reopened = replace(current, status=CampaignStatus.SENDING, finished_at=None)
            await self.campaigns.repository.replace_campaign(
                reopened, expected=[CampaignStatus.COMPLETED]
            )


# Contacts per lookup of their portal links while a campaign file is written.
FILE_BATCH = 500


@dataclass(frozen=True)
class CampaignFiles:
    """The campaign file: every customer of an audience once, with their portal URL."""

    repository: CampaignRepository

    async def of_campaign(self, tenant_id: str, campaign_id: str) -> AsyncIterator[list[str]]:
        """The rows of the campaign's audience (as targeting chooses it), header first."""
        campaign = await self.repository.get_campaign(tenant_id, campaign_id)
        if campaign is None:
            raise NotFound(f"No campaign {campaign_id!r}.")
        return self._rows(tenant_id, campaign.audience, campaign.channel, campaign.group_ids())

    def of_segment(self, tenant_id: str, audience: Audience) -> AsyncIterator[list[str]]:
        """The rows of an audience chosen for the file alone (an upload or groups, and
        ranges of balance, update dates and a postcode prefix)."""
        if not audience.groups and audience.upload_id is None:
            raise Invalid("A campaign file names an upload or a group.", field="upload_id")
        groups = {list_id_for(tenant_id, TargetKind.GROUP, name) for name in audience.groups}
        return self._rows(tenant_id, audience, "email", groups)

    async def _rows(
        self, tenant_id: str, audience: Audience, channel: Channel, group_ids: set[str]
    ) -> AsyncIterator[list[str]]:
        yield HEADER
        batch: list[ContactView] = []
        contacts = self.repository.iter_contacts_in(
            tenant_id, group_ids=sorted(group_ids), upload_id=audience.upload_id
        )
        async for contact in contacts:
            if in_audience(contact, audience, channel):
                batch.append(contact)
            if len(batch) >= FILE_BATCH:
                for row in await self._with_links(tenant_id, batch):
                    yield row
                batch = []
        for row in await self._with_links(tenant_id, batch):
            yield row

    async def _with_links(self, tenant_id: str, batch: list[ContactView]) -> list[list[str]]:
        if not batch:
            return []
        links = await self.repository.links(tenant_id, [c.id for c in batch])
        return [file_row(c, links.get(c.id)) for c in batch]


class ReadModelBehind(Exception):
    """The contact read model has not caught up with the changes before a ListReady: the
    event is redelivered (and the barrier waited for) again."""


@dataclass(frozen=True)
class Triggers:
    """What starts campaigns: a ready list, a scheduled time, the service's own start."""

    campaigns: Campaigns
    barrier: ReadModelBarrier
    barrier_timeout_s: float

    async def on_list_ready(self, event: ListReady) -> list[Campaign]:
        """Start (or, redelivered or for a later upload, target again) every campaign of
        the tenant this list triggers, once the read model holds the list's contacts."""
        repository = self.campaigns.repository
        answering = [
            c
            for c in await repository.campaigns_on_list_ready(event.tenant_id)
            if c.answers(event.list_id, event.upload_id)
        ]
        if not answering:
            return []
        if not await self.barrier.wait(self.barrier_timeout_s):
            raise ReadModelBehind(f"contacts read model behind list {event.list_id}")
        started = []
        for c in answering:
            if c.status is CampaignStatus.DRAFT:
                try:
                    started.append(await self.campaigns.send(c.tenant_id, c.id))
                except Conflict:
                    continue  # started meanwhile by another delivery or a command
            else:
                started.append(await self.campaigns.target(c))
        return started

    async def start_due(self, now: datetime) -> list[Campaign]:
        """Scheduled drafts whose time has come, and sending campaigns never wholly
        targeted (the service stopped while claiming their audience)."""
        repository = self.campaigns.repository
        started = []
        for c in await repository.campaigns_scheduled(now):
            try:
                started.append(await self.campaigns.send(c.tenant_id, c.id))
            except Conflict:
                continue
        for c in await repository.campaigns_sending():
            if c.targeted_at is None and c.id not in self.campaigns.targeting:
                started.append(await self.campaigns.target(c))
        return started

    async def start_forever(self, every_s: float) -> None:
        while True:
            try:
                await self.start_due(self.campaigns.clock())
            except Exception:
                _log.exception("starting due campaigns failed, will try again")
            await asyncio.sleep(every_s)

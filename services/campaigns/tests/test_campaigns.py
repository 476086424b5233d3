"""The campaign use cases on the fake: the book, the commands and their states, targeting
into the ledger (once per contact, again safely after a crash) and stats that add up."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from listflow.campaigns.adapters.memory_repository import InMemoryCampaignRepository
from listflow.campaigns.domain.errors import Conflict, Invalid, NotFound
from listflow.campaigns.domain.model import (
    Audience,
    Campaign,
    CampaignSettings,
    CampaignStatus,
    ContactView,
    Filters,
    Rules,
    Stats,
    Trigger,
)
from listflow.campaigns.domain.templates import MessageTemplate, TemplateContent
from listflow.campaigns.handlers import CampaignDraft, Campaigns, ReadModelBehind, Triggers
from listflow.schemas.events import ListReady
from listflow.schemas.values import Account, ContactData, Counts, TargetKind, list_id_for

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EMAIL = TemplateContent("email", subject="Hi {{ first_name }}", html="<p>{{ portal_url }}</p>")
SMS = TemplateContent("sms", body="Pay at {{ portal_url }}")
MARCH = list_id_for("t1", TargetKind.GROUP, "March")


@pytest.fixture
async def repo() -> InMemoryCampaignRepository:
    repo = InMemoryCampaignRepository()
    for tid, content, tenant in (("tpl", EMAIL, "t1"), ("sms", SMS, "t1"), ("tpl2", EMAIL, "t2")):
        await repo.insert_template(
            MessageTemplate.new(id=tid, tenant_id=tenant, name=tid, content=content, now=NOW)
        )
    return repo


@pytest.fixture
def campaigns(repo: InMemoryCampaignRepository) -> Campaigns:
    ids = (f"k{n}" for n in itertools.count(1))
    return Campaigns(repo, lambda: NOW, new_id=lambda: next(ids))


def draft(**changes: object) -> CampaignDraft:
    base = CampaignDraft(
        name="March reminders",
        channel="email",
        template_id="tpl",
        audience=Audience(groups=("March",)),
        trigger=Trigger(),
        send_rate=100.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def contact(cid: str, *, balance: str = "100", groups: tuple[str, ...] = (MARCH,)) -> ContactView:
    return ContactView(
        id=cid,
        tenant_id="t1",
        version=1,
        data=ContactData(
            first_name=cid,
            emails=(f"{cid}@example.com",),
            accounts=(Account(number=f"A{cid}", balance=balance),),
        ),
        group_ids=groups,
        upload_ids=(),
        updated_at=NOW,
    )


async def test_a_draft_is_created_read_listed_updated_and_deleted(campaigns: Campaigns) -> None:
    created = await campaigns.create("t1", draft())
    assert created.status is CampaignStatus.DRAFT
    assert await campaigns.get("t1", created.id) == created
    assert [c.id for c in await campaigns.list("t1")] == [created.id]
    updated = await campaigns.update("t1", created.id, draft(name="April", send_rate=5.0))
    assert (updated.name, updated.send_rate) == ("April", 5.0)
    await campaigns.delete("t1", created.id)
    with pytest.raises(NotFound):
        await campaigns.get("t1", created.id)


async def test_a_campaign_is_refused_for_a_missing_or_other_channel_template_or_no_audience(
    campaigns: Campaigns,
) -> None:
    for bad in (
        draft(template_id="nope"),
        draft(template_id="tpl2"),  # another tenant's
        draft(template_id="sms"),  # an SMS template for an email campaign
        draft(audience=Audience(tags=("vip",))),
        draft(trigger=Trigger(on="schedule")),
    ):
        with pytest.raises(Invalid):
            await campaigns.create("t1", bad)
    assert await campaigns.list("t1") == []


async def test_another_tenant_finds_none_of_the_campaigns(campaigns: Campaigns) -> None:
    created = await campaigns.create("t1", draft())
    for call in (
        campaigns.get("t2", created.id),
        campaigns.send("t2", created.id),
        campaigns.move("t2", created.id, "cancel"),
        campaigns.stats("t2", created.id),
        campaigns.delete("t2", created.id),
    ):
        with pytest.raises(NotFound):
            await call
    assert await campaigns.list("t2") == []


async def test_send_targets_each_contact_of_the_audience_once_and_marks_the_campaign(
    campaigns: Campaigns, repo: InMemoryCampaignRepository
) -> None:
    await repo.upsert_contacts(
        [contact("c1"), contact("c2", balance="5"), contact("c3", groups=("other",))]
    )
    audience = Audience(groups=("March",), filters=Filters(balance_min=Decimal(10)))
    created = await campaigns.create("t1", draft(audience=audience))
    sent = await campaigns.send("t1", created.id)
    assert sent.status is CampaignStatus.SENDING and sent.targeted_at == NOW
    stats = await campaigns.stats("t1", created.id)
    assert (stats.targeted, stats.pending) == (1, 1)
    # Targeting again (the restart of a campaign killed mid-targeting) claims nothing twice.
    await campaigns.target(sent)
    assert (await campaigns.stats("t1", created.id)).targeted == 1


async def test_an_audience_larger_than_a_claim_batch_is_claimed_whole_and_once(
    campaigns: Campaigns, repo: InMemoryCampaignRepository
) -> None:
    # Read and claimed a batch at a time: every chosen contact of 2,500, across batch ends,
    # with those the filter leaves out in between.
    await repo.upsert_contacts(
        [contact(f"c{n:04d}", balance="5" if n % 3 == 0 else "100") for n in range(2500)]
    )
    audience = Audience(groups=("March",), filters=Filters(balance_min=Decimal(10)))
    created = await campaigns.create("t1", draft(audience=audience))
    sent = await campaigns.send("t1", created.id)
    chosen = sum(1 for n in range(2500) if n % 3)
    assert (await campaigns.stats("t1", created.id)).targeted == chosen
    await campaigns.target(sent)
    assert (await campaigns.stats("t1", created.id)).targeted == chosen


async def test_a_now_trigger_sends_at_creation(
    campaigns: Campaigns, repo: InMemoryCampaignRepository
) -> None:
    await repo.upsert_contacts([contact("c1"), contact("c2")])
    created = await campaigns.create("t1", draft(trigger=Trigger(on="now")))
    assert created.status is CampaignStatus.SENDING and created.targeted_at is not None
    stats = await campaigns.stats("t1", created.id)
    assert (
        stats.targeted
        == 2
        == stats.pending + stats.sent + stats.failed + sum(stats.suppressed.values())
    )


async def test_commands_move_only_from_the_states_they_allow(campaigns: Campaigns) -> None:
    created = await campaigns.create("t1", draft())
    with pytest.raises(Conflict):
        await campaigns.move("t1", created.id, "pause")
    await campaigns.send("t1", created.id)
    for bad in (
        campaigns.send("t1", created.id),
        campaigns.update("t1", created.id, draft()),
        campaigns.delete("t1", created.id),
        campaigns.move("t1", created.id, "resume"),
    ):
        with pytest.raises(Conflict):
            await bad
    assert (await campaigns.move("t1", created.id, "pause")).status is CampaignStatus.PAUSED
    assert (await campaigns.move("t1", created.id, "resume")).status is CampaignStatus.SENDING
    assert (await campaigns.move("t1", created.id, "cancel")).status is CampaignStatus.CANCELLED
    with pytest.raises(Conflict):
        await campaigns.move("t1", created.id, "cancel")


async def test_settings_default_until_the_tenant_chooses_its_own(campaigns: Campaigns) -> None:
    assert await campaigns.settings("t1") == CampaignSettings()
    assert CampaignSettings().rules == Rules()
    mine = CampaignSettings(rules=Rules(cap_messages=3), sms_help_text="Call us")
    await campaigns.put_settings("t1", mine)
    assert await campaigns.settings("t1") == mine
    assert await campaigns.settings("t2") == CampaignSettings()


async def test_stats_count_the_ledger_by_state_and_reason() -> None:
    stats = Stats.of(
        [
            ("pending", None, 2),
            ("deferred", None, 1),
            ("sent", None, 3),
            ("delivered", None, 4),
            ("failed", None, 1),
            ("suppressed", "no_consent", 2),
            ("suppressed", "frequency_cap", 1),
        ],
        unsubscribed=1,
    )
    assert stats.targeted == 14
    assert (stats.pending, stats.deferred, stats.sent, stats.delivered) == (3, 1, 7, 4)
    assert stats.suppressed["no_consent"] == 2 and stats.suppressed["frequency_cap"] == 1
    assert stats.targeted == sum(stats.suppressed.values()) + stats.sent + stats.failed + (
        stats.pending
    )
    assert stats.unsubscribed == 1


class Barrier:
    """The read-model barrier of unit tests: caught up or not, as the test says."""

    def __init__(self, caught_up: bool = True) -> None:
        self.caught_up = caught_up
        self.waits = 0

    async def wait(self, limit_s: float) -> bool:
        self.waits += 1
        return self.caught_up


def ready(list_id: str = MARCH, upload_id: str = "u1", tenant: str = "t1") -> ListReady:
    return ListReady(
        tenant_id=tenant,
        list_kind=TargetKind.GROUP,
        list_id=list_id,
        list_name="March",
        upload_id=upload_id,
        counts=Counts(),
        ready_at=NOW,
    )


async def test_a_ready_group_starts_its_campaigns_once_however_often_redelivered(
    campaigns: Campaigns, repo: InMemoryCampaignRepository
) -> None:
    await repo.upsert_contacts([contact("c1"), contact("c2")])
    mine = await campaigns.create("t1", draft(trigger=Trigger(on="list_ready")))
    manual = await campaigns.create("t1", draft())
    other_group = await campaigns.create(
        "t1", draft(trigger=Trigger(on="list_ready"), audience=Audience(groups=("April",)))
    )
    triggers = Triggers(campaigns, Barrier(), 1.0)
    started = await triggers.on_list_ready(ready())
    assert [c.id for c in started] == [mine.id]
    await triggers.on_list_ready(ready())  # redelivered
    await repo.upsert_contacts([contact("c3")])
    await triggers.on_list_ready(ready(upload_id="u2"))  # a later upload into the group
    assert (await campaigns.stats("t1", mine.id)).targeted == 3
    for untouched in (manual, other_group):
        assert (await campaigns.get("t1", untouched.id)).status is CampaignStatus.DRAFT
    # Another tenant's list of the same name starts nothing of this tenant's.
    assert await triggers.on_list_ready(ready(list_id=MARCH, tenant="t2")) == []


async def test_a_ready_list_waits_for_the_read_model_and_is_redelivered_if_behind(
    campaigns: Campaigns, repo: InMemoryCampaignRepository
) -> None:
    mine = await campaigns.create("t1", draft(trigger=Trigger(on="list_ready")))
    barrier = Barrier(caught_up=False)
    with pytest.raises(ReadModelBehind):
        await Triggers(campaigns, barrier, 1.0).on_list_ready(ready())
    assert (await campaigns.get("t1", mine.id)).status is CampaignStatus.DRAFT
    # No campaign answers: no wait at all.
    await Triggers(campaigns, barrier, 1.0).on_list_ready(ready(list_id="elsewhere"))
    assert barrier.waits == 1


async def test_start_sends_due_scheduled_drafts_and_retargets_a_campaign_cut_short(
    campaigns: Campaigns, repo: InMemoryCampaignRepository
) -> None:
    await repo.upsert_contacts([contact("c1"), contact("c2")])
    due = await campaigns.create("t1", draft(trigger=Trigger(on="schedule", at=NOW)))
    later = await campaigns.create(
        "t1", draft(trigger=Trigger(on="schedule", at=NOW + timedelta(hours=1)))
    )
    # A "now" campaign whose process died after it was marked sending, before targeting.
    cut = replace(
        await campaigns.create("t1", draft()), status=CampaignStatus.SENDING, triggered_at=NOW
    )
    await repo.save_campaign(cut)
    started = await Triggers(campaigns, Barrier(), 1.0).start_due(NOW)
    assert sorted(c.id for c in started) == sorted([due.id, cut.id])
    for c in (due, cut):
        assert (await campaigns.stats("t1", c.id)).targeted == 2
        assert (await campaigns.get("t1", c.id)).targeted_at is not None
    assert (await campaigns.get("t1", later.id)).status is CampaignStatus.DRAFT
    assert await Triggers(campaigns, Barrier(), 1.0).start_due(NOW) == []


async def test_targeting_keeps_a_pause_made_meanwhile(
    campaigns: Campaigns, repo: InMemoryCampaignRepository
) -> None:
    created = await campaigns.create("t1", draft())
    sending = await campaigns.send("t1", created.id)
    await campaigns.move("t1", created.id, "pause")
    retargeted = await campaigns.target(sending)  # with the stale, sending copy
    assert retargeted.status is CampaignStatus.PAUSED
    assert (await campaigns.get("t1", created.id)).status is CampaignStatus.PAUSED


async def test_the_start_loop_leaves_a_campaign_to_the_targeting_under_way() -> None:
    repo = InMemoryCampaignRepository()
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    campaigns = Campaigns(repo, lambda: now)
    sending = Campaign(
        id="k1",
        tenant_id="t1",
        name="Big",
        channel="email",
        template_id="tpl",
        audience=Audience(groups=("March",)),
        trigger=Trigger(on="list_ready"),
        status=CampaignStatus.SENDING,
        send_rate=100.0,
        created_at=now,
    )
    await repo.save_campaign(sending)

    class Ready:
        async def wait(self, limit_s: float) -> bool:
            return True

    triggers = Triggers(campaigns, Ready(), 1.0)
    campaigns.targeting.add("k1")  # a ListReady's targeting of it is under way
    assert await triggers.start_due(now) == []
    campaigns.targeting.discard("k1")
    [targeted] = await triggers.start_due(now)
    assert targeted.targeted_at == now

"""Must show (issue 12), the rules at send time on the real stack: contacts without consent,
suppressed or over the frequency cap get nothing and are counted by reason; a STOP reply
through the SMS simulator stops every later SMS to that number and START restores it;
quiet hours defer to the contact's morning with an injected clock; one tenant never
messages another's contacts. (Forged status callbacks: test_sms.py.)"""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from listflow.campaigns.bootstrap import Container, bootstrap
from listflow.campaigns.config import Settings
from listflow.campaigns.domain.model import Audience, ContactView, MessageState, Trigger
from listflow.campaigns.domain.templates import MessageTemplate, TemplateContent
from listflow.campaigns.handlers import CampaignDraft
from listflow.kit.clock import ManualClock
from listflow.schemas.values import Consents, ContactData, TargetKind, list_id_for

from tests.conftest import PROFILE, Stack
from tests.integration.contacts_support import run_upload
from tests.integration.test_campaign_email import (
    _mailpit_messages_to,
    _stats_when_settled,
    _zone_at_noon,
)
from tests.integration.test_sms import inject, number, simulated
from tests.integration.test_unsubscribe import campaign

DEFAULTS = {
    "quiet_hours_start": "08:00",
    "quiet_hours_end": "21:00",
    "frequency_cap_messages": 7,
    "frequency_cap_days": 7,
}


def _template(client: httpx.Client, channel: str) -> str:
    body: dict[str, Any] = (
        {"subject": "Hi {{ first_name }}", "text": "Hi"} if channel == "email" else {"body": "Hi"}
    )
    made = client.post(
        "/v1/message-templates",
        json={"name": f"Rules {secrets.token_hex(3)}", "channel": channel, **body},
    )
    assert made.status_code == 201, made.text
    template_id: str = made.json()["id"]
    return template_id


def test_no_consent_suppressed_and_over_the_cap_get_nothing_and_are_counted(
    stack: Stack, tmp_path: Path
) -> None:
    run = secrets.token_hex(4)
    group = f"Rules group {run}"
    yes, no, suppressed = (f"{k}-{run}@example.com" for k in ("yes", "no", "sup"))
    rows = [
        {
            "first_name": name,
            "account_number": f"RUL-{run}-{name}",
            "email": address,
            "consent_email": consent,
            "time_zone": _zone_at_noon(),
        }
        for name, address, consent in (("Y", yes, "yes"), ("N", no, "no"), ("S", suppressed, "yes"))
    ]
    with stack.client("acme") as acme, stack.client("globex") as globex:
        added = acme.post(
            "/v1/suppressions",
            json={"channel": "email", "address": suppressed, "reason": "unsubscribed"},
        )
        assert added.status_code == 201, added.text
        template = _template(acme, "email")
        first = campaign(acme, f"Rules {run}", template, group, "list_ready")
        assert run_upload(acme, tmp_path, rows, group=group)["status"] == "completed"
        stats = _stats_when_settled(acme, first, 3)
        assert stats["sent"] == 1
        assert {k: v for k, v in stats["suppressed"].items() if v} == {
            "no_consent": 1,
            "unsubscribed": 1,
        }
        # Another tenant naming the same group reaches none of these contacts.
        theirs = campaign(globex, f"Theirs {run}", _template(globex, "email"), group, "now")
        assert globex.get(f"/v1/campaigns/{theirs}/stats").json()["targeted"] == 0
        assert globex.get(f"/v1/campaigns/{first}/messages").status_code == 404

        capped = {**DEFAULTS, "frequency_cap_messages": 1}
        assert acme.put("/v1/campaign-settings", json=capped).status_code == 200
        try:
            later = campaign(acme, f"Capped {run}", template, group, "now")
            stats = _stats_when_settled(acme, later, 3)
        finally:
            assert acme.put("/v1/campaign-settings", json=DEFAULTS).status_code == 200
    assert stats["sent"] == 0
    assert {k: v for k, v in stats["suppressed"].items() if v} == {
        "no_consent": 1,
        "unsubscribed": 1,
        "frequency_cap": 1,
    }
    recipients = [
        to["Address"]
        for email in _mailpit_messages_to(stack.mailpit_url, {yes, no, suppressed})
        for to in email["To"]
    ]
    assert recipients == [yes]  # one email in all, to the one who may get it


def _sms_rows(run: str, phone: str) -> list[dict[str, str]]:
    return [
        {
            "first_name": "Sol",
            "account_number": f"SMS-{run}",
            "phone": phone,
            "consent_sms": "yes",
            "time_zone": _zone_at_noon(),
        }
    ]


async def _texts_to(stack: Stack, phone: str, body: str) -> int:
    return sum(1 for m in await simulated(stack, phone) if m["body"] == body)


def test_a_stop_reply_stops_every_later_sms_and_start_restores_them(
    stack: Stack, tmp_path: Path
) -> None:
    run = secrets.token_hex(4)
    group = f"Sms group {run}"
    phone = number(9000 + secrets.randbelow(999))
    body = f"Your balance reminder {run}"
    with stack.client("acme") as acme:
        made = acme.post(
            "/v1/message-templates",
            json={"name": f"Sms {run}", "channel": "sms", "body": body},
        )
        assert made.status_code == 201, made.text
        template = made.json()["id"]

        def sms_campaign(name: str, on: str) -> str:
            created = acme.post(
                "/v1/campaigns",
                json={
                    "name": f"{name} {run}",
                    "channel": "sms",
                    "template_id": template,
                    "audience": {"groups": [group]},
                    "trigger": {"on": on},
                },
            )
            assert created.status_code == 201, created.text
            cid: str = created.json()["id"]
            return cid

        first = sms_campaign("Before", "list_ready")
        assert run_upload(acme, tmp_path, _sms_rows(run, phone), group=group)["status"] == (
            "completed"
        )
        assert _stats_when_settled(acme, first, 1)["sent"] == 1
        assert asyncio.run(_texts_to(stack, phone, body)) == 1

        stopped = asyncio.run(inject(stack, "acme", phone, "STOP"))
        assert stopped["answered"] == 200
        after_stop = sms_campaign("After stop", "now")
        stats = _stats_when_settled(acme, after_stop, 1)
        assert stats["sent"] == 0
        assert {k: v for k, v in stats["suppressed"].items() if v} == {"sms_opt_out": 1}
        assert asyncio.run(_texts_to(stack, phone, body)) == 1

        started = asyncio.run(inject(stack, "acme", phone, "START"))
        assert started["answered"] == 200
        after_start = sms_campaign("After start", "now")
        assert _stats_when_settled(acme, after_start, 1)["sent"] == 1
    deadline = time.monotonic() + 30
    while asyncio.run(_texts_to(stack, phone, body)) < 2:
        assert time.monotonic() < deadline, "the SMS after START never reached the simulator"
        time.sleep(0.2)


class NoBarrier:
    async def wait(self, limit_s: float) -> bool:
        return True


@pytest.fixture
async def at_night(stack: Stack) -> AsyncIterator[tuple[Container, ManualClock]]:
    """The campaigns use cases wired by bootstrap(clock=...) on the real FerretDB, Kafka and
    Mailpit, at 02:00 in New York."""
    clock = ManualClock(datetime(2026, 3, 10, 6, 0, tzinfo=UTC))
    settings = Settings(
        kafka_bootstrap=PROFILE.kafka_bootstrap,
        mongodb_url=PROFILE.mongodb_url,
        database_prefix=f"{stack.database_prefix}clock_",
        campaigns_smtp_port=PROFILE.smtp_port,
        campaigns_public_url=stack.gateway_url,
    )
    container = bootstrap(settings, clock=clock, barrier=NoBarrier())
    await container.repository.ensure_indexes()  # type: ignore[attr-defined]
    await container.publisher.start()
    try:
        yield container, clock
    finally:
        await container.publisher.stop()
        await container.email.close()  # type: ignore[attr-defined]
        await container.mongo.close()


async def test_quiet_hours_defer_to_the_contacts_morning_with_an_injected_clock(
    stack: Stack, at_night: tuple[Container, ManualClock]
) -> None:
    container, clock = at_night
    run = secrets.token_hex(4)
    address = f"night-{run}@example.com"
    group = f"Night {run}"
    await container.repository.upsert_contacts(
        [
            ContactView(
                id=f"night-{run}",
                tenant_id="night",
                version=1,
                data=ContactData(
                    first_name="Nia",
                    emails=(address,),
                    consents=Consents(email=True),
                    time_zone="America/New_York",
                ),
                group_ids=(list_id_for("night", TargetKind.GROUP, group),),
                upload_ids=(),
                updated_at=clock.now,
            )
        ]
    )
    await container.repository.insert_template(
        MessageTemplate.new(
            id=f"tpl-{run}",
            tenant_id="night",
            name="Night",
            content=TemplateContent("email", subject="Good morning", text="Hi"),
            now=clock.now,
        )
    )
    started = await container.campaigns.create(
        "night",
        CampaignDraft(
            name="Night",
            channel="email",
            template_id=f"tpl-{run}",
            audience=Audience(groups=(group,)),
            trigger=Trigger(on="now"),
            send_rate=100.0,
        ),
    )
    assert (await container.sender.dispatch(started)).deferred == 1
    [deferred] = (await container.messages.page("night", started.id)).items
    assert deferred.state is MessageState.DEFERRED
    # 08:00 in New York (EDT since 8 March) is 12:00 UTC: deferred, not dropped.
    assert deferred.due_at == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    clock.now = datetime(2026, 3, 10, 11, 59, tzinfo=UTC)
    assert (await container.sender.dispatch(started)).sent == 0
    assert _mailpit_messages_to(stack.mailpit_url, {address}) == []
    clock.now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert (await container.sender.dispatch(started)).sent == 1
    [email] = _mailpit_messages_to(stack.mailpit_url, {address})
    assert email["Subject"] == "Good morning"
    stats = await container.campaigns.stats("night", started.id)
    assert (stats.sent, stats.deferred, stats.pending) == (1, 0, 0)

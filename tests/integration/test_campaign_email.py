"""Email campaigns against the real stack: a group's upload (ListReady) starts its campaign,
the sender hands one email per consenting contact to the real SMTP server (Mailpit), with
the one-click unsubscribe headers, and the campaign's stats account for every contact; and
the SMTP adapter alone against Mailpit (its sign-in, and STARTTLS never skipped)."""

import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from listflow.campaigns.adapters.smtp_sender import SmtpEmailSender
from listflow.campaigns.ports import EmailUnavailable, OutgoingEmail
from listflow.devstack import infra

from tests.conftest import PROFILE, Stack
from tests.integration.contacts_support import run_upload


def _zone_at_noon() -> str:
    """A time zone where it is about noon now: inside the default sending window (08:00 to
    21:00 local), whatever the hour the test runs at."""
    offset = 12 - datetime.now(UTC).hour
    offset = max(-12, min(14, offset if offset >= -11 else offset + 24))
    # Etc/GMT zones count westward: Etc/GMT-3 is UTC+3.
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def _stats_when_settled(
    client: httpx.Client, campaign_id: str, targeted: int, wait_s: float = 180.0
) -> dict[str, Any]:
    """The stats once every targeted message has left the pending states."""
    deadline = time.monotonic() + wait_s
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = client.get(f"/v1/campaigns/{campaign_id}/stats").json()
        if stats["targeted"] >= targeted and stats["pending"] == 0:
            return stats
        time.sleep(0.5)
    raise AssertionError(f"campaign {campaign_id} never settled at {targeted}: {stats}")


def _mailpit_messages_to(mailpit: str, addresses: set[str]) -> list[dict[str, Any]]:
    """Mailpit's stored messages (shared by every test) addressed to any of `addresses`."""
    found: list[dict[str, Any]] = []
    with httpx.Client(base_url=mailpit, timeout=30.0) as http:
        start, total = 0, 1
        while start < total:
            page = http.get("/api/v1/messages", params={"start": start, "limit": 500})
            assert page.status_code == 200, page.text
            body = page.json()
            total = body["messages_count"]
            if not body["messages"]:
                break
            start += len(body["messages"])
            for message in body["messages"]:
                if {to["Address"] for to in message["To"]} & addresses:
                    headers = http.get(f"/api/v1/message/{message['ID']}/headers")
                    assert headers.status_code == 200, headers.text
                    found.append({**message, "headers": headers.json()})
    return found


def test_an_email_campaign_on_list_ready_sends_one_email_per_consenting_contact(
    stack: Stack, tmp_path: Path
) -> None:
    run = secrets.token_hex(4)
    group = f"Email group {run}"
    zone = _zone_at_noon()
    consenting = {f"mail-yes{i}-{run}@example.com" for i in range(1, 4)}
    refusing = {f"mail-no{i}-{run}@example.com" for i in range(1, 3)}
    rows = [
        {
            "first_name": f"Em{n}",
            "account_number": f"EML-{run}-{n}",
            "email": address,
            "consent_email": "yes" if address in consenting else "no",
            "time_zone": zone,
        }
        for n, address in enumerate(sorted(consenting | refusing))
    ]
    with stack.client("acme") as acme:
        template = acme.post(
            "/v1/message-templates",
            json={
                "name": f"Email {run}",
                "channel": "email",
                "subject": "Your account {{ account_number }}",
                "html": "<p>Hello {{ first_name }}</p>",
            },
        )
        assert template.status_code == 201, template.text
        campaign = acme.post(
            "/v1/campaigns",
            json={
                "name": f"Email on ready {run}",
                "channel": "email",
                "template_id": template.json()["id"],
                "audience": {"groups": [group], "tags": [], "upload_id": None, "filters": {}},
                "trigger": {"on": "list_ready"},
            },
        )
        assert campaign.status_code == 201, campaign.text
        cid = campaign.json()["id"]

        assert run_upload(acme, tmp_path, rows, group=group)["status"] == "completed"
        stats = _stats_when_settled(acme, cid, len(rows))

    emails = _mailpit_messages_to(stack.mailpit_url, consenting | refusing)
    recipients = sorted(to["Address"] for email in emails for to in email["To"])
    assert recipients == sorted(consenting)  # one each, none to those without consent
    for email in emails:
        headers = email["headers"]
        [unsubscribe] = headers["List-Unsubscribe"]
        assert unsubscribe.startswith(f"<{stack.gateway_url}/u/")
        assert ">, <mailto:unsubscribe+" in unsubscribe
        assert headers["List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]
        assert email["Subject"].startswith("Your account EML-")
    assert stats["targeted"] == len(rows)
    assert stats["sent"] == len(consenting)
    assert stats["failed"] == 0
    assert {k: v for k, v in stats["suppressed"].items() if v} == {"no_consent": len(refusing)}


async def test_the_smtp_adapter_hands_mailpit_the_message_with_its_unsubscribe_headers() -> None:
    infra.up(PROFILE)
    to = f"adapter-{secrets.token_hex(4)}@mailpit.test"
    sender = SmtpEmailSender("127.0.0.1", PROFILE.smtp_port, "Listflow <noreply@listflow.test>")
    email = OutgoingEmail(
        message_id=f"<{secrets.token_hex(8)}@listflow.test>",
        to=to,
        subject="Adapter check",
        html="<p>Hello</p>",
        text="Hello",
        unsubscribe_url="https://lists.example/u/token",
        unsubscribe_mailto="mailto:unsubscribe+token@listflow.test",
    )
    try:
        assert await sender.send(email) == email.message_id
    finally:
        await sender.close()
    [stored] = _mailpit_messages_to(infra.mailpit_url(PROFILE), {to})
    assert stored["Subject"] == "Adapter check"
    assert stored["headers"]["List-Unsubscribe"] == [
        "<https://lists.example/u/token>, <mailto:unsubscribe+token@listflow.test>"
    ]
    assert stored["headers"]["List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]


def _adapter_email(to: str) -> OutgoingEmail:
    return OutgoingEmail(
        message_id=f"<{secrets.token_hex(8)}@listflow.test>",
        to=to,
        subject="Relay check",
        html=None,
        text="Hello",
        unsubscribe_url="https://lists.example/u/token",
        unsubscribe_mailto="mailto:unsubscribe+token@listflow.test",
    )


async def test_the_smtp_adapter_signs_in_when_given_credentials() -> None:
    # The test Mailpit offers AUTH and takes any credentials: the sign-in is exercised, and a
    # sender that skipped it would still deliver, so the next test checks the other side.
    infra.up(PROFILE)
    to = f"auth-{secrets.token_hex(4)}@mailpit.test"
    sender = SmtpEmailSender(
        "127.0.0.1",
        PROFILE.smtp_port,
        "Listflow <noreply@listflow.test>",
        username="relay-user",
        password="relay-password",  # Mailpit accepts any
    )
    email = _adapter_email(to)
    try:
        assert await sender.send(email) == email.message_id
    finally:
        await sender.close()
    [stored] = _mailpit_messages_to(infra.mailpit_url(PROFILE), {to})
    assert stored["Subject"] == "Relay check"


async def test_starttls_required_but_not_offered_sends_nothing_in_the_clear() -> None:
    # The test Mailpit has no certificate, so it offers no STARTTLS: a sender told to use it
    # must fail (retried later) rather than fall back to plain text.
    infra.up(PROFILE)
    to = f"tls-{secrets.token_hex(4)}@mailpit.test"
    sender = SmtpEmailSender(
        "127.0.0.1", PROFILE.smtp_port, "Listflow <noreply@listflow.test>", tls="starttls"
    )
    try:
        with pytest.raises(EmailUnavailable):
            await sender.send(_adapter_email(to))
    finally:
        await sender.close()
    assert _mailpit_messages_to(infra.mailpit_url(PROFILE), {to}) == []

"""One-click unsubscribe on the real stack: an email campaign's message in Mailpit carries
the List-Unsubscribe link; a bare POST to it (what a mail client does under RFC 8058)
unsubscribes the contact at once, through the gateway; the visible link in the body is the
same link; the suppression records its source; a later campaign to the same group skips the
contact with reason `unsubscribed`; and the token reaches no service's log."""

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Stack
from tests.integration.contacts_support import run_upload
from tests.integration.test_campaign_email import (
    _mailpit_messages_to,
    _stats_when_settled,
    _zone_at_noon,
)
from tests.integration.test_request_logs import _sizes, _written_since

TEMPLATE = {
    "channel": "email",
    "subject": "Your account {{ account_number }}",
    "html": '<p>Hello {{ first_name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
}


def campaign(
    client: httpx.Client, name: str, template_id: str, group: str, on: str, rate: float = 100.0
) -> str:
    """A new email campaign to the group (its id)."""
    created = client.post(
        "/v1/campaigns",
        json={
            "name": name,
            "channel": "email",
            "template_id": template_id,
            "audience": {"groups": [group]},
            "trigger": {"on": on},
            "send_rate": rate,
        },
    )
    assert created.status_code == 201, created.text
    campaign_id: str = created.json()["id"]
    return campaign_id


@dataclass
class Emailed:
    group: str
    template_id: str
    campaign_id: str
    emails: dict[str, dict[str, Any]]  # by address: the email Mailpit holds


def emailed(stack: Stack, tmp_path: Path, tenant: str, names: tuple[str, ...]) -> Emailed:
    """An email campaign on list_ready sent to a new group of consenting contacts, one per
    name (the address starts with the name in lower case)."""
    run = secrets.token_hex(4)
    group = f"Unsubscribe group {run}"
    addresses = {name: f"{name.lower()}-{run}@example.com" for name in names}
    rows = [
        {
            "first_name": name,
            "account_number": f"UNS-{run}-{n}",
            "email": address,
            "consent_email": "yes",
            "time_zone": _zone_at_noon(),
        }
        for n, (name, address) in enumerate(addresses.items())
    ]
    with stack.client(tenant) as client:
        template = client.post("/v1/message-templates", json={"name": f"Uns {run}", **TEMPLATE})
        assert template.status_code == 201, template.text
        first = campaign(client, f"First {run}", template.json()["id"], group, "list_ready")
        assert run_upload(client, tmp_path, rows, group=group)["status"] == "completed"
        assert _stats_when_settled(client, first, len(rows))["sent"] == len(rows)
    emails = {
        e["To"][0]["Address"]: e
        for e in _mailpit_messages_to(stack.mailpit_url, set(addresses.values()))
    }
    return Emailed(group, template.json()["id"], first, emails)


def header_link(email: dict[str, Any]) -> str:
    """The https link of the email's List-Unsubscribe header."""
    [header] = email["headers"]["List-Unsubscribe"]
    url = re.match(r"<(https?://[^>]+)>, <mailto:", header)
    assert url, header
    return url.group(1)


def test_a_bare_post_to_the_header_link_unsubscribes_and_a_later_campaign_skips_them(
    stack: Stack, tmp_path: Path
) -> None:
    before = _sizes()
    sent = emailed(stack, tmp_path, "acme", ("Lea", "Sam"))
    leaving, staying = sorted(sent.emails, key=lambda a: not a.startswith("lea-"))
    with stack.client("acme") as acme:
        email = sent.emails[leaving]
        link = header_link(email)
        assert link.startswith(f"{stack.gateway_url}/u/")
        token = link.rsplit("/", 1)[1]

        # The mail client's one-click POST: no body, no cookie, no key.
        answer = httpx.post(link, timeout=60.0)
        assert answer.status_code == 200, answer.text
        assert "You are unsubscribed" in answer.text

        # The visible link in the body is the same one; opening it again changes nothing.
        with httpx.Client(base_url=stack.mailpit_url, timeout=30.0) as mailpit:
            body = mailpit.get(f"/api/v1/message/{email['ID']}").json()
        assert f'href="{link}"' in body["HTML"]
        assert httpx.get(link, timeout=60.0).status_code == 200

        history = acme.post(
            "/v1/suppressions/history", json={"channel": "email", "address": leaving}
        )
        assert history.status_code == 200, history.text
        assert [(c["action"], c["reason"], c["by"]) for c in history.json()["changes"]] == [
            ("suppressed", "unsubscribed", "email:one-click")
        ]
        assert acme.get(f"/v1/campaigns/{sent.campaign_id}/stats").json()["unsubscribed"] == 1

        later = campaign(acme, f"Later {sent.group}", sent.template_id, sent.group, "now")
        stats = _stats_when_settled(acme, later, 2)

    assert stats["sent"] == 1
    assert {k: v for k, v in stats["suppressed"].items() if v} == {"unsubscribed": 1}
    recipients = sorted(
        to["Address"]
        for email in _mailpit_messages_to(stack.mailpit_url, {leaving, staying})
        for to in email["To"]
    )
    assert recipients == sorted([leaving, staying, staying])  # nothing more to the one who left

    logs = _written_since(before)
    signature = token.rsplit(".", 1)[1]
    leaks = [name for name, log in logs.items() if signature in log]
    assert not leaks, leaks
    assert "/u/{token}" in logs["campaigns.log"]


def test_a_forged_link_gets_the_plain_page_through_the_gateway(stack: Stack) -> None:
    for method in ("GET", "POST"):
        answer = httpx.request(method, f"{stack.gateway_url}/u/bm8.m1.{'0' * 32}", timeout=60.0)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "This link is not valid" in answer.text

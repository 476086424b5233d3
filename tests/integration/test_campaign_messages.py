"""A campaign's messages on the real stack: operators list them by state (who failed and
why) and retry a failed one through the API; the stats move and the sender sends it again
to the real SMTP server. A message not failed is a 409 problem.

Mailpit accepts every recipient, so the test marks one sent message failed in the ledger
(as the sender does when the server refuses it) rather than waiting for a refusal."""

import asyncio
import time
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from tests.conftest import PROFILE, Stack
from tests.integration.test_campaign_email import _mailpit_messages_to
from tests.integration.test_unsubscribe import campaign, emailed


async def _mark_failed(database: str, message_id: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(PROFILE.mongodb_url)
    try:
        done = await client[database]["messages"].update_one(
            {"message_id": message_id, "state": "sent"},
            {"$set": {"state": "failed", "error": "SMTPRecipientRefused"}},
        )
        assert done.modified_count == 1
    finally:
        await client.close()


def test_failed_messages_are_listed_and_one_is_retried_through_the_api(
    stack: Stack, tmp_path: Path
) -> None:
    sent = emailed(stack, tmp_path, "acme", ("Rhea", "Tom"))
    cid = sent.campaign_id
    with stack.client("acme") as acme:
        listed = acme.get(f"/v1/campaigns/{cid}/messages", params={"limit": 1})
        assert listed.status_code == 200, listed.text
        first = listed.json()
        assert len(first["items"]) == 1 and first["next_cursor"]
        rest = acme.get(
            f"/v1/campaigns/{cid}/messages", params={"cursor": first["next_cursor"]}
        ).json()
        everyone = first["items"] + rest["items"]
        assert rest["next_cursor"] is None and len(everyone) == 2
        assert {m["state"] for m in everyone} == {"sent"}
        assert all("address" not in m for m in everyone)

        victim, other = everyone
        conflict = acme.post(f"/v1/campaigns/{cid}/messages/{victim['id']}/retry")
        assert conflict.status_code == 409, conflict.text
        assert conflict.headers["content-type"].startswith("application/problem+json")
        assert conflict.json()["message_state"] == "sent"

        asyncio.run(_mark_failed(f"{stack.database_prefix}campaigns", victim["id"]))
        failed = acme.get(f"/v1/campaigns/{cid}/messages", params={"state": "failed"}).json()
        assert [(m["id"], m["error"]) for m in failed["items"]] == [
            (victim["id"], "SMTPRecipientRefused")
        ]
        assert acme.get(f"/v1/campaigns/{cid}/stats").json()["failed"] == 1

        retried = acme.post(f"/v1/campaigns/{cid}/messages/{victim['id']}/retry")
        assert retried.status_code == 200, retried.text
        assert retried.json()["state"] in ("pending", "sending", "sent")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stats = acme.get(f"/v1/campaigns/{cid}/stats").json()
            if stats["sent"] == 2:
                break
            time.sleep(0.5)
        assert (stats["sent"], stats["failed"], stats["pending"]) == (2, 0, 0), stats
        unknown = acme.post(f"/v1/campaigns/{cid}/messages/no-such-message/retry")
        assert unknown.status_code == 404
    with stack.client("globex") as globex:
        assert globex.get(f"/v1/campaigns/{cid}/messages").status_code == 404
        assert globex.post(f"/v1/campaigns/{cid}/messages/{other['id']}/retry").status_code == 404

    copies = [
        e["To"][0]["Address"]
        for e in _mailpit_messages_to(stack.mailpit_url, set(sent.emails))
        if e["MessageID"].startswith(victim["id"])
    ]
    # Sent, then again on retry, to its one contact (the same Message-ID both times).
    assert len(copies) == 2 and len(set(copies)) == 1, copies


def test_cancel_settles_the_open_messages_and_the_running_pass_sends_no_more(
    stack: Stack, tmp_path: Path
) -> None:
    sent = emailed(stack, tmp_path, "acme", ("Ann", "Ben", "Cat", "Dan", "Eve"))
    addresses = set(sent.emails)
    with stack.client("acme") as acme:
        # Slow enough (one email every 2 s) that a pass is still running when cancelled.
        cid = campaign(acme, f"Slow {sent.group}", sent.template_id, sent.group, "now", 0.5)
        deadline = time.monotonic() + 120
        while len(_mailpit_messages_to(stack.mailpit_url, addresses)) <= len(addresses):
            assert time.monotonic() < deadline, "the slow campaign never sent"
            time.sleep(0.2)
        cancelled = acme.post(f"/v1/campaigns/{cid}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        stats = acme.get(f"/v1/campaigns/{cid}/stats").json()
        # Only a message already handed to the server may still be pending (sending).
        assert stats["pending"] <= 1 and stats["cancelled"] >= 1, stats
        while stats["pending"]:
            time.sleep(0.5)
            stats = acme.get(f"/v1/campaigns/{cid}/stats").json()
        # Past the end of the pass that was running (the rest of its 2 s intervals).
        time.sleep(12)
        final = acme.get(f"/v1/campaigns/{cid}/stats").json()
        cancelled_ones = acme.get(
            f"/v1/campaigns/{cid}/messages", params={"state": "cancelled"}
        ).json()["items"]
    assert final == stats
    assert final["targeted"] == 5
    assert final["sent"] + final["cancelled"] == 5 and final["failed"] == 0
    assert len(cancelled_ones) == final["cancelled"]
    mine = [
        e
        for e in _mailpit_messages_to(stack.mailpit_url, addresses)
        if e["MessageID"] not in {x["MessageID"] for x in sent.emails.values()}
    ]
    assert len(mine) == final["sent"]

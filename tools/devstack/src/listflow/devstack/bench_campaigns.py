"""The campaigns phase of `make bench` (issue 12): an email campaign of BENCH_CAMPAIGN_CONTACTS
(100,000) consenting contacts triggered by ListReady, delivered to the local SMTP server
(Mailpit), timed from the event to the last message Mailpit accepted.

The contacts go in first as a user would put them (an upload into a group, merged by
contacts, carried to campaigns' read model); then the campaign is created and the upload's
ListReady is published again, so the clock starts at a ListReady that finds the list whole,
as the first one would had the campaign existed. The phase prints messages per second, the
CPU per message of the campaigns service (its process tree; less sensitive to the machine's
load than the rate) and of Mailpit, then of every part (FerretDB, PostgreSQL's processes,
Kafka, the other services) as measured and net of the idle stack, and the accounting: the
ledger's sent count, Mailpit's message count and its distinct Message-IDs, each against the
contacts.
"""

import asyncio
import csv
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from listflow.devstack import infra
from listflow.devstack.bench_cpu import cpu_us_per_unit, less_idle

TARGET_MESSAGES_PER_S = 1_000
LIST_READY = "lists.ready.v1"
# How often the phase reads the campaign's stats: as often as the console refreshes a
# sending campaign's page (console/src/pages/CampaignsDetail.tsx), one operator watching.
STATS_EVERY_S = 2.0
# BENCH_CAMPAIGN_SETTLE=1: before the clock starts, the stack settles after the upload (the
# campaign timed alone): 5-second windows until the whole stack spends at most this much CPU
# a second above its idle (microseconds, a tenth of a core), for at most SETTLE_LIMIT_S.
# By default the clock starts straight after the upload, as a campaign on ListReady would:
# the upload's after-work (the portal's links for the list, PostgreSQL's autovacuum of the
# tables the load filled) runs meanwhile.
SETTLE_WINDOW_S = 5.0
SETTLE_ABOVE_IDLE_US = 100_000
SETTLE_LIMIT_S = 180.0
COLUMNS = ("first_name", "account_number", "email", "consent_email", "time_zone")


def _zone_at_noon() -> str:
    """A zone where it is about noon now: inside the default sending window, so no contact
    is deferred to tomorrow by quiet hours whatever the hour of the run."""
    offset = 12 - datetime.now(UTC).hour
    offset = max(-12, min(14, offset if offset >= -11 else offset + 24))
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def _write_contacts(path: Path, count: int) -> None:
    zone = _zone_at_noon()
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for n in range(count):
            writer.writerow([f"Bench{n}", f"BC-{n:07d}", f"bench{n}@mail.example", "yes", zone])


def _wait_upload(client: httpx.Client, upload_id: str) -> dict[str, Any]:
    while True:
        body: dict[str, Any] = client.get(f"/v1/uploads/{upload_id}").json()
        if body["status"] in ("completed", "failed", "cancelled"):
            return body
        time.sleep(1.0)


async def _list_ready_of(bootstrap: str, upload_id: str) -> tuple[bytes, bytes, list[Any]]:
    """The upload's ListReady as ingest published it (key, value, headers)."""
    consumer = AIOKafkaConsumer(
        LIST_READY, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    if orjson.loads(record.value).get("upload_id") == upload_id:
                        return record.key, record.value, list(record.headers)
    finally:
        await consumer.stop()
    raise RuntimeError(f"no ListReady of upload {upload_id} on {LIST_READY}")


async def _publish(bootstrap: str, event: tuple[bytes, bytes, list[Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        key, value, headers = event
        await producer.send_and_wait(LIST_READY, value, key=key, headers=headers)
    finally:
        await producer.stop()


def _mailpit_accounting(url: str) -> dict[str, Any]:
    """Mailpit's message count, its distinct Message-IDs, and when it accepted the last one."""
    ids: set[str] = set()
    last: str | None = None
    with httpx.Client(base_url=url, timeout=120) as http:
        start, total = 0, 1
        while start < total:
            page = http.get("/api/v1/messages", params={"start": start, "limit": 5000}).json()
            total = page["messages_count"]
            if not page["messages"]:
                break
            if start == 0:
                last = page["messages"][0]["Created"]  # newest first
            start += len(page["messages"])
            ids.update(m["MessageID"] for m in page["messages"])
    return {"messages": total, "distinct_message_ids": len(ids), "last_accepted": last}


def _settle(cpu_s: Callable[[], dict[str, float]], idle: dict[str, float]) -> float:
    """Wait for the upload's after-work to end (its events reaching every read model, and
    PostgreSQL's autovacuum of the tables it filled: ~15 s of a worker after 100,000 new
    contacts), so that the phase times the campaign alone; the seconds waited."""
    started = time.monotonic()
    idle_total = sum(idle.values())
    while time.monotonic() - started < SETTLE_LIMIT_S:
        before = cpu_s()
        time.sleep(SETTLE_WINDOW_S)
        after = cpu_s()
        busy = sum(after[k] - before.get(k, 0.0) for k in after) / SETTLE_WINDOW_S * 1e6
        if busy <= idle_total + SETTLE_ABOVE_IDLE_US:
            break
    return time.monotonic() - started


def _stats_when_settled(client: httpx.Client, campaign_id: str, count: int) -> dict[str, Any]:
    started = time.monotonic()
    last_print = 0.0
    while True:
        stats: dict[str, Any] = client.get(f"/v1/campaigns/{campaign_id}/stats").json()
        elapsed = time.monotonic() - started
        if stats["targeted"] >= count and stats["pending"] == 0:
            return stats
        if elapsed - last_print >= 5:
            last_print = elapsed
            print(
                f"  {elapsed:6.1f}s  targeted {stats['targeted']:>9,}  sent {stats['sent']:>9,}"
                f"  pending {stats['pending']:>9,}",
                flush=True,
            )
        time.sleep(STATS_EVERY_S)


def campaigns_phase(
    client: httpx.Client,
    profile: infra.Profile,
    cpu_s: Callable[[], dict[str, float]],
    idle: dict[str, float],
    work: Path,
) -> dict[str, Any]:
    """The campaign's contacts uploaded, then its ListReady, timed to Mailpit's last email.
    `cpu_s` reads the CPU seconds of every part of the stack so far; `idle` is what each
    spends a second with nothing to do (microseconds), taken off for the net figures."""
    count = int(os.environ.get("BENCH_CAMPAIGN_CONTACTS", "100000"))
    stamp = f"{datetime.now(UTC):%H%M%S}"
    group = f"Bench campaign {stamp}"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"campaign-{count}.csv"
    _write_contacts(path, count)
    print(f"  uploading {count:,} consenting contacts into {group!r}", flush=True)
    options = {
        "target": {"kind": "group", "name": group},
        "mapping": {h: h for h in COLUMNS},
        "default_region": "US",
    }
    with path.open("rb") as f:
        accepted = client.post(
            "/v1/uploads",
            files={"file": (path.name, f, "text/csv")},
            data={"options": orjson.dumps(options).decode()},
        )
    accepted.raise_for_status()
    upload = _wait_upload(client, accepted.json()["id"])
    if upload["status"] != "completed":
        raise RuntimeError(f"the campaign's upload ended {upload['status']}: {upload}")
    template = client.post(
        "/v1/message-templates",
        json={
            "name": f"Bench {stamp}",
            "channel": "email",
            "subject": "Your account {{ account_number }}",
            # Each email carries the customer's own payment link (portal_url), as a
            # collections campaign's does: the sender waits for the portal's link and looks
            # the links up for every pass.
            "html": "<p>Hello {{ first_name }}, your balance is due: "
            "<a href='{{ portal_url }}'>pay here</a>.</p>"
            "<p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>",
        },
    )
    template.raise_for_status()
    campaign = client.post(
        "/v1/campaigns",
        json={
            "name": f"Bench {stamp}",
            "channel": "email",
            "template_id": template.json()["id"],
            "audience": {"groups": [group], "tags": [], "upload_id": None, "filters": {}},
            "trigger": {"on": "list_ready"},
            "send_rate": 10_000,
        },
    )
    campaign.raise_for_status()
    cid = campaign.json()["id"]
    event = asyncio.run(_list_ready_of(profile.kafka_bootstrap, upload["id"]))
    settled_s: float | None = None
    if os.environ.get("BENCH_CAMPAIGN_SETTLE") == "1":
        settled_s = _settle(cpu_s, idle)
        print(f"  the stack settled {settled_s:.0f} s after the upload completed", flush=True)
    mailpit = infra.mailpit_url(profile)
    mailpit_before = httpx.get(f"{mailpit}/api/v1/messages", params={"limit": 1}).json()
    load_before = os.getloadavg()[0]
    cpu_before, read_at = cpu_s(), time.monotonic()
    published = datetime.now(UTC)
    asyncio.run(_publish(profile.kafka_bootstrap, event))
    stats = _stats_when_settled(client, cid, count)
    cpu_after, span = cpu_s(), time.monotonic() - read_at
    load_after = os.getloadavg()[0]
    accounting = _mailpit_accounting(mailpit)
    accounting["messages"] -= mailpit_before["messages_count"]
    last = datetime.fromisoformat(str(accounting.pop("last_accepted")).replace("Z", "+00:00"))
    seconds = (last - published).total_seconds()
    sent = stats["sent"]
    per_message = cpu_us_per_unit(cpu_before, cpu_after, sent)
    return {
        "contacts": count,
        "seconds": round(seconds, 2),
        "messages_per_s": round(sent / seconds, 1) if seconds > 0 else None,
        "campaigns_cpu_us_per_message": per_message.get("campaigns", 0.0),
        "mailpit_cpu_us_per_message": per_message.get("mailpit", 0.0),
        "cpu_us_per_message": per_message,
        # Less what the idle stack spends over the span the CPU was read across.
        "cpu_us_per_message_net_of_idle": less_idle(per_message, idle, span, sent),
        "idle_cpu_us_per_s": idle,
        "ledger": stats,
        "mailpit": accounting,
        "accounted": sent == count == accounting["messages"] == accounting["distinct_message_ids"],
        "load_average": {"before": load_before, "after": load_after},
        # None: timed straight after the upload (the default).
        "settled_after_upload_s": round(settled_s, 1) if settled_s is not None else None,
        "target_messages_per_s": TARGET_MESSAGES_PER_S,
    }


def campaigns_lines(
    result: dict[str, Any], cpu_line: Callable[[dict[str, float]], str]
) -> list[tuple[str, str]]:
    """The phase's rows in the bench's table style (`cpu_line` writes a part-by-part CPU
    figure as the bench's other rows do)."""
    rate = result["messages_per_s"] or 0.0
    met = "meets" if rate >= TARGET_MESSAGES_PER_S else "misses"
    mail = result["mailpit"]
    when = (
        "straight after the upload"
        if result.get("settled_after_upload_s") is None
        else f"on a settled stack, {result['settled_after_upload_s']:.0f} s after the upload"
    )
    return [
        (
            f"campaign, {result['contacts']:,} emails (ListReady -> last accepted, {when})",
            f"{rate:,.0f} messages/s in {result['seconds']:.1f} s ({met} "
            f"{TARGET_MESSAGES_PER_S:,}/s)",
        ),
        (
            "campaign CPU per message",
            f"campaigns {result['campaigns_cpu_us_per_message']:,.0f} us, "
            f"Mailpit {result['mailpit_cpu_us_per_message']:,.0f} us",
        ),
        ("campaign CPU per message, every part", cpu_line(result["cpu_us_per_message"])),
        (
            "campaign CPU per message, net of idle",
            cpu_line(result["cpu_us_per_message_net_of_idle"]),
        ),
        (
            "campaign accounting",
            f"ledger sent {result['ledger']['sent']:,}, Mailpit {mail['messages']:,} messages "
            f"({mail['distinct_message_ids']:,} Message-IDs), contacts {result['contacts']:,}: "
            + ("all accounted for" if result["accounted"] else "MISMATCH"),
        ),
        (
            "campaign phase load average",
            f"{result['load_average']['before']:.1f} -> {result['load_average']['after']:.1f}",
        ),
    ]

"""Helpers for the lead tests: phones, files, uploads into lead lists, reading the queue."""

import asyncio
import csv
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import phonenumbers
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from listflow.schemas import topics

from tests.conftest import PROFILE, upload, wait_for_status

ALWAYS_OPEN = {"calling_hours": {"start": "00:00", "end": "23:59"}}


def new_phone(area: str = "415") -> str:
    """A valid, unused US number as E.164."""
    while True:
        number = f"+1{area}{secrets.randbelow(800) + 200}{secrets.randbelow(9000) + 1000}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def national(e164: str) -> str:
    """The same number as an operator would type it in the US: (415) 555-0100."""
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def unique(name: str) -> str:
    return f"{name} {secrets.token_hex(3)}"


def create_list(client: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/lead-lists", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_campaign(client: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/dialer-campaigns", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assign(client: httpx.Client, list_id: str, campaign_id: str) -> dict[str, Any]:
    response = client.put(f"/v1/lead-lists/{list_id}/campaigns/{campaign_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def enable(client: httpx.Client, list_id: str, enabled: bool = True) -> dict[str, Any]:
    response = client.patch(f"/v1/lead-lists/{list_id}", json={"enabled": enabled})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def upload_leads(
    client: httpx.Client,
    path: Path,
    list_name: str,
    **options: Any,
) -> dict[str, Any]:
    accepted = upload(
        client,
        path,
        {
            "target": {"kind": "lead_list", "name": list_name},
            "template": "dialer-leads",
            "default_region": "US",
            **options,
        },
    )
    done = wait_for_status(client, accepted["id"], {"completed", "failed"})
    assert done["status"] == "completed", done
    return done


def leads_of(client: httpx.Client, list_id: str) -> list[dict[str, Any]]:
    response = client.get("/v1/leads", params={"list": list_id, "limit": 1000})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def by_phone(leads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["e164"]: lead for lead in leads for p in lead["data"]["phones"]}


Message = tuple[str, dict[str, Any]]  # (ce_type suffix, body)


async def _read_until(
    topic: str,
    pick: Callable[[Any], Any | None],
    until: Callable[[list[Any]], bool],
    wait_s: float,
) -> list[Any]:
    """What `pick` makes of each record of `topic` from the start (None: skip it), once
    `until` holds for all picked so far."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=PROFILE.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                seen.extend(item for r in records if (item := pick(r)) is not None)
            if until(seen):
                return seen
    finally:
        await consumer.stop()
    raise AssertionError(f"{topic} never reached the expected state: {seen}")


async def read_queue_async(
    topic: str, campaign_id: str, until: Callable[[list[Message]], bool], wait_s: float
) -> list[Message]:
    def pick(record: Any) -> Message | None:
        headers = {k: v.decode() for k, v in record.headers}
        if headers.get("campaign_id") != campaign_id:
            return None
        return headers["ce_type"].rsplit(".", 1)[-1], orjson.loads(record.value)

    return await _read_until(topic, pick, until, wait_s)


def read_queue(
    campaign_id: str, until: Callable[[list[Message]], bool], wait_s: float = 120.0
) -> list[Message]:
    """Every queue message of a campaign from the start, once `until` holds for them."""
    return asyncio.run(read_queue_async(topics.LEAD_QUEUE.name, campaign_id, until, wait_s))


def queued(messages: list[Message]) -> list[dict[str, Any]]:
    return [body for kind, body in messages if kind == "LeadQueued"]


def withdrawn(messages: list[Message]) -> list[dict[str, Any]]:
    return [body for kind, body in messages if kind == "LeadWithdrawn"]


async def _produce(topic: str, items: list[tuple[str, dict[str, Any], dict[str, str]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=PROFILE.kafka_bootstrap)
    await producer.start()
    try:
        for key, body, headers in items:
            await producer.send_and_wait(
                topic,
                orjson.dumps(body),
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
    finally:
        await producer.stop()


async def _read_topic(
    topic: str, upload_id: str, until: Callable[[list[Any]], bool], wait_s: float = 120.0
) -> list[Any]:
    def pick(record: Any) -> tuple[Any, Any, Any] | None:
        body = orjson.loads(record.value)
        return (record.key, body, record.headers) if body.get("upload_id") == upload_id else None

    return await _read_until(topic, pick, until, wait_s)


def read_upload_events(topic: str, upload_id: str, until: Callable[[list[Any]], bool]) -> list[Any]:
    """(key, body, headers) of every event of `topic` about one upload, once `until` holds."""
    return asyncio.run(_read_topic(topic, upload_id, until))


async def _produce_raw(topic: str, items: list[tuple[bytes, bytes, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=PROFILE.kafka_bootstrap)
    await producer.start()
    try:
        for key, value, headers in items:
            await producer.send_and_wait(topic, value, key=key, headers=list(headers))
    finally:
        await producer.stop()


def redeliver(topic: str, items: list[Any]) -> None:
    """Publish (key, body, headers) again, exactly as they were: an at-least-once redelivery."""
    asyncio.run(
        _produce_raw(topic, [(key, orjson.dumps(body), headers) for key, body, headers in items])
    )


def produce(topic: str, items: list[tuple[str, dict[str, Any], dict[str, str]]]) -> None:
    """Publish raw events, as a dialer (or a redelivery) would."""
    asyncio.run(_produce(topic, items))


def outcome(
    tenant_id: str, entry: dict[str, Any], result: str, **extra: Any
) -> tuple[str, dict[str, Any], dict[str, str]]:
    body = {
        "tenant_id": tenant_id,
        "queue_id": entry["queue_id"],
        "lead_id": entry["lead_id"],
        "campaign_id": entry["campaign_id"],
        "result": result,
        "phone": entry["phones"][0],
        "dialed_at": datetime.now(UTC).isoformat(),
        **extra,
    }
    return entry["lead_id"], body, {"ce_type": "listflow.leads.DialOutcome", "tenant_id": tenant_id}


def wait_until(check: Callable[[], bool], wait_s: float = 120.0) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("condition never held")

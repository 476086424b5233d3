"""Helpers for the contacts integration tests: small CSV uploads and topic readers."""

import asyncio
import csv
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from listflow.ingest.domain.fields import CANONICAL_FIELDS

from tests.conftest import PROFILE, wait_for_status

_names = itertools.count(1)


def run_upload(
    client: httpx.Client,
    tmp: Path,
    rows: list[dict[str, str]],
    *,
    group: str,
    match: dict[str, Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Upload rows (headers are canonical field names) into a group and wait for the end."""
    path = tmp / f"rows-{next(_names)}.csv"
    headers = list(dict.fromkeys(h for r in rows for h in r))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    body = {
        "target": {"kind": "group", "name": group},
        # Canonical names map to themselves; any other column is kept as extra data.
        "mapping": {h: h if h in CANONICAL_FIELDS else "extra" for h in headers},
        "default_region": "US",
        "match": match or {},
        **options,
    }
    with path.open("rb") as f:
        response = client.post(
            "/v1/uploads",
            files={"file": (path.name, f, "text/csv")},
            data={"options": json.dumps(body)},
        )
    assert response.status_code == 202, response.text
    return wait_for_status(client, response.json()["id"], {"completed", "failed"})


def group_contacts(client: httpx.Client, group: str) -> list[dict[str, Any]]:
    response = client.get("/v1/contacts", params={"group": group, "limit": 1000})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def read_topic(
    topic: str,
    want: Callable[[dict[str, str], bytes], bool],
    expected: int,
    wait_s: float = 60.0,
) -> list[tuple[dict[str, str], bytes]]:
    """Records of `topic` (from the beginning) that `want` accepts, until `expected` came."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=PROFILE.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[tuple[dict[str, str], bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + wait_s
        while asyncio.get_running_loop().time() < deadline and len(seen) < expected:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    if want(headers, record.value):
                        seen.append((headers, record.value))
    finally:
        await consumer.stop()
    return seen


def contact_changes(
    tenant_id: str, contact_ids: set[str], expected: int
) -> list[tuple[str, dict[str, Any]]]:
    """(ce_type, body) of contacts.changes.v1 events of these contacts, in topic order."""

    def want(headers: dict[str, str], value: bytes) -> bool:
        if headers.get("tenant_id") != tenant_id:
            return False
        return bool(orjson.loads(value)["contact"]["id"] in contact_ids)

    records = asyncio.run(read_topic("contacts.changes.v1", want, expected))
    return [(h["ce_type"].rsplit(".", 1)[-1], orjson.loads(v)) for h, v in records]

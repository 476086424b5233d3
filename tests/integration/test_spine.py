"""A CSV uploaded over HTTP becomes merged contacts in MongoDB through Kafka (issue 2)."""

import asyncio
import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from listflow.devstack import datagen
from listflow.schemas import topics

from tests.conftest import PROFILE, Stack, upload, wait_for_status

ROWS = 10_000


@pytest.fixture(scope="module")
def ten_k_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datagen.Expected]:
    data, expected = datagen.rows(ROWS, seed=11)
    path = datagen.write_csv(tmp_path_factory.mktemp("spine") / "march.csv", data)
    return path, expected


@pytest.fixture(scope="module")
def first_import(stack: Stack, ten_k_file: tuple[Path, datagen.Expected]) -> dict[str, Any]:
    path, _ = ten_k_file
    with stack.client("acme") as client:
        accepted = upload(
            client,
            path,
            {"target": {"kind": "group", "name": "March list"}, "default_region": "US"},
        )
        return wait_for_status(client, accepted["id"], {"completed", "failed"})


def all_contacts(client: httpx.Client, group: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"group": group, "limit": 1000}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/v1/contacts", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def read_changes(
    tenant_id: str, upload_id: str, expected: int, wait_s: float = 60.0
) -> list[tuple[dict[str, str], dict[str, Any], bytes | None]]:
    """An independent consumer, as a downstream team would run it."""
    consumer = AIOKafkaConsumer(
        topics.CONTACT_CHANGES.name,
        bootstrap_servers=PROFILE.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[tuple[dict[str, str], dict[str, Any], bytes | None]] = []
    try:
        deadline = asyncio.get_running_loop().time() + wait_s
        while asyncio.get_running_loop().time() < deadline and len(seen) < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batches.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    if headers.get("tenant_id") != tenant_id:
                        continue
                    body = orjson.loads(record.value)
                    if body.get("upload_id") == upload_id:
                        seen.append((headers, body, record.key))
    finally:
        await consumer.stop()
    return seen


def test_upload_ends_completed_with_exact_counts(
    first_import: dict[str, Any], ten_k_file: tuple[Path, datagen.Expected]
) -> None:
    _, expected = ten_k_file
    assert first_import["status"] == "completed", first_import
    assert first_import["counts"] == {
        "total": ROWS,
        "imported": expected.valid_distinct,
        "updated": 0,
        "skipped": 0,
        "duplicates": expected.duplicates,
        "errors": expected.invalid,
    }
    assert first_import["progress"]["percent"] == 100.0


def test_contacts_equal_the_valid_distinct_rows(
    stack: Stack, first_import: dict[str, Any], ten_k_file: tuple[Path, datagen.Expected]
) -> None:
    path, expected = ten_k_file
    with stack.client("acme") as client:
        contacts = all_contacts(client, "March list")
    assert len(contacts) == expected.valid_distinct
    accounts = {c["data"]["accounts"][0]["number"] for c in contacts}
    assert len(accounts) == expected.valid_distinct
    # Every contact is the normalized form of a valid row of the file.
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        file_accounts = {r["Account number"].upper() for r in reader}
    assert accounts <= file_accounts
    sample = next(c for c in contacts if c["data"]["phones"])
    assert sample["data"]["phones"][0]["e164"].startswith("+1")


def test_an_independent_consumer_reads_one_created_event_per_contact(
    stack: Stack, first_import: dict[str, Any], ten_k_file: tuple[Path, datagen.Expected]
) -> None:
    _, expected = ten_k_file
    events = asyncio.run(
        read_changes(stack.tenants["acme"].id, first_import["id"], expected.valid_distinct)
    )
    created = {
        body["contact"]["id"]
        for headers, body, _ in events
        if headers["ce_type"] == "listflow.contacts.ContactCreated"
    }
    assert len(created) == expected.valid_distinct
    for headers, body, key in events:
        contact = body["contact"]
        # Keyed by contact id (one partition per contact, so in order), with the envelope a
        # downstream team dedupes and traces by.
        assert key == contact["id"].encode()
        assert headers["ce_id"] == f"{contact['id']}:{contact['version']}"
        assert headers["ce_source"] == "listflow/contacts"
        assert headers["tenant_id"] == stack.tenants["acme"].id
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", headers["traceparent"])


def test_reuploading_the_same_file_updates_and_creates_nothing(
    stack: Stack, first_import: dict[str, Any], ten_k_file: tuple[Path, datagen.Expected]
) -> None:
    path, expected = ten_k_file
    with stack.client("acme") as client:
        accepted = upload(client, path, {"target": {"kind": "group", "name": "March list"}})
        done = wait_for_status(client, accepted["id"], {"completed", "failed"})
        assert done["counts"]["imported"] == 0
        assert done["counts"]["updated"] == expected.valid_distinct
        assert done["counts"]["duplicates"] == expected.duplicates
        assert done["counts"]["errors"] == expected.invalid
        assert len(all_contacts(client, "March list")) == expected.valid_distinct


def test_error_report_names_row_column_and_reason(
    stack: Stack, first_import: dict[str, Any]
) -> None:
    with stack.client("acme") as client:
        response = client.get(f"/v1/uploads/{first_import['id']}/errors.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len({r["row_number"] for r in rows}) == first_import["counts"]["errors"]
    reasons = " ".join(r["reason"] for r in rows).lower()
    assert "email" in reasons
    assert "phone" in reasons
    assert "future" in reasons
    assert all(r["row_number"].isdigit() for r in rows)


def test_history_lists_uploads_newest_first(stack: Stack, first_import: dict[str, Any]) -> None:
    with stack.client("acme") as client:
        page = client.get("/v1/uploads", params={"limit": 50}).json()
    ids = [item["id"] for item in page["items"]]
    assert first_import["id"] in ids
    # Compared as instants: an upload made on a whole second is written without a fraction.
    created = [datetime.fromisoformat(item["created_at"]) for item in page["items"]]
    assert created == sorted(created, reverse=True)


def test_changed_rows_update_their_contacts(
    stack: Stack,
    first_import: dict[str, Any],
    ten_k_file: tuple[Path, datagen.Expected],
    tmp_path: Path,
) -> None:
    path, expected = ten_k_file
    changed = tmp_path / "march-renamed.csv"
    with path.open(newline="") as source, changed.open("w", newline="") as target:
        reader = csv.reader(source)
        writer = csv.writer(target)
        writer.writerow(next(reader))
        for row in reader:
            writer.writerow([f"{row[0]}-x", *row[1:]])
    with stack.client("acme") as client:
        accepted = upload(client, changed, {"target": {"kind": "group", "name": "March list"}})
        done = wait_for_status(client, accepted["id"], {"completed", "failed"})
        assert done["counts"]["updated"] == expected.valid_distinct
        assert done["counts"]["imported"] == 0
        contacts = all_contacts(client, "March list")
    assert len(contacts) == expected.valid_distinct
    assert all(c["data"]["first_name"].endswith("-x") for c in contacts)
    assert all(c["version"] == 2 for c in contacts)

"""Killing the contacts service mid-upload loses no row and duplicates no contact."""

import time

import pytest
from listflow.devstack import datagen

from tests.conftest import Stack, upload, wait_for_status
from tests.integration.test_spine import all_contacts


def test_contacts_killed_mid_upload_ends_with_exact_counts(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data, expected = datagen.rows(12_000, seed=23, account_offset=2_000_000)
    path = datagen.write_csv(tmp_path_factory.mktemp("crash") / "crash.csv", data)
    with stack.client("globex") as client:
        accepted = upload(client, path, {"target": {"kind": "group", "name": "Crash"}})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            body = client.get(f"/v1/uploads/{accepted['id']}").json()
            merged = body["counts"]["imported"]
            if merged > 0:
                break
            time.sleep(0.05)
        assert body["status"] == "importing", body
        assert 0 < merged < expected.valid_distinct, body
        stack.contacts.kill()
        stack.contacts.start()
        stack.contacts.wait_ready()
        done = wait_for_status(client, accepted["id"], {"completed", "failed"})
        assert done["counts"] == {
            "total": expected.total,
            "imported": expected.valid_distinct,
            "updated": 0,
            "skipped": 0,
            "duplicates": expected.duplicates,
            "errors": expected.invalid,
        }
        contacts = all_contacts(client, "Crash")
    assert len(contacts) == expected.valid_distinct
    assert len({c["data"]["accounts"][0]["number"] for c in contacts}) == expected.valid_distinct

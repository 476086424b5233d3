"""Uploads against the real stack under every match policy: no / one / several matches,
in-file duplicates, overwrite versus fill blanks, several accounts of one customer,
predefined tags, consents with provenance, and national ids never in clear."""

import asyncio
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import PROFILE, Stack
from tests.integration.contacts_support import (
    contact_changes,
    group_contacts,
    read_topic,
    run_upload,
)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}".upper()


def counts(done: dict[str, Any]) -> dict[str, int]:
    assert done["status"] == "completed", done
    c: dict[str, int] = done["counts"]
    return c


def by_account(client: httpx.Client, group: str) -> dict[str, dict[str, Any]]:
    return {a["number"]: c for c in group_contacts(client, group) for a in c["data"]["accounts"]}


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path


@pytest.mark.parametrize("on_no_match", ["import", "skip"])
@pytest.mark.parametrize("on_one_match", ["update", "skip"])
def test_no_match_and_one_match_policies(
    stack: Stack, tmp: Path, on_no_match: str, on_one_match: str
) -> None:
    group = unique("policy")
    old, new = unique("OLD"), unique("NEW")
    with stack.client("acme") as client:
        run_upload(client, tmp, [{"account_number": old, "first_name": "Before"}], group=group)
        done = run_upload(
            client,
            tmp,
            [
                {"account_number": old, "first_name": "After"},
                {"account_number": new, "first_name": "Newcomer"},
            ],
            group=group,
            match={
                "key": "account_number",
                "on_no_match": on_no_match,
                "on_one_match": on_one_match,
            },
        )
        c = counts(done)
        contacts = by_account(client, group)
    assert c["imported"] == (1 if on_no_match == "import" else 0)
    assert c["updated"] == (1 if on_one_match == "update" else 0)
    assert c["skipped"] == (on_no_match == "skip") + (on_one_match == "skip")
    assert (new in contacts) is (on_no_match == "import")
    expected = "After" if on_one_match == "update" else "Before"
    assert contacts[old]["data"]["first_name"] == expected


@pytest.mark.parametrize(
    ("policy", "winner"),
    [("update_first", "first"), ("update_last", "last"), ("skip", None)],
)
def test_several_matches_policies(stack: Stack, tmp: Path, policy: str, winner: str | None) -> None:
    group = unique("multi")
    phone = f"+1 212 555 {1000 + secrets.randbelow(8999):04d}"
    with stack.client("acme") as client:
        client.post("/v1/groups", json={"name": group})
        first, last = (
            client.post(
                "/v1/contacts",
                json={
                    "first_name": name,
                    "phones": [phone],
                    "accounts": [{"number": unique("SH")}],
                    "groups": [group],
                    "match": {"key": "account_number"},
                },
            ).json()
            for name in ("First", "Last")
        )
        assert datetime.fromisoformat(first["created_at"]) < datetime.fromisoformat(
            last["created_at"]
        )
        done = run_upload(
            client,
            tmp,
            [{"phone": phone, "last_name": "Shared"}],
            group=group,
            match={"key": "phone", "on_multiple_matches": policy},
        )
        c = counts(done)
        first_now = client.get(f"/v1/contacts/{first['id']}").json()
        last_now = client.get(f"/v1/contacts/{last['id']}").json()
    if winner is None:
        assert c["skipped"] == 1 and c["updated"] == 0
        assert first_now["version"] == last_now["version"] == 1
    else:
        assert c["updated"] == 1
        updated, untouched = (first_now, last_now) if winner == "first" else (last_now, first_now)
        assert updated["data"]["last_name"] == "Shared" and updated["version"] == 2
        assert untouched["data"]["last_name"] is None and untouched["version"] == 1


@pytest.mark.parametrize(("rule", "kept"), [("first_wins", "One"), ("last_wins", "Two")])
def test_in_file_duplicates(stack: Stack, tmp: Path, rule: str, kept: str) -> None:
    group = unique("dups")
    account = unique("DUP")
    with stack.client("acme") as client:
        done = run_upload(
            client,
            tmp,
            [
                {"account_number": account, "first_name": "One"},
                {"account_number": account.lower(), "first_name": "Two"},
            ],
            group=group,
            match={"key": "account_number", "in_file_duplicates": rule},
        )
        c = counts(done)
        contacts = group_contacts(client, group)
    assert c["imported"] == 1 and c["duplicates"] == 1
    assert [x["data"]["first_name"] for x in contacts] == [kept]


@pytest.mark.parametrize("merge", ["overwrite", "fill_blanks"])
def test_overwrite_versus_fill_blanks(stack: Stack, tmp: Path, merge: str) -> None:
    group = unique("merge")
    account = unique("MRG")
    with stack.client("acme") as client:
        run_upload(
            client,
            tmp,
            [
                {
                    "account_number": account,
                    "first_name": "Ana",
                    "city": "",
                    "phone": "+1 415 555 0101",
                    "email": "ana@one.example",
                    "balance": "10.00",
                    "Segment": "gold",
                }
            ],
            group=group,
        )
        run_upload(
            client,
            tmp,
            [
                {
                    "account_number": account,
                    "first_name": "Anna",
                    "city": "Boston",
                    "phone": "+1 415 555 0102",
                    "email": "ana@two.example",
                    "balance": "25.00",
                    "Segment": "",
                }
            ],
            group=group,
            match={"key": "account_number", "merge": merge},
        )
        (contact,) = group_contacts(client, group)
    data = contact["data"]
    # Blanks never erase; phones and emails are appended without duplicates either way.
    assert data["city"] == "Boston"
    assert [p["e164"] for p in data["phones"]] == ["+14155550101", "+14155550102"]
    assert data["emails"] == ["ana@one.example", "ana@two.example"]
    if merge == "overwrite":
        assert data["first_name"] == "Anna"
        assert float(data["accounts"][0]["balance"]) == 25
    else:
        assert data["first_name"] == "Ana"
        assert float(data["accounts"][0]["balance"]) == 10


def test_one_customer_with_several_accounts_becomes_one_contact(stack: Stack, tmp: Path) -> None:
    group = unique("accounts")
    customers = [unique("CUST") for _ in range(3)]
    with stack.client("acme") as client:
        first = run_upload(
            client,
            tmp,
            [
                {
                    "customer_id": cid,
                    "account_number": f"{cid}-A",
                    "balance": "10",
                    "currency": "USD",
                }
                for cid in customers
            ],
            group=group,
            match={"key": "customer_id"},
        )
        second = run_upload(
            client,
            tmp,
            [
                {
                    "customer_id": cid.lower(),
                    "account_number": f"{cid}-B",
                    "balance": "5",
                    "currency": "EUR",
                }
                for cid in customers
            ],
            group=group,
            match={"key": "customer_id"},
        )
        contacts = group_contacts(client, group)
    assert counts(first)["imported"] == 3
    assert counts(second)["updated"] == 3 and counts(second)["imported"] == 0
    assert len(contacts) == 3
    for contact in contacts:
        accounts = {a["number"]: a for a in contact["data"]["accounts"]}
        # The second upload wrote the customer id in lower case (overwrite); it matched anyway.
        cid = contact["data"]["customer_id"].upper()
        assert set(accounts) == {f"{cid}-A", f"{cid}-B"}
        assert accounts[f"{cid}-B"]["currency"] == "EUR"


def test_tags_must_be_defined_unless_the_upload_creates_them(stack: Stack, tmp: Path) -> None:
    group = unique("tags")
    known, unknown = unique("Known"), unique("Unknown")
    with stack.client("acme") as client:
        assert client.post("/v1/tags", json={"name": known}).status_code == 201
        strict = run_upload(
            client,
            tmp,
            [
                {"account_number": unique("T"), "tags": known.lower()},
                {"account_number": unique("T"), "tags": f"{known}, {unknown}"},
            ],
            group=group,
        )
        c = counts(strict)
        assert c["imported"] == 1 and c["errors"] == 1
        report = client.get(f"/v1/uploads/{strict['id']}/errors.csv").text
        assert unknown in report and "create_missing_tags" in report
        (tagged,) = group_contacts(client, group)
        assert tagged["data"]["tags"] == [known]
        lenient = run_upload(
            client,
            tmp,
            [{"account_number": unique("T"), "tags": unknown}],
            group=group,
            create_missing_tags=True,
        )
        assert counts(lenient)["imported"] == 1
        assert client.get(f"/v1/tags/{unknown}").status_code == 200
        upload_tags = run_upload(
            client, tmp, [{"account_number": unique("T")}], group=group, tags=[unique("Opt")]
        )
        assert counts(upload_tags)["errors"] == 1


def test_consents_from_an_upload_carry_their_provenance(stack: Stack, tmp: Path) -> None:
    group = unique("consent")
    account = unique("C")
    with stack.client("acme") as client:
        first = run_upload(
            client,
            tmp,
            [{"account_number": account, "consent_sms": "yes"}],
            group=group,
            consents={"email": True},
        )
        second = run_upload(
            client, tmp, [{"account_number": account, "consent_sms": "no"}], group=group
        )
        (contact,) = group_contacts(client, group)
    sources = {r["channel"]: r for r in contact["consent_sources"]}
    assert contact["data"]["consents"] == {"email": True, "sms": False, "call": None}
    assert sources["email"]["upload_id"] == first["id"] and sources["email"]["row_number"] == 1
    assert sources["sms"]["upload_id"] == second["id"] and sources["sms"]["granted"] is False
    assert sources["sms"]["source"] == "upload"


def test_national_ids_never_leak_to_api_events_or_logs(stack: Stack, tmp: Path) -> None:
    group = unique("pii")
    ssn_digits = (
        f"52{secrets.randbelow(10)}{secrets.randbelow(90) + 10}{secrets.randbelow(9000) + 1000}"
    )
    ssn = f"{ssn_digits[:3]}-{ssn_digits[3:5]}-{ssn_digits[5:]}"
    document = f"X{secrets.token_hex(4).upper()}"
    with stack.client("acme") as client:
        done = run_upload(
            client,
            tmp,
            [{"account_number": unique("P"), "ssn": ssn, "document_number": document}],
            group=group,
        )
        assert counts(done)["imported"] == 1
        (contact,) = group_contacts(client, group)
        by_hand = client.post(
            "/v1/contacts", json={"first_name": "Pii", "ssn": ssn, "document_number": document}
        ).json()
        api_text = (
            client.get(f"/v1/contacts/{contact['id']}").text
            + client.get("/v1/contacts", params={"group": group}).text
            + str(by_hand)
            + client.get(f"/v1/groups/{group}/export.csv").text
        )
    events = contact_changes(stack.tenants["acme"].id, {contact["id"], by_hand["id"]}, 2)
    event_text = orjson.dumps([body for _, body in events]).decode()
    assert contact["data"]["ssn"]["last4"] == ssn_digits[-4:]
    assert contact["data"]["document"]["last4"] == document[-4:]
    for text in (api_text, event_text):
        assert ssn not in text and ssn_digits not in text and document not in text
        assert '"ciphertext":"' not in text.replace(" ", "")
    logs = "".join(p.read_text(errors="replace") for p in (PROFILE.state / "logs").rglob("*.log"))
    assert logs, "service logs are where conftest writes them"
    assert ssn not in logs and ssn_digits not in logs and document not in logs


def test_unprocessable_row_goes_to_the_dlq_and_the_upload_completes(
    stack: Stack, tmp: Path
) -> None:
    """A poison message for row 2 arrives before the upload starts (a real producer on the
    real topic); it lands on the DLQ with its reason, row 2 is counted failed, and the
    upload still completes."""
    from aiokafka import AIOKafkaProducer

    group = unique("dlq")
    tenant = stack.tenants["acme"].id
    rows = [{"account_number": unique("D"), "first_name": f"R{i}"} for i in range(3)]
    path = tmp / "dlq.csv"
    path.write_text(
        "account_number,first_name\n"
        + "".join(f"{r['account_number']},{r['first_name']}\n" for r in rows)
    )
    with stack.client("acme") as client, path.open("rb") as f:
        accepted = client.post(
            "/v1/uploads",
            files={"file": ("dlq.csv", f, "text/csv")},
            data={"options": orjson.dumps({"default_region": "US", "start": False}).decode()},
        )
        assert accepted.status_code == 202, accepted.text
        upload_id = accepted.json()["id"]
        poison = orjson.dumps(
            {"tenant_id": tenant, "upload_id": upload_id, "row_number": 2, "contact": "garbage"}
        )

        async def produce() -> None:
            producer = AIOKafkaProducer(bootstrap_servers=PROFILE.kafka_bootstrap)
            await producer.start()
            try:
                await producer.send_and_wait(
                    "ingest.contact-rows.v1",
                    poison,
                    key=b"poison",
                    headers=[
                        ("tenant_id", tenant.encode()),
                        ("ce_type", b"listflow.ingest.ContactRowParsed"),
                    ],
                )
            finally:
                await producer.stop()

        asyncio.run(produce())
        dead = asyncio.run(
            read_topic(
                "ingest.contact-rows.v1.dlq",
                lambda headers, value: upload_id.encode() in value,
                1,
            )
        )
        assert len(dead) == 1
        headers, value = dead[0]
        assert value == poison
        assert "invalid event" in headers["dlq_reason"]
        assert headers["dlq_topic"] == "ingest.contact-rows.v1"
        # Row 2's failed outcome reaches ingest on its own time: start once it is counted,
        # so the test does not race it against the start (FerretDB applies both updates to
        # the upload as read-modify-writes).
        deadline = time.monotonic() + 60
        while client.get(f"/v1/uploads/{upload_id}").json()["counts"]["errors"] < 1:
            assert time.monotonic() < deadline, "the parked row was never reported failed"
            time.sleep(0.2)
        started = client.post(
            f"/v1/uploads/{upload_id}/start",
            json={
                "target": {"kind": "group", "name": group},
                "mapping": {"account_number": "account_number", "first_name": "first_name"},
            },
        )
        assert started.status_code in (200, 202), started.text
        from tests.conftest import wait_for_status

        done = wait_for_status(client, upload_id, {"completed", "failed"})
    assert done["status"] == "completed"
    assert done["counts"]["total"] == 3
    assert done["counts"]["errors"] == 1
    assert done["counts"]["imported"] == 2
    with stack.client("acme") as client:
        report = client.get(f"/v1/uploads/{upload_id}/errors.csv").text
    assert "ingest.contact-rows.v1.dlq" in report and "invalid event" in report


def test_account_rows_of_one_customer_in_one_file_merge_into_one_contact(
    stack: Stack, tmp: Path
) -> None:
    """A debtor file has a row per account: rows repeating a customer with another account
    add that account; a row repeating customer and account is an in-file duplicate."""
    group = unique("debtors")
    cid = unique("DEBTOR")
    rows = [
        {"customer_id": cid, "account_number": f"{cid}-A", "balance": "10", "currency": "GBP"},
        {"customer_id": cid, "account_number": f"{cid}-B", "balance": "20", "currency": "GBP"},
        {"customer_id": cid, "account_number": f"{cid}-A", "balance": "10", "currency": "GBP"},
    ]
    with stack.client("acme") as client:
        done = run_upload(client, tmp, rows, group=group, match={"key": "customer_id"})
        contacts = group_contacts(client, group)
    assert counts(done)["duplicates"] == 1
    assert counts(done)["imported"] + counts(done)["updated"] == 2
    [contact] = contacts
    assert {a["number"] for a in contact["data"]["accounts"]} == {f"{cid}-A", f"{cid}-B"}

"""The customer's pages on the real stack (Kafka, FerretDB, the payment provider simulator,
every service): from ListReady to a link, ID&V and its lock, paying with test cards
through the provider's own page, the balance lowered once by contacts, promises, plans,
settings that hide them, tenants apart."""

import asyncio
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from listflow.devstack.infra import PAYMENTS_PROVIDER_KEY, PAYMENTS_WEBHOOK_SECRET
from listflow.schemas import topics
from standardwebhooks.webhooks import Webhook

from tests.conftest import PORTAL_LOCKOUT_S, PROFILE, Stack, upload, wait_for_status
from tests.integration.leads_helpers import _read_until, produce, wait_until, write_csv
from tests.integration.test_portal_links import _issued

SIMULATOR = f"http://127.0.0.1:{PROFILE.payments_simulator_port}"
DOB, ZIP = "1980-05-17", "94103"
RIGHT = {"date_of_birth": DOB, "postcode": ZIP}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def customers(stack: Stack, tmp_path: Path, tenant: str = "acme") -> tuple[str, str, str]:
    """One customer of a fresh group (balance 120.50 USD): its id, its link's token as the
    AccessLinkIssued event of the group's ListReady carried it, and its account's id."""
    client = stack.client(tenant)
    group, number = f"Pages {secrets.token_hex(3)}", f"PG-{secrets.token_hex(4)}"
    path = write_csv(
        tmp_path / f"{tenant}.csv",
        ["First name", "Account number", "Balance", "Currency", "Date of birth", "Zip code"],
        [["Ana", number, "120.50", "USD", DOB, ZIP]],
    )
    options = {"target": {"kind": "group", "name": group}, "match": {"key": "account_number"}}
    body = upload(client, path, options)
    assert wait_for_status(client, body["id"], {"completed"})["counts"]["imported"] == 1
    [contact] = client.get("/v1/contacts", params={"group": group}).json()["items"]
    [issued] = [e for e in _issued({contact["id"]}) if e["ce_type"].endswith("Issued")]
    token = issued["url"].split("/p/", 1)[1]
    return contact["id"], token, f"{contact['id']}:{number}"


def browser(stack: Stack) -> httpx.Client:
    """A customer's browser: cookies kept, redirects seen one by one."""
    return httpx.Client(base_url=stack.gateway_url, timeout=60.0)


def verified(stack: Stack, token: str) -> httpx.Client:
    b = browser(stack)
    assert b.get(f"/p/{token}").status_code == 303
    form = b.get("/p/verify")
    answer = b.post("/p/verify", data={"csrf": _csrf(form.text), **RIGHT})
    assert answer.status_code == 303 and answer.headers["location"] == "/p/accounts", answer.text
    return b


def payment_events(payment_ids: set[str], until: Any, wait_s: float = 90.0) -> list[Any]:
    def pick(record: Any) -> dict[str, Any] | None:
        body: dict[str, Any] = orjson.loads(record.value)
        if body.get("payment_id") not in payment_ids:
            return None
        headers = {k: v.decode() for k, v in record.headers}
        return {"ce_type": headers["ce_type"], "key": record.key.decode(), **body}

    return asyncio.run(_read_until(topics.PORTAL_PAYMENTS.name, pick, until, wait_s))


def balance(stack: Stack, contact_id: str) -> Decimal:
    contact = stack.client("acme").get(f"/v1/contacts/{contact_id}").json()
    return Decimal(str(contact["data"]["accounts"][0]["balance"]))


def pay(b: httpx.Client, account_id: str, amount: str, card: str) -> tuple[str, httpx.Response]:
    """Pay through the provider's hosted page; returns the payment id and the receipt page."""
    form = b.get("/p/pay", params={"account": account_id})
    assert form.status_code == 200, form.text
    started = b.post(
        "/p/pay",
        data={
            "csrf": _csrf(form.text),
            "account": account_id,
            "attempt": _hidden(form.text, "attempt"),
            "amount": amount,
        },
    )
    assert started.status_code == 303, started.text
    hosted = started.headers["location"]
    assert hosted.startswith(f"{SIMULATOR}/pay/")  # the card goes to the provider, not us
    page = httpx.get(hosted)
    assert 'autocomplete="cc-number"' in page.text
    result = httpx.post(hosted, data={"card": card, "exp": "12/34", "cvc": "123"})
    assert result.status_code == 303
    back = result.headers["location"]
    assert back.startswith(f"{b.base_url}/p/payments/".replace("//p", "/p"))
    payment_id = back.rsplit("/", 1)[1]
    return payment_id, b.get(back)


def test_list_ready_to_link_then_five_failures_lock_it_until_the_lock_ends(
    stack: Stack, tmp_path: Path
) -> None:
    contact_id, token, _ = customers(stack, tmp_path)
    b = browser(stack)
    assert b.get(f"/p/{token}").status_code == 303
    for attempt in range(5):
        form = b.get("/p/verify")
        wrong = b.post(
            "/p/verify",
            data={"csrf": _csrf(form.text), "date_of_birth": "1980-05-18", "postcode": ZIP},
        )
        assert wrong.status_code == (423 if attempt == 4 else 400), wrong.text
        assert "could not confirm" in wrong.text or "locked" in wrong.text
    form = b.get("/p/verify")
    locked = b.post("/p/verify", data={"csrf": _csrf(form.text), **RIGHT})
    assert locked.status_code == 423  # the right answer too, while the link is locked
    time.sleep(PORTAL_LOCKOUT_S)  # the test stack's lock lasts seconds; wait it out
    form = b.get("/p/verify")
    passed = b.post("/p/verify", data={"csrf": _csrf(form.text), **RIGHT})
    assert passed.status_code == 303 and passed.headers["location"] == "/p/accounts"
    accounts = b.get("/p/accounts")
    assert accounts.status_code == 200 and "$120.50" in accounts.text

    audit = stack.client("acme").get("/v1/portal/idv-attempts", params={"contact_id": contact_id})
    assert audit.status_code == 200, audit.text
    outcomes = [a["outcome"] for a in audit.json()["items"]]
    assert sorted(outcomes) == ["failed"] * 4 + ["locked", "locked", "passed"]
    assert all(len(a["address"]) == 24 for a in audit.json()["items"])  # a digest, no address
    assert (
        stack.client("globex")
        .get("/v1/portal/idv-attempts", params={"contact_id": contact_id})
        .json()["items"]
        == []
    )

    # Wrong, unknown and revoked links answer the same page; no token reaches a log line.
    unknown = browser(stack).get(f"/p/{secrets.token_urlsafe(16)}")
    assert unknown.status_code == 404 and "no longer valid" in unknown.text
    stack.client("acme").post(f"/v1/portal/links/{contact_id}/revoke")
    revoked = browser(stack).get(f"/p/{token}")
    assert revoked.status_code == 404 and revoked.text == unknown.text
    assert b.get("/p/accounts").status_code == 401  # the session ended with its link
    log = (PROFILE.state / "logs" / "portal.log").read_text(errors="replace")
    assert token not in log


def test_paying_with_4242_gives_a_receipt_and_lowers_the_balance_once(
    stack: Stack, tmp_path: Path
) -> None:
    contact_id, token, account_id = customers(stack, tmp_path)
    b = verified(stack, token)
    payment_id, receipt = pay(b, account_id, "20.00", "4242 4242 4242 4242")
    assert receipt.status_code == 200 and "payment was received" in receipt.text
    assert "$20.00" in receipt.text

    # The provider delivers every event again, newest first: the success twice, then a late
    # `processing`. Nothing changes and nothing is published again.
    [intent] = [
        p["provider_reference"]
        for p in stack.client("acme")
        .get("/v1/portal/payments", params={"contact_id": contact_id})
        .json()["items"]
    ]
    resent = httpx.post(
        f"{SIMULATOR}/v1/payment_intents/{intent}/resend",
        headers={"Authorization": f"Bearer {PAYMENTS_PROVIDER_KEY}"},
    )
    assert resent.status_code == 200 and resent.json()["resent"] >= 2
    wait_until(lambda: balance(stack, contact_id) == Decimal("100.50"))

    # Kafka redelivers the PaymentReceived itself; a later 1.00 payment of the same account
    # (same key, same partition) is applied after it, so once the balance shows it, the
    # duplicate has been seen, and it changed nothing.
    [received] = payment_events({payment_id}, lambda seen: len(seen) >= 1)
    assert received["ce_type"] == "listflow.portal.PaymentReceived"
    assert received["key"] == account_id and Decimal(received["amount"]) == Decimal("20.00")
    headers = {"ce_type": "listflow.portal.PaymentReceived", "tenant_id": received["tenant_id"]}
    body = {k: v for k, v in received.items() if k not in ("ce_type", "key")}
    sentinel = {**body, "payment_id": f"sentinel-{secrets.token_hex(4)}", "amount": "1.00"}
    produce(
        topics.PORTAL_PAYMENTS.name, [(account_id, body, headers), (account_id, sentinel, headers)]
    )
    wait_until(lambda: balance(stack, contact_id) <= Decimal("99.50"))
    assert balance(stack, contact_id) == Decimal("99.50")
    events = payment_events({payment_id}, lambda seen: len(seen) >= 2)
    assert [e["ce_type"] for e in events].count(
        "listflow.portal.PaymentReceived"
    ) == 2  # ours + the replay

    # History, the admin list and its CSV.
    assert payment_id in b.get("/p/history").text
    listed = stack.client("acme").get("/v1/portal/payments", params={"contact_id": contact_id})
    [row] = listed.json()["items"]
    assert row["status"] == "succeeded" and row["amount"] == "20.00"
    csv = stack.client("acme").get("/v1/portal/payments.csv")
    assert csv.status_code == 200 and payment_id in csv.text
    assert stack.client("globex").get("/v1/portal/payments.csv").text.count(payment_id) == 0


def test_a_declined_card_says_so_and_records_no_payment(stack: Stack, tmp_path: Path) -> None:
    contact_id, token, account_id = customers(stack, tmp_path)
    b = verified(stack, token)
    payment_id, page = pay(b, account_id, "30.00", "4000 0000 0000 0002")
    assert "Your card was declined" in page.text and "No money was taken" in page.text
    [failed] = payment_events({payment_id}, lambda seen: len(seen) >= 1)
    assert (
        failed["ce_type"] == "listflow.portal.PaymentFailed" and failed["reason"] == "card_declined"
    )
    [row] = (
        stack.client("acme")
        .get("/v1/portal/payments", params={"contact_id": contact_id})
        .json()["items"]
    )
    assert row["status"] == "failed"
    assert balance(stack, contact_id) == Decimal("120.50")

    _, insufficient = pay(b, account_id, "30.00", "4000 0000 0000 9995")
    assert "insufficient funds" in insufficient.text


def test_webhooks_with_a_bad_signature_or_an_old_timestamp_are_refused(stack: Stack) -> None:
    body = orjson.dumps({"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": {}}})
    signer = Webhook(PAYMENTS_WEBHOOK_SECRET)
    url = f"{stack.gateway_url}/p/webhooks/payments"
    old = datetime.now(UTC) - timedelta(minutes=6)
    stale = {
        "webhook-id": "evt_x",
        "webhook-timestamp": str(int(old.timestamp())),
        "webhook-signature": signer.sign("evt_x", old, body.decode()),
    }
    assert httpx.post(url, content=body, headers=stale).status_code == 400
    now = datetime.now(UTC)
    forged = {
        **stale,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": "v1,Zm9yZ2Vk",
    }
    assert httpx.post(url, content=body, headers=forged).status_code == 400
    assert httpx.post(url, content=b"{", headers={"webhook-signature": "x"}).status_code == 400


def test_a_promise_and_a_plan_are_made_and_announced_and_settings_hide_them(
    stack: Stack, tmp_path: Path
) -> None:
    contact_id, token, account_id = customers(stack, tmp_path)
    b = verified(stack, token)

    form = b.get("/p/promise", params={"account": account_id})
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    made = b.post(
        "/p/promise",
        data={"csrf": _csrf(form.text), "account": account_id, "amount": "50.00", "due_date": due},
    )
    assert made.status_code == 200 and "promise is recorded" in made.text
    too_late = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    refused = b.post(
        "/p/promise",
        data={
            "csrf": _csrf(form.text),
            "account": account_id,
            "amount": "50",
            "due_date": too_late,
        },
    )
    assert refused.status_code == 400 and "choose a date" in refused.text

    offers = b.get("/p/plan", params={"account": account_id})
    assert offers.status_code == 200 and 'value="3:monthly"' in offers.text
    schedule = b.post(
        "/p/plan", data={"csrf": _csrf(offers.text), "account": account_id, "choice": "3:monthly"}
    )
    assert schedule.status_code == 200 and schedule.text.count("<tr><td>") == 3  # every instalment
    assert "$40.16" in schedule.text and "$40.18" in schedule.text  # 120.50 in three
    agreed = b.post(
        "/p/plan",
        data={
            "csrf": _csrf(schedule.text),
            "account": account_id,
            "choice": "3:monthly",
            "agree": "yes",
        },
    )
    assert agreed.status_code == 200 and "plan is agreed" in agreed.text

    # Paying the promised amount keeps the promise at once.
    payment_id, _ = pay(b, account_id, "50.00", "4242 4242 4242 4242")

    def pick(record: Any) -> dict[str, Any] | None:
        event: dict[str, Any] = orjson.loads(record.value)
        if event.get("contact_id") != contact_id:
            return None
        return {"ce_type": dict(record.headers)["ce_type"].decode(), **event}

    def both(seen: list[dict[str, Any]]) -> bool:
        types = {e["ce_type"] for e in seen}
        return {
            "listflow.portal.PromiseToPayMade",
            "listflow.portal.PaymentPlanAgreed",
            "listflow.portal.PromiseKept",
        } <= types

    events = asyncio.run(_read_until(topics.PORTAL_PAYMENTS.name, pick, both, 90))
    [promise] = [e for e in events if e["ce_type"].endswith("PromiseToPayMade")]
    assert promise["due_date"] == due and Decimal(promise["amount"]) == Decimal("50.00")
    [kept] = [e for e in events if e["ce_type"].endswith("PromiseKept")]
    assert kept["promise_id"] == promise["promise_id"] and kept["payment_ids"] == [payment_id]
    [plan] = [e for e in events if e["ce_type"].endswith("PaymentPlanAgreed")]
    assert [Decimal(i["amount"]) for i in plan["instalments"]] == [
        Decimal("40.16"),
        Decimal("40.16"),
        Decimal("40.18"),
    ]

    acme = stack.client("acme")
    settings = acme.get("/v1/portal/settings").json()
    try:
        assert (
            acme.put(
                "/v1/portal/settings",
                json={**settings, "promise_to_pay": False, "payment_plans": False},
            ).status_code
            == 200
        )
        page = b.get("/p/accounts").text
        assert "/p/promise" not in page and "/p/plan" not in page and "/p/pay" in page
        assert b.get("/p/promise", params={"account": account_id}).status_code == 404
        assert b.get("/p/plan", params={"account": account_id}).status_code == 404
    finally:
        acme.put("/v1/portal/settings", json=settings)


def test_a_customer_of_one_tenant_never_sees_another_tenants_payment(
    stack: Stack, tmp_path: Path
) -> None:
    _, acme_token, acme_account = customers(stack, tmp_path, "acme")
    _, globex_token, _ = customers(stack, tmp_path, "globex")
    acme = verified(stack, acme_token)
    payment_id, _ = pay(acme, acme_account, "5.00", "4242424242424242")
    globex = verified(stack, globex_token)
    assert globex.get(f"/p/payments/{payment_id}").status_code == 404
    assert payment_id not in globex.get("/p/history").text
    # Another customer's account, named in the pay form, is refused too.
    assert globex.get("/p/pay", params={"account": acme_account}).status_code == 404
    assert (
        "$120.50" in globex.get("/p/accounts").text
        and acme_account.split(":")[1] not in globex.get("/p/accounts").text
    )


@pytest.fixture(autouse=True)
def _simulator_up() -> None:
    assert httpx.get(f"{SIMULATOR}/healthz").status_code == 200


def test_a_chosen_instalment_is_paid_from_the_history_page_and_announced_once(
    stack: Stack, tmp_path: Path
) -> None:
    contact_id, token, account_id = customers(stack, tmp_path)
    b = verified(stack, token)
    offers = b.get("/p/plan", params={"account": account_id})
    agree = {"csrf": _csrf(offers.text), "account": account_id, "choice": "3:monthly"}
    assert b.post("/p/plan", data={**agree, "agree": "yes"}).status_code == 200

    history = b.get("/p/history")
    found = re.search(r'href="(/p/pay\?[^"]*instalment=2)"', history.text)
    assert found, history.text[:3000]
    form = b.get(found.group(1).replace("&amp;", "&"))
    assert form.status_code == 200 and "Instalment 2 of your plan" in form.text
    started = b.post(
        "/p/pay",
        data={
            "csrf": _csrf(form.text),
            "account": account_id,
            "attempt": _hidden(form.text, "attempt"),
            "plan": _hidden(form.text, "plan"),
            "instalment": "2",
        },
    )
    assert started.status_code == 303, started.text
    hosted = started.headers["location"]
    result = httpx.post(hosted, data={"card": "4242 4242 4242 4242", "exp": "12/34", "cvc": "1"})
    receipt = b.get(result.headers["location"])
    assert receipt.status_code == 200 and "$40.16" in receipt.text
    payment_id = result.headers["location"].rsplit("/", 1)[1]
    # Every provider event again (duplicates, out of order): still one InstalmentPaid.
    [intent] = [
        p["provider_reference"]
        for p in stack.client("acme")
        .get("/v1/portal/payments", params={"contact_id": contact_id})
        .json()["items"]
    ]
    resent = httpx.post(
        f"{SIMULATOR}/v1/payment_intents/{intent}/resend",
        headers={"Authorization": f"Bearer {PAYMENTS_PROVIDER_KEY}"},
    )
    assert resent.status_code == 200

    def pick(record: Any) -> dict[str, Any] | None:
        event: dict[str, Any] = orjson.loads(record.value)
        if event.get("contact_id") != contact_id:
            return None
        return {"ce_type": dict(record.headers)["ce_type"].decode(), **event}

    def paid(seen: list[dict[str, Any]]) -> bool:
        return any(e["ce_type"].endswith("InstalmentPaid") for e in seen)

    events = asyncio.run(_read_until(topics.PORTAL_PAYMENTS.name, pick, paid, 90))
    [received] = [e for e in events if e["ce_type"].endswith("PaymentReceived")]
    assert received["payment_id"] == payment_id and received["instalment"] == 2
    wait_until(lambda: balance(stack, contact_id) == Decimal("80.34"))
    again = asyncio.run(_read_until(topics.PORTAL_PAYMENTS.name, pick, paid, 90))
    [instalment] = [e for e in again if e["ce_type"].endswith("InstalmentPaid")]
    assert (instalment["number"], instalment["payment_id"]) == (2, payment_id)
    history = b.get("/p/history").text
    assert history.count(">Pay instalment ") == 2 and "instalment=2" not in history

"""SMS against the real stack: the adapter through the provider simulator (delivered, failed,
refused, timed out; callbacks signed), the webhooks refusing forged and stale signatures,
STOP/START/HELP replies injected through the simulator, and /v1/suppressions per tenant."""

import asyncio
import secrets
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI, Request
from listflow.campaigns.adapters.mongo_repository import MongoCampaignRepository
from listflow.campaigns.adapters.sms_provider import HttpSmsSender
from listflow.campaigns.domain.model import MessageState, message_id
from listflow.campaigns.ports import Message, OutgoingSms, SmsRefused, SmsUnavailable
from listflow.devstack.infra import SMS_PROVIDER_KEY, SMS_WEBHOOK_SECRET
from listflow.kit.webhooks import Webhook, WebhookRefused, signed_headers, verified_object
from pymongo import AsyncMongoClient

from tests.conftest import PORTS, PROFILE, Stack

HOOKS = f"http://127.0.0.1:{PORTS['campaigns']}/hooks/sms"
OUR_NUMBER = "+15005550006"


# The simulator keeps what it got for its whole life, and the suppression list is the
# tenants' of this session: numbers of an exchange of this run's own.
EXCHANGE = secrets.choice([e for e in range(200, 1000) if e % 100 != 11])  # no N11 codes


def number(n: int) -> str:
    return f"+1415{EXCHANGE}{n:04d}"


class Receiver:
    """A status-callback endpoint in the test process that keeps what arrived and whether
    its signature held (checked with the helper the services use)."""

    def __init__(self) -> None:
        self.calls: list[tuple[bool, dict[str, Any]]] = []
        self.url = ""

    def app(self) -> FastAPI:
        app = FastAPI()
        signer = Webhook(SMS_WEBHOOK_SECRET)

        @app.post("/status")
        async def status(request: Request) -> dict[str, bool]:
            body = await request.body()
            try:
                self.calls.append((True, verified_object(signer, body, request.headers)))
            except WebhookRefused:
                self.calls.append((False, orjson.loads(body)))
            return {"received": True}

        return app


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until the server takes them
    found.url = f"http://127.0.0.1:{sock.getsockname()[1]}/status"
    server = uvicorn.Server(uvicorn.Config(found.app(), log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield found
    server.should_exit = True
    await task


async def until(check: Any, limit_s: float = 20.0) -> Any:
    """The check's first truthy answer, polled (a bound on waiting, not a timed assertion)."""
    deadline = time.monotonic() + limit_s
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


def sender(stack: Stack, callback: str, timeout_s: float = 10.0) -> HttpSmsSender:
    return HttpSmsSender.connect(
        stack.sms_simulator_url,
        SMS_PROVIDER_KEY,
        sender=OUR_NUMBER,
        status_callback_url=callback,
        timeout_s=timeout_s,
    )


async def simulated(stack: Stack, to: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{stack.sms_simulator_url}/test/messages", params={"to": to})
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_message_is_delivered_and_its_callbacks_arrive_signed(
    stack: Stack, receiver: Receiver
) -> None:
    sms = sender(stack, receiver.url)
    try:
        provider_id = await sms.send(OutgoingSms("msg-delivered", number(1), "Your balance"))
    finally:
        await sms.close()

    async def finished() -> bool:
        return [c[1]["data"]["status"] for c in receiver.calls][-1:] == ["delivered"]

    assert await until(finished)
    assert [ok for ok, _ in receiver.calls] == [True, True, True]
    assert [c["data"]["status"] for _, c in receiver.calls] == ["queued", "sent", "delivered"]
    assert {c["data"]["client_reference"] for _, c in receiver.calls} == {"msg-delivered"}
    assert {c["data"]["id"] for _, c in receiver.calls} == {provider_id}
    [kept] = await simulated(stack, number(1))
    assert (kept["from"], kept["body"], kept["status"]) == (OUR_NUMBER, "Your balance", "delivered")
    assert [c["answered"] for c in kept["callbacks"]] == [200, 200, 200]

    # The provider's retries, reordered: the same events again, newest first, still signed.
    async with httpx.AsyncClient() as client:
        resent = await client.post(f"{stack.sms_simulator_url}/test/messages/{provider_id}/resend")
    assert resent.json() == {"resent": 3}
    again = receiver.calls[3:]
    assert [c["data"]["status"] for _, c in again] == ["delivered", "sent", "queued"]
    assert all(ok for ok, _ in again)
    assert [c["id"] for _, c in again] == [c["id"] for _, c in reversed(receiver.calls[:3])]


@pytest.mark.parametrize(
    ("to", "status", "error"),
    [
        ("+15005550002", "failed", "carrier_rejected"),
        ("+15005550003", "undelivered", "unreachable"),
    ],
)
async def test_an_undeliverable_number_ends_with_the_providers_reason(
    stack: Stack, receiver: Receiver, to: str, status: str, error: str
) -> None:
    sms = sender(stack, receiver.url)
    try:
        await sms.send(OutgoingSms(f"msg-{status}", to, "Hello"))
    finally:
        await sms.close()

    async def last() -> dict[str, Any] | None:
        data = receiver.calls[-1][1]["data"] if len(receiver.calls) == 3 else None
        return data

    data = await until(last)
    assert (data["status"], data["error"]) == (status, error)
    assert all(ok for ok, _ in receiver.calls)


async def test_a_refusal_is_final_with_its_reason_and_a_timeout_is_retryable(
    stack: Stack, receiver: Receiver
) -> None:
    sms = sender(stack, receiver.url, timeout_s=0.5)
    try:
        with pytest.raises(SmsRefused) as refused:
            await sms.send(OutgoingSms("msg-refused", "+15005550001", "Hello"))
        assert refused.value.reason == "invalid_destination"
        with pytest.raises(SmsRefused) as invalid:
            await sms.send(OutgoingSms("msg-invalid", "0601", "Hello"))
        assert invalid.value.reason == "invalid_number"
        with pytest.raises(SmsUnavailable):
            await sms.send(OutgoingSms("msg-hangs", "+15005550009", "Hello"))
    finally:
        await sms.close()
    unreachable = HttpSmsSender.connect(
        "http://127.0.0.1:1", SMS_PROVIDER_KEY, sender=OUR_NUMBER, status_callback_url="x"
    )
    try:
        with pytest.raises(SmsUnavailable):
            await unreachable.send(OutgoingSms("msg-down", number(2), "Hello"))
    finally:
        await unreachable.close()


def test_forged_and_stale_callbacks_are_refused_and_change_nothing(stack: Stack) -> None:
    acme = stack.tenants["acme"].id
    event = {
        "id": "evt_forged",
        "type": "message.inbound",
        "data": {"id": "MO1", "from": number(3), "to": OUR_NUMBER, "body": "STOP"},
    }
    body = orjson.dumps(event).decode()
    signer = Webhook(SMS_WEBHOOK_SECRET)
    other = Webhook("whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtcHJvdmlkZXJz")
    old = datetime.now(UTC) - timedelta(minutes=6)
    stale = {
        "webhook-id": "evt_forged",
        "webhook-timestamp": str(int(old.timestamp())),
        "webhook-signature": signer.sign("evt_forged", old, body),
    }
    for headers in (
        signed_headers(other, "evt_forged", body),
        stale,
        {"content-type": "application/json"},
    ):
        for url in (
            f"{HOOKS}/inbound/{acme}",
            f"{HOOKS}/status",
            f"{stack.gateway_url}/hooks/sms/inbound/{acme}",  # the public route
        ):
            refused = httpx.post(url, content=body, headers=headers)
            assert refused.status_code == 401, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
    with stack.client("acme") as client:
        listed = client.get("/v1/suppressions", params={"channel": "sms"}).json()["items"]
    assert number(3) not in [s["address"] for s in listed]


async def inject(stack: Stack, tenant: str, sender: str, body: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{stack.sms_simulator_url}/test/inbound",
            json={
                "tenant": stack.tenants[tenant].id,
                "from": sender,
                "to": OUR_NUMBER,
                "body": body,
            },
        )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def sms_suppressions(stack: Stack, tenant: str) -> dict[str, dict[str, Any]]:
    with stack.client(tenant) as client:
        response = client.get("/v1/suppressions", params={"channel": "sms", "limit": 1000})
    assert response.status_code == 200, response.text
    return {s["address"]: s for s in response.json()["items"]}


async def test_a_stop_reply_suppresses_the_number_and_start_lifts_it(stack: Stack) -> None:
    customer = number(4)
    stopped = await inject(stack, "acme", customer, "  stop ")
    assert stopped["answered"] == 200
    assert "no more messages" in stopped["reply"]
    record = sms_suppressions(stack, "acme")[customer]
    assert (record["reason"], record["by"]) == ("sms_opt_out", "sms:inbound")
    assert customer not in sms_suppressions(stack, "globex")

    async def confirmation_sent() -> bool:
        replies = await simulated(stack, customer)
        return any("no more messages" in m["body"] and m["from"] == OUR_NUMBER for m in replies)

    assert await until(confirmation_sent)

    started = await inject(stack, "acme", customer, "START")
    assert "again" in started["reply"]
    assert customer not in sms_suppressions(stack, "acme")
    # Audited in the log with who, never with the number or the text.
    log = stack.campaigns.log_path.read_text()
    assert '"keyword": "stop"' in log and '"by": "sms:inbound"' in log
    assert customer not in log and customer.lstrip("+") not in log


async def test_help_answers_with_the_help_text_and_other_text_does_nothing(
    stack: Stack,
) -> None:
    customer = number(5)
    helped = await inject(stack, "acme", customer, "HELP")
    assert "Reply STOP" in helped["reply"]
    chatter = await inject(stack, "acme", customer, "please stop calling me at work")
    assert chatter["reply"] is None
    assert customer not in sms_suppressions(stack, "acme")


def test_suppressions_are_added_listed_and_removed_per_tenant(stack: Stack) -> None:
    with stack.client("acme") as acme, stack.client("globex") as globex:
        added = acme.post(
            "/v1/suppressions", json={"channel": "sms", "address": f"(415) {EXCHANGE}-0106"}
        )
        assert added.status_code == 201, added.text
        assert added.json()["address"] == number(106)
        assert added.json()["by"] == "api"
        again = acme.post(
            "/v1/suppressions",
            json={"channel": "sms", "address": number(106), "reason": "hard_bounce"},
        )
        assert again.status_code == 200 and again.json()["reason"] == "unsubscribed"
        email = acme.post(
            "/v1/suppressions",
            json={"channel": "email", "address": "Ana@EXAMPLE.com", "reason": "hard_bounce"},
        )
        assert email.status_code == 201 and email.json()["address"] == "Ana@example.com"

        bounces = acme.get("/v1/suppressions", params={"reason": "hard_bounce"}).json()["items"]
        assert [s["address"] for s in bounces] == ["Ana@example.com"]
        assert globex.get("/v1/suppressions").json() == {"items": [], "next": None}
        key = {"channel": "sms", "address": number(106)}
        assert globex.post("/v1/suppressions/remove", json=key).status_code == 404

        first = acme.get("/v1/suppressions", params={"limit": 1}).json()
        second = acme.get("/v1/suppressions", params={"limit": 1, "cursor": first["next"]})
        assert first["items"] != second.json()["items"]

        removed = acme.post("/v1/suppressions/remove", json=key)
        assert removed.status_code == 204
        assert number(106) not in sms_suppressions(stack, "acme")
        assert acme.post("/v1/suppressions/remove", json=key).status_code == 404
        history = acme.post("/v1/suppressions/history", json=key)
        assert history.status_code == 200, history.text
        assert [(c["action"], c["by"]) for c in history.json()["changes"]] == [
            ("suppressed", "api"),
            ("lifted", "api"),
        ]
        assert globex.post("/v1/suppressions/history", json=key).json()["changes"] == []


def test_malformed_suppression_requests_are_problems(stack: Stack) -> None:
    with stack.client("acme") as acme:
        for body in (
            {"channel": "sms", "address": "12"},
            {"channel": "email", "address": "nobody"},
            {"channel": "fax", "address": number(7)},
            {"channel": "sms", "address": number(7), "reason": "frequency_cap"},
            {"channel": "sms", "address": number(7), "extra": 1},
        ):
            refused = acme.post("/v1/suppressions", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")
        bad_cursor = acme.get("/v1/suppressions", params={"cursor": "!!"})
        assert bad_cursor.status_code == 422
        assert acme.get("/v1/suppressions", params={"channel": "fax"}).status_code == 422
    assert httpx.get(f"{stack.gateway_url}/v1/suppressions").status_code == 401


async def test_the_simulators_status_callbacks_move_a_ledger_message_to_delivered(
    stack: Stack,
) -> None:
    """The service's own ledger on FerretDB: a sent SMS message, its provider's signed
    callbacks to the campaigns service's hook, and the message delivered once."""
    tenant = stack.tenants["acme"].id
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(PROFILE.mongodb_url)
    ledger = MongoCampaignRepository(client[f"{stack.database_prefix}campaigns"])
    now = datetime.now(UTC)
    campaign = f"k-{secrets.token_hex(4)}"
    message = Message(
        id=message_id(tenant, campaign, "c1", "sms"),
        tenant_id=tenant,
        campaign_id=campaign,
        contact_id="c1",
        channel="sms",
        state=MessageState.PENDING,
        created_at=now,
        due_at=now,
    )
    try:
        assert await ledger.claim_messages([message]) == 1
        assert await ledger.transition(
            message, MessageState.SENT, from_states=[MessageState.PENDING], sent_at=now
        )
        sms = sender(stack, f"{HOOKS}/status")
        try:
            provider_id = await sms.send(OutgoingSms(message.id, number(6), "Your balance"))
        finally:
            await sms.close()

        async def delivered() -> bool:
            stored = await ledger.get_message(tenant, message.id)
            return stored is not None and stored.state is MessageState.DELIVERED

        assert await until(delivered)
        [kept] = await simulated(stack, number(6))
        assert [c["answered"] for c in kept["callbacks"]] == [200, 200, 200]
        # The provider's retries, reordered: accepted, and the message stays delivered.
        async with httpx.AsyncClient() as http:
            resent = await http.post(
                f"{stack.sms_simulator_url}/test/messages/{provider_id}/resend"
            )
        assert resent.json() == {"resent": 3}
        stored = await ledger.get_message(tenant, message.id)
        assert stored is not None and stored.state is MessageState.DELIVERED
        assert await ledger.get_message(stack.tenants["globex"].id, message.id) is None
    finally:
        await client.close()

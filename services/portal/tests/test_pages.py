"""The customer's pages over the in-memory fakes (the real stack's run is in
tests/integration/test_portal_pages.py): link, ID&V and its lock, CSRF, session, pay."""

import re
import secrets
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from listflow.kit.clock import ManualClock
from listflow.portal.adapters.memory_repository import InMemoryPortalRepository
from listflow.portal.bootstrap import Container, bootstrap
from listflow.portal.config import Settings
from listflow.portal.domain.model import (
    AccessLink,
    AccountView,
    Customer,
    IdvFact,
    PortalSettings,
)
from listflow.portal.entrypoints.main import create_app
from listflow.portal.ports import Intent
from listflow.portal.selfservice import SelfService, Visit
from listflow.schemas.payments import PaymentEvent

from .clock import T0


class Events:
    def __init__(self) -> None:
        self.published: list[tuple[PaymentEvent, str]] = []

    async def publish(self, events: Sequence[PaymentEvent], event_ids: Sequence[str]) -> None:
        self.published += list(zip(events, event_ids, strict=True))


class Provider:
    def __init__(self) -> None:
        self.intents: dict[str, Intent] = {}
        self.keys: dict[str, str] = {}

    async def create_intent(self, *, idempotency_key: str, **_: object) -> Intent:
        if idempotency_key not in self.keys:
            intent = Intent(f"pi_{len(self.intents)}", "requires_payment_method", "https://psp/x")
            self.intents[intent.id] = intent
            self.keys[idempotency_key] = intent.id
        return self.intents[self.keys[idempotency_key]]

    async def retrieve(self, intent_id: str) -> Intent:
        return self.intents[intent_id]


class LinkEvents:
    async def links_issued(self, events: Sequence[object]) -> None:
        pass

    async def links_revoked(self, events: Sequence[object]) -> None:
        pass


def fp(last4: str) -> str:
    return f"fp:{last4}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def setup(clock: ManualClock) -> AsyncIterator[tuple[Container, httpx.AsyncClient, str]]:
    repo = InMemoryPortalRepository()
    container = bootstrap(
        Settings(),
        repository=repo,
        events=LinkEvents(),  # type: ignore[arg-type]
        payment_events=Events(),
        provider=Provider(),
        clock=clock,
    )
    container.portal.fingerprint = fp
    container.selfservice.fingerprint = fp
    await repo.upsert_customers(
        [
            Customer(
                tenant_id="t1",
                contact_id="c1",
                version=1,
                first_name="Ana",
                last_name="Ruiz",
                date_of_birth=date(1980, 5, 17),
                postcode="SW1A 1AA",
                national_id_last4_fp=fp("6789"),
                accounts=(
                    AccountView(
                        id="c1:AC-1001", number="AC-1001", balance=Decimal("120.50"), currency="GBP"
                    ),
                ),
                group_ids=("g",),
            )
        ]
    )
    link, token = AccessLink.new("t1", "c1", now=T0, expiry_days=30, reason="list_ready")
    await repo.insert_link(link)
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield container, client, token


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def session_of(service: SelfService) -> Visit:
    link = await service.store.current_link("t1", "c1")
    assert link is not None
    visit = await service.visit("t1", "c1", link.id)
    assert visit is not None
    return visit


async def paid(service: SelfService, visit: Visit, amount: str) -> None:
    """A payment started and settled by the provider's success webhook."""
    payment = await service.start_payment(visit, "c1:AC-1001", amount, secrets.token_hex(16))
    intent = {"id": payment.intent_id, "status": "succeeded"}
    metadata = {"tenant_id": "t1", "payment_id": payment.id}
    await service.on_provider_event("payment_intent.succeeded", {**intent, "metadata": metadata})


async def open_and_verify(client: httpx.AsyncClient, token: str, **answers: str) -> httpx.Response:
    opened = await client.get(f"/p/{token}")
    assert opened.status_code == 303 and opened.headers["location"] == "/p/verify"
    form = await client.get("/p/verify")
    return await client.post("/p/verify", data={"csrf": csrf(form.text), **answers})


async def test_wrong_expired_and_revoked_links_get_one_plain_page(
    setup: tuple[Container, httpx.AsyncClient, str], clock: ManualClock
) -> None:
    container, client, token = setup
    wrong = await client.get("/p/AAAAAAAAAAAAAAAAAAAAAA")
    assert wrong.status_code == 404 and "no longer valid" in wrong.text
    assert (await client.get("/p/x%00y")).status_code == 404
    clock.now = T0 + timedelta(days=31)
    expired = await client.get(f"/p/{token}")
    assert expired.status_code == 404 and expired.text == wrong.text
    clock.now = T0
    await container.portal.revoke("t1", "c1")
    revoked = await client.get(f"/p/{token}")
    assert revoked.text == wrong.text


async def test_idv_passes_with_the_right_facts_and_shows_accounts_in_spanish(
    setup: tuple[Container, httpx.AsyncClient, str],
) -> None:
    _, client, token = setup
    passed = await open_and_verify(client, token, date_of_birth="1980-05-17", postcode="sw1a1aa")
    assert passed.status_code == 303 and passed.headers["location"] == "/p/accounts"
    cookie = passed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    accounts = await client.get("/p/accounts", headers={"accept-language": "es-ES,es;q=0.9"})
    assert accounts.status_code == 200
    assert "Sus cuentas" in accounts.text and "120,50" in accounts.text
    assert "no-referrer" in accounts.headers["referrer-policy"]
    english = await client.get("/p/accounts?lang=en")
    assert "Your accounts" in english.text and "£120.50" in english.text


async def test_five_failures_lock_the_link_until_the_lock_ends(
    setup: tuple[Container, httpx.AsyncClient, str], clock: ManualClock
) -> None:
    container, client, token = setup
    await client.get(f"/p/{token}")
    for attempt in range(5):
        form = await client.get("/p/verify")
        wrong = await client.post(
            "/p/verify",
            data={"csrf": csrf(form.text), "date_of_birth": "1980-05-18", "postcode": "SW1A 1AA"},
        )
        expected = 423 if attempt == 4 else 400
        assert wrong.status_code == expected, attempt
    form = await client.get("/p/verify")
    right = {"csrf": csrf(form.text), "date_of_birth": "1980-05-17", "postcode": "SW1A 1AA"}
    assert (await client.post("/p/verify", data=right)).status_code == 423  # still locked
    clock.now = T0 + timedelta(minutes=16)
    await client.get(f"/p/{token}")  # the session idled out meanwhile: open the link again
    form = await client.get("/p/verify")
    right["csrf"] = csrf(form.text)
    assert (await client.post("/p/verify", data=right)).status_code == 303
    page = await container.selfservice.store.attempts_page(
        "t1", contact_id="c1", limit=10, cursor=None
    )
    # Audited, each: (the fake clock stood still, so their order within it is not asserted)
    outcomes = sorted(a.outcome for a in page.items)
    assert outcomes == ["failed"] * 4 + ["locked", "locked", "passed"]


async def test_forms_without_a_valid_csrf_token_are_refused(
    setup: tuple[Container, httpx.AsyncClient, str],
) -> None:
    _, client, token = setup
    await client.get(f"/p/{token}")
    answers = {"date_of_birth": "1980-05-17", "postcode": "SW1A 1AA"}
    assert (await client.post("/p/verify", data=answers)).status_code == 403
    forged = {**answers, "csrf": "bm9wZQ.forged"}
    assert (await client.post("/p/verify", data=forged)).status_code == 403


async def test_the_session_ends_after_the_idle_timeout_and_activity_extends_it(
    setup: tuple[Container, httpx.AsyncClient, str], clock: ManualClock
) -> None:
    _, client, token = setup
    await open_and_verify(client, token, date_of_birth="1980-05-17", postcode="SW1A 1AA")
    clock.now = T0 + timedelta(minutes=9)  # idle timeout: the tenant's 10 minutes
    accounts = await client.get("/p/accounts")
    assert accounts.status_code == 200 and "Extend session" in accounts.text
    extended = await client.post(
        "/p/session/extend", data={"csrf": csrf(accounts.text), "next": "https://evil.example/"}
    )
    assert extended.status_code == 303 and extended.headers["location"] == "/p/accounts"
    clock.now = T0 + timedelta(minutes=18)  # 9 minutes after the last activity
    assert (await client.get("/p/accounts")).status_code == 200
    clock.now = T0 + timedelta(minutes=29)
    ended = await client.get("/p/accounts")
    assert ended.status_code == 401 and "session has ended" in ended.text


async def test_throttle_and_every_fact_kind(
    setup: tuple[Container, httpx.AsyncClient, str],
) -> None:
    container, _, _ = setup
    service = container.selfservice
    container.portal.repository.settings["t1"] = PortalSettings(  # type: ignore[attr-defined]
        idv_fields=(IdvFact.ACCOUNT_LAST4, IdvFact.NATIONAL_ID_LAST4), max_attempts=20
    )
    visit = await session_of(service)
    # Last fours typed as people do (spaces, any case); the id compared by fingerprint.
    right = {"account_last4": " 1001 ", "national_id_last4": "6789"}
    assert await service.verify(visit, right, "10.0.0.1", "MDY") == "passed"
    wrong_id = {**right, "national_id_last4": "6788"}
    assert await service.verify(visit, wrong_id, "10.0.0.1", "MDY") == "failed"
    outcomes = [await service.verify(visit, wrong_id, "10.0.0.1", "MDY") for _ in range(10)]
    assert outcomes[-1] == "throttled"  # 10 a minute per link
    assert await service.verify(visit, right, "10.0.0.1", "MDY") == "throttled"


async def test_paying_goes_to_the_provider_once_and_refuses_bad_amounts(
    setup: tuple[Container, httpx.AsyncClient, str],
) -> None:
    container, client, token = setup
    await open_and_verify(client, token, date_of_birth="1980-05-17", postcode="SW1A 1AA")
    form = await client.get("/p/pay", params={"account": "c1:AC-1001"})
    assert form.status_code == 200
    attempt = re.search(r'name="attempt" value="([^"]+)"', form.text)
    assert attempt
    data = {"csrf": csrf(form.text), "account": "c1:AC-1001", "attempt": attempt.group(1)}
    too_much = await client.post("/p/pay", data={**data, "amount": "500"})
    assert too_much.status_code == 400 and "more than your balance" in too_much.text
    garbage = await client.post("/p/pay", data={**data, "amount": "1e9999"})
    assert garbage.status_code == 400
    first = await client.post("/p/pay", data={**data, "amount": "20.00"})
    again = await client.post("/p/pay", data={**data, "amount": "20.00"})
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == "https://psp/x"
    payments = await container.selfservice.store.payments_of("t1", "c1")
    assert len(payments) == 1 and payments[0].amount == Decimal("20.00")


async def test_promises_are_kept_by_a_payment_and_broken_after_their_due_date(
    setup: tuple[Container, httpx.AsyncClient, str], clock: ManualClock
) -> None:
    container, _, _ = setup
    service = container.selfservice
    events: Events = service.events  # type: ignore[assignment]
    visit = await session_of(service)
    broken = await service.promise(visit, "c1:AC-1001", "50.00", "2026-03-05")
    kept = await service.promise(visit, "c1:AC-1001", "20.00", "2026-03-10")
    await paid(service, visit, "20.00")
    # The 20.00 keeps both promises' tally at 20: the 20.00 one is kept at once.
    verdicts = {
        e.promise_id: type(e).__name__ for e, _ in events.published if hasattr(e, "promise_id")
    }
    assert verdicts == {broken.id: "PromiseToPayMade", kept.id: "PromiseKept"}
    assert await service.judge_due() == 0  # nothing due yet
    clock.now = T0 + timedelta(days=5)
    assert await service.judge_due() == 1
    [(last, event_id)] = events.published[-1:]
    assert type(last).__name__ == "PromiseBroken" and event_id == f"{broken.id}:broken"
    assert last.paid == Decimal("20.00")  # type: ignore[union-attr]
    assert await service.judge_due() == 0  # judged once


async def test_instalments_are_paid_in_order_by_payments_and_missed_after_their_due_date(
    setup: tuple[Container, httpx.AsyncClient, str], clock: ManualClock
) -> None:
    container, _, _ = setup
    service = container.selfservice
    events: Events = service.events  # type: ignore[assignment]
    visit = await session_of(service)
    plan = await service.agree_plan(visit, "c1:AC-1001", "3", "weekly")
    assert [i.amount for i in plan.instalments] == [Decimal("40.16")] * 2 + [Decimal("40.18")]
    await paid(service, visit, "50.00")
    judged = [(type(e).__name__, e.number) for e, _ in events.published if hasattr(e, "number")]
    assert judged == [("InstalmentPaid", 1)]  # 50.00 covers the first 40.16, not the second
    clock.now = T0 + timedelta(days=15)  # past the second instalment's due date
    await service.judge_due()
    await service.judge_due()  # judged once
    judged = [(type(e).__name__, e.number) for e, _ in events.published if hasattr(e, "number")]
    assert judged == [("InstalmentPaid", 1), ("InstalmentMissed", 2)]


async def test_the_customer_pays_a_chosen_instalment_and_it_alone_is_marked_paid_once(
    setup: tuple[Container, httpx.AsyncClient, str],
) -> None:
    container, client, token = setup
    service = container.selfservice
    events: Events = service.events  # type: ignore[assignment]
    await open_and_verify(client, token, date_of_birth="1980-05-17", postcode="SW1A 1AA")
    plan = await service.agree_plan(await session_of(service), "c1:AC-1001", "3", "weekly")
    history = await client.get("/p/history")
    assert history.text.count(">Pay instalment ") == 3
    link = f"/p/pay?account=c1%3AAC-1001&amp;plan={plan.id}&amp;instalment=2"
    assert link in history.text
    form = await client.get(link.replace("&amp;", "&"))
    assert form.status_code == 200 and "Instalment 2 of your plan" in form.text
    assert 'name="amount"' not in form.text  # the instalment's amount, not one typed
    attempt = re.search(r'name="attempt" value="([^"]+)"', form.text)
    assert attempt
    data = {"csrf": csrf(form.text), "account": "c1:AC-1001", "attempt": attempt.group(1)}
    started = await client.post("/p/pay", data={**data, "plan": plan.id, "instalment": "2"})
    assert started.status_code == 303
    [payment] = await service.store.payments_of("t1", "c1")
    assert (payment.amount, payment.plan_id, payment.instalment) == (Decimal("40.16"), plan.id, 2)
    settled = {"id": payment.intent_id, "status": "succeeded"}
    metadata = {"tenant_id": "t1", "payment_id": payment.id}
    for _ in range(2):  # the webhook comes twice
        await service.on_provider_event(
            "payment_intent.succeeded", {**settled, "metadata": metadata}
        )
    judged = [(type(e).__name__, e.number) for e, _ in events.published if hasattr(e, "number")]
    assert judged == [("InstalmentPaid", 2)]
    [received] = [e for e, _ in events.published if type(e).__name__ == "PaymentReceived"]
    assert (received.plan_id, received.instalment) == (plan.id, 2)  # type: ignore[union-attr]
    # Paid: no second payment of it, and the page says so; the others stay payable.
    again = await client.get(link.replace("&amp;", "&"))
    assert again.status_code == 404
    refused = await client.post(
        "/p/pay", data={**data, "attempt": "b" * 32, "plan": plan.id, "instalment": "2"}
    )
    assert refused.status_code == 400 and "already paid or no longer due" in refused.text
    assert len(await service.store.payments_of("t1", "c1")) == 1
    history = await client.get("/p/history")
    assert history.text.count(">Pay instalment ") == 2 and ">Paid<" in history.text


async def test_bad_input_unknown_pages_and_wrong_methods_get_readable_pages(
    setup: tuple[Container, httpx.AsyncClient, str],
) -> None:
    _, client, token = setup
    await client.get(f"/p/{token}")
    form = await client.get("/p/verify")
    too_long = await client.post(
        "/p/verify", data={"csrf": csrf(form.text), "postcode": "x" * 5000}
    )
    unknown = await client.get("/p/no/such/page")
    method = await client.delete("/p/verify")
    for response, status in ((too_long, 400), (unknown, 404), (method, 405)):
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html"), response.text
        assert "<h1>" in response.text
    # The admin API keeps its problem documents.
    admin = await client.get("/v1/portal/nowhere")
    assert admin.headers["content-type"].startswith("application/problem+json")

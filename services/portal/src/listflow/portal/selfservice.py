"""Use cases of the customer's own pages: open a link, ID&V with its lock and throttle,
accounts, payments through the provider (settled by its webhooks), promises and plans."""

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypedDict

from listflow.kit.clock import Clock
from listflow.kit.logging import get_logger
from listflow.portal.domain import money
from listflow.portal.domain.idv import LockState, Outcome, facts_match, lock_after_failure
from listflow.portal.domain.model import (
    AccessLink,
    AccountView,
    Customer,
    PortalSettings,
    token_hash,
)
from listflow.portal.domain.money import Payment, Plan, PlanChoice, Promise, Refusal
from listflow.portal.ports import (
    IdvAttempt,
    Intent,
    PageViews,
    PaymentEvents,
    PaymentProvider,
    PaymentStore,
    PortalRepository,
    VerificationStore,
)
from listflow.schemas import payments as events
from listflow.schemas.normalize import DateOrder

_log = get_logger(__name__)
THROTTLE_WINDOW = timedelta(minutes=1)
# A tenant that never saved settings has the defaults: one frozen model, not one per page.
DEFAULT_SETTINGS = PortalSettings()


class Store(PortalRepository, VerificationStore, PaymentStore, PageViews, Protocol):
    """What the pages need: links and customers, ID&V state, payments and arrangements."""


@dataclass(frozen=True, slots=True)
class Throttle:
    """Attempts allowed per minute, per link and per client address."""

    per_link: int = 10
    per_address: int = 30


@dataclass(frozen=True, slots=True)
class Visit:
    """A usable link and its customer, as a page request finds them."""

    link: AccessLink
    customer: Customer
    settings: PortalSettings
    # The link's lock as read with the page (the ID&V form shows it); an attempt reads it
    # again after counting itself, so concurrent attempts are judged on the stored state.
    lock: LockState


@dataclass
class SelfService:
    store: Store
    provider: PaymentProvider
    events: PaymentEvents
    clock: Clock
    fingerprint: Callable[[str], str]
    # Keyed digest of client addresses in the audit (an address is personal data).
    address_key: bytes
    public_url: str
    throttle: Throttle = Throttle()
    # Test stacks shorten the tenant's lock (minutes) to this many seconds.
    lockout_cap: timedelta | None = None

    # --- links ------------------------------------------------------------------------

    async def open(self, token: str) -> AccessLink | None:
        """The usable link a token names; None for a wrong, expired or revoked one alike."""
        if not 16 <= len(token) <= 64:
            return None
        link = await self.store.link_by_token_hash(token_hash(token))
        return link if link is not None and link.usable(self.clock()) else None

    async def visit(self, tenant_id: str, contact_id: str, link_id: str) -> Visit | None:
        """The session's link if it is still the customer's usable link (a reissue or a
        revocation ends every session of the old one at once)."""
        found = await self.store.page_view(tenant_id, contact_id)
        if found is None:
            return None
        link, customer = found.link, found.customer
        if link.id != link_id or not link.usable(self.clock()) or customer.deleted:
            return None
        return Visit(link, customer, found.settings or DEFAULT_SETTINGS, found.lock)

    # --- ID&V ---------------------------------------------------------------------------

    def _address(self, address: str) -> str:
        return hmac.new(self.address_key, address.encode(), hashlib.sha256).hexdigest()[:24]

    def _lockout(self, settings: PortalSettings) -> timedelta:
        lockout = timedelta(minutes=settings.lockout_minutes)
        return min(lockout, self.lockout_cap) if self.lockout_cap is not None else lockout

    async def locked(self, visit: Visit, *, fresh: bool = True) -> bool:
        """Whether the link is locked now: asked of the store, or (`fresh=False`) as read
        with the page."""
        state = await self.store.lock_state(visit.link.id) if fresh else visit.lock
        return state.locked(self.clock())

    async def verify(
        self, visit: Visit, answers: Mapping[str, str], address: str, date_order: DateOrder
    ) -> Outcome:
        """Check the customer's answers: throttled per link and per address, refused while
        the link is locked, locked after the tenant's number of failures in a row."""
        now = self.clock()
        digest = self._address(address)
        outcome = await self._verify(visit, answers, digest, date_order, now)
        await self.store.audit(
            IdvAttempt(
                # Time-ordered ids: the audit reads newest first by id alone.
                id=f"{int(now.timestamp() * 1000):013x}{secrets.token_hex(4)}",
                tenant_id=visit.link.tenant_id,
                contact_id=visit.link.contact_id,
                link_id=visit.link.id,
                at=now,
                outcome=outcome,
                address=digest,
            )
        )
        _log.info("idv attempt", link_id=visit.link.id, outcome=outcome)
        return outcome

    async def _verify(
        self,
        visit: Visit,
        answers: Mapping[str, str],
        address: str,
        date_order: DateOrder,
        now: datetime,
    ) -> Outcome:
        window = now - timedelta(seconds=now.timestamp() % THROTTLE_WINDOW.total_seconds())
        expires = window + 2 * THROTTLE_WINDOW
        per_link = await self.store.hit(f"link:{visit.link.id}", window, expires)
        per_address = await self.store.hit(f"address:{address}", window, expires)
        if per_link > self.throttle.per_link or per_address > self.throttle.per_address:
            return "throttled"
        state = await self.store.lock_state(visit.link.id)
        if state.locked(now):
            return "locked"
        settings = visit.settings
        if facts_match(
            visit.customer,
            settings.idv_fields,
            answers,
            fingerprint=self.fingerprint,
            date_order=date_order,
        ):
            if state.failures:
                await self.store.clear_failures(visit.link.id)
            return "passed"
        failures = await self.store.record_failure(visit.link.id)
        until = lock_after_failure(
            failures, max_attempts=settings.max_attempts, lockout=self._lockout(settings), now=now
        )
        if until is not None:
            await self.store.lock(visit.link.id, until)
            return "locked"
        return "failed"

    # --- payments -----------------------------------------------------------------------

    def _account(self, visit: Visit, account_id: str) -> AccountView:
        account = visit.customer.account(account_id)
        if account is None:
            raise Refusal("no_such_account")
        return account

    async def due_instalment(
        self, visit: Visit, account_id: str, plan_id: str, number: int
    ) -> money.Instalment:
        """An instalment of the customer's own plan on that account still to pay."""
        plans = await self.store.plans_of(visit.link.tenant_id, visit.link.contact_id)
        plan = next((p for p in plans if p.id == plan_id and p.account_id == account_id), None)
        found = next((i for i in plan.instalments if i.number == number), None) if plan else None
        if plan is None or found is None or any(j.number == number for j in plan.judged):
            raise Refusal("instalment_not_due")
        return found

    async def start_payment(
        self,
        visit: Visit,
        account_id: str,
        raw_amount: str,
        attempt: str,
        *,
        plan_id: str | None = None,
        instalment: int | None = None,
    ) -> Payment:
        """A pending payment with the provider's intent: the customer goes to its page next.
        For a chosen instalment of a plan the amount is that instalment's."""
        account = self._account(visit, account_id)
        if plan_id is not None and instalment is not None:
            amount = (await self.due_instalment(visit, account_id, plan_id, instalment)).amount
        else:
            plan_id, instalment = None, None
            amount = money.parse_amount(raw_amount)
        money.check_payment(amount, account, visit.settings)
        if not 16 <= len(attempt) <= 64 or not attempt.isalnum():
            raise Refusal("form_expired")
        assert account.currency is not None
        payment = await self.store.insert_payment(
            Payment(
                id=money.payment_id(visit.link.id, attempt),
                **_owner(visit, account),
                amount=amount,
                currency=account.currency,
                created_at=self.clock(),
                plan_id=plan_id,
                instalment=instalment,
            )
        )
        if payment.intent_id is not None or payment.status != "pending":
            return payment
        intent = await self.provider.create_intent(
            idempotency_key=payment.id,
            amount=payment.amount,
            currency=payment.currency,
            description=f"Account {account.number}",
            metadata={"tenant_id": payment.tenant_id, "payment_id": payment.id},
            return_url=f"{self.public_url.rstrip('/')}/p/payments/{payment.id}",
        )
        await self.store.set_intent(payment, intent.id, intent.hosted_url)
        _log.info("payment started", payment_id=payment.id, intent_id=intent.id)
        return await self.store.get_payment(payment.tenant_id, payment.id) or payment

    async def on_provider_event(self, event_type: str, intent: Mapping[str, object]) -> None:
        """A verified webhook. Only a final result settles a payment, the first one wins, and
        its event is published until Kafka has it: a repeat, a late `processing` or a
        redelivery after a crash changes nothing twice."""
        metadata = intent.get("metadata")
        if not isinstance(metadata, dict):
            return
        tenant_id, payment_id = metadata.get("tenant_id"), metadata.get("payment_id")
        if not isinstance(tenant_id, str) or not isinstance(payment_id, str):
            return
        payment = await self.store.get_payment(tenant_id, payment_id)
        if payment is None or payment.intent_id not in (None, intent.get("id")):
            _log.warning("webhook for an unknown payment", event_type=event_type)
            return
        status = str(intent.get("status"))
        error = intent.get("last_payment_error")
        code = str(error.get("code")) if isinstance(error, dict) else None
        await self._settle(payment, status, code, str(intent.get("id")))

    async def _settle(
        self, payment: Payment, status: str, code: str | None, reference: str | None
    ) -> Payment:
        if payment.status == "pending" and status in money.FINAL:
            settled = payment.settled(status, at=self.clock(), reason=code, reference=reference)
            if await self.store.settle(settled):
                _log.info("payment settled", payment_id=payment.id, status=status)
        current = await self.store.get_payment(payment.tenant_id, payment.id) or payment
        if current.status != "pending" and not current.published:
            await self._announce(current)
            if current.status == "succeeded":
                await self._judge_promises_of(current)
                await self._judge_plans_of(current)
        return current

    async def _announce(self, p: Payment) -> None:
        common = {
            **_about(p),
            "payment_id": p.id,
            "amount": p.amount,
            "currency": p.currency,
        }
        at = p.settled_at or self.clock()
        event: events.PaymentEvent
        if p.status == "succeeded":
            event = events.PaymentReceived(
                **common,
                received_at=at,
                provider_reference=p.provider_reference,
                plan_id=p.plan_id,
                instalment=p.instalment,
            )
            event_id = f"{p.id}:received"
        else:
            event = events.PaymentFailed(**common, reason=p.reason or "declined", failed_at=at)
            event_id = f"{p.id}:failed"
        await self.events.publish([event], [event_id])
        await self.store.mark_published(p)

    async def payment(self, visit: Visit, payment_id: str) -> Payment | None:
        """The customer's own payment (never another's); a pending one is asked of the
        provider, in case its webhook is late."""
        if not 16 <= len(payment_id) <= 64:
            return None
        payment = await self.store.get_payment(visit.link.tenant_id, payment_id)
        if payment is None or payment.contact_id != visit.link.contact_id:
            return None
        if payment.status == "pending" and payment.intent_id is not None:
            intent: Intent = await self.provider.retrieve(payment.intent_id)
            payment = await self._settle(payment, intent.status, intent.failure_code, intent.id)
        return payment

    async def history(self, visit: Visit) -> tuple[list[Payment], list[Promise], list[Plan]]:
        tenant, contact = visit.link.tenant_id, visit.link.contact_id
        return (
            await self.store.payments_of(tenant, contact),
            await self.store.promises_of(tenant, contact),
            await self.store.plans_of(tenant, contact),
        )

    # --- promises and plans ------------------------------------------------------------

    def today(self) -> date:
        return self.clock().date()

    async def promise(
        self, visit: Visit, account_id: str, raw_amount: str, raw_due: str
    ) -> Promise:
        account = self._account(visit, account_id)
        amount = money.parse_amount(raw_amount)
        try:
            due = date.fromisoformat(raw_due.strip())
        except ValueError:
            raise Refusal("date_invalid") from None
        money.check_promise(amount, due, account, visit.settings, self.today())
        assert account.currency is not None
        promise = Promise(
            id=money.new_id(),
            **_owner(visit, account),
            amount=amount,
            currency=account.currency,
            due_date=due,
            made_at=self.clock(),
        )
        await self.store.insert_promise(promise)
        await self.events.publish(
            [
                events.PromiseToPayMade(
                    **_about(promise),
                    promise_id=promise.id,
                    amount=promise.amount,
                    currency=promise.currency,
                    due_date=promise.due_date,
                    made_at=promise.made_at,
                    hold_until=promise.due_date if visit.settings.hold_arrangements else None,
                )
            ],
            [promise.id],
        )
        _log.info("promise made", promise_id=promise.id)
        return promise

    async def _judge_promises_of(self, payment: Payment) -> None:
        """A payment may keep the customer's open promises on its account at once."""
        promises = await self.store.promises_of(payment.tenant_id, payment.contact_id)
        for promise in promises:
            if promise.state == "open" and promise.account_id == payment.account_id:
                await self._judge(promise)

    async def judge_due(self, limit: int = 200) -> int:
        """Judge the promises whose due date has passed (and announce verdicts a crash left
        unannounced); returns how many were looked at."""
        due = await self.store.promises_to_judge(self.today(), limit)
        for promise in due:
            await self._judge(promise)
        plans = await self.store.plans_to_judge(self.today(), limit)
        for plan in plans:
            await self._judge_plan(plan)
        return len(due) + len(plans)

    async def judge_forever(self, every: timedelta) -> None:
        while True:
            try:
                await self.judge_due()
            except Exception:
                _log.exception("judging promises failed, will try again")
            await asyncio.sleep(every.total_seconds())

    async def _judge(self, promise: Promise) -> None:
        payments = await self.store.payments_of(promise.tenant_id, promise.contact_id)
        verdict = money.judge_promise(promise, payments, self.today())
        if promise.state == "open":
            if verdict is None:
                return
            judged = replace(promise, state=verdict.state, judged_at=self.clock())
            if not await self.store.judge(judged):
                return  # another judge was first, and announces it
            promise = judged
        elif promise.announced:
            return
        verdict = verdict or money.Verdict(promise.state, Decimal(0), ())
        at = promise.judged_at or self.clock()
        event: events.PaymentEvent
        if promise.state == "kept":
            event = events.PromiseKept(
                **_about(promise),
                promise_id=promise.id,
                payment_ids=verdict.payment_ids,
                kept_at=at,
            )
        else:
            event = events.PromiseBroken(
                **_about(promise),
                promise_id=promise.id,
                due_date=promise.due_date,
                paid=verdict.paid,
                judged_at=at,
            )
        await self.events.publish([event], [f"{promise.id}:{promise.state}"])
        await self.store.mark_announced(promise)
        _log.info("promise judged", promise_id=promise.id, state=promise.state)

    async def _judge_plans_of(self, payment: Payment) -> None:
        for plan in await self.store.plans_of(payment.tenant_id, payment.contact_id):
            if plan.account_id == payment.account_id:
                await self._judge_plan(plan)

    async def _judge_plan(self, plan: Plan) -> None:
        """New verdicts of the plan's instalments, each written once, then announced (and
        those a crash left unannounced)."""
        payments = await self.store.payments_of(plan.tenant_id, plan.contact_id)
        judged = {j.number for j in plan.judged}
        fresh: list[money.Judged] = []
        for number, state, payment_id in money.judge_plan(plan, payments, self.today()):
            verdict = money.Judged(number, state, payment_id, self.clock())  # type: ignore[arg-type]
            judged.add(number)
            if await self.store.judge_instalment(plan, verdict, money.next_due(plan, judged)):
                fresh.append(verdict)
        for verdict in [*(j for j in plan.judged if not j.announced), *fresh]:
            event: events.PaymentEvent
            if verdict.state == "paid":
                assert verdict.payment_id is not None
                event = events.InstalmentPaid(
                    **_about(plan),
                    plan_id=plan.id,
                    number=verdict.number,
                    payment_id=verdict.payment_id,
                    paid_at=verdict.at,
                )
            else:
                due = plan.instalments[verdict.number - 1].due_date
                event = events.InstalmentMissed(
                    **_about(plan),
                    plan_id=plan.id,
                    number=verdict.number,
                    due_date=due,
                    judged_at=verdict.at,
                )
            await self.events.publish([event], [f"{plan.id}:{verdict.number}:{verdict.state}"])
            await self.store.mark_instalment_announced(plan, verdict.number)
            _log.info(
                "instalment judged", plan_id=plan.id, number=verdict.number, state=verdict.state
            )

    def plan_choices(self, visit: Visit, account: AccountView) -> list[PlanChoice]:
        return money.plan_choices(account, visit.customer.plan_offer, visit.settings)

    def plan_preview(
        self, visit: Visit, account_id: str, instalments: str, frequency: str
    ) -> tuple[AccountView, PlanChoice, tuple[money.Instalment, ...]]:
        """The whole schedule of a chosen offer, shown before the customer agrees."""
        account = self._account(visit, account_id)
        choice = next(
            (
                c
                for c in self.plan_choices(visit, account)
                if str(c.instalments) == instalments and c.frequency == frequency
            ),
            None,
        )
        if choice is None:
            raise Refusal("not_offered")
        first_due = self.today() + timedelta(days=7)
        total = money.payable(account)
        return account, choice, money.schedule(total, choice, first_due, visit.customer.plan_offer)

    async def agree_plan(
        self, visit: Visit, account_id: str, instalments: str, frequency: str
    ) -> Plan:
        account, choice, schedule = self.plan_preview(visit, account_id, instalments, frequency)
        assert account.currency is not None
        plan = Plan(
            id=money.new_id(),
            **_owner(visit, account),
            currency=account.currency,
            frequency=choice.frequency,
            instalments=schedule,
            agreed_at=self.clock(),
        )
        await self.store.insert_plan(plan)
        await self.events.publish(
            [
                events.PaymentPlanAgreed(
                    **_about(plan),
                    plan_id=plan.id,
                    frequency=plan.frequency,
                    currency=plan.currency,
                    instalments=tuple(
                        events.Instalment(number=i.number, due_date=i.due_date, amount=i.amount)
                        for i in plan.instalments
                    ),
                    agreed_at=plan.agreed_at,
                    hold_until=(
                        plan.instalments[-1].due_date if visit.settings.hold_arrangements else None
                    ),
                )
            ],
            [plan.id],
        )
        _log.info("payment plan agreed", plan_id=plan.id, instalments=len(schedule))
        return plan


class Owner(TypedDict):
    tenant_id: str
    contact_id: str
    account_id: str
    account_number: str


def _owner(visit: Visit, account: AccountView) -> Owner:
    """Whose account a new payment, promise or plan is: the session's customer's, always."""
    return Owner(
        {
            "tenant_id": visit.link.tenant_id,
            "contact_id": visit.link.contact_id,
            "account_id": account.id,
            "account_number": account.number,
        }
    )


def _about(record: Payment | Promise | Plan) -> dict[str, str]:
    """What every payment event says of the account it is about (its key among them)."""
    return {
        "tenant_id": record.tenant_id,
        "account_id": record.account_id,
        "contact_id": record.contact_id,
        "account_number": record.account_number,
    }


def total_of(plan: Plan) -> Decimal:
    return sum((i.amount for i in plan.instalments), Decimal(0))

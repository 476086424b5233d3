"""Payments, promises to pay and payment plans of a customer's account. Pure: no I/O here.

Money is Decimal throughout (stored as strings): cents never drift through floats."""

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from dateutil.relativedelta import relativedelta
from listflow.portal.domain.model import AccountView, PlanOffer, PortalSettings
from listflow.schemas.payments import Frequency

CENT = Decimal("0.01")
_AMOUNT = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")
PaymentStatus = Literal["pending", "succeeded", "failed"]
# What a provider tells us about an intent; only the first final result counts.
FINAL: frozenset[str] = frozenset({"succeeded", "failed"})


class Refusal(ValueError):
    """An amount, date or choice the customer may not make; `code` names the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_amount(raw: str) -> Decimal:
    """A customer's typed amount: digits with a dot or a comma for the cents."""
    text = raw.strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    # Plain digits only: no exponent, sign or NaN reaches Decimal.
    if _AMOUNT.fullmatch(text) is None:
        raise Refusal("amount_invalid")
    value = Decimal(text)
    if value <= 0:
        raise Refusal("amount_invalid")
    return value.quantize(CENT)


def payable(account: AccountView) -> Decimal:
    return account.balance if account.balance is not None and account.balance > 0 else Decimal(0)


def check_payment(amount: Decimal, account: AccountView, settings: PortalSettings) -> None:
    """In full or in part: at least the tenant's minimum (or the whole balance, if less),
    never more than is owed."""
    owed = payable(account)
    if owed <= 0 or account.currency is None:
        raise Refusal("nothing_owed")
    if amount > owed:
        raise Refusal("amount_above_balance")
    if amount < min(settings.minimum_payment, owed):
        raise Refusal("amount_below_minimum")


def payment_id(link_id: str, attempt: str) -> str:
    """One payment per pay form shown: a double submit (or a reload of the POST) finds the
    payment, and the provider's idempotency key is this id, so it makes one intent."""
    return hashlib.sha256(f"{link_id}\x1f{attempt}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    tenant_id: str
    contact_id: str
    account_id: str
    account_number: str
    amount: Decimal
    currency: str
    created_at: datetime
    status: PaymentStatus = "pending"
    intent_id: str | None = None
    hosted_url: str | None = None
    reason: str | None = None
    settled_at: datetime | None = None
    provider_reference: str | None = None
    # False until its PaymentReceived / PaymentFailed is acknowledged by Kafka.
    published: bool = False
    # The instalment of an agreed plan the customer chose to pay with it (else it counts
    # towards the account's plans in instalment order).
    plan_id: str | None = None
    instalment: int | None = None

    def settled(
        self, status: str, *, at: datetime, reason: str | None, reference: str | None
    ) -> "Payment":
        assert status in FINAL
        return replace(
            self,
            status=status,  # type: ignore[arg-type]
            settled_at=at,
            reason=reason if status == "failed" else None,
            provider_reference=reference,
        )


PromiseState = Literal["open", "kept", "broken"]


@dataclass(frozen=True, slots=True)
class Promise:
    id: str
    tenant_id: str
    contact_id: str
    account_id: str
    account_number: str
    amount: Decimal
    currency: str
    due_date: date
    made_at: datetime
    state: PromiseState = "open"
    judged_at: datetime | None = None
    # False from the verdict until its PromiseKept / PromiseBroken is acknowledged.
    announced: bool = True


@dataclass(frozen=True, slots=True)
class Verdict:
    state: PromiseState
    paid: Decimal
    payment_ids: tuple[str, ...]


def judge_promise(promise: Promise, payments: Sequence[Payment], today: date) -> Verdict | None:
    """Kept once the account's payments made since the promise reach its amount by the due
    date; broken when the due date has passed without; None while it is still open."""
    counted = sorted(
        (
            p
            for p in payments
            if p.status == "succeeded"
            and p.account_id == promise.account_id
            and p.settled_at is not None
            and p.settled_at >= promise.made_at
            and p.settled_at.date() <= promise.due_date
        ),
        key=lambda p: (p.settled_at, p.id),
    )
    paid = sum((p.amount for p in counted), Decimal(0))
    if paid >= promise.amount:
        return Verdict("kept", paid, tuple(p.id for p in counted))
    if today > promise.due_date:
        return Verdict("broken", paid, ())
    return None


def check_promise(
    amount: Decimal, due: date, account: AccountView, settings: PortalSettings, today: date
) -> None:
    if not settings.promise_to_pay:
        raise Refusal("not_offered")
    check_payment(amount, account, settings)
    if not today <= due <= today + timedelta(days=settings.promise_max_days):
        raise Refusal("date_out_of_range")


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PlanChoice:
    """One offer the customer may pick: how many instalments, how often."""

    instalments: int
    frequency: Frequency
    from_file: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    tenant_id: str
    contact_id: str
    account_id: str
    account_number: str
    currency: str
    frequency: Frequency
    instalments: tuple[Instalment, ...]
    agreed_at: datetime
    judged: tuple["Judged", ...] = ()


@dataclass(frozen=True, slots=True)
class Judged:
    """An instalment's verdict: paid (by the payment that covered it) or missed."""

    number: int
    state: Literal["paid", "missed"]
    payment_id: str | None
    at: datetime
    announced: bool = False


def judge_plan(
    plan: Plan, payments: Sequence[Payment], today: date
) -> list[tuple[int, str, str | None]]:
    """New verdicts of a plan's instalments: a payment the customer made for a chosen
    instalment pays that one; the account's other payments since the plan pay the rest in
    order (cumulatively); one not covered by its due date is missed."""
    done = {j.number for j in plan.judged}
    numbers = {i.number for i in plan.instalments}
    succeeded = sorted(
        (
            p
            for p in payments
            if p.status == "succeeded"
            and p.account_id == plan.account_id
            and p.settled_at is not None
            and p.settled_at >= plan.agreed_at
        ),
        key=lambda p: (p.settled_at, p.id),
    )
    chosen: dict[int, Payment] = {}
    for p in succeeded:
        if p.plan_id == plan.id and p.instalment in numbers and p.instalment not in chosen:
            chosen[p.instalment] = p
    # Payments for a chosen instalment (of this plan or another) do not count twice.
    counted = [p for p in succeeded if p.instalment is None]
    verdicts: list[tuple[int, str, str | None]] = []
    paid, owed, used = Decimal(0), Decimal(0), 0
    for instalment in plan.instalments:
        if instalment.number in chosen:
            if instalment.number not in done:
                verdicts.append((instalment.number, "paid", chosen[instalment.number].id))
            continue
        owed += instalment.amount
        while paid < owed and used < len(counted):
            paid += counted[used].amount
            used += 1
        if instalment.number in done:
            continue
        if paid >= owed:
            verdicts.append((instalment.number, "paid", counted[used - 1].id))
        elif instalment.due_date < today:
            verdicts.append((instalment.number, "missed", None))
        # else neither covered nor due; a later one may still be paid by choice
    return verdicts


def next_due(plan: Plan, judged: set[int]) -> date | None:
    """The due date of the first instalment without a verdict (what the judge waits for)."""
    return next((i.due_date for i in plan.instalments if i.number not in judged), None)


_STEP = {
    "weekly": relativedelta(weeks=1),
    "fortnightly": relativedelta(weeks=2),
    "monthly": relativedelta(months=1),
}


def plan_choices(
    account: AccountView, offer: PlanOffer | None, settings: PortalSettings
) -> list[PlanChoice]:
    """The offers for an account: the file's plan columns where it gave them, else the
    tenant's rules, leaving out any whose instalment would fall below the minimum."""
    if not settings.payment_plans or payable(account) <= 0 or account.currency is None:
        return []
    if offer is not None:
        return [PlanChoice(offer.instalments, offer.frequency, from_file=True)]
    owed = payable(account)
    return [
        PlanChoice(n, f)
        for f in settings.plan_frequencies
        for n in settings.plan_instalments
        if owed / n >= settings.plan_min_instalment
    ]


def schedule(
    total: Decimal, choice: PlanChoice, first_due: date, offer: PlanOffer | None = None
) -> tuple[Instalment, ...]:
    """The whole schedule: equal instalments rounded down to the cent, the last one taking
    what rounding left (or the file's instalment amount, the last one the rest)."""
    n = choice.instalments
    each = (
        offer.amount
        if offer is not None and offer.amount is not None and choice.from_file
        else (total / n).quantize(CENT, rounding=ROUND_DOWN)
    )
    if each * (n - 1) >= total:
        each = (total / n).quantize(CENT, rounding=ROUND_DOWN)
    amounts = [each] * (n - 1) + [total - each * (n - 1)]
    step = _STEP[choice.frequency]
    return tuple(
        Instalment(i + 1, first_due + step * i, amount) for i, amount in enumerate(amounts)
    )


def check_plan(
    choice: PlanChoice, account: AccountView, offer: PlanOffer | None, settings: PortalSettings
) -> None:
    if choice not in plan_choices(account, offer, settings):
        raise Refusal("not_offered")


def new_id() -> str:
    return secrets.token_hex(12)

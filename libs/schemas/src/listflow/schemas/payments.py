"""Payment events: what the portal tells the rest of the system about money a customer paid
or promised. Published on `portal.payments.v1`, keyed by account id (`<contact id>:<account
number>`), so one account's events stay in order; contacts lowers the balance on
PaymentReceived, once per `payment_id`. No card data ever travels here: the provider's page
takes the card, and the portal keeps only the provider's reference. Registered in
`events.EVENT_TYPES` when this module is imported.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from listflow.schemas.events import EVENT_TYPES, Event
from listflow.schemas.values import Frozen
from pydantic import Field

Money = Decimal
Frequency = Literal["weekly", "fortnightly", "monthly"]


class AccountEvent(Event):
    """Every payment event names the account (its key) and the customer it belongs to."""

    account_id: str = Field(description="The Kafka key: '<contact id>:<account number>'")
    contact_id: str
    account_number: str


class PaymentReceived(AccountEvent):
    """The provider confirmed a payment. `payment_id` is unique: apply it once."""

    ce_type: ClassVar[str] = "listflow.portal.PaymentReceived"
    payment_id: str
    amount: Money = Field(gt=0)
    currency: str
    received_at: datetime
    provider_reference: str | None = None
    plan_id: str | None = Field(default=None, description="Set when it pays an instalment")
    instalment: int | None = Field(
        default=None, ge=1, description="The plan's instalment the customer chose to pay"
    )


class PaymentFailed(AccountEvent):
    ce_type: ClassVar[str] = "listflow.portal.PaymentFailed"
    payment_id: str
    amount: Money = Field(gt=0)
    currency: str
    reason: str = Field(description="declined, insufficient_funds, authentication_failed, ...")
    failed_at: datetime


class PromiseToPayMade(AccountEvent):
    ce_type: ClassVar[str] = "listflow.portal.PromiseToPayMade"
    promise_id: str
    amount: Money = Field(gt=0)
    currency: str
    due_date: date
    made_at: datetime
    hold_until: date | None = Field(
        default=None,
        description="Set when the tenant holds customers with an active promise out of "
        "collections campaigns and dialer queues: until this day, or PromiseKept/Broken",
    )


class PromiseKept(AccountEvent):
    ce_type: ClassVar[str] = "listflow.portal.PromiseKept"
    promise_id: str
    payment_ids: tuple[str, ...]
    kept_at: datetime


class PromiseBroken(AccountEvent):
    """Judged on the due date: less than the promised amount was paid by then."""

    ce_type: ClassVar[str] = "listflow.portal.PromiseBroken"
    promise_id: str
    due_date: date
    paid: Money = Field(ge=0)
    judged_at: datetime


class Instalment(Frozen):
    number: int = Field(ge=1)
    due_date: date
    amount: Money = Field(gt=0)


class PaymentPlanAgreed(AccountEvent):
    ce_type: ClassVar[str] = "listflow.portal.PaymentPlanAgreed"
    plan_id: str
    frequency: Frequency
    currency: str
    instalments: tuple[Instalment, ...] = Field(min_length=1)
    agreed_at: datetime
    hold_until: date | None = Field(
        default=None,
        description="Set when the tenant holds customers with an active plan out of "
        "collections campaigns and dialer queues: until this day (the last instalment's), "
        "or every instalment paid, or an InstalmentMissed",
    )


class InstalmentPaid(AccountEvent):
    ce_type: ClassVar[str] = "listflow.portal.InstalmentPaid"
    plan_id: str
    number: int = Field(ge=1)
    payment_id: str
    paid_at: datetime


class InstalmentMissed(AccountEvent):
    ce_type: ClassVar[str] = "listflow.portal.InstalmentMissed"
    plan_id: str
    number: int = Field(ge=1)
    due_date: date
    judged_at: datetime


PaymentEvent = (
    PaymentReceived
    | PaymentFailed
    | PromiseToPayMade
    | PromiseKept
    | PromiseBroken
    | PaymentPlanAgreed
    | InstalmentPaid
    | InstalmentMissed
)

EVENT_TYPES.update(
    {
        model.ce_type: model
        for model in (
            PaymentReceived,
            PaymentFailed,
            PromiseToPayMade,
            PromiseKept,
            PromiseBroken,
            PaymentPlanAgreed,
            InstalmentPaid,
            InstalmentMissed,
        )
    }
)

"""The payment events decode by their ce_type and refuse what cannot be money."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from listflow.schemas.events import decode
from listflow.schemas.payments import PaymentPlanAgreed, PaymentReceived
from pydantic import ValidationError

AT = datetime(2026, 3, 1, tzinfo=UTC)
ACCOUNT = {"tenant_id": "t", "account_id": "c:A1", "contact_id": "c", "account_number": "A1"}


def test_payment_received_round_trips_exactly() -> None:
    event = PaymentReceived(
        **ACCOUNT, payment_id="p1", amount=Decimal("19.99"), currency="GBP", received_at=AT
    )
    decoded = decode(event.ce_type, event.model_dump(mode="json"))
    assert decoded == event and decoded.amount == Decimal("19.99")  # type: ignore[attr-defined]


def test_a_plan_carries_its_whole_schedule() -> None:
    body = {
        **ACCOUNT,
        "plan_id": "pl",
        "frequency": "monthly",
        "currency": "EUR",
        "instalments": [
            {"number": 1, "due_date": "2026-04-01", "amount": "50.00"},
            {"number": 2, "due_date": "2026-05-01", "amount": "50.00"},
        ],
        "agreed_at": AT.isoformat(),
    }
    plan = decode(PaymentPlanAgreed.ce_type, body)
    assert isinstance(plan, PaymentPlanAgreed)
    assert [i.due_date for i in plan.instalments] == [date(2026, 4, 1), date(2026, 5, 1)]


@pytest.mark.parametrize("amount", ["0", "-1", "lots"])
def test_no_payment_of_nothing(amount: str) -> None:
    with pytest.raises(ValidationError):
        PaymentReceived.model_validate(
            {**ACCOUNT, "payment_id": "p", "amount": amount, "currency": "GBP", "received_at": AT}
        )

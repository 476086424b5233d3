"""The subscriber of portal.payments.v1: a PaymentReceived lowers the account's balance once;
promises and plans hold the contact out of collections while they last."""

from collections.abc import Sequence

from faststream.kafka import KafkaMessage
from listflow.contacts.bootstrap import Container
from listflow.contacts.holds import HOLD_EVENTS
from listflow.kit.consumers import consume_event_batch
from listflow.kit.kafka import row_batch_subscriber
from listflow.schemas import topics
from listflow.schemas.payments import AccountEvent, PaymentReceived


def register(container: Container) -> None:
    broker = container.broker

    async def apply(events: Sequence[AccountEvent]) -> None:
        # In order: one account's events share a partition, and a hold's end follows its start.
        for event in events:
            if isinstance(event, PaymentReceived):
                await container.payments.apply([event])
            else:
                await container.holds.apply([event])

    @row_batch_subscriber(
        broker,
        topics.PORTAL_PAYMENTS.name,
        group_id=container.settings.contacts_consumer_group,
        max_records=500,
        title="contacts/portal-payments",
        description="Lowers an account's balance by each PaymentReceived, once per payment_id "
        "(a ledger of applied payments); keeps the holds of promises and plans on the contact "
        "(PromiseToPayMade/PaymentPlanAgreed with hold_until place one; PromiseKept, "
        "PromiseBroken, InstalmentMissed and a plan's every instalment paid lift it).",
    )
    async def payments(msg: KafkaMessage) -> None:
        await consume_event_batch(
            msg,
            broker,
            (PaymentReceived, *HOLD_EVENTS),
            apply,
            what="payment event",
            failure="payments failed, will be redelivered",
        )

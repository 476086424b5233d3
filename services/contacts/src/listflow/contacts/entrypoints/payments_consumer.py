"""The subscriber of portal.payments.v1: a PaymentReceived lowers the account's balance once."""

from faststream.kafka import KafkaMessage
from listflow.contacts.bootstrap import Container
from listflow.kit.consumers import consume_event_batch
from listflow.kit.kafka import row_batch_subscriber
from listflow.schemas import topics
from listflow.schemas.payments import PaymentReceived


def register(container: Container) -> None:
    broker = container.broker

    @row_batch_subscriber(
        broker,
        topics.PORTAL_PAYMENTS.name,
        group_id=container.settings.contacts_consumer_group,
        max_records=500,
        title="contacts/portal-payments",
        description="Lowers an account's balance by each PaymentReceived, once per payment_id "
        "(a ledger of applied payments); the other payment events are not contacts' concern.",
    )
    async def payments(msg: KafkaMessage) -> None:
        await consume_event_batch(
            msg,
            broker,
            (PaymentReceived,),
            container.payments.apply,
            what="payment event",
            failure="payments failed, will be redelivered",
        )

"""Kafka subscribers of the leads service."""

from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from listflow.kit.consumers import consume_event, consume_event_batch, consume_row_batch
from listflow.kit.kafka import row_batch_subscriber
from listflow.leads.bootstrap import Container
from listflow.schemas import topics
from listflow.schemas.events import ContactCreated, ContactDeleted, ContactUpdated, ListReady
from listflow.schemas.leads import DialOutcome, LeadRowParsed


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings

    @row_batch_subscriber(
        broker,
        topics.LEAD_ROWS.name,
        group_id=settings.leads_consumer_group,
        max_records=settings.leads_batch_size,
        title="leads/write-rows",
        description="Writes LeadRowParsed rows into their lead lists under the upload's "
        "duplicate scope, action and churn; answers RowOutcomes.",
    )
    async def write_rows(msg: KafkaMessage) -> None:
        await consume_row_batch(
            msg,
            container.broker,
            LeadRowParsed,
            container.rows.ingest_rows,
            container.events.row_outcomes,
            failure="lead batch failed, will be redelivered",
        )

    @broker.subscriber(
        topics.LISTS_READY.name,
        group_id=settings.leads_consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title="leads/list-ready",
        description="Queues the leads of a ready lead list for its campaigns (once each).",
    )
    async def list_ready(body: ListReady | dict[str, Any], msg: KafkaMessage) -> None:
        await consume_event(
            body,
            msg,
            container.broker,
            topic=topics.LISTS_READY.name,
            model=ListReady,
            process=container.queue.on_list_ready,
            failure="queueing a ready list failed, will be redelivered",
            log_fields=lambda event: {"list_id": event.list_id},
        )

    @broker.subscriber(
        topics.DIAL_OUTCOMES.name,
        group_id=settings.leads_consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title="leads/dial-outcomes",
        description="Applies DialOutcome from dialers: lead status, attempts, next attempt "
        "by the campaign's retry rules; a redelivered outcome changes nothing.",
    )
    async def dial_outcome(body: DialOutcome | dict[str, Any], msg: KafkaMessage) -> None:
        await consume_event(
            body,
            msg,
            container.broker,
            topic=topics.DIAL_OUTCOMES.name,
            model=DialOutcome,
            process=container.outcomes.record_outcome,
            failure="dial outcome failed, will be redelivered",
            log_fields=lambda outcome: {"lead_id": outcome.lead_id},
        )

    @row_batch_subscriber(
        broker,
        topics.CONTACT_CHANGES.name,
        group_id=settings.leads_consumer_group,
        max_records=500,
        title="leads/contact-holds",
        description="Keeps customers held by an active promise or plan (a snapshot's "
        "held_until) out of the dialer queue: the leads having their numbers are withdrawn, "
        "and queued again when a snapshot without the hold arrives.",
    )
    async def contact_holds(msg: KafkaMessage) -> None:
        await consume_event_batch(
            msg,
            broker,
            (ContactCreated, ContactUpdated, ContactDeleted),
            container.holds.on_contact_changes,
            what="contact change",
            failure="contact holds failed, will be redelivered",
        )
